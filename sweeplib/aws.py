"""The single boto3 client factory of sweeplib, and its session factory.

:func:`aws_session` makes the session for a named profile and region (the CLI's
``--profile``/``--region``). Every AWS-touching object in sweeplib
(:class:`~sweeplib.storage.s3.S3ObjectStore`, :class:`~sweeplib.dispatch.sqs.SqsDispatcher`,
…) accepts a ready client or a
``boto3.Session``; when given neither, it asks :func:`client` for one. Nothing else in
sweeplib calls ``boto3.client``.

Endpoints are boto3's own configuration, which :func:`client` leaves in force:
``AWS_ENDPOINT_URL_<SERVICE>`` (``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL_SQS``) wins
over ``AWS_ENDPOINT_URL``, which wins over ``endpoint_url`` in the profile. That is how
the tests point every client at the moto server on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import botocore.config  # type: ignore[import-untyped, unused-ignore]
import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

from sweeplib import __version__
from sweeplib.errors import ConfigurationError

__all__ = [
    "CONNECT_TIMEOUT_S",
    "MAX_ATTEMPTS",
    "MAX_POOL_CONNECTIONS",
    "READ_TIMEOUT_S",
    "aws_session",
    "client",
    "client_config",
]

#: Seconds to wait for a TCP connection to an AWS endpoint.
CONNECT_TIMEOUT_S = 5.0
#: Seconds to wait for a response once a request is sent (S3 objects here are small).
READ_TIMEOUT_S = 30.0
#: HTTP connections one client keeps; ≥ the SQS dispatcher's batches in flight plus slack.
MAX_POOL_CONNECTIONS = 32
#: Attempts per request (first try included) of botocore's "standard" retry mode.
MAX_ATTEMPTS = 4


def aws_session(*, profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A ``boto3.Session`` for a named profile and region (``None``: the default chain).

    Raises
    ------
    ConfigurationError
        ``name`` ``"profile"`` when the profile does not exist.
    """
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as error:
        raise ConfigurationError("profile", str(error)) from None


def client_config(overrides: botocore.config.Config | None = None) -> Any:
    """The ``botocore.config.Config`` every sweeplib client is created with.

    Standard retry mode (exponential backoff with jitter on throttling, 5xx and
    connection errors; :data:`MAX_ATTEMPTS` attempts), bounded connect/read timeouts, a
    connection pool big enough for parallel ``SendMessageBatch`` calls, and a
    ``sweeplib`` user-agent suffix.

    Parameters
    ----------
    overrides : botocore.config.Config, optional
        Settings that replace the defaults (``Config.merge`` semantics: only the options
        given in ``overrides`` change; a ``retries`` dict replaces the whole default one).
    """
    defaults = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=MAX_POOL_CONNECTIONS,
        user_agent_extra=f"sweeplib/{__version__}",
    )
    return defaults if overrides is None else defaults.merge(overrides)


def client(
    service_name: str,
    *,
    session: boto3.Session | None = None,
    region_name: str | None = None,
    config: botocore.config.Config | None = None,
) -> Any:
    """Create a boto3 client for ``service_name`` (``"s3"``, ``"sqs"``, ``"athena"``…).

    Parameters
    ----------
    service_name : str
        The boto3 service name.
    session : boto3.Session, optional
        Where credentials, region and profile come from. ``None`` creates a fresh
        ``boto3.Session()`` (the default credential chain and environment), so that
        clients made from several threads never share a session, which boto3 does not
        make thread-safe. Clients themselves are thread-safe: create one and reuse it.
    region_name : str, optional
        Overrides the session's region (``AWS_REGION``/``AWS_DEFAULT_REGION``/profile).
    config : botocore.config.Config, optional
        Options that replace those of :func:`client_config` (e.g. fewer retries).

    Returns
    -------
    botocore.client.BaseClient
        Configured with ``client_config(config)``; its endpoint honours
        ``AWS_ENDPOINT_URL_<SERVICE>`` and ``AWS_ENDPOINT_URL``.

    Raises
    ------
    ConfigurationError
        ``name`` ``"AWS_DEFAULT_REGION"`` if no region is configured anywhere, or
        ``name`` ``service_name`` if boto3 does not know the service.
    """
    chosen = boto3.Session() if session is None else session
    try:
        return chosen.client(service_name, region_name=region_name, config=client_config(config))
    except botocore.exceptions.NoRegionError:
        raise ConfigurationError(
            "AWS_DEFAULT_REGION", f"no AWS region configured for the {service_name} client"
        ) from None
    except botocore.exceptions.UnknownServiceError as error:
        raise ConfigurationError(service_name, f"unknown AWS service: {error}") from None
