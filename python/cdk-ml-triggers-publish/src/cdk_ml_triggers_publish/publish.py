"""publish_event, publish_events and safe_publish: events to a TriggerEventBus through PutEvents."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from time import sleep
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union, cast

from boto3.session import Session
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from .entries import PendingEntry, check_options, requests, to_entry
from .events import BusTarget, PublishError, PublishResult, SafePublishResult
from .platforms import MODES, PublishMode, UnknownPublishMode, why_not_publishing

_MAX_ATTEMPTS = 3
_BACKOFF_SECONDS = 0.05
# Per-entry error codes the PutEventsResultEntry reference calls retryable; InternalException is the modeled name.
_RETRYABLE_CODES = frozenset({"ThrottlingException", "InternalFailure", "InternalException"})

# The variables that decide where a default client sends; one client is kept for each combination seen.
_CLIENT_SETTINGS = (
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
)
_default_clients: Dict[Tuple[Optional[str], ...], BaseClient] = {}
_default_clients_lock = threading.Lock()

Outcome = Union[PublishResult, PublishError]


class _EntryFailure(NamedTuple):
    code: str
    message: str
    retryable: bool
    cause: Optional[BaseException] = None


def _default_client() -> BaseClient:
    """An EventBridge client configured by boto3 from the environment, made once per endpoint, region and profile."""
    settings = tuple(os.environ.get(name) for name in _CLIENT_SETTINGS)
    with _default_clients_lock:
        client = _default_clients.get(settings)
        if client is None:
            session = Session()
            # botocore reads AWS_DEFAULT_REGION; Lambda, ECS and SageMaker jobs set AWS_REGION, which the other SDKs read
            region = None if session.region_name else os.environ.get("AWS_REGION") or None
            client = session.client("events", region_name=region)
            _default_clients[settings] = client
        return client


def publish_event(
    target: BusTarget,
    name: str,
    detail: Dict[str, Any],
    *,
    time: Optional[datetime] = None,
    resources: Optional[Sequence[str]] = None,
    client: Optional[BaseClient] = None,
) -> PublishResult:
    """Publishes one named event; raises PublishError when it is invalid or PutEvents does not accept it."""
    (outcome,) = publish_events(target, [(name, detail)], time=time, resources=resources, client=client)
    if isinstance(outcome, PublishError):
        raise outcome
    return outcome


def publish_events(
    target: BusTarget,
    events: Iterable[Tuple[str, Dict[str, Any]]],
    *,
    time: Optional[datetime] = None,
    resources: Optional[Sequence[str]] = None,
    client: Optional[BaseClient] = None,
) -> List[Outcome]:
    """Publishes events in order and returns one outcome per event, in input order.

    Events are ``Event(name, detail)`` or ``(name, detail)`` pairs; ``time`` and ``resources`` apply to each. They
    are sent at most 10 and at most 1 MB of entries (by the PutEvents size formula) per call. Invalid events, and
    events over 1 MB alone, are not sent and fail; entries failing with a retryable code are resent up to 3
    attempts in all. A failed outcome is a PublishError, returned rather than raised.
    """
    check_options(time, resources)
    pairs = [_pair(event, index) for index, event in enumerate(events)]
    outcomes: List[Optional[Outcome]] = [None] * len(pairs)
    pending: List[PendingEntry] = []
    for index, (name, detail) in enumerate(pairs):
        checked = to_entry(target, name, detail, time, resources, index)
        if isinstance(checked, PublishError):
            outcomes[index] = checked
        else:
            pending.append(checked)
    if pending:
        sender = client if client is not None else _default_client()
        for batch in requests(pending):
            _send_with_retries(sender, batch, outcomes)
    return cast(List[Outcome], outcomes)  # every event got its outcome: a check failed, or PutEvents answered


def safe_publish(
    target: BusTarget,
    name: str,
    detail: Dict[str, Any],
    *,
    time: Optional[datetime] = None,
    resources: Optional[Sequence[str]] = None,
    client: Optional[BaseClient] = None,
    mode: Optional[PublishMode] = None,
    is_deployed: Optional[Callable[[], bool]] = None,
) -> SafePublishResult:
    """Like ``publish_event``, but sends only from a deployed environment, unless told otherwise.

    ``ML_TRIGGERS_PUBLISH=never`` (or ``mode='never'``) never sends; otherwise ``mode``, else ML_TRIGGERS_PUBLISH
    (``always``, ``never``, ``auto``; ``true`` and ``false`` are read as ``always`` and ``never``), else ``auto``.
    ``auto`` asks ``is_deployed()`` when given, else detects the platform from the environment variables and files
    each platform documents: it publishes in Lambda, ECS and Fargate, EKS (IAM roles for service accounts, Pod
    Identity) and SageMaker training and processing jobs; not in GitHub Actions, CodeBuild or another CI service
    (CI=true), not in a SageMaker notebook or Studio app, and not on EC2 or anywhere else it cannot tell (it makes no
    network call). The event is validated either way, so a bad event fails in tests too; so does an
    ML_TRIGGERS_PUBLISH value it does not know (PublishError ``InvalidSetting``).
    """
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be 'always', 'never' or 'auto', got {mode!r}")
    check_options(time, resources)
    checked = to_entry(target, name, detail, time, resources, 0)
    if isinstance(checked, PublishError):
        raise checked
    try:
        reason = why_not_publishing(os.environ, mode, is_deployed)
    except UnknownPublishMode as error:
        raise PublishError("InvalidSetting", str(error), 0) from error
    if reason is not None:
        return SafePublishResult(published=False, reason=reason)
    published = publish_event(target, name, detail, time=time, resources=resources, client=client)
    return SafePublishResult(published=True, event_id=published.event_id)


def _pair(event: object, index: int) -> Tuple[Any, Any]:
    if isinstance(event, (Mapping, str, bytes)) or not isinstance(event, Sequence) or len(event) != 2:
        raise TypeError(f"events[{index}] must be Event(name, detail) or a (name, detail) pair, got {event!r}")
    return event[0], event[1]


def _send_with_retries(client: BaseClient, batch: List[PendingEntry], outcomes: List[Optional[Outcome]]) -> None:
    pending = batch
    attempt = 1
    while pending:
        if attempt > 1:
            sleep(_BACKOFF_SECONDS * 2 ** (attempt - 2))
        answers = _put_events(client, [item.entry for item in pending])
        retry: List[PendingEntry] = []
        for item, answer in zip(pending, answers):
            if isinstance(answer, PublishResult):
                outcomes[item.index] = answer
            elif answer.retryable and attempt < _MAX_ATTEMPTS:
                retry.append(item)
            else:
                outcomes[item.index] = _to_publish_error(item, answer, attempt)
        pending = retry
        attempt += 1


def _put_events(client: BaseClient, entries: List[Dict[str, Any]]) -> List[Union[PublishResult, _EntryFailure]]:
    """One PutEvents call; a failed call (after boto3's own retries) fails each of its entries."""
    try:
        answers = client.put_events(Entries=entries).get("Entries", [])  # type: ignore[attr-defined]  # made at run time by boto3
    except Exception as error:  # whatever ends the call, each entry gets its outcome and the next request still goes
        code = str(error.response.get("Error", {}).get("Code") or "") if isinstance(error, ClientError) else ""
        failure = _EntryFailure(code or type(error).__name__, f"the PutEvents call failed: {error}", False, error)
        return [failure for _ in entries]
    results: List[Union[PublishResult, _EntryFailure]] = []
    for position in range(len(entries)):
        answer = answers[position] if position < len(answers) else {}
        code, event_id = answer.get("ErrorCode"), answer.get("EventId")
        if code:
            results.append(_EntryFailure(code, answer.get("ErrorMessage", ""), code in _RETRYABLE_CODES))
        elif event_id:
            results.append(PublishResult(event_id=event_id))
        else:
            message = f"PutEvents answered {len(answers)} entries for {len(entries)}"
            results.append(_EntryFailure("MissingResultEntry", message, False))
    return results


def _to_publish_error(item: PendingEntry, failure: _EntryFailure, attempts: int) -> PublishError:
    entry = item.entry
    message = (
        f"PutEvents did not accept '{entry['DetailType']}' on bus '{entry['EventBusName']}' "
        f"({attempts} attempt{'' if attempts == 1 else 's'}): {failure.code}: {failure.message}"
    )
    error = PublishError(failure.code, message, item.index)
    error.__cause__ = failure.cause
    return error
