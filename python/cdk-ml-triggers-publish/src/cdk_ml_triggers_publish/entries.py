"""PutEvents entries: the checks an event passes before it is sent, its size, and the requests it travels in."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

from .events import BusTarget, PublishError
from .schema import parse_event_schema, validate_event_data

MAX_REQUEST_BYTES = 1024 * 1024
"""PutEvents' size limit, for one entry and for the sum of the entries of one request.

"You can batch multiple event entries into one request for efficiency. However, the total entry size must be less
than 1MB" (EventBridge API Reference, PutEvents), each entry counted as "Calculating PutEvents event entry size"
(EventBridge User Guide) says. It was 256 KB until EventBridge raised it on 29 January 2026.
"""
MAX_ENTRIES_PER_CALL = 10
"""PutEvents accepts at most 10 entries per call (EventBridge API Reference, PutEvents ``Entries``)."""

_EVENT_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")


class PendingEntry(NamedTuple):
    """An event that passed the checks: its position in the caller's list, its PutEvents entry and its size."""

    index: int
    entry: Dict[str, Any]
    size: int


def check_options(time: Optional[datetime], resources: Optional[Sequence[str]]) -> None:
    """Raises TypeError for a ``time`` or ``resources`` of the wrong type, before any event is looked at."""
    if time is not None and not isinstance(time, datetime):
        raise TypeError(f"time must be a datetime, got {type(time).__name__}")
    if resources is not None and not (
        isinstance(resources, (list, tuple)) and all(isinstance(resource, str) for resource in resources)
    ):
        raise TypeError(f"resources must be a list of ARN strings, got {resources!r}")


def to_entry(
    target: BusTarget,
    name: str,
    detail: Dict[str, Any],
    time: Optional[datetime],
    resources: Optional[Sequence[str]],
    index: int,
) -> Union[PendingEntry, PublishError]:
    """The PutEvents entry of one event, or the PublishError that keeps it from being sent."""
    if not isinstance(name, str) or _EVENT_NAME.fullmatch(name) is None:
        shown = json.dumps(name, ensure_ascii=False) if isinstance(name, str) else repr(name)
        message = f"event name must be 1-128 letters, digits, '.', '_' or '-', got {shown}"
        return PublishError("InvalidName", message, index)
    encoded = _json_object(detail)
    if encoded is None:
        message = (
            f"detail of '{name}' must be a JSON object: a dict json.dumps encodes "
            "(not a list, None, a primitive, NaN or a value JSON cannot encode)"
        )
        return PublishError("InvalidPayload", message, index)
    schema_error = _schema_error(target, name, encoded, index)
    if schema_error is not None:
        return schema_error
    entry: Dict[str, Any] = {
        "EventBusName": target.event_bus_name,
        "Source": target.source,
        "DetailType": name,
        "Detail": encoded,
    }
    if time is not None:
        entry["Time"] = time
    if resources is not None:
        entry["Resources"] = list(resources)
    size = entry_size(entry)
    if size > MAX_REQUEST_BYTES:
        message = (
            f"event '{name}' is {size} bytes by the PutEvents entry size formula, over the {MAX_REQUEST_BYTES}-byte "
            "limit; store the payload (e.g. in S3) and publish its location instead"
        )
        return PublishError("EntryTooLarge", message, index)
    return PendingEntry(index, entry, size)


def _schema_error(target: BusTarget, name: str, encoded: str, index: int) -> Optional[PublishError]:
    """The error of an event whose ``data`` (as it will be sent; absent is ``{}``) fails its declared schema."""
    schema = None if target.schemas is None else target.schemas.get(name)
    if schema is None:
        return None
    invalid = parse_event_schema(schema)
    if invalid is not None:
        return PublishError("InvalidSchema", f"the schema of '{name}' in the target is not one a bus declares: {invalid[0]}: {invalid[1]}", index)
    sent = json.loads(encoded)
    failure = validate_event_data(schema, sent.get("data", {}))
    if failure is None:
        return None
    return PublishError("SchemaViolation", f"{failure[0]}: {failure[1]} (the schema declared for {name})", index)


def _json_object(detail: object) -> Optional[str]:
    """The compact JSON of ``detail`` (as JavaScript's JSON.stringify writes it), or None if it is no JSON object."""
    if not isinstance(detail, dict):
        return None
    try:
        encoded = json.dumps(detail, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        encoded.encode("utf-8")  # a lone surrogate has no UTF-8 form
    except (TypeError, ValueError, RecursionError):  # ValueError: a cycle, NaN or Infinity, a lone surrogate
        return None
    return encoded


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def entry_size(entry: Dict[str, Any]) -> int:
    """Entry size as the EventBridge User Guide defines it ("Calculating PutEvents event entry size").

    Time counts 14 bytes when set; Source, DetailType, Detail and each Resources item count the bytes of their
    UTF-8 form.
    """
    resources = sum(_utf8(resource) for resource in entry.get("Resources", []))
    time = 14 if "Time" in entry else 0
    return time + _utf8(entry["Source"]) + _utf8(entry["DetailType"]) + _utf8(entry["Detail"]) + resources


def requests(pending: Sequence[PendingEntry]) -> List[List[PendingEntry]]:
    """Consecutive entries grouped into PutEvents requests of at most 10 entries and at most MAX_REQUEST_BYTES."""
    batches: List[List[PendingEntry]] = []
    current: List[PendingEntry] = []
    size = 0
    for item in pending:
        if len(current) == MAX_ENTRIES_PER_CALL or (current and size + item.size > MAX_REQUEST_BYTES):
            batches.append(current)
            current = []
            size = 0
        current.append(item)
        size += item.size
    if current:
        batches.append(current)
    return batches
