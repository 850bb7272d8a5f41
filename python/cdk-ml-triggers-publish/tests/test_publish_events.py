"""publish_events: requests split by entry count and by size, order kept, one outcome per event."""

from __future__ import annotations

import json
from typing import List, Optional

from cdk_ml_triggers_publish import MAX_REQUEST_BYTES, Event, PublishError, PublishResult, publish_events

from .fake_eventbridge import ReceivedEntry
from .publish_environment import MODEL_ADDED, TARGET, PublishTestCase


def entry_size(entry: ReceivedEntry) -> int:
    """PutEvents' size of an entry without time or resources (EventBridge User Guide, "Calculating ... entry size")."""
    return sum(len((text or "").encode("utf-8")) for text in (entry.source, entry.detail_type, entry.detail))


def event_of_size(sequence: int, size: int) -> Event:
    """An event whose entry (no time, no resources) has exactly ``size`` bytes."""
    base = json.dumps({"sequence": sequence, "pad": ""}, separators=(",", ":"))
    overhead = len(TARGET.source) + len("model.added") + len(base)
    return Event("model.added", {"sequence": sequence, "pad": "x" * (size - overhead)})


def sequence_of(entry: ReceivedEntry) -> Optional[int]:
    return json.loads(entry.detail or "{}").get("sequence")


class PublishEventsTest(PublishTestCase):
    def results_of_accepted(self) -> List[PublishResult]:
        return [PublishResult(event_id=entry.event_id or "") for entry in self.fake.accepted]

    def test_splits_23_events_into_calls_of_10_10_and_3_and_keeps_their_order(self) -> None:
        events = [Event("model.added", {**MODEL_ADDED, "sequence": n}) for n in range(23)]

        results = publish_events(TARGET, events)

        self.assertEqual([len(call.entries) for call in self.fake.calls], [10, 10, 3])
        self.assertEqual([sequence_of(entry) for entry in self.fake.accepted], list(range(23)))
        self.assertEqual(results, self.results_of_accepted())

    def test_splits_calls_by_size_too_so_no_request_carries_more_than_1_mb_of_entries(self) -> None:
        events = [event_of_size(n, 400_000) for n in range(5)]

        results = publish_events(TARGET, events)

        self.assertEqual([len(call.entries) for call in self.fake.calls], [2, 2, 1])
        self.assertTrue(all(sum(map(entry_size, call.entries)) <= MAX_REQUEST_BYTES for call in self.fake.calls))
        self.assertEqual([sequence_of(entry) for entry in self.fake.accepted], [0, 1, 2, 3, 4])
        self.assertEqual(results, self.results_of_accepted())

    def test_puts_two_entries_one_byte_under_1_mb_in_one_call_and_one_byte_over_in_two(self) -> None:
        publish_events(TARGET, [event_of_size(0, 524_288), event_of_size(1, 524_287)])
        together = [len(call.entries) for call in self.fake.calls]
        self.fake.reset()

        publish_events(TARGET, [event_of_size(0, 524_288), event_of_size(1, 524_289)])

        self.assertEqual(together, [2])
        self.assertEqual([len(call.entries) for call in self.fake.calls], [1, 1])

    def test_reports_an_event_over_1_mb_as_entry_too_large_without_sending_it_and_sends_the_others_in_one_call(self) -> None:
        events = [event_of_size(0, 1_000), event_of_size(1, 1_048_577), event_of_size(2, 1_000)]

        results = publish_events(TARGET, events)

        too_large = results[1]
        assert isinstance(too_large, PublishError)
        self.assertEqual((too_large.code, too_large.entry_index), ("EntryTooLarge", 1))
        self.assertIn("1048577 bytes", too_large.message)
        self.assertEqual([[sequence_of(entry) for entry in call.entries] for call in self.fake.calls], [[0, 2]])
        self.assertEqual([results[0], results[2]], self.results_of_accepted())

    def test_reports_each_failed_event_individually_and_publishes_the_rest(self) -> None:
        events = [(name, MODEL_ADDED) for name in ("model.added", "model.deployed", "model.retired", "model archived")]
        self.fake.fail_entries(lambda entry: entry.detail_type == "model.deployed", "ThrottlingException", 1)
        self.fake.fail_entries(lambda entry: entry.detail_type == "model.retired", "MalformedDetail", 1)

        results = publish_events(TARGET, events)

        self.assertEqual(len(results), 4)
        self.assertEqual(results[:2], self.results_of_accepted())
        failures = [(result.code, result.entry_index) for result in results[2:] if isinstance(result, PublishError)]
        self.assertEqual(failures, [("MalformedDetail", 2), ("InvalidName", 3)])
        self.assertEqual(
            [[entry.detail_type for entry in call.entries] for call in self.fake.calls],
            [["model.added", "model.deployed", "model.retired"], ["model.deployed"]],
        )

    def test_fails_every_event_of_a_failed_call_and_still_sends_the_next_call(self) -> None:
        events = [Event("model.added", {"sequence": n}) for n in range(12)]
        self.fake.fail_calls(1, "internal")

        results = publish_events(TARGET, events, client=self.client(max_attempts=1))

        self.assertEqual([result.entry_index for result in results[:10] if isinstance(result, PublishError)], list(range(10)))
        self.assertEqual([entry.detail for entry in self.fake.accepted], ['{"sequence":10}', '{"sequence":11}'])

    def test_sends_nothing_for_an_empty_list(self) -> None:
        results = publish_events(TARGET, [])

        self.assertEqual(results, [])
        self.assertEqual(self.fake.calls, [])

    def test_refuses_an_event_given_as_a_dict_instead_of_a_name_and_detail_pair(self) -> None:
        events = [{"name": "model.added", "detail": MODEL_ADDED}]

        with self.assertRaisesRegex(TypeError, r"^events\[0\] must be Event\(name, detail\)"):
            publish_events(TARGET, events)  # type: ignore[arg-type]

        self.assertEqual(self.fake.calls, [])
