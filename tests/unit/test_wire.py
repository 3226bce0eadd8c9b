"""The API's one codec: errors → answers in the handler, answers → the same errors in the client."""

from __future__ import annotations

import pytest

from sweeplib.errors import (
    ApiError,
    ConfigurationError,
    InvalidRequest,
    InvalidShardMessage,
    ObjectNotFound,
    PlanTooLarge,
    PreconditionFailed,
    QueryError,
    RunConflict,
    ScenarioError,
    SchemaMismatch,
    ShardFailed,
    StorageError,
    SubmitIncomplete,
)
from sweeplib.wire import error_from_response, error_response, problem

URL = "https://api.example.com/prod/sweep-run"


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (InvalidRequest("run_id", "is required"), 400, "validation_error"),
        (PlanTooLarge("dimensions", "too many points"), 400, "validation_error"),
        (ScenarioError("epoch_ms", "negative"), 400, "validation_error"),
        (RunConflict("r1", "taken"), 409, "run_conflict"),
        (ConfigurationError("SHARD_QUEUE_URL", "is not set"), 500, "configuration_error"),
        (ObjectNotFound("k"), 404, "not_found"),
        (StorageError("k", "put failed"), 502, "storage_error"),
        (PreconditionFailed("k"), 502, "storage_error"),
        (SchemaMismatch("trip_data", "wrong dtype"), 500, "internal_error"),
        (InvalidShardMessage("shard_id", "is required"), 500, "internal_error"),
        (ShardFailed("r1", 3, "simulation_error", "boom"), 500, "internal_error"),
        (QueryError("bad SQL"), 500, "internal_error"),
    ],
)
def test_each_error_has_one_status_and_a_stable_code(error, status, kind):
    answer = error_response(error)
    assert answer.status == status
    assert answer.body["error"] == kind
    assert answer.body["code"] == error.code
    if status in (400, 409) or kind == "configuration_error":
        assert answer.body["message"] == str(error)


@pytest.mark.parametrize(
    "error",
    [
        ObjectNotFound("serverless-sweeps/outcomes/_runs/run_id=r1/submission.json"),
        StorageError("serverless-sweeps/outcomes/x", "NoSuchBucket: The bucket does not exist"),
        StorageError(
            "k",
            "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/sweep-role/fn is not "
            "authorized to perform: s3:PutObject",
        ),
        PreconditionFailed("serverless-sweeps/outcomes/_runs/run_id=r1/dispatched.json"),
        SchemaMismatch("trip_data", "column 'state' got numpy dtype int64"),
        QueryError("SELECT * FROM secret_table"),
    ],
)
def test_answers_leak_no_keys_aws_text_or_internal_messages(error):
    # Issue 15, item 9: stable code and a plain message; the details go to the logs.
    answer = error_response(error)
    text = str(answer.body)
    for leak in ("serverless-sweeps", "_runs", "NoSuchBucket", "arn:aws", "AccessDenied"):
        assert leak not in text
    assert "secret_table" not in text and "numpy" not in text
    assert set(answer.body) == {"error", "message", "code"}


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequest("dimensions.num_riders[2]", "must be an unsigned integer, got string '2'"),
        InvalidRequest("body", "not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        PlanTooLarge("shard_size", "shard_size 1 over 5000 points gives 5000 shards"),
        RunConflict("r1", "already accepted on 2026-02-14 with a different request"),
    ],
)
def test_the_client_rebuilds_the_handlers_error_from_its_fields(error):
    answer = error_response(error)
    rebuilt = error_from_response("POST", URL, answer.status, answer.body, answer.body["message"])
    assert type(rebuilt) is type(error)
    assert vars(rebuilt) == vars(error)
    assert str(rebuilt) == str(error)


def test_dispatch_incomplete_round_trips_with_its_shard_lists():
    answer = problem(
        503,
        "dispatch_incomplete",
        "1 of 3 not enqueued",
        run_id="r1",
        dispatched=[0, 2],
        not_dispatched=[1],
    )
    rebuilt = error_from_response("POST", URL, 503, answer.body, "1 of 3 not enqueued")
    assert isinstance(rebuilt, SubmitIncomplete)
    assert (rebuilt.run_id, rebuilt.dispatched, rebuilt.not_dispatched) == ("r1", (0, 2), (1,))


def test_answers_of_a_deployment_older_than_the_codes_still_map_to_their_errors():
    """Client and Lambda roll out separately: an answer with ``error`` but no ``code``."""
    conflict = {"error": "run_conflict", "message": "run r1: already accepted on 2026-02-14"}
    rebuilt = error_from_response("POST", URL, 409, conflict, conflict["message"], run_id="r1")
    assert type(rebuilt) is RunConflict
    assert (rebuilt.run_id, rebuilt.reason) == ("r1", "already accepted on 2026-02-14")
    incomplete = {
        "error": "dispatch_incomplete",
        "message": "1 of 3 not enqueued",
        "run_id": "r1",
        "dispatched": [0, 2],
        "not_dispatched": [1],
    }
    rebuilt = error_from_response("POST", URL, 503, incomplete, "1 of 3 not enqueued")
    assert isinstance(rebuilt, SubmitIncomplete) and rebuilt.not_dispatched == (1,)
    old_400 = {"error": "validation_error", "message": "run_id: is required"}
    rebuilt = error_from_response("POST", URL, 400, old_400, old_400["message"])
    assert (type(rebuilt), rebuilt.field, rebuilt.reason) == (
        InvalidRequest,
        "request",
        "run_id: is required",
    )


def test_answers_without_fields_are_api_errors_or_a_whole_message():
    assert type(error_from_response("POST", URL, 400, None, "Bad body")) is InvalidRequest
    generic = error_from_response("POST", URL, 502, {"error": "storage_error"}, "k: put failed")
    assert type(generic) is ApiError
    assert (generic.status, generic.error, generic.message) == (
        502,
        "storage_error",
        "k: put failed",
    )
    routed = error_from_response("GET", URL, 404, problem(404, "not_found", "routes: …").body, "")
    assert type(routed) is ApiError  # an unknown route is not an unknown run


def test_problem_documents_carry_their_own_code():
    assert problem(405, "method_not_allowed", "use POST").body == {
        "error": "method_not_allowed",
        "message": "use POST",
        "code": "method_not_allowed",
    }
