"""The event schema subset: the cases the TypeScript validator reads too, and linear work on long data."""

from __future__ import annotations

import json
import unittest
from typing import Any, Dict

from cdk_ml_triggers_publish import parse_event_schema, validate_event_data
from cdk_ml_triggers_publish.schema import Work

from .publish_environment import REPOSITORY

CASES: Dict[str, Any] = json.loads((REPOSITORY / "test" / "fixtures" / "event-schema" / "cases.json").read_text(encoding="utf-8"))


def first_error(schema: Dict[str, Any], data: object, work: Any = None) -> Any:
    failure = validate_event_data(schema, data, "data", work)
    return None if failure is None else f"{failure[0]}: {failure[1]}"


class SharedCasesTest(unittest.TestCase):
    def test_gives_the_first_error_the_typescript_validator_gives_on_every_shared_case(self) -> None:
        for case in CASES["validation"]:
            with self.subTest(case=case["case"]):
                self.assertIsNone(parse_event_schema(case["schema"]))

                actual = first_error(case["schema"], case["data"])

                self.assertEqual(actual, case["error"])

    def test_refuses_the_schemas_the_typescript_parser_refuses_with_the_same_message(self) -> None:
        for case in CASES["schemas"]:
            with self.subTest(case=case["case"]):
                invalid = parse_event_schema(case["schema"])

                self.assertEqual(None if invalid is None else f"{invalid[0]}: {invalid[1]}", case["error"])


class LinearWorkTest(unittest.TestCase):
    def steps(self, schema: Dict[str, Any], data: object) -> int:
        work = Work()
        first_error(schema, data, work)
        return work.steps

    def test_a_list_100_times_longer_costs_about_100_times_the_steps(self) -> None:
        schema = {"type": "object", "properties": {"runs": {"type": "array", "items": {
            "type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}}}}

        def data(n: int) -> Dict[str, Any]:
            return {"runs": [{"id": i} for i in range(n)]}

        ratio = self.steps(schema, data(100_000)) / self.steps(schema, data(1_000))

        self.assertTrue(90 < ratio < 110, ratio)

    def test_many_undeclared_fields_are_scanned_once(self) -> None:
        schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}

        def data(n: int) -> Dict[str, Any]:
            return {f"k{n - i}": i for i in range(n)}

        ratio = self.steps(schema, data(100_000)) / self.steps(schema, data(1_000))

        self.assertLess(ratio, 110)
        self.assertEqual(first_error(schema, data(3)), "data.k1: is not declared in the schema, which allows no other fields")
