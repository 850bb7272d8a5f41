"""Publish events to a cdk-ml-triggers TriggerEventBus from Python: the counterpart of ``cdk-ml-triggers/publish``."""

from .entries import MAX_ENTRIES_PER_CALL, MAX_REQUEST_BYTES
from .events import BusTarget, Event, PublishError, PublishResult, SafePublishResult
from .platforms import Platform, PublishMode, UnknownPublishMode, detect_platform, why_not_publishing
from .publish import publish_event, publish_events, safe_publish
from .schema import parse_event_schema, validate_event_data

__all__ = [
    "MAX_ENTRIES_PER_CALL",
    "MAX_REQUEST_BYTES",
    "BusTarget",
    "Event",
    "Platform",
    "PublishError",
    "PublishMode",
    "PublishResult",
    "SafePublishResult",
    "UnknownPublishMode",
    "detect_platform",
    "parse_event_schema",
    "publish_event",
    "publish_events",
    "safe_publish",
    "validate_event_data",
    "why_not_publishing",
]
