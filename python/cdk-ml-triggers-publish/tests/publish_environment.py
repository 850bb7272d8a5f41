"""What the publish tests share: a fake EventBridge per test class, a clean environment per test, the fixture."""

from __future__ import annotations

import json
import os
import unittest
from pathlib import Path
from typing import Any, Dict, Optional
from unittest import mock

import boto3
from botocore.config import Config

from cdk_ml_triggers_publish import BusTarget

from .fake_eventbridge import FakeEventBridge, ReceivedEntry

REPOSITORY = Path(__file__).resolve().parents[3]
FIXTURE = REPOSITORY / "test" / "fixtures" / "events" / "platform-model-added.json"
MODEL_ADDED: Dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
TARGET = BusTarget(event_bus_name="ml-triggers-demo-main", source="ml-triggers.demo.main")

# Dummy credentials, and no shared config or credentials file, so no test can reach a real account.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Every variable safe_publish reads, and every one that would change where or how the SDK sends: the tests may run
# in CI, on ECS or in Lambda themselves.
UNSET = (
    "ML_TRIGGERS_PUBLISH", "AWS_LAMBDA_FUNCTION_NAME", "ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI",
    "AWS_EXECUTION_ENV", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "TRAINING_JOB_NAME", "TRAINING_JOB_ARN", "CODEBUILD_BUILD_ID",
    "GITHUB_ACTIONS", "CI", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_CA_BUNDLE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
)


def is_model_added(entry: ReceivedEntry) -> bool:
    return entry.detail_type == "model.added"


def local_environment(endpoint: str) -> Dict[str, str]:
    """The environment of a test: dummy credentials, eu-west-1, EventBridge at ``endpoint``."""
    return {**LOCAL_AWS_ENV, "AWS_ENDPOINT_URL_EVENTBRIDGE": endpoint}


def apply_environment(test: unittest.TestCase, values: Dict[str, Optional[str]]) -> None:
    """Sets (None: deletes) variables for the rest of ``test``; os.environ is restored whole when it ends."""
    patcher = mock.patch.dict(os.environ)
    patcher.start()
    test.addCleanup(patcher.stop)
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class PublishTestCase(unittest.TestCase):
    """A fake EventBridge for the class and, around each test, the SDK pointed at it with no platform signal set."""

    fake: FakeEventBridge

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.fake = FakeEventBridge()
        cls.addClassCleanup(cls.fake.close)

    def setUp(self) -> None:
        super().setUp()
        self.fake.reset()
        apply_environment(self, {**dict.fromkeys(UNSET), **local_environment(self.fake.endpoint)})
        self.addCleanup(self._assert_fake_served_cleanly)

    def set_env(self, **values: Optional[str]) -> None:
        apply_environment(self, values)

    def client(self, max_attempts: int) -> Any:
        """An EventBridge client of the test's own, making at most ``max_attempts`` attempts per call."""
        config = Config(retries={"total_max_attempts": max_attempts, "mode": "standard"}, connect_timeout=5, read_timeout=30)
        client = boto3.session.Session().client("events", config=config)
        self.addCleanup(client.close)
        return client

    def accepted_details(self) -> list:
        return [json.loads(entry.detail or "{}") for entry in self.fake.accepted]

    def _assert_fake_served_cleanly(self) -> None:
        self.assertEqual(self.fake.server_errors, [], "the fake EventBridge failed while serving")
