"""The API client without a network: request building, SigV4 signing (checked by an
independent implementation of the algorithm), and answer mapping through a fake opener
(answers made by the API's own codec, :mod:`sweeplib.wire`)."""

from __future__ import annotations

import email.message
import hashlib
import hmac
import io
import json
import re
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

import boto3
import botocore.exceptions
import pytest
from botocore.credentials import ReadOnlyCredentials

from sweeplib.cli import main
from sweeplib.client import (
    SUBMIT_CHECK_LIMITS,
    ApiError,
    ApiRequest,
    ApiResponse,
    ApiUnreachable,
    SubmitIncomplete,
    SweepClient,
    default_ca_bundle,
    default_opener,
    encode_request_body,
    normalize_api_url,
    region_from_url,
    send,
    sign_request,
    status_request,
    submit_request,
    submit_result,
)
from sweeplib.contracts import parse_sweep_request
from sweeplib.errors import (
    ConfigurationError,
    InvalidRequest,
    ObjectNotFound,
    PlanTooLarge,
    RunConflict,
)
from sweeplib.wire import error_response, problem
from tests.factories import request_body

API = "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key pair
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN//////////wEaDA=="
CREDENTIALS = ReadOnlyCredentials(ACCESS_KEY, SECRET_KEY, TOKEN)

REQUEST = request_body("client-run", failure_injection_shards=[1])


# -- an independent SigV4 verifier (hashlib + hmac, no botocore) ------------------------

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(
    method: str, url: str, headers: dict, signed: list[str], body: bytes | None, secret: str
) -> str:
    """SigV4 as documented (canonical request → string to sign → derived key)."""
    amz_date = headers["x-amz-date"]
    scope_date, region = amz_date[:8], AUTHORIZATION.match(headers["authorization"])["region"]
    canonical = "\n".join(
        [
            method,
            quote(urlsplit(url).path or "/", safe="/~"),  # segments encoded twice
            urlsplit(url).query,
            "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed),
            ";".join(signed),
            hashlib.sha256(body or b"").hexdigest(),  # the body itself, not the header
        ]
    )
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            f"{scope_date}/{region}/execute-api/aws4_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac(f"AWS4{secret}".encode(), scope_date)
    for part in (region, "execute-api", "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify(request: ApiRequest, secret: str = SECRET_KEY) -> re.Match:
    headers = {k.lower(): v for k, v in request.headers.items()}
    match = AUTHORIZATION.fullmatch(headers["authorization"])
    assert match, headers["authorization"]
    signed = match["signed"].split(";")
    want = expected_signature(request.method, request.url, headers, signed, request.body, secret)
    assert match["signature"] == want
    return match


# -- request building ------------------------------------------------------------------


def test_submit_request_posts_the_body_to_the_route_under_the_stage():
    body = b'{"run_id":"r"}'
    request = submit_request(API + "/", body)
    assert request.method == "POST"
    assert request.url == API + "/sweep-run"
    assert request.body == body
    assert request.headers == {
        "host": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "content-type": "application/json",
        "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
    }


def test_status_request_gets_the_run_and_hashes_the_empty_body():
    request = status_request(API, "run-1.b_2")
    assert (request.method, request.url, request.body) == (
        "GET",
        API + "/sweep-run/run-1.b_2",
        None,
    )
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(b"").hexdigest()
    assert "content-type" not in request.headers


@pytest.mark.parametrize("run_id", ["..", "a/b", "", "x" * 129, "run id"])
def test_status_request_refuses_what_is_not_a_run_id(run_id):
    with pytest.raises(InvalidRequest) as info:
        status_request(API, run_id)
    assert info.value.field == "run_id"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://API.example.com:443/v1", "api.example.com"),
        ("https://api.example.com:8443/v1", "api.example.com:8443"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://localhost", "localhost"),
        ("http://[::1]:9000/x", "[::1]:9000"),
    ],
)
def test_host_header_drops_only_the_default_port(url, host):
    assert submit_request(url, b"{}").headers["host"] == host


@pytest.mark.parametrize(
    "url",
    [
        "http://abc.execute-api.us-east-1.amazonaws.com/prod",  # credentials in the clear
        "http://10.0.0.5/prod",
        "ftp://example.com/prod",
        "abc.execute-api.us-east-1.amazonaws.com/prod",
        "https://user:pw@example.com/prod",
        "https://example.com/prod?stage=x",
        "https://example.com:notaport/prod",
    ],
)
def test_api_url_must_be_https_except_on_loopback(url):
    with pytest.raises(ConfigurationError) as info:
        normalize_api_url(url)
    assert info.value.name == "api_url"


def test_api_url_keeps_its_base_path_without_trailing_slash():
    assert normalize_api_url(" https://sweeps.example.com/api/v1/ ") == (
        "https://sweeps.example.com/api/v1"
    )
    assert normalize_api_url("http://127.0.0.1:9/prod") == "http://127.0.0.1:9/prod"


@pytest.mark.parametrize(
    ("url", "region"),
    [
        (API, "us-east-1"),
        ("https://x1.execute-api.eu-central-1.amazonaws.com/p", "eu-central-1"),
        ("https://x1-vpce-0ab.execute-api.ap-southeast-2.amazonaws.com/p", "ap-southeast-2"),
        ("https://x1.execute-api.cn-north-1.amazonaws.com.cn/p", "cn-north-1"),
        ("https://us-gov.execute-api.us-gov-west-1.amazonaws.com/p", "us-gov-west-1"),
        ("https://sweeps.example.com/p", None),
        ("http://127.0.0.1:8000/p", None),
    ],
)
def test_region_comes_from_execute_api_host_names(url, region):
    assert region_from_url(url) == region


def test_mapping_bodies_are_compact_json_and_text_is_sent_as_written():
    assert encode_request_body({"run_id": "r", "seed": 1}) == b'{"run_id":"r","seed":1}'
    assert encode_request_body('{ "run_id" : "r" }') == b'{ "run_id" : "r" }'
    assert encode_request_body(b"raw") == b"raw"
    with pytest.raises(InvalidRequest) as info:
        encode_request_body({"seed": float("nan")})
    assert info.value.field == "body"


# -- signing ---------------------------------------------------------------------------


def test_signature_covers_method_path_headers_and_body_hash():
    body = json.dumps(REQUEST).encode()
    signed = sign_request(submit_request(API, body), CREDENTIALS, "us-east-1")
    match = verify(signed)
    amz_date = signed.headers["x-amz-date"]
    assert re.fullmatch(r"\d{8}T\d{6}Z", amz_date)
    scope = f"{amz_date[:8]}/us-east-1/execute-api/aws4_request"
    assert signed.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, "
    )
    assert match["signed"] == (
        "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
    )
    assert signed.headers["x-amz-security-token"] == TOKEN
    assert signed.headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
    # Added after signing, so a proxy rewriting them cannot break the signature.
    assert signed.headers["user-agent"].startswith("sweeplib/")
    assert signed.body == body


def test_a_changed_body_or_path_no_longer_matches_the_signature():
    signed = sign_request(submit_request(API, b'{"run_id":"a"}'), CREDENTIALS, "us-east-1")
    verify(signed)
    with pytest.raises(AssertionError):
        verify(ApiRequest(signed.method, signed.url, signed.headers, b'{"run_id":"b"}'))
    with pytest.raises(AssertionError):
        verify(ApiRequest(signed.method, API + "/sweep-run/x", signed.headers, signed.body))
    with pytest.raises(AssertionError):
        verify(signed, secret="another-secret")


def test_long_term_credentials_send_no_security_token():
    signed = sign_request(
        status_request(API, "r1"), ReadOnlyCredentials(ACCESS_KEY, SECRET_KEY, None), "eu-west-1"
    )
    match = verify(signed)
    assert "x-amz-security-token" not in signed.headers
    assert match["signed"] == "host;x-amz-content-sha256;x-amz-date"
    assert (match["region"], match["service"]) == ("eu-west-1", "execute-api")


# -- a fake opener ---------------------------------------------------------------------


def _message(headers: dict | None) -> email.message.Message:
    message = email.message.Message()
    for name, value in (headers or {}).items():
        message[name] = value
    return message


class Reply:
    """What urllib's opener returns for a 2xx."""

    def __init__(self, status: int, body: bytes, headers: dict | None = None):
        self.status, self._body, self.headers = status, body, _message(headers)

    def read(self) -> bytes:
        return self._body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def answer(status: int, body: object = b"", headers: dict | None = None):
    """A reply, or the ``HTTPError`` urllib raises for a status ≥ 300."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    if status < 300:
        return Reply(status, data, headers)
    return urllib.error.HTTPError(API, status, "status", _message(headers), io.BytesIO(data))


class FakeOpener:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []
        self.timeouts = []

    def open(self, fullurl, data=None, timeout=None):
        self.requests.append(fullurl)
        self.timeouts.append(timeout)
        reply = self.answers.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply


class FakeSession:
    """The two things SweepClient asks of a boto3 session."""

    def __init__(self, credentials=CREDENTIALS, region_name="us-east-1"):
        self._credentials, self.region_name = credentials, region_name

    def get_credentials(self):
        if self._credentials is None:
            return None
        credentials = self._credentials

        class Refreshable:
            def get_frozen_credentials(self):
                return credentials

        return Refreshable()


def client(*answers, session=None, url=API, **kwargs) -> tuple[SweepClient, FakeOpener]:
    opener = FakeOpener(*answers)
    return SweepClient(url, session=session or FakeSession(), opener=opener, **kwargs), opener


ACCEPTED = {
    "run_id": "client-run",
    "total_points": 4,
    "shards_dispatched": 3,
    "status": "dispatch_submitted",
    "schema_version": "v1",
    "dispatches": [{"shard_id": s, "status_code": 200} for s in range(3)],
}


def test_submit_sends_the_signed_request_and_returns_the_acceptance():
    api, opener = client(answer(202, ACCEPTED), timeout_s=12.5)
    result = api.submit(REQUEST)
    assert (result.status_code, result.replayed) == (202, False)
    assert (result.run_id, result.total_points, result.shards_dispatched) == ("client-run", 4, 3)
    assert result.body == ACCEPTED
    (sent,) = opener.requests
    assert opener.timeouts == [12.5]
    assert (sent.get_method(), sent.full_url) == ("POST", API + "/sweep-run")
    assert sent.data == encode_request_body(REQUEST)
    # What went on the wire verifies (urllib capitalises header names; SigV4 does not care).
    verify(ApiRequest("POST", sent.full_url, dict(sent.header_items()), sent.data))


@pytest.mark.parametrize("value", ["true", "True", " TRUE "])
def test_the_replay_header_marks_a_replay(value):
    api, _ = client(answer(202, ACCEPTED, {"x-sweep-replay": value}))
    assert api.submit(REQUEST).replayed is True


def test_400_is_the_handlers_invalid_request_with_its_field_and_reason():
    refused = InvalidRequest("dimensions.num_riders[1]", "must be an unsigned integer, got '2'")
    api, _ = client(answer(400, error_response(refused).body))
    with pytest.raises(InvalidRequest) as info:
        api.submit(REQUEST)
    assert type(info.value) is InvalidRequest
    assert (info.value.field, info.value.reason) == (refused.field, refused.reason)


def test_a_400_plan_too_large_comes_back_as_plan_too_large():
    refused = PlanTooLarge("shard_size", "gives 2000 shards, more than max_shards 1000")
    api, _ = client(answer(400, error_response(refused).body))
    with pytest.raises(PlanTooLarge) as info:
        api.submit(REQUEST)
    assert (info.value.field, info.value.reason) == (refused.field, refused.reason)


def test_a_reason_containing_colons_is_not_parsed_out_of_prose():
    refused = InvalidRequest("body", "not valid JSON: Expecting value: line 1 column 1")
    api, _ = client(answer(400, error_response(refused).body))
    with pytest.raises(InvalidRequest) as info:
        api.submit(REQUEST)
    assert (info.value.field, info.value.reason) == ("body", refused.reason)


def test_a_400_without_a_field_names_the_request():
    api, _ = client(answer(400, {"message": "Invalid request body"}))
    with pytest.raises(InvalidRequest) as info:
        api.submit(REQUEST)
    assert (info.value.field, info.value.reason) == ("request", "Invalid request body")


def test_409_is_a_run_conflict_for_the_submitted_run_id():
    reason = "accepted before with another request (fingerprint 1a2b…)"
    api, _ = client(answer(409, error_response(RunConflict("client-run", reason)).body))
    with pytest.raises(RunConflict) as info:
        api.submit(REQUEST)
    assert (info.value.run_id, info.value.reason) == ("client-run", reason)


def test_503_dispatch_incomplete_carries_the_shards_left_to_enqueue():
    body = problem(
        503,
        "dispatch_incomplete",
        "1 of 3 shard(s) could not be enqueued; submit the same request again",
        run_id="client-run",
        dispatched=[0, 2],
        not_dispatched=[1],
    ).body
    api, _ = client(answer(503, body))
    with pytest.raises(SubmitIncomplete) as info:
        api.submit(REQUEST)
    error = info.value
    assert (error.run_id, error.dispatched, error.not_dispatched) == ("client-run", (0, 2), (1,))
    assert (error.status, error.error) == (503, "dispatch_incomplete")
    assert isinstance(error, ApiError)


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (503, {"error": "dispatch_disabled", "message": "not now"}, "dispatch_disabled", "not now"),
        (500, {"error": "configuration_error", "message": "X: unset"}, "configuration_error", "X"),
        (502, {"error": "storage_error", "message": "k: put failed"}, "storage_error", "put"),
        (403, {"message": "User: arn:aws:iam::1:user/u is not authorized"}, None, "Invoke"),
        (429, {"message": "Too Many Requests"}, None, "again is safe"),
        (504, {"message": "Endpoint request timed out"}, None, "again is safe"),
        (502, b"<html>Bad Gateway</html>", None, "<html>Bad Gateway"),
        (302, b"", None, "(empty answer)"),  # redirects are refused, never followed
        (202, b"not json", None, "not the API's acceptance"),
    ],
)
def test_other_answers_are_api_errors_naming_status_and_url(status, body, error, text):
    api, _ = client(answer(status, body))
    with pytest.raises(ApiError) as info:
        api.submit(REQUEST)
    assert not isinstance(info.value, SubmitIncomplete)
    assert (info.value.status, info.value.error) == (status, error)
    assert text in info.value.message
    assert info.value.url == API + "/sweep-run"
    assert f"POST {API}/sweep-run answered {status}" in str(info.value)


@pytest.mark.parametrize(
    "failure",
    [
        urllib.error.URLError(socket.gaierror(-2, "Name or service not known")),
        TimeoutError("timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
)
def test_no_answer_is_api_unreachable_naming_the_url(failure):
    api, _ = client(failure)
    with pytest.raises(ApiUnreachable) as info:
        api.submit(REQUEST)
    assert info.value.url == API + "/sweep-run"
    assert str(info.value).startswith(f"cannot reach {API}/sweep-run: ")


def test_status_returns_the_apis_document():
    document = {"run_id": "r1", "planned_shards": 3, "missing_shards": 1, "missing": [2]}
    api, opener = client(answer(200, document))
    assert api.status("r1") == document
    (sent,) = opener.requests
    assert (sent.get_method(), sent.full_url, sent.data) == ("GET", API + "/sweep-run/r1", None)


def test_cancel_posts_to_the_runs_cancel_route():
    document = {"run_id": "r1", "run_date": "2026-02-14", "cancelled": True}
    api, opener = client(answer(200, document))
    assert api.cancel("r1") == document
    (sent,) = opener.requests
    assert (sent.get_method(), sent.full_url) == ("POST", API + "/sweep-run/r1/cancel")


def test_cancelling_an_unknown_run_is_object_not_found():
    body = problem(404, "not_found", "no run r1 was accepted", run_id="r1").body
    api, _ = client(answer(404, body))
    with pytest.raises(ObjectNotFound):
        api.cancel("r1")


def test_status_of_an_unknown_run_is_object_not_found():
    # the handler's 404 names the run, not the object key (issue 15, item 9)
    body = problem(404, "not_found", "no run r1 was accepted", run_id="r1").body
    api, _ = client(answer(404, body))
    with pytest.raises(ObjectNotFound) as info:
        api.status("r1")
    assert info.value.key == "run r1"


def test_status_of_an_unknown_run_answered_by_an_older_deployment_keeps_its_key():
    key = "serverless-sweeps/outcomes/_runs/run_id=r1/submission.json"
    old = {
        "error": "not_found",
        "code": "not_found",
        "message": f"{key}: no such object",
        "key": key,
    }
    api, _ = client(answer(404, old))
    with pytest.raises(ObjectNotFound) as info:
        api.status("r1")
    assert info.value.key == key


def test_an_invalid_request_is_refused_before_anything_is_sent():
    api, opener = client(session=FakeSession(credentials=None))
    with pytest.raises(InvalidRequest) as info:
        api.submit({**REQUEST, "dimensions": {"commission_rate": [1.5]}})
    assert info.value.field.startswith("dimensions.commission_rate")
    assert opener.requests == []


def test_local_check_does_not_impose_the_default_deployments_caps():
    # 300,000 points exceed the default deployment's cap, not what one can configure.
    dimensions = {"num_riders": list(range(1, 601)), "num_drivers": list(range(1, 501))}
    big = {**REQUEST, "dimensions": dimensions}
    parse_sweep_request(big, SUBMIT_CHECK_LIMITS)
    api, opener = client(answer(400, {"message": "dimensions: 300000 points exceed"}))
    with pytest.raises(InvalidRequest):
        api.submit(big)
    assert len(opener.requests) == 1  # the deployment decided


def test_missing_credentials_are_a_configuration_error_before_sending():
    api, opener = client(session=FakeSession(credentials=None))
    with pytest.raises(ConfigurationError) as info:
        api.submit(REQUEST)
    assert info.value.name == "AWS credentials"
    assert opener.requests == []


def test_credentials_that_cannot_be_loaded_are_a_configuration_error():
    class ExpiredSso(FakeSession):
        def get_credentials(self):
            raise botocore.exceptions.TokenRetrievalError(provider="sso", error_msg="expired")

    api, opener = client(session=ExpiredSso())
    with pytest.raises(ConfigurationError) as info:
        api.status("r1")
    assert info.value.name == "AWS credentials" and "expired" in info.value.reason
    assert opener.requests == []


def test_default_opener_verifies_https_and_never_follows_redirects(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    opener = default_opener(API, ca_bundle=default_ca_bundle())
    (https,) = [h for h in opener.handlers if isinstance(h, urllib.request.HTTPSHandler)]
    assert https._context.verify_mode == ssl.CERT_REQUIRED and https._context.check_hostname
    redirects = [h for h in opener.handlers if isinstance(h, urllib.request.HTTPRedirectHandler)]
    assert redirects and urllib.request.HTTPRedirectHandler not in {type(h) for h in redirects}
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "corporate.pem"))
    assert default_ca_bundle() == str(tmp_path / "corporate.pem")
    with pytest.raises(ConfigurationError) as info:
        default_opener(API, ca_bundle=default_ca_bundle())
    assert info.value.name == "ca_bundle"


def test_region_explicit_then_host_then_session():
    custom = "https://sweeps.example.com/v1"
    assert client(region="eu-west-2")[0].region == "eu-west-2"
    assert client(session=FakeSession(region_name="eu-west-3"))[0].region == "us-east-1"
    assert client(url=custom, session=FakeSession(region_name="eu-west-3"))[0].region == (
        "eu-west-3"
    )
    with pytest.raises(ConfigurationError) as info:
        client(url=custom, session=FakeSession(region_name=None))
    assert info.value.name == "AWS_DEFAULT_REGION"


def test_a_real_boto3_session_supplies_the_signing_credentials():
    session = boto3.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-west-2"
    )
    opener = FakeOpener(answer(200, {"run_id": "r1"}))
    api = SweepClient("https://sweeps.example.com/v1", session=session, opener=opener)
    api.status("r1")
    (sent,) = opener.requests
    headers = dict(sent.header_items())
    match = verify(ApiRequest("GET", sent.full_url, headers, None))
    assert (match["key"], match["region"]) == (ACCESS_KEY, "us-west-2")


def test_send_passes_every_http_answer_through():
    request = status_request(API, "r1")
    reply = send(request, opener=FakeOpener(answer(404, {"error": "not_found"}, {"X-A": "1"})))
    assert reply == ApiResponse(
        404, {"content-type": "application/json", "x-a": "1"}, b'{"error": "not_found"}'
    )
    assert reply.header("X-a") == "1"


def test_submit_result_needs_no_client():
    request = submit_request(API, b"{}")
    response = ApiResponse(202, {"x-sweep-replay": "true"}, json.dumps(ACCEPTED).encode())
    assert submit_result(request, response).replayed


# -- the CLI without a network ---------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a unit test tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_cli_refuses_a_bad_request_with_exit_2_and_no_network(tmp_path, capsys, no_network):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**REQUEST, "dimensions": {"num_riders": ["2"]}}))
    assert main(["submit", str(path), "--api-url", API]) == 2
    assert "invalid dimensions.num_riders" in capsys.readouterr().err


def test_cli_refuses_plain_http_to_a_remote_host(tmp_path, capsys, no_network, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(REQUEST))
    assert main(["submit", str(path), "--api-url", "http://sweeps.example.com/prod"]) == 1
    assert "api_url: must use https" in capsys.readouterr().err


def test_cli_status_refuses_both_a_bucket_and_a_data_dir(capsys):
    with pytest.raises(SystemExit) as info:
        main(["status", "r1", "--bucket", "b", "--data-dir", "d"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--profile", "p"], "--profile"),
        (["--region", "eu-west-1"], "--region"),
        (["--watch", "--interval", "0"], "--interval"),
        (["--timeout", "5"], "--timeout"),
        (["--watch", "--timeout", "-1"], "--timeout"),
        (["--prefix", "a/../b"], "prefix"),
    ],
)
def test_cli_status_option_misuse_exits_2(args, option, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["status", "r1", *args]) == 2
    assert f"invalid {option}" in capsys.readouterr().err


def test_rerun_posts_to_the_rerun_route_with_or_without_a_key():
    document = {"run_id": "r1", "shards": [1], "replayed": False}
    api, opener = client(answer(202, document), answer(202, {**document, "replayed": True}))
    assert api.rerun("r1") == document
    assert api.rerun("r1", "ops-1")["replayed"] is True
    plain, keyed = opener.requests
    assert (plain.get_method(), plain.full_url, plain.data) == (
        "POST",
        API + "/sweep-run/r1/rerun",
        None,
    )
    assert keyed.data == b'{"rerun_id":"ops-1"}'
