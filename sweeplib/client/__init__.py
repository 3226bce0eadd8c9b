"""Submit sweeps to a deployed API and read their status through it.

The deployed API is API Gateway with IAM authorisation in front of the sweeplib Lambda
(:mod:`sweeplib.handler`): ``POST {api_url}/sweep-run`` accepts a sweep request,
``GET {api_url}/sweep-run/{run_id}`` answers its shard counts. Every call is signed with
AWS Signature Version 4 for the service ``execute-api`` with the caller's credentials.

Three parts; a call goes through four steps and only the third touches the network:

* the wire format (``_format``): :func:`submit_request` / :func:`status_request` build
  the unsigned request (1); :func:`submit_result` / :func:`status_document` turn the
  answer into a value or raise the error it stands for (4), rebuilt from the answer's
  structured fields by the API's codec (:mod:`sweeplib.wire`) — 400 →
  :class:`~sweeplib.errors.InvalidRequest` (or ``PlanTooLarge``), 409 →
  :class:`~sweeplib.errors.RunConflict`, 404 on a status call →
  :class:`~sweeplib.errors.ObjectNotFound`, 503 ``dispatch_incomplete`` →
  :class:`~sweeplib.errors.SubmitIncomplete`, anything else →
  :class:`~sweeplib.errors.ApiError`;
* the SigV4 transport (``_transport``): :func:`sign_request` (2) and :func:`send` (3);
* the facade: :class:`SweepClient`.

Following a run is not the API's job: :func:`sweeplib.services.watch` reads the run's
outcome objects (S3 LIST calls, not Lambda invocations). boto3 and botocore are
imported when a client is created or a request signed, never by
``import sweeplib.client``.
"""

from __future__ import annotations

from sweeplib.client._facade import SUBMIT_CHECK_LIMITS, SweepClient
from sweeplib.client._format import (
    ApiRequest,
    ApiResponse,
    SubmitResult,
    cancel_request,
    encode_request_body,
    normalize_api_url,
    region_from_url,
    status_document,
    status_request,
    submit_request,
    submit_result,
)
from sweeplib.client._transport import (
    DEFAULT_TIMEOUT_S,
    SERVICE,
    AwsCredentials,
    CredentialSource,
    Opener,
    default_ca_bundle,
    default_opener,
    frozen_credentials,
    send,
    sign_request,
)
from sweeplib.errors import ApiError, ApiUnreachable, SubmitIncomplete
from sweeplib.wire import REPLAY_HEADER

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "REPLAY_HEADER",
    "SERVICE",
    "SUBMIT_CHECK_LIMITS",
    "ApiError",
    "ApiRequest",
    "ApiResponse",
    "ApiUnreachable",
    "AwsCredentials",
    "CredentialSource",
    "Opener",
    "SubmitIncomplete",
    "SubmitResult",
    "SweepClient",
    "cancel_request",
    "default_ca_bundle",
    "default_opener",
    "encode_request_body",
    "frozen_credentials",
    "normalize_api_url",
    "region_from_url",
    "rerun_request",
    "send",
    "sign_request",
    "status_document",
    "status_request",
    "submit_request",
    "submit_result",
]
