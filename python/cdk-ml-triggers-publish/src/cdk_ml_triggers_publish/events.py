"""The values the publish functions take and give back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple


@dataclass(frozen=True)
class BusTarget:
    """Where events go: what a TriggerEventBus exposes as ``publishTarget`` (its name, source namespace and schemas).

    ``schemas`` maps event names to the JSON Schemas the bus declares for their ``data`` (``bus.declareEvent``):
    an event of a declared name is validated before it is sent. None (the default) leaves every event untyped.
    """

    event_bus_name: str
    source: str
    schemas: Optional[Mapping[str, Mapping[str, Any]]] = field(default=None, hash=False)

    @classmethod
    def from_publish_target(cls, target: Mapping[str, Any]) -> "BusTarget":
        """The target from the JSON of a bus's ``publishTarget``: ``eventBusName``, ``source`` and ``schemas``."""
        return cls(event_bus_name=target["eventBusName"], source=target["source"], schemas=target.get("schemas"))


class Event(NamedTuple):
    """One event of ``publish_events``: its name (the ``detail-type``) and its detail, a JSON object."""

    name: str
    detail: Dict[str, Any]


@dataclass(frozen=True)
class PublishResult:
    """An event EventBridge accepted."""

    event_id: str


@dataclass(frozen=True)
class SafePublishResult:
    """What ``safe_publish`` did: the event id when it published, else the reason it did not."""

    published: bool
    event_id: Optional[str] = None
    reason: Optional[str] = None


class PublishError(Exception):
    """An event that was not published: rejected before sending, or by PutEvents.

    ``code`` is ``InvalidName``, ``InvalidPayload``, ``SchemaViolation`` (the event's ``data`` fails the schema its
    name declares; the message starts with the failing field, ``data.owner.team: must be a string``),
    ``InvalidSchema`` (a schema in the target outside the subset), ``EntryTooLarge``, ``InvalidSetting`` (ML_TRIGGERS_PUBLISH),
    the ``ErrorCode`` of a failed PutEvents entry, or the error code (else the exception name) of a PutEvents call
    that failed as a whole. ``entry_index`` is the position of the event in the list given to ``publish_events``
    (0 for ``publish_event`` and ``safe_publish``).
    """

    def __init__(self, code: str, message: str, entry_index: Optional[int] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.entry_index = entry_index

    def __reduce__(self) -> Tuple[type, Tuple[str, str, Optional[int]]]:
        return (type(self), (self.code, self.message, self.entry_index))

    def __repr__(self) -> str:
        return f"PublishError(code={self.code!r}, message={self.message!r}, entry_index={self.entry_index!r})"
