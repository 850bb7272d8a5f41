"""EventBridge's PutEvents over the JSON 1.1 protocol on 127.0.0.1, recording what it receives.

The Python counterpart of test/support/fake-eventbridge.ts: it can fail chosen entries (in a 200 answer, as PutEvents
does) or whole calls, so retries, partial failures and request splitting can be asserted on what crossed the wire.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

PUT_EVENTS = "AWSEvents.PutEvents"
ERROR_MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "InternalFailure": "The request processing has failed because of an unknown error, exception or failure.",
    "MalformedDetail": "Detail is malformed.",
    "InvalidArgument": "Parameter(s) is not valid.",
}
_CALL_FAILURES = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "internal": (500, "InternalException", "An internal error occurred"),
}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")


@dataclass(frozen=True)
class ReceivedEntry:
    """A PutEvents entry as the fake received it; ``time`` is the epoch seconds of the wire, as a UTC datetime."""

    event_bus_name: Optional[str]
    source: Optional[str]
    detail_type: Optional[str]
    detail: Optional[str]
    time: Optional[datetime]
    resources: Tuple[str, ...]
    event_id: Optional[str] = None


@dataclass(frozen=True)
class ReceivedCall:
    """One request: its entries, ``answered`` or the whole-call error, each entry's event id or error code."""

    entries: Tuple[ReceivedEntry, ...]
    outcome: str
    answers: Tuple[str, ...]
    region: Optional[str]


@dataclass
class _EntryRule:
    predicate: Callable[[ReceivedEntry], bool]
    error_code: str
    remaining: int


class FakeEventBridge:
    """Listens on an OS-assigned loopback port from construction until ``close()``."""

    def __init__(self) -> None:
        self.accepted: List[ReceivedEntry] = []
        self.calls: List[ReceivedCall] = []
        self.server_errors: List[BaseException] = []
        self._entry_rules: List[_EntryRule] = []
        self._call_failures: List[str] = []
        self._connections: List[socket.socket] = []
        self._lock = threading.Lock()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-eventbridge", daemon=True)
        self._thread.start()

    def fail_entries(self, predicate: Callable[[ReceivedEntry], bool], error_code: str, times: int = 1) -> None:
        """Answers the next ``times`` entries matching ``predicate`` with ``error_code``."""
        if times < 1:
            raise ValueError(f"times must be a whole number >= 1, got {times}")
        with self._lock:
            self._entry_rules.append(_EntryRule(predicate, error_code, times))

    def fail_calls(self, count: int, kind: str) -> None:
        """Fails the next ``count`` calls: ``throttle`` (HTTP 400 ThrottlingException) or ``internal`` (HTTP 500)."""
        if kind not in _CALL_FAILURES:
            raise ValueError(f"kind must be throttle or internal, got {kind!r}")
        with self._lock:
            self._call_failures.extend([kind] * count)

    def reset(self) -> None:
        """Forgets recorded calls and pending failures."""
        with self._lock:
            self.accepted.clear()
            self.calls.clear()
            self.server_errors.clear()
            self._entry_rules.clear()
            self._call_failures.clear()

    def close(self) -> None:
        """Stops listening and ends the clients' kept-alive connections, so no handler thread outlives the fake."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client closed it first
        self._thread.join(timeout=10)

    def serve(self, target: str, body: bytes, authorization: str) -> Tuple[int, Dict[str, Any], Optional[str]]:
        """The status, JSON body and error type answering one request."""
        with self._lock:
            return self._serve(target, body, authorization)

    def _serve(self, target: str, body: bytes, authorization: str) -> Tuple[int, Dict[str, Any], Optional[str]]:
        scope = _CREDENTIAL_SCOPE.search(authorization)
        region = scope.group(1) if scope else None

        def reject(status: int, error: str, message: str, entries: Tuple[ReceivedEntry, ...] = ()) -> Tuple[int, Dict[str, Any], str]:
            self.calls.append(ReceivedCall(entries, error, (), region))
            return status, {"__type": error, "message": message}, error

        if target != PUT_EVENTS:
            return reject(400, "UnknownOperationException", f"Unknown operation {target}")
        entries = _parse_entries(body)
        if entries is None:
            return reject(400, "SerializationException", "Body is not a PutEvents request")
        if self._call_failures:
            return reject(*_CALL_FAILURES[self._call_failures.pop(0)], entries)
        if not 1 <= len(entries) <= 10:
            message = "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10"
            return reject(400, "ValidationException", message, entries)
        results = [self._answer_entry(entry) for entry in entries]
        answers = tuple(result.get("EventId") or result["ErrorCode"] for result in results)
        self.calls.append(ReceivedCall(entries, "answered", answers, region))
        failed = sum(1 for result in results if "ErrorCode" in result)
        return 200, {"FailedEntryCount": failed, "Entries": results}, None

    def _answer_entry(self, entry: ReceivedEntry) -> Dict[str, str]:
        def fail(code: str) -> Dict[str, str]:
            return {"ErrorCode": code, "ErrorMessage": ERROR_MESSAGES.get(code, code)}

        if not entry.source or not entry.detail_type:
            return fail("InvalidArgument")
        if not _is_json_object(entry.detail):
            return fail("MalformedDetail")
        rule = next((rule for rule in self._entry_rules if rule.remaining > 0 and rule.predicate(entry)), None)
        if rule is not None:
            rule.remaining -= 1
            return fail(rule.error_code)
        event_id = str(uuid.uuid4())
        self.accepted.append(replace(entry, event_id=event_id))
        return {"EventId": event_id}

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.append(connection)

    def __enter__(self) -> "FakeEventBridge":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeEventBridge) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.fake.track(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, (ConnectionError, TimeoutError)):
            self.fake.server_errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._reply(self.headers.get("X-Amz-Target", ""), body)

    def do_GET(self) -> None:
        self._reply(f"GET {self.path}", b"")

    def _reply(self, target: str, body: bytes) -> None:
        status, answer, error = self.server.fake.serve(target, body, self.headers.get("Authorization", ""))
        payload = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: what the fake received is in ``calls``."""


def _parse_entries(body: bytes) -> Optional[Tuple[ReceivedEntry, ...]]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Entries"), list):
        return None
    return tuple(_entry(raw if isinstance(raw, dict) else {}) for raw in parsed["Entries"])


def _entry(raw: Dict[str, Any]) -> ReceivedEntry:
    def text(key: str) -> Optional[str]:
        value = raw.get(key)
        return value if isinstance(value, str) else None

    time = raw.get("Time")
    resources = raw.get("Resources")
    return ReceivedEntry(
        event_bus_name=text("EventBusName"),
        source=text("Source"),
        detail_type=text("DetailType"),
        detail=text("Detail"),
        time=datetime.fromtimestamp(time, timezone.utc) if isinstance(time, (int, float)) else None,
        resources=tuple(item for item in resources if isinstance(item, str)) if isinstance(resources, list) else (),
    )


def _is_json_object(text: Optional[str]) -> bool:
    if text is None:
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False
