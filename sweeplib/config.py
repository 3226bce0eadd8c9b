"""Deployment configuration, read from environment variables by the Lambda's shell.

| variable | meaning | default |
|---|---|---|
| ``SWEEP_RESULTS_BUCKET`` | S3 bucket of the outcome datasets | required |
| ``SHARD_QUEUE_URL`` | SQS queue the API enqueues shard messages on | required for submissions |
| ``SWEEP_RESULTS_PREFIX`` | base key prefix | ``serverless-sweeps/outcomes`` |
| ``MAX_SHARDS`` | most shards one run may have | 1000 |
| ``MAX_POINTS`` | most points one run may have | 200000 |
| ``MAX_REQUEST_BYTES`` | largest accepted request body | 5242880 |
| ``SWEEP_ARTIFACT_SHA256`` | sha256 of the deployed zip, recorded in ``run_context`` | none |
| ``MAX_AGENTS_PER_POINT`` | most riders (and drivers) of one point; ≤ the kernel's cap | 1000000 |
| ``DISPATCH_ENABLED`` | ``true``/``false``: accept submissions (staged rollout switch) | ``true`` |
| ``SWEEP_ATHENA_WORKGROUP`` | set: a run's completion starts its consolidation (ADR 0022) | off |
| ``SWEEP_ATHENA_OUTPUT_LOCATION`` | ``s3://…`` for Athena's query metadata | workgroup's |

A missing or malformed value raises :class:`~sweeplib.errors.ConfigurationError`
naming the variable; the API answers 500 with that message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from sweeplib.contracts import Limits
from sweeplib.dispatch import MAX_MESSAGE_BYTES
from sweeplib.errors import ConfigurationError, InvalidRequest
from sweeplib.storage import keys

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "DeploymentConfig"]

#: The largest request body by default: an explicit ``points`` design of this size still
#: fits, with the API Gateway event around it (JSON-escaped body, headers), in Lambda's
#: 6 MB synchronous payload (measured by ``make bench-submit``).
DEFAULT_MAX_REQUEST_BYTES = 5_242_880


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(name, f"must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigurationError(name, f"must be in [{low}, {high}], got {value}")
    return value


def _sha256(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip().lower()
    if not value:
        return None
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ConfigurationError(name, f"must be 64 hex digits (a sha256), got {value[:80]!r}")
    return value


def _s3_location(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if value and not value.startswith("s3://"):
        raise ConfigurationError(name, f"must be an s3:// location, got {value!r}")
    return value or None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(name, f"must be true or false, got {raw!r}")


@dataclass(frozen=True)
class DeploymentConfig:
    """A deployment's settings. Its shards travel through SQS, so its limits always cap a
    shard message at :data:`~sweeplib.dispatch.MAX_MESSAGE_BYTES` (filled in when
    ``limits`` has no cap)."""

    bucket: str
    queue_url: str | None
    prefix: str
    limits: Limits
    max_request_bytes: int
    dispatch_enabled: bool
    artifact_sha256: str | None = None
    #: ``MAX_AGENTS_PER_POINT``: the deployment's cap on ``num_riders``/``num_drivers``.
    max_agents_per_point: int = 1_000_000
    #: ``SWEEP_ATHENA_WORKGROUP``: set, the worker that finds a run complete starts its
    #: Athena consolidation (ADR 0022).
    athena_workgroup: str | None = None
    #: ``SWEEP_ATHENA_OUTPUT_LOCATION``: Athena's query-metadata location, if any.
    athena_output_location: str | None = None

    def __post_init__(self) -> None:
        if self.limits.max_message_bytes is None:
            capped = dataclasses.replace(self.limits, max_message_bytes=MAX_MESSAGE_BYTES)
            object.__setattr__(self, "limits", capped)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeploymentConfig:
        from sweeplib.sim.params import MAX_AGENTS  # stdlib only; not at cold import

        bucket = env.get("SWEEP_RESULTS_BUCKET", "").strip()
        if not bucket:
            raise ConfigurationError("SWEEP_RESULTS_BUCKET", "is not set")
        prefix_raw = env.get("SWEEP_RESULTS_PREFIX", "").strip() or keys.DEFAULT_PREFIX
        try:
            prefix = keys.normalize_prefix(prefix_raw)
        except InvalidRequest as error:
            raise ConfigurationError("SWEEP_RESULTS_PREFIX", str(error)) from error
        return cls(
            bucket=bucket,
            queue_url=env.get("SHARD_QUEUE_URL", "").strip() or None,
            prefix=prefix,
            limits=Limits(
                max_points=_int(env, "MAX_POINTS", 200_000, 1, 10_000_000),
                max_shards=_int(env, "MAX_SHARDS", 1_000, 1, 100_000),
            ),
            max_request_bytes=_int(
                env, "MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 1, 10 * 2**20
            ),
            dispatch_enabled=_flag(env, "DISPATCH_ENABLED", True),
            artifact_sha256=_sha256(env, "SWEEP_ARTIFACT_SHA256"),
            max_agents_per_point=_int(env, "MAX_AGENTS_PER_POINT", MAX_AGENTS, 1, MAX_AGENTS),
            athena_workgroup=env.get("SWEEP_ATHENA_WORKGROUP", "").strip() or None,
            athena_output_location=_s3_location(env, "SWEEP_ATHENA_OUTPUT_LOCATION"),
        )

    def require_queue(self) -> str:
        if self.queue_url is None:
            raise ConfigurationError("SHARD_QUEUE_URL", "is not set (needed to accept runs)")
        return self.queue_url
