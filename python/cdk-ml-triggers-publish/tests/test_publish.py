"""publish_event: what it sends, how it retries, what it rejects before sending, and the entry size check."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict

from cdk_ml_triggers_publish import MAX_REQUEST_BYTES, PublishError, publish_event

from .publish_environment import MODEL_ADDED, TARGET, PublishTestCase, is_model_added


class PublishEventTest(PublishTestCase):
    def test_sends_the_fixture_as_model_added_with_source_detail_type_and_detail_exactly(self) -> None:
        result = publish_event(TARGET, "model.added", MODEL_ADDED)

        [accepted] = self.fake.accepted
        self.assertEqual(accepted.event_id, result.event_id)
        self.assertEqual(
            (accepted.event_bus_name, accepted.source, accepted.detail_type, accepted.time, accepted.resources),
            ("ml-triggers-demo-main", "ml-triggers.demo.main", "model.added", None, ()),
        )
        self.assertEqual(accepted.detail, json.dumps(MODEL_ADDED, separators=(",", ":")))

    def test_passes_time_and_resources_through(self) -> None:
        resources = ["arn:aws:sagemaker:eu-west-1:123456789012:model-package/llama/1"]
        time = datetime(2024, 1, 29, 12, 0, tzinfo=timezone.utc)

        publish_event(TARGET, "model.added", MODEL_ADDED, time=time, resources=resources)

        [accepted] = self.fake.accepted
        self.assertEqual((accepted.time, accepted.resources), (time, tuple(resources)))

    def test_retries_an_entry_answered_with_a_retryable_code_and_publishes_it_once(self) -> None:
        for code in ("ThrottlingException", "InternalFailure", "InternalException"):
            with self.subTest(code=code):
                self.fake.reset()
                self.fake.fail_entries(is_model_added, code, 1)

                result = publish_event(TARGET, "model.added", MODEL_ADDED)

                self.assertEqual([call.answers for call in self.fake.calls], [(code,), (result.event_id,)])
                self.assertEqual(len(self.fake.accepted), 1)

    def test_gives_up_on_a_retryable_entry_error_after_3_attempts(self) -> None:
        self.fake.fail_entries(is_model_added, "InternalFailure", 5)

        with self.assertRaises(PublishError) as raised:
            publish_event(TARGET, "model.added", MODEL_ADDED)

        self.assertEqual((raised.exception.code, raised.exception.entry_index), ("InternalFailure", 0))
        self.assertIn("(3 attempts)", str(raised.exception))
        self.assertEqual(len(self.fake.calls), 3)
        self.assertEqual(self.fake.accepted, [])

    def test_reports_a_non_retryable_entry_error_at_once(self) -> None:
        self.fake.fail_entries(is_model_added, "MalformedDetail", 1)

        with self.assertRaises(PublishError) as raised:
            publish_event(TARGET, "model.added", MODEL_ADDED)

        self.assertEqual(raised.exception.code, "MalformedDetail")
        self.assertRegex(str(raised.exception), r"'model.added' on bus 'ml-triggers-demo-main' \(1 attempt\): MalformedDetail")
        self.assertEqual(len(self.fake.calls), 1)

    def test_publishes_once_when_the_sdk_retries_a_throttled_put_events_call(self) -> None:
        self.fake.fail_calls(1, "throttle")

        publish_event(TARGET, "model.added", MODEL_ADDED)

        self.assertEqual([call.outcome for call in self.fake.calls], ["ThrottlingException", "answered"])
        self.assertEqual(len(self.fake.accepted), 1)

    def test_reports_a_put_events_call_that_keeps_failing_with_the_sdk_error_code(self) -> None:
        self.fake.fail_calls(1, "internal")

        with self.assertRaises(PublishError) as raised:
            publish_event(TARGET, "model.added", MODEL_ADDED, client=self.client(max_attempts=1))

        self.assertEqual((raised.exception.code, raised.exception.entry_index), ("InternalException", 0))
        self.assertIsNotNone(raised.exception.__cause__)
        self.assertEqual(self.fake.accepted, [])

    def test_uses_aws_region_when_aws_default_region_is_unset(self) -> None:
        self.set_env(AWS_DEFAULT_REGION=None, AWS_REGION="eu-central-1")

        publish_event(TARGET, "model.added", MODEL_ADDED)

        self.assertEqual([call.region for call in self.fake.calls], ["eu-central-1"])

    def test_rejects_a_bad_name_before_sending(self) -> None:
        names = {"empty": "", "of 129 characters": "a" * 129, "with a space": "model added", "with a slash": "model/added",
                 "with non-ASCII letters": "modèle.ajouté", "ending in a newline": "model.added\n", "not a string": 42}
        for label, name in names.items():
            with self.subTest(label):
                with self.assertRaises(PublishError) as raised:
                    publish_event(TARGET, name, MODEL_ADDED)  # type: ignore[arg-type]

                self.assertEqual(raised.exception.code, "InvalidName")
        self.assertEqual(self.fake.calls, [])

    def test_rejects_a_detail_that_is_no_json_object_before_sending(self) -> None:
        circular: Dict[str, Any] = {}
        circular["self"] = circular
        details = {"None": None, "a list": [MODEL_ADDED], "a string": "model.added", "a number": 42, "a cyclic dict": circular,
                   "a dict holding a set": {"ids": {1}}, "a dict holding NaN": {"score": float("nan")},
                   "a datetime": datetime(1970, 1, 1, tzinfo=timezone.utc), "a lone surrogate": {"name": "\ud800"}}
        for label, detail in details.items():
            with self.subTest(label):
                with self.assertRaises(PublishError) as raised:
                    publish_event(TARGET, "model.added", detail)  # type: ignore[arg-type]

                self.assertEqual(raised.exception.code, "InvalidPayload")
                self.assertIn("detail of 'model.added'", str(raised.exception))
        self.assertEqual(self.fake.calls, [])

    def test_rejects_time_and_resources_of_the_wrong_type_before_sending(self) -> None:
        with self.assertRaisesRegex(TypeError, "^time must be a datetime"):
            publish_event(TARGET, "model.added", MODEL_ADDED, time="2024-01-29T12:00:00Z")  # type: ignore[arg-type]
        with self.assertRaisesRegex(TypeError, "^resources must be a list"):
            publish_event(TARGET, "model.added", MODEL_ADDED, resources="arn:aws:s3:::bucket")  # type: ignore[arg-type]

        self.assertEqual(self.fake.calls, [])


class EntrySizeCheckTest(PublishTestCase):
    # Entry size as the EventBridge User Guide defines it, "Calculating Amazon EventBridge PutEvents event entry size":
    # Time counts 14 bytes when set; Source, DetailType, Detail and each Resources item count the bytes of their UTF-8
    # form. Limit: 1 MB = 1,048,576 bytes since 29 January 2026.
    time = datetime(2024, 1, 29, 12, 0, tzinfo=timezone.utc)
    resources = ["arn:aws:sagemaker:eu-west-1:123456789012:model/llama-3-2-1b"]

    def documented_size(self, detail: Dict[str, Any]) -> int:
        texts = [TARGET.source, "model.added", json.dumps(detail, separators=(",", ":"), ensure_ascii=False), *self.resources]
        return 14 + sum(len(text.encode("utf-8")) for text in texts)

    def detail_of_size(self, size: int) -> Dict[str, Any]:
        """A detail whose entry has exactly ``size`` bytes; 'é' is 2 bytes in UTF-8, so characters are not bytes."""
        base = {**MODEL_ADDED, "note": "é" * 1000, "pad": ""}
        return {**base, "pad": "x" * (size - self.documented_size(base))}

    def test_rejects_an_entry_one_byte_over_1_mb_before_sending(self) -> None:
        detail = self.detail_of_size(MAX_REQUEST_BYTES + 1)
        self.assertEqual(self.documented_size(detail), 1_048_577)

        with self.assertRaises(PublishError) as raised:
            publish_event(TARGET, "model.added", detail, time=self.time, resources=self.resources)

        self.assertEqual(raised.exception.code, "EntryTooLarge")
        self.assertIn("1048577 bytes", str(raised.exception))
        self.assertEqual(self.fake.calls, [])

    def test_accepts_an_entry_one_byte_under_1_mb(self) -> None:
        detail = self.detail_of_size(MAX_REQUEST_BYTES - 1)
        self.assertEqual(self.documented_size(detail), 1_048_575)

        publish_event(TARGET, "model.added", detail, time=self.time, resources=self.resources)

        self.assertEqual(self.accepted_details(), [detail])
