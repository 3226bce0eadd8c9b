"""The client's side of the API's wire format: requests built, answers interpreted (pure).

:func:`submit_request` / :func:`status_request` build the unsigned request;
:func:`submit_result` / :func:`status_document` turn the answer into a value or raise
the error it stands for — rebuilt from the answer's structured fields by the API's one
codec, :func:`sweeplib.wire.error_from_response`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from sweeplib.contracts import validate_run_id
from sweeplib.errors import ApiError, ConfigurationError, InvalidRequest, ObjectNotFound
from sweeplib.wire import REPLAY_HEADER, ROUTE, error_from_response

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "SubmitResult",
    "cancel_request",
    "encode_request_body",
    "is_loopback",
    "normalize_api_url",
    "region_from_url",
    "rerun_request",
    "status_document",
    "status_request",
    "submit_request",
    "submit_result",
]

_EXECUTE_API_HOST = re.compile(
    r"\.execute-api\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$"
)
_MESSAGE_PREVIEW = 300


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request: exactly what :func:`~sweeplib.client.send` puts on the wire."""

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

    def describe(self) -> str:
        """One line about the acceptance (``sweep submit`` prints it, notebooks show it)."""
        if self.replayed:
            return (
                f"run {self.run_id} was already accepted with this request (replay): "
                f"{self.total_points} point(s), {self.shards_dispatched} shard(s) enqueued "
                "before; nothing enqueued again"
            )
        return (
            f"run {self.run_id} accepted: {self.total_points} point(s), "
            f"{self.shards_dispatched} shard(s) enqueued"
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address."""
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
    if parts.scheme == "http" and not is_loopback(host):
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
    return _request("POST", f"{normalize_api_url(api_url)}{ROUTE}", body)


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
    return _request("GET", f"{normalize_api_url(api_url)}{ROUTE}/{segment}", None)


def cancel_request(api_url: str, run_id: str) -> ApiRequest:
    """The unsigned ``POST {api_url}/sweep-run/{run_id}/cancel`` (no body).

    Raises
    ------
    InvalidRequest
        ``run_id`` breaks the run id rule.
    """
    segment = quote(validate_run_id(run_id), safe="")
    return _request("POST", f"{normalize_api_url(api_url)}{ROUTE}/{segment}/cancel", None)


def rerun_request(api_url: str, run_id: str, rerun_id: str | None = None) -> ApiRequest:
    """The unsigned ``POST {api_url}/sweep-run/{run_id}/rerun``: with ``{"rerun_id": …}``
    when given (retrying with the same key sends nothing twice), else without a body (the
    API keys the rerun on the run's state: repeating it before anything changed is a
    replay)."""
    segment = quote(validate_run_id(run_id), safe="")
    url = f"{normalize_api_url(api_url)}{ROUTE}/{segment}/rerun"
    if rerun_id is None:
        return _request("POST", url, None)
    return _request("POST", url, json.dumps({"rerun_id": rerun_id}, separators=(",", ":")).encode())


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


def _error(request: ApiRequest, response: ApiResponse, run_id: str | None) -> Exception:
    document = _json_object(response.body)
    message = _message(response, document)
    error = error_from_response(
        request.method, request.url, response.status, document, message, run_id=run_id
    )
    if type(error) is ApiError and _hint(response.status):
        return ApiError(
            error.method, error.url, error.status, error.error, message + _hint(response.status)
        )
    return error


def submit_result(
    request: ApiRequest, response: ApiResponse, *, run_id: str | None = None
) -> SubmitResult:
    """The value of a submission's answer, or the error it stands for.

    ``run_id`` (the submitted run's) names the run of a conflict when the answer does
    not (a deployment older than the structured fields).

    Raises
    ------
    InvalidRequest
        400 (``PlanTooLarge`` for a plan over a limit); ``field`` and ``reason`` from the
        answer's fields (``"request"`` and the message for an answer without them).
    RunConflict
        409: the run id was accepted before with another request.
    SubmitIncomplete
        503 ``dispatch_incomplete``.
    ApiError
        Any other status, or a 202 whose body is not the API's.
    """
    document = _json_object(response.body)
    if response.status == 202:
        if document is not None and "run_id" in document:
            replay = (response.header(REPLAY_HEADER) or "").strip().lower() == "true"
            return SubmitResult(response.status, document, replay)
        raise ApiError(
            request.method,
            request.url,
            202,
            None,
            f"not the API's acceptance document: {_message(response, document)}",
        )
    raise _error(request, response, run_id)


def status_document(
    request: ApiRequest, response: ApiResponse, *, run_id: str, ok: tuple[int, ...] = (200,)
) -> dict[str, Any]:
    """The ``RunStatus.as_dict()`` document of a status answer.

    Raises
    ------
    ObjectNotFound
        404 ``not_found``: the API knows nothing of ``run_id``.
    ApiError
        Any other status, or a 200 whose body is not a JSON object.
    """
    document = _json_object(response.body)
    if response.status in ok and document is not None:
        return document
    error = _error(request, response, run_id)
    not_found = response.status == 404 and document and document.get("error") == "not_found"
    if not_found and not isinstance(error, ObjectNotFound):
        error = ObjectNotFound(f"run {run_id}")
    raise error
