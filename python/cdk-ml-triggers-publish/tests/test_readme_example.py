"""The Python example of the repository's README runs as written and publishes what it says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

from .publish_environment import REPOSITORY, PublishTestCase

README = REPOSITORY / "README.md"
MARKER = "<!-- python: publish -->"
# The fenced python block right after the marker line; only blank lines may stand between them.
EXAMPLE = re.compile(r"^" + re.escape(MARKER) + r"[ \t]*\n(?:[ \t]*\n)*```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
BUS = {"TRIGGER_BUS_NAME": "ml-triggers-churn-main", "TRIGGER_SOURCE": "ml-triggers.churn.main"}


def python_example(readme: Path) -> str:
    """The code of the block after the marker; raises AssertionError, naming what is missing, when there is none."""
    text = readme.read_text(encoding="utf-8")
    if MARKER not in text:
        raise AssertionError(f"{readme.name} has no '{MARKER}' line: the Python publish example is missing")
    found = EXAMPLE.search(text)
    if found is None:
        raise AssertionError(f"the '{MARKER}' line of {readme.name} is not followed by a ```python block")
    return found.group(1)


class ReadmeExampleTest(PublishTestCase):
    def run_example(self) -> List[Tuple[Any, ...]]:
        code = compile(python_example(README), f"{README.name} ({MARKER})", "exec")
        namespace: Dict[str, Any] = {"__name__": "readme_example"}
        exec(code, namespace)
        return [(entry.event_bus_name, entry.source, entry.detail_type, json.loads(entry.detail or "{}")) for entry in self.fake.accepted]

    def test_the_example_publishes_features_ready_and_sends_data_updated_only_from_a_deployed_job(self) -> None:
        self.set_env(**BUS)
        on_a_laptop = self.run_example()
        self.fake.reset()
        self.set_env(ECS_CONTAINER_METADATA_URI_V4="http://169.254.170.2/v4/task")

        in_ecs = self.run_example()

        bus = (BUS["TRIGGER_BUS_NAME"], BUS["TRIGGER_SOURCE"])
        features_ready = (*bus, "features_ready", {"data": {"version": "2024-01-29"}})
        data_updated = (*bus, "data_updated", {"data": {"dataset_uri": "s3://ml-data/churn/2024-01-29/"}})
        self.assertEqual(on_a_laptop, [features_ready])
        self.assertEqual(in_ecs, [data_updated, features_ready])
