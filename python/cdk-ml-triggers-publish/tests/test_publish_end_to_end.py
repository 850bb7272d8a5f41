"""Events the client publishes land on a bus: moto's EventBridge routes them by a rule to an SQS queue."""

from __future__ import annotations

import json
import time
import unittest
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List

import boto3
from botocore.config import Config

from cdk_ml_triggers_publish import BusTarget, Event, PublishResult, publish_event, publish_events, safe_publish

from .moto_server import MotoServer
from .publish_environment import LOCAL_AWS_ENV, MODEL_ADDED, UNSET, apply_environment

RECEIVE_TIMEOUT_SECONDS = 60.0
SDK_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 3, "mode": "standard"})


class PublishEndToEndTest(unittest.TestCase):
    moto: MotoServer

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.moto = MotoServer()
        cls.addClassCleanup(cls.moto.stop)
        cls.moto.start()

    def setUp(self) -> None:
        super().setUp()
        # AWS_ENDPOINT_URL, not the EventBridge one: the client must follow boto3's general setting too.
        apply_environment(self, {**dict.fromkeys(UNSET), **LOCAL_AWS_ENV, "AWS_ENDPOINT_URL": self.moto.endpoint})
        self.events = self.sdk_client("events")
        self.sqs = self.sdk_client("sqs")

    def sdk_client(self, service: str) -> Any:
        client = boto3.session.Session().client(service, config=SDK_CONFIG)  # type: ignore[call-overload]
        self.addCleanup(client.close)
        return client

    def bus_routing_to_a_queue(self, detail_type: str) -> tuple:
        """A new bus, and a queue that a rule fills with the bus's events of ``detail_type`` from its source."""
        name = f"ml-triggers-e2e-{uuid.uuid4().hex[:12]}"
        target = BusTarget(event_bus_name=name, source=f"ml-triggers.{name}")
        self.events.create_event_bus(Name=name)
        queue_url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": [target.source], "detail-type": [detail_type]}
        self.events.put_rule(Name=f"{name}-rule", EventBusName=name, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=f"{name}-rule", EventBusName=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
        return target, queue_url

    def receive(self, queue_url: str, count: int) -> List[Dict[str, Any]]:
        """The events of ``count`` messages of the queue, waiting at most RECEIVE_TIMEOUT_SECONDS in all."""
        events: List[Dict[str, Any]] = []
        deadline = time.monotonic() + RECEIVE_TIMEOUT_SECONDS
        while len(events) < count and time.monotonic() < deadline:
            reply = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            events.extend(json.loads(message["Body"]) for message in reply.get("Messages", []))
        return events

    def test_an_event_from_publish_event_reaches_the_queue_a_rule_on_the_bus_routes_it_to(self) -> None:
        target, queue_url = self.bus_routing_to_a_queue("model.added")
        when = datetime(2024, 1, 29, 12, 0, tzinfo=timezone.utc)
        resources = ["arn:aws:sagemaker:eu-west-1:123456789012:model-package/llama/1"]

        result = publish_event(target, "model.added", MODEL_ADDED, time=when, resources=resources)

        [event] = self.receive(queue_url, 1)
        self.assertEqual(
            (event["id"], event["source"], event["detail-type"], event["resources"], event["detail"]),
            (result.event_id, target.source, "model.added", resources, MODEL_ADDED),
        )

    def test_twelve_events_from_publish_events_all_land_though_they_travel_in_two_requests(self) -> None:
        target, queue_url = self.bus_routing_to_a_queue("data_updated")
        events = [Event("data_updated", {"data": {"dataset_uri": f"s3://ml-data/churn/part-{n}/"}}) for n in range(12)]

        results = publish_events(target, events)

        landed = self.receive(queue_url, 12)
        event_ids = [result.event_id for result in results if isinstance(result, PublishResult)]
        self.assertEqual(len(event_ids), 12, results)
        self.assertEqual(sorted(event["id"] for event in landed), sorted(event_ids))
        uris = sorted(event["detail"]["data"]["dataset_uri"] for event in landed)
        self.assertEqual(uris, sorted(event.detail["data"]["dataset_uri"] for event in events))

    def test_safe_publish_in_lambda_lands_and_an_event_of_another_name_does_not(self) -> None:
        target, queue_url = self.bus_routing_to_a_queue("model.added")
        apply_environment(self, {"AWS_LAMBDA_FUNCTION_NAME": "model-registry"})

        publish_event(target, "model.deployed", MODEL_ADDED)
        published = safe_publish(target, "model.added", MODEL_ADDED)

        landed = self.receive(queue_url, 1)
        left = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        self.assertEqual([event["id"] for event in landed], [published.event_id])
        self.assertEqual(left, [])
