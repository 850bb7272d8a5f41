"""Publish events to a cdk-ml-triggers TriggerEventBus from Python: the counterpart of ``cdk-ml-triggers/publish``."""

from .entries import MAX_ENTRIES_PER_CALL, MAX_REQUEST_BYTES
from .events import BusTarget, Event, PublishError, PublishResult, SafePublishResult
from .platforms import Platform, PublishMode, UnknownPublishMode, detect_platform, why_not_publishing
from .publish import publish_event, publish_events, safe_publish

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
    "publish_event",
    "publish_events",
    "safe_publish",
    "why_not_publishing",
]
