"""detect_platform: which documented signal names which platform, and which do not."""

from __future__ import annotations

import unittest
from typing import Callable, Dict, List

from cdk_ml_triggers_publish import Platform, detect_platform

PROCESSING_JOB_CONFIG = "/opt/ml/config/processingjobconfig.json"
NOTEBOOK_METADATA = "/opt/ml/metadata/resource-metadata.json"


def no_files(_: str) -> bool:
    return False


def only_file(expected: str) -> Callable[[str], bool]:
    return lambda file: file == expected


RECOGNISED = [
    ("Lambda", {"AWS_LAMBDA_FUNCTION_NAME": "f"}, no_files, Platform("AWS Lambda", True, "AWS_LAMBDA_FUNCTION_NAME")),
    ("ECS", {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/t"}, no_files,
     Platform("Amazon ECS", True, "ECS_CONTAINER_METADATA_URI_V4")),
    ("Fargate", {"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"}, no_files, Platform("Amazon ECS", True, "AWS_EXECUTION_ENV")),
    ("EKS (IRSA)", {"AWS_ROLE_ARN": "arn", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, no_files,
     Platform("Amazon EKS (IAM roles for service accounts)", True, "AWS_WEB_IDENTITY_TOKEN_FILE")),
    ("EKS (Pod Identity)",
     {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/t"},
     no_files, Platform("Amazon EKS (Pod Identity)", True, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")),
    ("a SageMaker training job", {"TRAINING_JOB_ARN": "arn"}, no_files,
     Platform("an Amazon SageMaker training job", True, "TRAINING_JOB_ARN")),
    ("a SageMaker processing job", {}, only_file(PROCESSING_JOB_CONFIG),
     Platform("an Amazon SageMaker processing job", True, PROCESSING_JOB_CONFIG)),
    ("a SageMaker notebook instance or Studio app", {}, only_file(NOTEBOOK_METADATA),
     Platform("a SageMaker notebook or Studio app", False, NOTEBOOK_METADATA)),
    ("a SageMaker notebook job (it runs as a training job)", {"TRAINING_JOB_NAME": "nb-job"}, only_file(NOTEBOOK_METADATA),
     Platform("an Amazon SageMaker training job", True, "TRAINING_JOB_NAME")),
    ("CodeBuild", {"CODEBUILD_BUILD_ID": "p:1"}, no_files, Platform("AWS CodeBuild", False, "CODEBUILD_BUILD_ID")),
    ("GitHub Actions", {"GITHUB_ACTIONS": "true", "CI": "true"}, no_files, Platform("GitHub Actions", False, "GITHUB_ACTIONS")),
    ("a CI service", {"CI": "1"}, no_files, Platform("a CI service", False, "CI")),
]

UNRECOGNISED: Dict[str, Dict[str, str]] = {
    "nothing": {},
    "CI=false": {"CI": "false"},
    "GITHUB_ACTIONS=false": {"GITHUB_ACTIONS": "false"},
    "only AWS_ROLE_ARN (a profile, not IRSA)": {"AWS_ROLE_ARN": "arn"},
    "AWS_EXECUTION_ENV of another platform": {"AWS_EXECUTION_ENV": "CloudShell"},
}


class DetectPlatformTest(unittest.TestCase):
    def test_recognises_each_platform_by_its_documented_signal(self) -> None:
        for label, env, file_exists, platform in RECOGNISED:
            with self.subTest(label):
                detected = detect_platform(env, file_exists)

                self.assertEqual(detected, platform)

    def test_recognises_no_platform_from_absent_or_false_signals(self) -> None:
        for label, env in UNRECOGNISED.items():
            with self.subTest(label):
                detected = detect_platform(env, no_files)

                self.assertIsNone(detected)

    def test_looks_at_files_only_when_no_environment_variable_told(self) -> None:
        looked: List[str] = []

        detect_platform({"AWS_LAMBDA_FUNCTION_NAME": "f"}, lambda file: looked.append(file) is None)

        self.assertEqual(looked, [])
