"""Typed events: an event of a name the target declares a schema for is validated before it is sent."""

from __future__ import annotations

import copy

from cdk_ml_triggers_publish import BusTarget, PublishError, publish_event, publish_events, safe_publish

from .publish_environment import MODEL_ADDED, TARGET, PublishTestCase

MODEL_ADDED_SCHEMA = {
    "type": "object",
    "properties": {
        "model_id": {"type": "string", "minLength": 1},
        "model_source": {"enum": ["hugging_face", "internal"]},
        "owner": {"type": "object", "properties": {"team": {"type": "string"}}},
    },
    "required": ["model_id"],
}
TYPED = BusTarget(event_bus_name=TARGET.event_bus_name, source=TARGET.source, schemas={"model.added": MODEL_ADDED_SCHEMA})


def with_data(**fields: object) -> dict:
    payload = copy.deepcopy(MODEL_ADDED)
    payload["data"].update(fields)
    return payload


class PublishTypedEventsTest(PublishTestCase):
    def test_sends_an_event_whose_data_conforms(self) -> None:
        result = publish_event(TYPED, "model.added", with_data(owner={"team": "ml"}))

        self.assertEqual([entry.event_id for entry in self.fake.accepted], [result.event_id])

    def test_refuses_an_event_whose_data_fails_naming_the_field_and_sends_nothing(self) -> None:
        with self.assertRaises(PublishError) as raised:
            publish_event(TYPED, "model.added", with_data(owner={"team": 7}))

        self.assertEqual(raised.exception.code, "SchemaViolation")
        self.assertEqual(str(raised.exception), "data.owner.team: must be a string (the schema declared for model.added)")
        self.assertEqual(self.fake.calls, [])

    def test_validates_absent_data_as_an_empty_object(self) -> None:
        payload = {key: value for key, value in MODEL_ADDED.items() if key != "data"}

        with self.assertRaises(PublishError) as raised:
            publish_event(TYPED, "model.added", payload)

        self.assertTrue(str(raised.exception).startswith("data.model_id: is required"))

    def test_fails_only_the_failing_event_of_a_list(self) -> None:
        outcomes = publish_events(TYPED, [("model.added", with_data(model_source="s3")), ("model.added", MODEL_ADDED)])

        self.assertIsInstance(outcomes[0], PublishError)
        self.assertEqual((outcomes[0].code, outcomes[0].entry_index), ("SchemaViolation", 0))
        self.assertRegex(str(outcomes[0]), r'^data\.model_source: must be one of "hugging_face", "internal"')
        self.assertEqual(len(self.fake.accepted), 1)

    def test_leaves_names_without_a_schema_untyped(self) -> None:
        publish_event(TYPED, "data_updated", {"data": {"anything": [1, {"x": None}]}})

        self.assertEqual(len(self.fake.accepted), 1)

    def test_safe_publish_validates_even_where_it_would_not_send(self) -> None:
        with self.assertRaises(PublishError) as raised:
            safe_publish(TYPED, "model.added", with_data(model_id=""), mode="never")

        self.assertEqual(str(raised.exception), "data.model_id: must be at least 1 characters long (the schema declared for model.added)")

    def test_refuses_a_schema_outside_the_subset_before_sending(self) -> None:
        target = BusTarget(TARGET.event_bus_name, TARGET.source, {"model.added": {"type": "object", "properties": {"a": {"pattern": "^x"}}}})

        with self.assertRaises(PublishError) as raised:
            publish_event(target, "model.added", MODEL_ADDED)

        self.assertEqual(raised.exception.code, "InvalidSchema")
        self.assertIn("schema.properties.a.pattern: is not supported", str(raised.exception))
        self.assertEqual(self.fake.calls, [])

    def test_reads_the_target_from_the_json_of_a_bus_publish_target(self) -> None:
        target = BusTarget.from_publish_target({"eventBusName": "b", "source": "ml-triggers.demo.main", "schemas": {"model.added": MODEL_ADDED_SCHEMA}})

        self.assertEqual((target.event_bus_name, target.source, dict(target.schemas or {})), ("b", "ml-triggers.demo.main", {"model.added": MODEL_ADDED_SCHEMA}))
