"""The client's transport: SigV4 signing and the one HTTP exchange.

:func:`sign_request` adds the AWS Signature Version 4 headers for ``execute-api``
(botocore's signer, imported when a request is signed); :func:`send` makes the
exchange with ``urllib.request``, redirects refused. Only :func:`send` touches the
network.
"""

from __future__ import annotations

import os
import ssl
import urllib.error
import urllib.request
from dataclasses import replace
from http.client import HTTPException
from typing import Any, Protocol
from urllib.parse import urlsplit

from sweeplib import __version__
from sweeplib.client._format import ApiRequest, ApiResponse, is_loopback
from sweeplib.errors import ApiUnreachable, ConfigurationError

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "SERVICE",
    "AwsCredentials",
    "CredentialSource",
    "Opener",
    "default_ca_bundle",
    "default_opener",
    "frozen_credentials",
    "send",
    "sign_request",
]

#: The SigV4 service name of API Gateway's invoke endpoints.
SERVICE = "execute-api"
#: Seconds to wait for an answer: above API Gateway's 29–30 s integration timeout.
DEFAULT_TIMEOUT_S = 35.0


class AwsCredentials(Protocol):
    """What signing needs; botocore's ``ReadOnlyCredentials`` is one."""

    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def token(self) -> str | None: ...


class CredentialSource(Protocol):
    """Where credentials and the default region come from: a ``boto3.Session``."""

    @property
    def region_name(self) -> str | None: ...
    def get_credentials(self) -> Any: ...


def frozen_credentials(source: CredentialSource, api_url: str) -> AwsCredentials:
    """A frozen copy of the source's current credentials (refreshable ones — SSO, assumed
    roles — refresh here when due).

    Raises
    ------
    ConfigurationError
        ``name`` ``"AWS credentials"`` when there are none or they cannot be loaded.
    """
    import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

    try:
        found = source.get_credentials()
        frozen: AwsCredentials | None = None if found is None else found.get_frozen_credentials()
    except botocore.exceptions.BotoCoreError as error:
        raise ConfigurationError("AWS credentials", f"cannot be loaded: {error}") from None
    if frozen is None:
        raise ConfigurationError(
            "AWS credentials",
            "none found (environment, profile, SSO or instance role) to sign "
            f"requests to {api_url}",
        )
    return frozen


class Opener(Protocol):
    """The transport port: ``urllib.request.OpenerDirector`` or a test's fake."""

    def open(
        self, fullurl: urllib.request.Request, data: bytes | None = None, timeout: float = ...
    ) -> Any: ...


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
    if is_loopback(urlsplit(url).hostname or ""):
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
