"""Where ``safe_publish`` runs, and whether it should send from there."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Callable, Literal, Mapping, NamedTuple, Optional, Tuple, cast

PublishMode = Literal["always", "never", "auto"]
"""``always`` sends, ``never`` does not, ``auto`` sends where :func:`detect_platform` finds a deployed workload."""

Env = Mapping[str, str]
FileExists = Callable[[str], bool]

MODES: Tuple[PublishMode, ...] = ("always", "never", "auto")
_LEGACY: Mapping[str, PublishMode] = {"true": "always", "false": "never"}  # the spellings of 0.x, still read
_TRUTHY = re.compile(r"(true|1)", re.IGNORECASE)


@dataclass(frozen=True)
class Platform:
    """Where ``safe_publish`` found itself running, and the documented signal that told it."""

    name: str
    deployed: bool
    """A deployed workload, which publishes in ``auto`` mode; false for CI and interactive notebooks."""
    signal: str
    """The environment variable or file that identified the platform."""


def _set(env: Env, name: str) -> Optional[str]:
    return name if env.get(name) else None


def _truthy(env: Env, name: str) -> Optional[str]:
    return name if _TRUTHY.fullmatch(env.get(name, "").strip()) else None


def _both(env: Env, first: str, second: str) -> Optional[str]:
    return second if env.get(first) and env.get(second) else None


def _file(file_exists: FileExists, path: str) -> Optional[str]:
    return path if file_exists(path) else None


def _ecs(env: Env) -> Optional[str]:
    execution_env = "AWS_EXECUTION_ENV" if env.get("AWS_EXECUTION_ENV", "").startswith("AWS_ECS_") else None
    return _set(env, "ECS_CONTAINER_METADATA_URI_V4") or _set(env, "ECS_CONTAINER_METADATA_URI") or execution_env


class _Rule(NamedTuple):
    name: str
    deployed: bool
    detect: Callable[[Env, FileExists], Optional[str]]


# In order: CI before compute platforms, since a runner may itself run on ECS, EKS or EC2 and its tests must not
# publish; a SageMaker training job before the notebook metadata file, since a scheduled notebook job runs as a
# training job. Environment variables are those each platform documents as set for every workload; files are read
# only where no variable exists (SageMaker processing jobs and notebooks). EC2 has neither: its instance metadata
# service is a network call, and an EC2 workstation looks like an EC2 service, so EC2 publishes only when told.
_RULES: Tuple[_Rule, ...] = (
    _Rule("GitHub Actions", False, lambda env, _: _truthy(env, "GITHUB_ACTIONS")),
    _Rule("AWS CodeBuild", False, lambda env, _: _set(env, "CODEBUILD_BUILD_ID")),
    _Rule("a CI service", False, lambda env, _: _truthy(env, "CI")),
    _Rule("AWS Lambda", True, lambda env, _: _set(env, "AWS_LAMBDA_FUNCTION_NAME")),
    _Rule(
        "an Amazon SageMaker training job",
        True,
        lambda env, _: _set(env, "TRAINING_JOB_ARN") or _set(env, "TRAINING_JOB_NAME"),
    ),
    _Rule("Amazon ECS", True, lambda env, _: _ecs(env)),
    _Rule(
        "Amazon EKS (IAM roles for service accounts)",
        True,
        lambda env, _: _both(env, "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"),
    ),
    _Rule(
        "Amazon EKS (Pod Identity)",
        True,
        lambda env, _: _both(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
    ),
    _Rule(
        "an Amazon SageMaker processing job",
        True,
        lambda _, exists: _file(exists, "/opt/ml/config/processingjobconfig.json"),
    ),
    _Rule(
        "a SageMaker notebook or Studio app",
        False,
        lambda _, exists: _file(exists, "/opt/ml/metadata/resource-metadata.json"),
    ),
)


def detect_platform(env: Env, file_exists: FileExists = os.path.exists) -> Optional[Platform]:
    """The platform the environment names, or None where no rule matches."""
    for rule in _RULES:
        signal = rule.detect(env, file_exists)
        if signal is not None:
            return Platform(name=rule.name, deployed=rule.deployed, signal=signal)
    return None


class UnknownPublishMode(ValueError):
    """An ``ML_TRIGGERS_PUBLISH`` value that is none of the modes."""

    def __init__(self, value: str) -> None:
        super().__init__(f"ML_TRIGGERS_PUBLISH must be always, never or auto, got '{value}'")
        self.value = value

    def __reduce__(self) -> Tuple[type, Tuple[str]]:
        return (type(self), (self.value,))


class ModeSetting(NamedTuple):
    mode: PublishMode
    spelled: str


def mode_from_environment(value: Optional[str]) -> Optional[ModeSetting]:
    """``ML_TRIGGERS_PUBLISH``, read; unset or blank is None. Raises UnknownPublishMode on a value it does not know."""
    spelled = (value or "").strip()
    if spelled == "":
        return None
    lower = spelled.lower()
    mode = cast(PublishMode, lower) if lower in MODES else _LEGACY.get(lower)
    if mode is None:
        raise UnknownPublishMode(spelled)
    return ModeSetting(mode, spelled)


def why_not_publishing(
    env: Env,
    mode: Optional[PublishMode] = None,
    is_deployed: Optional[Callable[[], bool]] = None,
    file_exists: FileExists = os.path.exists,
) -> Optional[str]:
    """Why not to publish, or None to publish.

    ``never`` wins from either side (the operator's switch and the code's); otherwise the code's mode, then the
    environment's, then ``auto``: ``is_deployed()`` when given, else the detection.
    """
    from_env = mode_from_environment(env.get("ML_TRIGGERS_PUBLISH"))
    if from_env is not None and from_env.mode == "never":
        return f"ML_TRIGGERS_PUBLISH={from_env.spelled} disables publishing"
    if mode == "never":
        return "mode is 'never'"
    effective = mode or (from_env.mode if from_env is not None else "auto")
    if effective == "always":
        return None
    if is_deployed is not None:
        return None if is_deployed() else "is_deployed() returned false"
    platform = detect_platform(env, file_exists)
    if platform is not None and platform.deployed:
        return None
    if platform is not None:
        return (
            f"running in {platform.name} ({platform.signal}), which does not publish unless "
            "ML_TRIGGERS_PUBLISH=always or mode is 'always'"
        )
    return (
        "not a deployed environment: no Lambda, ECS, EKS or SageMaker job detected (EC2 is not probed); "
        "set ML_TRIGGERS_PUBLISH=always or mode='always' to publish"
    )
