"""The one Lambda entry point: API Gateway requests and SQS batches, told apart by shape.

* **API Gateway** (REST payload v1 or HTTP API payload v2):
  ``POST /sweep-run`` validates, plans, claims the run id, writes ``run_context`` and
  enqueues one SQS message per shard (202); ``GET /sweep-run/{run_id}`` answers the run's
  shard counts from its outcome objects; ``POST /sweep-run/{run_id}/cancel`` marks the
  run cancelled (200; workers then run none of its shards);
  ``POST /sweep-run/{run_id}/rerun`` re-enqueues its failed and missing shards (202,
  idempotent per ``rerun_id``).
* **SQS** (the event source mapping, ``ReportBatchItemFailures`` on): every record is a
  shard message run by :func:`sweeplib.worker.execute_shard_body`; the response names
  exactly the failed message ids, so one bad shard never fails its batch-mates.
* Anything else is logged and answered with an error document; the handler never raises.

Each route is one call of the service layer (:func:`sweeplib.services.submit`,
:func:`sweeplib.services.status`); errors become answers through the API's one codec,
:mod:`sweeplib.wire`: 400 invalid request (nothing written, nothing enqueued), 404
unknown run or route (only the exact routes match), 405 wrong method, 409 run id taken by
another request, 415 a body that is not JSON, 500 misconfiguration or an unexpected error,
502 storage failure, 503 dispatch incomplete or disabled. Answers carry stable codes and
plain messages; object keys, AWS error text and tracebacks go to the logs only.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sweeplib.config import DeploymentConfig
from sweeplib.contracts import parse_sweep_request_json
from sweeplib.dispatch import Dispatcher
from sweeplib.errors import (
    ConfigurationError,
    InvalidRequest,
    ObjectNotFound,
    StorageError,
    SweepError,
)
from sweeplib.storage.store import ObjectStore
from sweeplib.wire import (
    CANCEL_ROUTE,
    REPLAY_HEADER,
    RERUN_ROUTE,
    ROUTE,
    STATUS_ROUTE,
    ErrorResponse,
    error_response,
    problem,
)

# Kept light on purpose: a cold import of this module loads neither pyarrow, numpy,
# the kernel nor boto3, nor the service layer. The API path imports the services on first
# use (and pyarrow only to encode the one-row run_context record); the SQS path imports
# the worker.

__all__ = ["STATUS_ERROR_DETAILS", "Deployment", "handle", "lambda_handler", "reset_deployment"]

#: ``GET /sweep-run/{run_id}`` reads the error code and message of at most this many
#: failed shards (the lowest ids); the rest are listed by id and counted in
#: ``failure_details_omitted``. One small read each: a run with 1,000 failed shards
#: would otherwise make 1,000 reads inside API Gateway's 30 s (issue 15, item 8).
STATUS_ERROR_DETAILS = 100

logger = Logger(service="sweeplib")
copy_config_to_registered_loggers(source_logger=logger, include={"sweeplib"})


@dataclass
class Deployment:
    """What the handler works with; built from the environment once per container."""

    config: DeploymentConfig
    store: ObjectStore
    dispatcher: Dispatcher | None
    clock: Callable[[], dt.datetime]


_DEPLOYMENT: Deployment | None = None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def deployment_from_env(env: Mapping[str, str]) -> Deployment:
    """S3 store and SQS dispatcher for the configured bucket and queue."""
    from sweeplib.dispatch.sqs import SqsDispatcher
    from sweeplib.storage.s3 import S3ObjectStore

    config = DeploymentConfig.from_env(env)
    dispatcher = SqsDispatcher(config.queue_url) if config.queue_url else None
    return Deployment(config, S3ObjectStore(config.bucket), dispatcher, _utc_now)


def _deployment() -> Deployment:
    global _DEPLOYMENT
    if _DEPLOYMENT is None:
        _DEPLOYMENT = deployment_from_env(os.environ)
    return _DEPLOYMENT


def reset_deployment() -> None:
    """Forget the cached deployment (tests change the environment between cases)."""
    global _DEPLOYMENT
    _DEPLOYMENT = None


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entry point (handler ``sweeplib.handler.lambda_handler``)."""
    return handle(event, context)


def handle(
    event: Any, context: Any = None, *, deployment: Callable[[], Deployment] | None = None
) -> dict[str, Any]:
    """Dispatch on the event's shape; ``deployment`` overrides the environment (tests)."""
    factory = deployment or _deployment
    shape = event_shape(event)
    try:
        if shape == "sqs":
            return _handle_sqs(event, context, factory)
        if shape in ("api_v1", "api_v2"):
            return _handle_api(event, shape, factory)
    except Exception:  # a bug: answered with a designed document, the details logged
        logger.exception("unexpected error", extra={"event_name": "internal_error", "shape": shape})
        if shape == "sqs":
            return {"batchItemFailures": [{"itemIdentifier": i} for i in _message_ids(event)]}
        return _answer(problem(500, "internal_error", _INTERNAL))
    logger.error("unsupported event", extra={"event_name": "unsupported_event", "shape": shape})
    return {
        "error": "unsupported_event",
        "message": "expected an API Gateway request (payload v1 or v2) or an SQS batch",
    }


_INTERNAL = "internal error; the details are in the function's logs"


def event_shape(event: Any) -> str:
    """``"sqs"``, ``"api_v1"``, ``"api_v2"`` or ``"unknown"``."""
    if not isinstance(event, Mapping):
        return "unknown"
    records = event.get("Records")
    if isinstance(records, list) and records:
        sources = {r.get("eventSource") for r in records if isinstance(r, Mapping)}
        return "sqs" if sources == {"aws:sqs"} else "unknown"
    if event.get("version") == "2.0" and isinstance(event.get("requestContext"), Mapping):
        return "api_v2" if isinstance(event["requestContext"].get("http"), Mapping) else "unknown"
    if "httpMethod" in event and isinstance(event.get("requestContext"), Mapping):
        return "api_v1"
    return "unknown"


# -- API -------------------------------------------------------------------------------


def _response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _answer(error: ErrorResponse) -> dict[str, Any]:
    return _response(error.status, error.body)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _route(event: Mapping[str, Any], shape: str) -> tuple[str, str, str | None]:
    """(method, route, run_id) with route ``"/sweep-run"``, ``"/sweep-run/{run_id}"`` or ``""``.

    Only the exact paths match (``/anything/sweep-run`` is no route); an HTTP API stage
    other than ``$default`` is the one prefix allowed in ``rawPath``.
    """
    context = event["requestContext"]
    if shape == "api_v2":
        http = context["http"]
        method = _text(http.get("method"))
        path = _text(event.get("rawPath")) or _text(http.get("path"))
        stage = _text(context.get("stage"))
        if stage and stage != "$default" and path.startswith(f"/{stage}/"):
            path = path[len(stage) + 1 :]
    else:
        method = _text(event.get("httpMethod"))
        path = _text(event.get("path"))
    method = method.upper()
    if path == ROUTE:
        return method, ROUTE, None
    tail = path.removeprefix(ROUTE + "/") if path.startswith(ROUTE + "/") else ""
    segment, _, action = tail.partition("/")
    if not segment or "/" in action or action not in ("", "cancel", "rerun"):
        return method, "", None
    params = event.get("pathParameters")
    named = params.get("run_id") if isinstance(params, Mapping) else None
    run_id = named if isinstance(named, str) and named else segment
    route = {"": STATUS_ROUTE, "cancel": CANCEL_ROUTE, "rerun": RERUN_ROUTE}[action]
    return method, route, run_id


_JSON_TYPES = ("application/json",)


def _content_type(event: Mapping[str, Any]) -> str | None:
    """The request's media type (lower case, without parameters), if it names one."""
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "content-type" and isinstance(value, str):
            return value.split(";", 1)[0].strip().lower()
    return None


def _is_json(media_type: str) -> bool:
    return media_type in _JSON_TYPES or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _body(event: Mapping[str, Any], limit: int) -> bytes:
    raw = event.get("body")
    if raw is None:
        raise InvalidRequest("body", "is empty; expected a JSON sweep request")
    if not isinstance(raw, str):
        raise InvalidRequest("body", "must be a string")
    encoded = event.get("isBase64Encoded", False)
    if encoded is None:
        encoded = False
    if not isinstance(encoded, bool):
        raise InvalidRequest("isBase64Encoded", "must be true or false")
    if encoded:
        try:
            data = base64.b64decode(raw, validate=True)
        except ValueError:
            raise InvalidRequest("body", "is marked base64 but is not valid base64") from None
    else:
        try:
            data = raw.encode()
        except UnicodeEncodeError:
            raise InvalidRequest("body", "is not valid Unicode text (a lone surrogate)") from None
    if len(data) > limit:
        raise InvalidRequest("body", f"is {len(data):,} bytes; the limit is {limit:,}")
    return data


def _handle_api(
    event: Mapping[str, Any], shape: str, factory: Callable[[], Deployment]
) -> dict[str, Any]:
    started = time.perf_counter()
    method, route, run_id = _route(event, shape)
    if route == "":
        return _answer(
            problem(
                404,
                "not_found",
                "routes: POST /sweep-run, GET /sweep-run/{run_id}, POST /sweep-run/{run_id}/cancel",
            )
        )
    wanted = {ROUTE: "POST", STATUS_ROUTE: "GET", CANCEL_ROUTE: "POST", RERUN_ROUTE: "POST"}[route]
    if method != wanted:
        return _answer(problem(405, "method_not_allowed", f"use {wanted} {route}"))
    media_type = _content_type(event) if route in (ROUTE, RERUN_ROUTE) else None
    if media_type is not None and not _is_json(media_type):
        return _answer(
            problem(
                415,
                "unsupported_media_type",
                "the request body must be JSON (Content-Type: application/json)",
            )
        )
    try:
        deployment = factory()
        if route == ROUTE:
            return _submit(event, deployment, started)
        if route == CANCEL_ROUTE:
            return _cancel(str(run_id), deployment)
        if route == RERUN_ROUTE:
            return _rerun(event, str(run_id), deployment)
        return _status(str(run_id), deployment)
    except SweepError as error:
        _log_refusal(error)
        return _answer(error_response(error))


def _log_refusal(error: SweepError) -> None:
    """Log what the answer leaves out: keys, AWS error text, configuration details."""
    if isinstance(error, InvalidRequest):
        logger.info(
            "request rejected", extra={"event_name": "validation_error", "field": error.field}
        )
    elif isinstance(error, ConfigurationError):
        logger.error(
            "misconfigured",
            extra={
                "event_name": "configuration_error",
                "variable": error.name,
                "reason": error.reason,
            },
        )
    elif isinstance(error, ObjectNotFound):
        logger.info("not found", extra={"event_name": "not_found", "key": error.key})
    elif isinstance(error, StorageError):
        logger.error(
            "storage failure",
            extra={"event_name": "storage_error", "key": error.key, "reason": error.reason},
        )
    else:
        logger.error(
            "request failed",
            extra={"event_name": "internal_error", "code": error.code, "detail": str(error)},
        )


def _submit(event: Mapping[str, Any], deployment: Deployment, started: float) -> dict[str, Any]:
    config = deployment.config
    if not config.dispatch_enabled:
        return _answer(
            problem(503, "dispatch_disabled", "this deployment does not accept runs now")
        )
    request = parse_sweep_request_json(_body(event, config.max_request_bytes), config.limits)
    from sweeplib.dimensions import check_counts

    if request.points is not None:  # a points design: each point's counts, named by point
        check_counts(request.points.columns(), config.max_agents_per_point, field="points")
    else:
        check_counts(request.dimensions, config.max_agents_per_point)
    config.require_queue()
    if deployment.dispatcher is None:  # pragma: no cover - require_queue guards this
        raise ConfigurationError("SHARD_QUEUE_URL", "is not set")
    from sweeplib import services
    from sweeplib.provenance import current_provenance

    acceptance = services.submit(
        request,
        store=deployment.store,
        dispatcher=deployment.dispatcher,
        now=deployment.clock(),
        request_source="api",
        limits=config.limits,
        prefix=config.prefix,
        provenance=current_provenance(config.artifact_sha256),
    )
    logger.info(
        "run accepted",
        extra={
            "event_name": "run_accepted",
            "run_id": request.run_id,
            "first_acceptance": acceptance.first_acceptance,
            "shards": acceptance.plan.shard_count,
            "enqueued_now": len(acceptance.report.dispatched),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    if not acceptance.complete:
        return _answer(
            problem(
                503,
                "dispatch_incomplete",
                f"{len(acceptance.not_dispatched)} of {acceptance.plan.shard_count} shard(s) "
                "could not be enqueued; submit the same request again to enqueue the rest",
                run_id=request.run_id,
                dispatched=list(acceptance.dispatched),
                not_dispatched=list(acceptance.not_dispatched),
            )
        )
    replay = {REPLAY_HEADER: "true"} if acceptance.replayed else {}
    return _response(202, acceptance.response_body(), replay)


def _status(run_id: str, deployment: Deployment) -> dict[str, Any]:
    from sweeplib import services  # the run id is checked where its keys are built

    try:
        found = services.status(
            deployment.store,
            run_id,
            prefix=deployment.config.prefix,
            max_error_details=STATUS_ERROR_DETAILS,
        )
    except ObjectNotFound as error:
        _log_refusal(error)
        return _answer(problem(404, "not_found", f"no run {run_id} was accepted", run_id=run_id))
    return _response(200, found.as_dict())


def _cancel(run_id: str, deployment: Deployment) -> dict[str, Any]:
    from sweeplib import services

    try:
        submission = services.cancel(
            deployment.store, run_id, now=deployment.clock(), prefix=deployment.config.prefix
        )
    except ObjectNotFound as error:
        _log_refusal(error)
        return _answer(problem(404, "not_found", f"no run {run_id} was accepted", run_id=run_id))
    logger.warning("run cancelled", extra={"event_name": "run_cancelled", "run_id": run_id})
    return _response(
        200, {"run_id": submission.run_id, "run_date": submission.run_date, "cancelled": True}
    )


def _rerun(event: Mapping[str, Any], run_id: str, deployment: Deployment) -> dict[str, Any]:
    """Re-enqueue the run's failed and missing shards, once per ``rerun_id`` (the body's
    optional ``{"rerun_id": "…"}``; by default derived from the run's state)."""
    from sweeplib import services

    rerun_id = None
    if event.get("body") not in (None, ""):
        try:
            document = json.loads(_body(event, deployment.config.max_request_bytes))
        except ValueError:  # UnicodeDecodeError included
            raise InvalidRequest("body", "is not valid JSON") from None
        if not isinstance(document, dict) or set(document) - {"rerun_id"}:
            raise InvalidRequest("body", 'must be a JSON object with at most "rerun_id"')
        rerun_id = document.get("rerun_id")
        if rerun_id is not None and not isinstance(rerun_id, str):
            raise InvalidRequest("rerun_id", "must be a string")
    if deployment.dispatcher is None:
        raise ConfigurationError("SHARD_QUEUE_URL", "is not set (needed to rerun shards)")
    try:
        done = services.rerun(
            deployment.store,
            run_id,
            deployment.dispatcher,
            prefix=deployment.config.prefix,
            idempotent=True,
            rerun_id=rerun_id,
        )
    except ObjectNotFound as error:
        _log_refusal(error)
        return _answer(problem(404, "not_found", f"no run {run_id} was accepted", run_id=run_id))
    logger.info(
        "rerun",
        extra={
            "event_name": "run_rerun",
            "run_id": run_id,
            "rerun_id": done.rerun_id,
            "shards": len(done.shard_ids),
            "replayed": done.replayed,
        },
    )
    body = {
        "run_id": run_id,
        "run_date": done.submission.run_date,
        "rerun_id": done.rerun_id,
        "shards": list(done.shard_ids),
        "enqueued": list(done.report.dispatched),
        "not_enqueued": list(done.report.not_dispatched),
        "replayed": done.replayed,
    }
    if done.report.not_dispatched:
        return _answer(
            problem(
                503,
                "dispatch_incomplete",
                f"{len(done.report.not_dispatched)} shard(s) could not be enqueued; "
                "rerun again with another rerun_id to enqueue them",
                **body,
            )
        )
    return _response(202, body, {REPLAY_HEADER: "true"} if done.replayed else None)


# -- SQS -------------------------------------------------------------------------------


def _handle_sqs(
    event: Mapping[str, Any], context: Any, factory: Callable[[], Deployment]
) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    from sweeplib.worker import execute_shard_body

    try:
        deployment = factory()
    except SweepError as error:
        logger.error(
            "misconfigured; failing the whole batch",
            extra={"event_name": "configuration_error", "detail": str(error)},
        )
        return {"batchItemFailures": [{"itemIdentifier": i} for i in _message_ids(event)]}
    records = [r for r in event["Records"] if _message_id(r) is not None]
    if len(records) < len(event["Records"]):
        # SQS always sets messageId; a record without one cannot be named in the answer,
        # so it is not run (and not retried): logged for whoever built the event.
        logger.error(
            "SQS records without a messageId were not run",
            extra={
                "event_name": "malformed_record",
                "count": len(event["Records"]) - len(records),
            },
        )
    if not records:
        return {"batchItemFailures": []}

    def run_record(record: SQSRecord) -> None:
        started = time.perf_counter()
        result = execute_shard_body(
            record.body,
            deployment.store,
            deployment.clock(),
            prefix=deployment.config.prefix,
            deadline=shard_deadline(context),
        )
        logger.info(
            "shard finished",
            extra={
                "event_name": f"shard_{result.status}",
                "run_id": result.run_id,
                "shard_id": result.shard_id,
                "points": result.points_processed,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "kernel_ms": round(result.kernel_seconds * 1000, 1),
                "message_id": record.message_id,
            },
        )
        if result.status in ("success", "skipped") and deployment.config.athena_workgroup:
            _consolidate_when_complete(result.run_id, deployment, context)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event={**event, "Records": records},
        record_handler=run_record,
        processor=processor,
        context=context,
    )
    return dict(response)


def _consolidate_when_complete(run_id: str, deployment: Deployment, context: Any) -> None:
    """Start the run's Athena consolidation if this shard completed it (ADR 0022).

    The shard is committed whatever happens here: a failure is logged, the message still
    succeeds, and ``sweep compact RUN_ID --bucket …`` consolidates by hand.
    """
    from sweeplib.consolidation import consolidate_when_complete
    from sweeplib.query.athena_statements import AthenaStatements

    config = deployment.config
    athena = AthenaStatements(
        workgroup=config.athena_workgroup,
        output_location=config.athena_output_location,
        deadline=shard_deadline(context),
    )
    try:
        record = consolidate_when_complete(
            deployment.store,
            run_id,
            athena=athena,
            bucket=config.bucket,
            now=deployment.clock(),
            prefix=config.prefix,
        )
    except SweepError as error:
        logger.error(
            "consolidation of a complete run failed",
            extra={"event_name": "consolidation_failed", "run_id": run_id, "detail": str(error)},
        )
        return
    if record is not None and record.changed:
        logger.info(
            "run consolidated",
            extra={
                "event_name": "run_consolidated",
                "run_id": run_id,
                "generation": record.generation,
                "points": record.points,
            },
        )


#: Seconds kept before the Lambda's deadline to write a shard's ``timeout`` failure record.
TIMEOUT_MARGIN_S = 5.0


def shard_deadline(context: Any) -> float | None:
    """The :func:`time.monotonic` time by which a shard must stop: the invocation's
    remaining time (``context.get_remaining_time_in_millis()``) less
    :data:`TIMEOUT_MARGIN_S`; ``None`` without a Lambda context."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        milliseconds = float(remaining())
    except (TypeError, ValueError):
        return None
    return time.monotonic() + milliseconds / 1000 - TIMEOUT_MARGIN_S


def _message_id(record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    value = record.get("messageId")
    return value if isinstance(value, str) and value else None


def _message_ids(event: Mapping[str, Any]) -> list[str]:
    records = event.get("Records")
    found = (_message_id(r) for r in records) if isinstance(records, list) else iter(())
    return [i for i in found if i is not None]
