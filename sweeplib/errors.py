"""The one error tree of sweeplib.

::

    SweepError
    ├── InvalidRequest(field, reason)        a sweep request or CLI/notebook input is invalid
    │   └── PlanTooLarge(field, reason)      valid values, but the plan exceeds a limit
    ├── InvalidShardMessage(field, reason)   a shard message cannot be decoded or is inconsistent
    ├── RunConflict(run_id, reason)          the run id was accepted before with another request
    ├── ShardFailed(run_id, shard_id, error_code, cause)
    ├── StorageError(key, reason)
    │   ├── ObjectNotFound(key)
    │   └── PreconditionFailed(key)          a conditional write found the object already there
    ├── QueryError(reason)
    ├── ConfigurationError(name, reason)
    └── (in sweeplib.client, for callers of a deployed API)
        ├── ApiError(method, url, status, error, message)
        │   └── SubmitIncomplete(…, run_id, dispatched, not_dispatched)
        ├── ApiUnreachable(url, reason)
        └── WaitTimedOut(run_id, timeout_s, status)

HTTP status codes are chosen in exactly one place (the API handler); library code
only raises these.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "InvalidRequest",
    "InvalidShardMessage",
    "ObjectNotFound",
    "PlanTooLarge",
    "PreconditionFailed",
    "QueryError",
    "RunConflict",
    "ShardFailed",
    "StorageError",
    "SweepError",
]


class SweepError(Exception):
    """Root of every error sweeplib raises on purpose."""


class InvalidRequest(SweepError):
    """A request field is invalid. ``field`` is a dotted path, e.g. ``dimensions.num_riders[2]``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class PlanTooLarge(InvalidRequest):
    """The request is well formed but its plan exceeds a configured limit."""


class InvalidShardMessage(SweepError):
    """A shard message is malformed (undecodable, missing fields, inconsistent bounds)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class RunConflict(SweepError):
    """A run id is already taken by a different request (another request fingerprint)."""

    def __init__(self, run_id: str, reason: str) -> None:
        super().__init__(f"run {run_id}: {reason}")
        self.run_id = run_id
        self.reason = reason


class ShardFailed(SweepError):
    """A shard did not complete; its failure outcome record has been written (if possible)."""

    def __init__(self, run_id: str, shard_id: int, error_code: str, cause: str) -> None:
        super().__init__(f"shard {shard_id} of run {run_id} failed ({error_code}): {cause}")
        self.run_id = run_id
        self.shard_id = shard_id
        self.error_code = error_code
        self.cause = cause


class StorageError(SweepError):
    """An object store operation failed."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class ObjectNotFound(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(key, "no such object")


class PreconditionFailed(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(key, "object already exists (conditional write refused)")


class QueryError(SweepError):
    """A query could not be transpiled or executed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigurationError(SweepError):
    """Required configuration (environment variable, option) is missing or invalid."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
