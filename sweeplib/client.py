"""Submit sweeps to a deployed API and follow their progress.

The deployed API is API Gateway with IAM authorisation in front of the sweeplib Lambda
(:mod:`sweeplib.handler`): ``POST {api_url}/sweep-run`` accepts a sweep request,
``GET {api_url}/sweep-run/{run_id}`` answers its shard counts. Every call is signed with
AWS Signature Version 4 for the service ``execute-api`` with the caller's credentials.

A call goes through four steps; only the third touches the network:

1. :func:`submit_request` / :func:`status_request` build the unsigned request (pure);
2. :func:`sign_request` adds the SigV4 headers (pure but for reading the clock);
3. :func:`send` makes the one HTTP exchange (``urllib.request``, redirects refused);
4. :func:`submit_result` / :func:`status_document` turn the answer into a value or
   raise the matching error (pure).

:func:`wait_for_completion` follows a run from its outcome objects (an
:class:`~sweeplib.storage.store.ObjectStore`: S3 or a local folder) rather than the API,
so watching costs S3 LIST calls, not Lambda invocations.

Errors added to the tree of :mod:`sweeplib.errors`::

    SweepError
    ├── ApiError(method, url, status, error, message)   any other non-success answer
    │   └── SubmitIncomplete(run_id, dispatched, not_dispatched)   503, submit again
    ├── ApiUnreachable(url, reason)                     no HTTP answer at all
    └── WaitTimedOut(run_id, timeout_s, status)         shards still missing at the deadline

Answers the API gives with a meaning of their own are raised as the library's errors:
400 → :class:`~sweeplib.errors.InvalidRequest` (``field``/``reason`` parsed from the
message), 409 → :class:`~sweeplib.errors.RunConflict`, 404 on a status call →
:class:`~sweeplib.errors.ObjectNotFound`.

boto3 and botocore are imported when a client is created or a request signed, never by
``import sweeplib.client``: :func:`wait_for_completion` over a local folder works without
them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http.client import HTTPException
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

from sweeplib import __version__
from sweeplib.contracts import Limits, parse_sweep_request_json, validate_run_id
from sweeplib.errors import (
    ConfigurationError,
    InvalidRequest,
    ObjectNotFound,
    RunConflict,
    SweepError,
)
from sweeplib.status import RunStatus, run_status
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore

if TYPE_CHECKING:
    import boto3  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "REPLAY_HEADER",
    "ROUTE",
    "SERVICE",
    "SUBMIT_CHECK_LIMITS",
    "ApiError",
    "ApiRequest",
    "ApiResponse",
    "ApiUnreachable",
    "AwsCredentials",
    "Opener",
    "SubmitIncomplete",
    "SubmitResult",
    "SweepClient",
    "WaitTimedOut",
    "aws_session",
    "default_ca_bundle",
    "default_opener",
    "encode_request_body",
    "normalize_api_url",
    "region_from_url",
    "send",
    "sign_request",
    "status_document",
    "status_request",
    "submit_request",
    "submit_result",
    "wait_for_completion",
]

#: The SigV4 service name of API Gateway's invoke endpoints.
SERVICE = "execute-api"
#: The API's resource path, appended to the API URL (which may end in a stage).
ROUTE = "sweep-run"
#: Response header the API sets on a replayed submission (same run id, same request).
REPLAY_HEADER = "X-Sweep-Replay"
#: Seconds to wait for an answer: above API Gateway's 29–30 s integration timeout.
DEFAULT_TIMEOUT_S = 35.0
#: Caps for the local check before a submission: the largest a deployment can be
#: configured with (:class:`~sweeplib.config.DeploymentConfig`). Every value of every
#: dimension is checked; the deployment's own, possibly smaller, caps are its to enforce.
SUBMIT_CHECK_LIMITS = Limits(max_points=10_000_000, max_shards=100_000)

_EXECUTE_API_HOST = re.compile(
    r"\.execute-api\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$"
)
_MESSAGE_PREVIEW = 300


# -- errors ----------------------------------------------------------------------------


class ApiError(SweepError):
    """The API answered with a status this client has no more specific error for.

    Attributes
    ----------
    method, url : str
        The request.
    status : int
        The HTTP status code.
    error : str or None
        The ``error`` field of the answer (``"storage_error"``, ``"dispatch_disabled"``…);
        ``None`` for answers API Gateway gives itself (403 access denied, 429, 504).
    message : str
        The answer's ``message`` (or the start of a non-JSON body).
    """

    def __init__(self, method: str, url: str, status: int, error: str | None, message: str):
        label = f"{status} {error}" if error else str(status)
        super().__init__(f"{method} {url} answered {label}: {message}")
        self.method = method
        self.url = url
        self.status = status
        self.error = error
        self.message = message


class SubmitIncomplete(ApiError):
    """503 ``dispatch_incomplete``: the run is accepted but some shards were not enqueued.

    Submitting the same request again enqueues exactly the missing ones (the API keeps a
    dispatch ledger), so this is safe to retry.

    Attributes
    ----------
    run_id : str
    dispatched, not_dispatched : tuple of int
        Shard ids enqueued so far, and those still to enqueue.
    """

    def __init__(
        self,
        url: str,
        message: str,
        *,
        run_id: str,
        dispatched: tuple[int, ...],
        not_dispatched: tuple[int, ...],
    ) -> None:
        super().__init__("POST", url, 503, "dispatch_incomplete", message)
        self.run_id = run_id
        self.dispatched = dispatched
        self.not_dispatched = not_dispatched


class ApiUnreachable(SweepError):
    """No HTTP answer: DNS, connection, TLS or timeout failure. ``url`` is the request's."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason}")
        self.url = url
        self.reason = reason


class WaitTimedOut(SweepError):
    """:func:`wait_for_completion` gave up; ``status`` is the last one read."""

    def __init__(self, run_id: str, timeout_s: float, status: RunStatus) -> None:
        super().__init__(
            f"run {run_id}: {len(status.missing)} of {status.planned} shard(s) still have "
            f"no outcome after {timeout_s:g} s"
        )
        self.run_id = run_id
        self.timeout_s = timeout_s
        self.status = status


# -- values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request: exactly what :func:`send` puts on the wire."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None


@dataclass(frozen=True)
class ApiResponse:
    """One HTTP answer; ``headers`` names are lower-case."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value, by case-insensitive name."""
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class SubmitResult:
    """An accepted submission (HTTP 202).

    Attributes
    ----------
    status_code : int
        202.
    body : Mapping
        The API's answer: ``run_id``, ``total_points``, ``shards_dispatched``, ``status``
        (``"dispatch_submitted"``), ``schema_version``, ``dispatches``.
    replayed : bool
        The run id had been accepted before with this very request: nothing new was
        enqueued (the API's ``X-Sweep-Replay: true``).
    """

    status_code: int
    body: Mapping[str, Any] = field(repr=False)
    replayed: bool

    @property
    def run_id(self) -> str:
        return str(self.body["run_id"])

    @property
    def total_points(self) -> int:
        return int(self.body["total_points"])

    @property
    def shards_dispatched(self) -> int:
        return int(self.body["shards_dispatched"])


class AwsCredentials(Protocol):
    """What signing needs; botocore's ``ReadOnlyCredentials`` is one."""

    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def token(self) -> str | None: ...


class Opener(Protocol):
    """The transport port: ``urllib.request.OpenerDirector`` or a test's fake."""

    def open(
        self, fullurl: urllib.request.Request, data: bytes | None = None, timeout: float = ...
    ) -> Any: ...


# -- pure builders ---------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_api_url(api_url: str) -> str:
    """Check an API URL and drop its trailing ``/``.

    ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`` or a custom domain
    (with its base path). Plain ``http`` is accepted only for loopback hosts (tests,
    local emulators): credentials-signed requests never travel unencrypted.

    Raises
    ------
    ConfigurationError
        ``name`` ``"api_url"``: not an http(s) URL, plain http to a non-loopback host,
        user info, a query or a fragment.
    """
    parts = urlsplit(api_url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigurationError("api_url", f"must be an https:// URL, got {api_url!r}")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            "api_url", f"must use https (plain http only for loopback hosts), got {api_url!r}"
        )
    if parts.username is not None or parts.query or parts.fragment:
        raise ConfigurationError(
            "api_url", f"must not carry user info, a query or a fragment, got {api_url!r}"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ConfigurationError("api_url", f"has an invalid port: {api_url!r}") from None
    return parts._replace(path=parts.path.rstrip("/")).geturl()


def region_from_url(api_url: str) -> str | None:
    """The region of an ``execute-api`` host name, ``None`` for other hosts."""
    match = _EXECUTE_API_HOST.search((urlsplit(api_url).hostname or "").lower())
    return match.group("region") if match else None


def _host_header(url: str) -> str:
    """``Host`` as sent and signed: lower-case host, port only when not the default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}[parts.scheme]
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _request(method: str, url: str, body: bytes | None) -> ApiRequest:
    headers = {
        "host": _host_header(url),
        "x-amz-content-sha256": hashlib.sha256(body or b"").hexdigest(),
    }
    if body is not None:
        headers["content-type"] = "application/json"
    return ApiRequest(method, url, headers, body)


def encode_request_body(request_body: Mapping[str, Any] | str | bytes) -> bytes:
    """The request as UTF-8 JSON bytes: a mapping is encoded compactly, text and bytes
    are sent as they are (so the API fingerprints exactly what the user wrote).

    Raises
    ------
    InvalidRequest
        ``field`` ``"body"``: the mapping holds something JSON cannot encode (NaN,
        infinity, a non-JSON type).
    """
    if isinstance(request_body, bytes | bytearray):
        return bytes(request_body)
    if isinstance(request_body, str):
        return request_body.encode("utf-8")
    try:
        return json.dumps(request_body, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise InvalidRequest("body", f"cannot be encoded as JSON: {error}") from None


def submit_request(api_url: str, body: bytes) -> ApiRequest:
    """The unsigned ``POST {api_url}/sweep-run`` carrying ``body``."""
    return _request("POST", f"{normalize_api_url(api_url)}/{ROUTE}", body)


def status_request(api_url: str, run_id: str) -> ApiRequest:
    """The unsigned ``GET {api_url}/sweep-run/{run_id}``.

    Raises
    ------
    InvalidRequest
        ``run_id`` breaks the run id rule (it would not name a run anyway).
    """
    # The run id rule ([A-Za-z0-9._-], not only dots) leaves nothing to escape; quote()
    # is a guard, not a transformation.
    segment = quote(validate_run_id(run_id), safe="")
    return _request("GET", f"{normalize_api_url(api_url)}/{ROUTE}/{segment}", None)


def sign_request(request: ApiRequest, credentials: AwsCredentials, region: str) -> ApiRequest:
    """``request`` with SigV4 headers for ``execute-api`` in ``region`` added.

    Every header of ``request`` is signed (``host``, ``content-type``,
    ``x-amz-content-sha256``) along with the ``x-amz-date`` and, for temporary
    credentials, ``x-amz-security-token`` headers the signer adds; the body is covered
    by its SHA-256 in ``x-amz-content-sha256``. ``User-Agent`` and ``Accept`` are added
    after signing, unsigned: proxies and CloudFront may rewrite them. The signing time
    is this machine's clock; AWS refuses signatures dated minutes away from its own.
    """
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped, unused-ignore]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped, unused-ignore]

    aws_request = AWSRequest(
        method=request.method, url=request.url, data=request.body, headers=dict(request.headers)
    )
    SigV4Auth(credentials, SERVICE, region).add_auth(aws_request)
    headers = {name.lower(): str(value) for name, value in aws_request.headers.items()}
    headers["user-agent"] = f"sweeplib/{__version__}"
    headers["accept"] = "application/json"
    return replace(request, headers=headers)


# -- the one I/O function --------------------------------------------------------------


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A signed request is never replayed to another URL: a 3xx becomes the answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def default_ca_bundle() -> str:
    """The CA certificates boto3 verifies AWS endpoints with: ``AWS_CA_BUNDLE`` if set,
    else botocore's bundle (certifi's when installed). A machine where boto3 reaches AWS
    therefore reaches the API too, behind a TLS-inspecting proxy included."""
    from botocore.httpsession import get_cert_path  # type: ignore[import-untyped, unused-ignore]

    return os.environ.get("AWS_CA_BUNDLE") or str(get_cert_path(True))


def default_opener(url: str, *, ca_bundle: str | None = None) -> urllib.request.OpenerDirector:
    """urllib's opener without redirects; loopback URLs also bypass any proxy.

    Parameters
    ----------
    ca_bundle : str, optional
        A PEM file of CA certificates to verify HTTPS servers with (hostname checked);
        by default the system's.

    Raises
    ------
    ConfigurationError
        ``name`` ``"ca_bundle"`` when the file cannot be loaded.
    """
    handlers: list[urllib.request.BaseHandler] = [_RefuseRedirects()]
    if _is_loopback(urlsplit(url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))
    if ca_bundle is not None:
        try:
            context = ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as error:
            raise ConfigurationError("ca_bundle", f"cannot load {ca_bundle}: {error}") from None
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers)


def send(
    request: ApiRequest, *, timeout_s: float = DEFAULT_TIMEOUT_S, opener: Opener | None = None
) -> ApiResponse:
    """Make the HTTP exchange; every HTTP answer (4xx/5xx included) is returned.

    Raises
    ------
    ApiUnreachable
        No answer: name resolution, connection, TLS, timeout or a broken reply.
    """
    chosen = default_opener(request.url) if opener is None else opener
    http_request = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method=request.method
    )
    try:
        try:
            with chosen.open(http_request, timeout=timeout_s) as reply:
                return ApiResponse(int(reply.status), _headers(reply.headers), reply.read())
        except urllib.error.HTTPError as answer:
            with answer:
                body = answer.read() if answer.fp is not None else b""
            return ApiResponse(answer.code, _headers(answer.headers), body)
    except urllib.error.URLError as error:
        raise ApiUnreachable(request.url, str(error.reason)) from error
    except (TimeoutError, OSError, HTTPException) as error:
        raise ApiUnreachable(request.url, f"{type(error).__name__}: {error}") from error


def _headers(message: Any) -> dict[str, str]:
    return {} if message is None else {k.lower(): v for k, v in message.items()}


# -- pure interpreters -----------------------------------------------------------------


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _message(response: ApiResponse, document: Mapping[str, Any] | None) -> str:
    if document is not None:
        for name in ("message", "Message"):
            if isinstance(document.get(name), str):
                return str(document[name])
    text = response.body.decode("utf-8", "replace").strip()
    if not text:
        return "(empty answer)"
    return text if len(text) <= _MESSAGE_PREVIEW else text[:_MESSAGE_PREVIEW] + "…"


def _hint(status: int) -> str:
    if status == 403:
        return (
            " (check that this identity may execute-api:Invoke the API, and the API URL,"
            " stage and region)"
        )
    if status in (429, 504):
        return " (submitting the same request again is safe)"
    return ""


def _api_error(request: ApiRequest, response: ApiResponse) -> ApiError:
    document = _json_object(response.body)
    error = document.get("error") if document else None
    message = _message(response, document) + _hint(response.status)
    return ApiError(
        request.method,
        request.url,
        response.status,
        error if isinstance(error, str) else None,
        message,
    )


def _invalid_request(message: str) -> InvalidRequest:
    """The handler's 400 message is ``str(InvalidRequest)``: ``"{field}: {reason}"``."""
    field_name, sep, reason = message.partition(": ")
    if not sep or not field_name or " " in field_name:
        return InvalidRequest("request", message)
    return InvalidRequest(field_name, reason)


def _shard_ids(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, int) and not isinstance(v, bool))


def submit_result(request: ApiRequest, response: ApiResponse, *, run_id: str) -> SubmitResult:
    """The value of a submission's answer, or the error it stands for.

    Raises
    ------
    InvalidRequest
        400; ``field`` and ``reason`` from the message (``"request"`` when the message is
        not the API's ``"field: reason"``).
    RunConflict
        409: ``run_id`` was accepted before with another request.
    SubmitIncomplete
        503 ``dispatch_incomplete``.
    ApiError
        Any other status, or a 202 whose body is not the API's.
    """
    document = _json_object(response.body)
    if response.status == 202 and document is not None and "run_id" in document:
        replay = (response.header(REPLAY_HEADER) or "").strip().lower() == "true"
        return SubmitResult(response.status, document, replay)
    if response.status == 400:
        raise _invalid_request(_message(response, document))
    if response.status == 409:
        message = _message(response, document)
        raise RunConflict(run_id, message.removeprefix(f"run {run_id}: "))
    if response.status == 503 and document and document.get("error") == "dispatch_incomplete":
        raise SubmitIncomplete(
            request.url,
            _message(response, document),
            run_id=str(document.get("run_id", run_id)),
            dispatched=_shard_ids(document.get("dispatched")),
            not_dispatched=_shard_ids(document.get("not_dispatched")),
        )
    if response.status == 202:
        raise ApiError(
            request.method,
            request.url,
            202,
            None,
            f"not the API's acceptance document: {_message(response, document)}",
        )
    raise _api_error(request, response)


def status_document(request: ApiRequest, response: ApiResponse, *, run_id: str) -> dict[str, Any]:
    """The ``RunStatus.as_dict()`` document of a status answer.

    Raises
    ------
    ObjectNotFound
        404 ``not_found``: the API knows nothing of ``run_id``.
    ApiError
        Any other status, or a 200 whose body is not a JSON object.
    """
    document = _json_object(response.body)
    if response.status == 200 and document is not None:
        return document
    if response.status == 404 and document and document.get("error") == "not_found":
        message = _message(response, document)
        key = message.removesuffix(": no such object")
        raise ObjectNotFound(key if key != message else f"run {run_id}")
    raise _api_error(request, response)


# -- the client ------------------------------------------------------------------------


def aws_session(*, profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A ``boto3.Session`` for a named profile and region (``None``: the default chain).

    Raises
    ------
    ConfigurationError
        ``name`` ``"profile"`` when the profile does not exist.
    """
    import boto3  # type: ignore[import-untyped, unused-ignore]
    import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as error:
        raise ConfigurationError("profile", str(error)) from None


class SweepClient:
    """Submit sweep requests to a deployed API and read run status through it.

    Parameters
    ----------
    api_url : str
        The API's invoke URL including the stage, e.g.
        ``https://abc123.execute-api.eu-west-1.amazonaws.com/prod``. ``https`` only
        (``http`` for loopback hosts).
    session : boto3.Session, optional
        Where credentials come from (read for every request, so refreshed temporary
        credentials are used); by default ``boto3.Session()``, the usual chain.
    region : str, optional
        The region to sign for. By default the region in an ``execute-api`` host name,
        else the session's.
    timeout_s : float
        Seconds to wait for each answer (default 35, above API Gateway's 29 s limit).
    opener : Opener, optional
        The transport (tests pass a fake); by default :func:`default_opener` verifying
        HTTPS with :func:`default_ca_bundle`.

    Raises
    ------
    ConfigurationError
        A bad ``api_url`` (``"api_url"``), or no region (``"AWS_DEFAULT_REGION"``).

    Notes
    -----
    Submitting is idempotent on the API's side: the same request under the same run id
    is a replay (:attr:`SubmitResult.replayed`), never a second enqueue. After a time-out
    or a 5xx it is therefore always safe to submit again.
    """

    def __init__(
        self,
        api_url: str,
        *,
        session: boto3.Session | None = None,
        region: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        opener: Opener | None = None,
    ) -> None:
        self._api_url = normalize_api_url(api_url)
        if session is None:
            session = aws_session()
        self._session = session
        chosen = region or region_from_url(self._api_url) or session.region_name
        if not chosen:
            raise ConfigurationError(
                "AWS_DEFAULT_REGION",
                f"no region to sign requests to {self._api_url} for; pass one (--region)",
            )
        self._region: str = chosen
        if not timeout_s > 0:
            raise ConfigurationError("timeout_s", f"must be > 0, got {timeout_s!r}")
        self._timeout_s = float(timeout_s)
        if opener is None:
            opener = default_opener(self._api_url, ca_bundle=default_ca_bundle())
        self._opener = opener

    @property
    def api_url(self) -> str:
        return self._api_url

    @property
    def region(self) -> str:
        return self._region

    def __repr__(self) -> str:
        return f"SweepClient({self._api_url!r}, region={self._region!r})"

    def credentials(self) -> AwsCredentials:
        """A frozen copy of the session's current credentials.

        Raises
        ------
        ConfigurationError
            ``name`` ``"AWS credentials"`` when the session finds none.
        """
        import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

        try:
            found = self._session.get_credentials()
            # Refreshable credentials (SSO, assumed roles) refresh here when due.
            frozen: AwsCredentials | None = (
                None if found is None else found.get_frozen_credentials()
            )
        except botocore.exceptions.BotoCoreError as error:
            raise ConfigurationError("AWS credentials", f"cannot be loaded: {error}") from None
        if frozen is None:
            raise ConfigurationError(
                "AWS credentials",
                "none found (environment, profile, SSO or instance role) to sign "
                f"requests to {self._api_url}",
            )
        return frozen

    def _exchange(self, request: ApiRequest) -> ApiResponse:
        signed = sign_request(request, self.credentials(), self._region)
        return send(signed, timeout_s=self._timeout_s, opener=self._opener)

    def submit(self, request_body: Mapping[str, Any] | str | bytes) -> SubmitResult:
        """Submit a sweep request (``POST /sweep-run``).

        The request is validated here first (every value of every dimension, against
        :data:`SUBMIT_CHECK_LIMITS`): a bad one raises before anything is sent. The
        bytes sent are the caller's own (a mapping is encoded as compact JSON).

        Returns
        -------
        SubmitResult
            For a 202: the API's answer and whether it was a replay.

        Raises
        ------
        InvalidRequest
            Refused locally or by the API (400).
        RunConflict
            409: the run id was accepted before with a different request.
        SubmitIncomplete
            503: the run is accepted but shards remain to enqueue; submit again.
        ApiError
            Any other answer (403 access denied, 5xx, …).
        ApiUnreachable
            No answer at all.
        ConfigurationError
            No credentials.
        """
        body = encode_request_body(request_body)
        run_id = parse_sweep_request_json(body, SUBMIT_CHECK_LIMITS).run_id
        request = submit_request(self._api_url, body)
        return submit_result(request, self._exchange(request), run_id=run_id)

    def status(self, run_id: str) -> dict[str, Any]:
        """A run's shard counts from the API (``GET /sweep-run/{run_id}``).

        Returns
        -------
        dict
            :meth:`sweeplib.status.RunStatus.as_dict` as computed by the Lambda:
            ``planned_shards``, ``succeeded_shards``, ``failed_shards``,
            ``missing_shards``, ``failed``, ``missing``…

        Raises
        ------
        ObjectNotFound
            The API knows nothing of ``run_id``.
        InvalidRequest, ApiError, ApiUnreachable, ConfigurationError
            As for :meth:`submit`.
        """
        request = status_request(self._api_url, run_id)
        return status_document(request, self._exchange(request), run_id=run_id)


# -- watching a run --------------------------------------------------------------------


def wait_for_completion(
    store: ObjectStore,
    run_id: str,
    *,
    prefix: str = keys.DEFAULT_PREFIX,
    poll_s: float = 5.0,
    timeout_s: float | None = None,
    on_progress: Callable[[RunStatus], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RunStatus:
    """Poll a run's outcome objects until every planned shard has an outcome.

    Each poll is :func:`sweeplib.status.run_status` without reading failure records
    (for S3: LIST calls over the run's ``shard_outcomes`` prefix plus one GET of its
    submission record). The last status is read with the failed shards' errors.

    Parameters
    ----------
    store : ObjectStore
        Where the run's outcomes are written (``S3ObjectStore``, ``LocalObjectStore``).
    prefix : str
        The deployment's base key prefix.
    poll_s : float
        Seconds between polls (> 0).
    timeout_s : float, optional
        Give up after this many seconds; ``None`` waits as long as it takes.
    on_progress : callable, optional
        Called with every status read, the final one included (progress bars).
    sleep, clock
        Waiting and monotonic time (tests pass fakes).

    Returns
    -------
    RunStatus
        A finished status (``status.finished``): no shard is missing. Failed shards
        count as finished; note that SQS may still redeliver a failed shard's message,
        and a later success replaces the failure.

    Raises
    ------
    ObjectNotFound
        Nothing is known about ``run_id``.
    WaitTimedOut
        ``timeout_s`` passed with shards still missing; carries the last status.
    InvalidRequest
        ``poll_s`` ≤ 0 or ``timeout_s`` < 0.
    """
    if not poll_s > 0:
        raise InvalidRequest("poll_s", f"must be > 0, got {poll_s!r}")
    if timeout_s is not None and not timeout_s >= 0:
        raise InvalidRequest("timeout_s", f"must be >= 0, got {timeout_s!r}")
    started = clock()
    while True:
        status = run_status(store, run_id, prefix=prefix, with_errors=False)
        if status.finished and status.failed:
            status = run_status(store, run_id, prefix=prefix, with_errors=True)
        if on_progress is not None:
            on_progress(status)
        if status.finished:
            return status
        waited = clock() - started
        if timeout_s is not None and waited >= timeout_s:
            raise WaitTimedOut(run_id, timeout_s, status)
        remaining = poll_s if timeout_s is None else min(poll_s, timeout_s - waited)
        sleep(max(remaining, 0.0))
