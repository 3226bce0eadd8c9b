"""The API's wire format, both ways: errors ↔ response documents, the 202 and route names.

The Lambda handler turns what the library raises into ``(status, document)`` with
:func:`error_response`; the client turns an answer back into the same error with
:func:`error_from_response`. Error documents carry structured fields, so nothing is
parsed out of prose::

    {"error": "validation_error", "code": "invalid_request",
     "message": "dimensions.num_riders[2]: must be an unsigned integer, got string '2'",
     "field": "dimensions.num_riders[2]", "reason": "must be an unsigned integer, …"}

``error`` is the broad kind (DESIGN §3.5: ``validation_error`` for every 400), ``code``
the stable name of the error class (:attr:`sweeplib.errors.SweepError.code`), and the
other fields are the error's identifiers. HTTP statuses are chosen here and nowhere else.

Pure: no I/O, no AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sweeplib.errors import (
    ApiError,
    ConfigurationError,
    InvalidRequest,
    ObjectNotFound,
    PlanTooLarge,
    RunConflict,
    StorageError,
    SubmitIncomplete,
    SweepError,
)

__all__ = [
    "CANCEL_ROUTE",
    "REPLAY_HEADER",
    "RERUN_ROUTE",
    "ROUTE",
    "STATUS_ROUTE",
    "ErrorResponse",
    "error_from_response",
    "error_response",
    "problem",
]

#: The API's resource: ``POST /sweep-run`` submits, ``GET /sweep-run/{run_id}`` reads status.
ROUTE: Final = "/sweep-run"
STATUS_ROUTE: Final = "/sweep-run/{run_id}"
#: ``POST /sweep-run/{run_id}/cancel`` cancels a run (``sweep cancel``).
CANCEL_ROUTE: Final = "/sweep-run/{run_id}/cancel"
#: ``POST /sweep-run/{run_id}/rerun`` re-enqueues a run's failed and missing shards.
RERUN_ROUTE: Final = "/sweep-run/{run_id}/rerun"
#: Response header set on a replayed submission (same run id, same request).
REPLAY_HEADER: Final = "X-Sweep-Replay"


@dataclass(frozen=True)
class ErrorResponse:
    """An error answer: HTTP status and JSON document."""

    status: int
    body: dict[str, Any]


# (class, HTTP status, ``error``), most specific first: the first match wins.
_STATUSES: Final[tuple[tuple[type[SweepError], int, str], ...]] = (
    (InvalidRequest, 400, "validation_error"),
    (RunConflict, 409, "run_conflict"),
    (ConfigurationError, 500, "configuration_error"),
    (ObjectNotFound, 404, "not_found"),
    (StorageError, 502, "storage_error"),
)


def problem(status: int, error: str, message: str, **fields: Any) -> ErrorResponse:
    """An error answer the handler makes itself (unknown route, wrong method…)."""
    return ErrorResponse(status, {"error": error, "message": message, "code": error, **fields})


def error_response(error: SweepError) -> ErrorResponse:
    """The answer for an error the library raised: status, ``error``, ``code``, fields.

    Only what the caller can act on is answered: the field and reason of an invalid
    request, the run id of a conflict, the variable of a misconfiguration and why. Object keys,
    AWS error text (bucket names, role ARNs) and the messages of unexpected errors stay
    out of the answer; the handler logs them. Anything not listed (a bug) is a 500
    ``internal_error``.
    """
    status, kind = next(
        ((s, k) for cls, s, k in _STATUSES if isinstance(error, cls)), (500, "internal_error")
    )
    return ErrorResponse(
        status,
        {"error": kind, "message": _public_message(error), "code": error.code, **_fields(error)},
    )


def _public_message(error: SweepError) -> str:
    if isinstance(error, (InvalidRequest, RunConflict, ConfigurationError)):
        return str(error)
    if isinstance(error, ObjectNotFound):
        return "an object the request needs does not exist"
    if isinstance(error, StorageError):
        return "the result store could not be read or written; the details are in the logs"
    return "internal error; the details are in the function's logs"


def _fields(error: SweepError) -> dict[str, Any]:
    if isinstance(error, InvalidRequest):
        return {"field": error.field, "reason": error.reason}
    if isinstance(error, RunConflict):
        return {"run_id": error.run_id, "reason": error.reason}
    if isinstance(error, ConfigurationError):
        return {"name": error.name, "reason": error.reason}
    return {}


# Errors a client rebuilds from their code and fields.
_REBUILT: Final[Mapping[str, type[InvalidRequest]]] = {
    InvalidRequest.code: InvalidRequest,
    PlanTooLarge.code: PlanTooLarge,
}


# (status, error) → code, for answers written before the codes existed.
_LEGACY_CODES: Final[Mapping[tuple[int, str | None], str]] = {
    (409, "run_conflict"): RunConflict.code,
    (503, "dispatch_incomplete"): SubmitIncomplete.code,
}


def _text(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    return value if isinstance(value, str) else None


def _shard_ids(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, int) and not isinstance(v, bool))


def error_from_response(
    method: str,
    url: str,
    status: int,
    document: Mapping[str, Any] | None,
    message: str,
    *,
    run_id: str | None = None,
) -> SweepError:
    """The error an answer stands for, rebuilt from its code and fields.

    Parameters
    ----------
    method, url
        The request (for :class:`~sweeplib.errors.ApiError`).
    status
        The answer's HTTP status.
    document
        The answer's JSON object (``None`` when it is not one, e.g. API Gateway's own
        HTML or an empty body).
    message
        The answer's message (or the start of its body), for errors without fields.
    run_id
        The run the request was about, if the caller knows it: a deployment older than
        the structured fields answered a conflict without them.

    Returns
    -------
    SweepError
        ``InvalidRequest``/``PlanTooLarge`` (400), ``RunConflict`` (409),
        ``ObjectNotFound`` (404 ``not_found`` naming a run, or a key in older answers),
        ``SubmitIncomplete`` (503 ``dispatch_incomplete``), else ``ApiError`` with the
        status and ``error``.
    """
    document = document or {}
    # Answers of deployments older than ``code`` carry their kind in ``error`` only.
    code = _text(document, "code") or _LEGACY_CODES.get((status, _text(document, "error")))
    field, reason = _text(document, "field"), _text(document, "reason")
    rebuilt = _REBUILT.get(code or "")
    if rebuilt is not None and field is not None and reason is not None:
        return rebuilt(field, reason)
    if status == 400:  # a 400 without fields (API Gateway's own): the whole message
        return InvalidRequest("request", message)
    run_id = _text(document, "run_id") or run_id
    if code == RunConflict.code and run_id is not None:
        return RunConflict(run_id, reason or message.removeprefix(f"run {run_id}: "))
    key = _text(document, "key")  # answers of deployments older than issue 15 carry it
    if code == ObjectNotFound.code and key is not None:
        return ObjectNotFound(key)
    if code == ObjectNotFound.code and run_id is not None and _text(document, "run_id"):
        return ObjectNotFound(f"run {run_id}")
    if code == SubmitIncomplete.code and run_id is not None:
        return SubmitIncomplete(
            url,
            message,
            run_id=run_id,
            dispatched=_shard_ids(document.get("dispatched")),
            not_dispatched=_shard_ids(document.get("not_dispatched")),
        )
    return ApiError(method, url, status, _text(document, "error"), message)
