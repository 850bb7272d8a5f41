"""safe_publish: sends from deployed environments only, unless the code or the operator says otherwise."""

from __future__ import annotations

from typing import Dict

from cdk_ml_triggers_publish import PublishError, SafePublishResult, safe_publish

from .publish_environment import MODEL_ADDED, TARGET, PublishTestCase

DEPLOYED: Dict[str, Dict[str, str]] = {
    "in Lambda": {"AWS_LAMBDA_FUNCTION_NAME": "model-registry"},
    "in ECS (metadata endpoint v4)": {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/task"},
    "in ECS (metadata endpoint v3)": {"ECS_CONTAINER_METADATA_URI": "http://169.254.170.2/v3/task"},
    "on Fargate (AWS_EXECUTION_ENV)": {"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"},
    "on EKS with IAM roles for service accounts": {
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/model-registry",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    },
    "on EKS with Pod Identity": {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
    },
    "in a SageMaker training job": {
        "TRAINING_JOB_NAME": "churn-2024-01-29",
        "TRAINING_JOB_ARN": "arn:aws:sagemaker:eu-west-1:123456789012:training-job/churn-2024-01-29",
    },
    "on EC2 with ML_TRIGGERS_PUBLISH=always": {"ML_TRIGGERS_PUBLISH": "always"},
    "with ML_TRIGGERS_PUBLISH=true (the older spelling of always)": {"ML_TRIGGERS_PUBLISH": "true"},
}

NOT_DEPLOYED = {
    "in GitHub Actions": ({"GITHUB_ACTIONS": "true", "CI": "true"}, r"GitHub Actions \(GITHUB_ACTIONS\)"),
    "in CodeBuild": ({"CODEBUILD_BUILD_ID": "model-registry:0f3c"}, r"AWS CodeBuild \(CODEBUILD_BUILD_ID\)"),
    "in another CI service": ({"CI": "true"}, r"a CI service \(CI\)"),
    "in a CI runner that itself runs on EKS": (
        {"CI": "true", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/runner", "AWS_WEB_IDENTITY_TOKEN_FILE": "/token"},
        r"a CI service",
    ),
    "on a bare EC2 instance (no environment signal; IMDS is not probed)": ({}, r"^not a deployed environment"),
}


class SafePublishTest(PublishTestCase):
    def test_sends_nothing_outside_a_deployed_environment_and_says_how_to_publish_anyway(self) -> None:
        result = safe_publish(TARGET, "model.added", MODEL_ADDED)

        self.assertFalse(result.published)
        self.assertRegex(result.reason or "", r"^not a deployed environment: .*ML_TRIGGERS_PUBLISH=always")
        self.assertEqual(self.fake.calls, [])

    def test_publishes_in_each_deployed_environment(self) -> None:
        for label, env in DEPLOYED.items():
            with self.subTest(label):
                self.fake.reset()
                self.set_env(**env)

                result = safe_publish(TARGET, "model.added", MODEL_ADDED)

                [accepted] = self.fake.accepted
                self.assertEqual(result, SafePublishResult(published=True, event_id=accepted.event_id))
                self.set_env(**dict.fromkeys(env))

    def test_sends_nothing_in_ci_or_on_ec2_unless_told_to(self) -> None:
        for label, (env, reason) in NOT_DEPLOYED.items():
            with self.subTest(label):
                self.fake.reset()
                self.set_env(**env)

                result = safe_publish(TARGET, "model.added", MODEL_ADDED)
                self.set_env(ML_TRIGGERS_PUBLISH="always")
                overridden = safe_publish(TARGET, "model.added", MODEL_ADDED)

                self.assertFalse(result.published)
                self.assertRegex(result.reason or "", reason)
                [accepted] = self.fake.accepted
                self.assertEqual(overridden, SafePublishResult(published=True, event_id=accepted.event_id))
                self.set_env(**dict.fromkeys([*env, "ML_TRIGGERS_PUBLISH"]))

    def test_publishes_when_mode_or_is_deployed_says_so(self) -> None:
        safe_publish(TARGET, "model.added", MODEL_ADDED, mode="always")
        safe_publish(TARGET, "model.added", MODEL_ADDED, is_deployed=lambda: True)

        self.assertEqual(len(self.fake.accepted), 2)

    def test_sends_nothing_when_is_deployed_returns_false(self) -> None:
        result = safe_publish(TARGET, "model.added", MODEL_ADDED, is_deployed=lambda: False)

        self.assertEqual(result, SafePublishResult(published=False, reason="is_deployed() returned false"))
        self.assertEqual(self.fake.calls, [])

    def test_mode_never_wins_over_lambda_detection_and_over_ml_triggers_publish_always(self) -> None:
        self.set_env(AWS_LAMBDA_FUNCTION_NAME="model-registry", ML_TRIGGERS_PUBLISH="always")

        result = safe_publish(TARGET, "model.added", MODEL_ADDED, mode="never")

        self.assertEqual(result, SafePublishResult(published=False, reason="mode is 'never'"))
        self.assertEqual(self.fake.calls, [])

    def test_ml_triggers_publish_never_wins_over_lambda_detection_and_mode_always(self) -> None:
        for value in ("never", "false", " NEVER "):
            with self.subTest(value=value):
                self.set_env(ML_TRIGGERS_PUBLISH=value, AWS_LAMBDA_FUNCTION_NAME="model-registry")

                result = safe_publish(TARGET, "model.added", MODEL_ADDED, mode="always")

                expected = f"ML_TRIGGERS_PUBLISH={value.strip()} disables publishing"
                self.assertEqual(result, SafePublishResult(published=False, reason=expected))
        self.assertEqual(self.fake.calls, [])

    def test_ml_triggers_publish_auto_leaves_the_decision_to_the_detection(self) -> None:
        self.set_env(ML_TRIGGERS_PUBLISH="auto")
        local = safe_publish(TARGET, "model.added", MODEL_ADDED)
        self.set_env(AWS_LAMBDA_FUNCTION_NAME="model-registry")
        in_lambda = safe_publish(TARGET, "model.added", MODEL_ADDED)

        self.assertEqual((local.published, in_lambda.published), (False, True))

    def test_rejects_an_ml_triggers_publish_it_does_not_know_naming_the_value_and_the_accepted_ones(self) -> None:
        self.set_env(ML_TRIGGERS_PUBLISH="alwyas", AWS_LAMBDA_FUNCTION_NAME="model-registry")

        with self.assertRaises(PublishError) as raised:
            safe_publish(TARGET, "model.added", MODEL_ADDED)

        self.assertEqual(raised.exception.code, "InvalidSetting")
        self.assertEqual(str(raised.exception), "ML_TRIGGERS_PUBLISH must be always, never or auto, got 'alwyas'")
        self.assertEqual(self.fake.calls, [])

    def test_rejects_a_mode_it_does_not_know(self) -> None:
        with self.assertRaisesRegex(ValueError, r"^mode must be 'always', 'never' or 'auto', got 'yes'$"):
            safe_publish(TARGET, "model.added", MODEL_ADDED, mode="yes")  # type: ignore[arg-type]

        self.assertEqual(self.fake.calls, [])

    def test_rejects_an_invalid_event_even_when_it_would_not_send_it(self) -> None:
        with self.assertRaises(PublishError) as raised:
            safe_publish(TARGET, "model added", MODEL_ADDED)

        self.assertEqual(raised.exception.code, "InvalidName")
