"""``SweepClient``: submit sweep requests to a deployed API and read run status through it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sweeplib.client._format import (
    ApiRequest,
    ApiResponse,
    SubmitResult,
    cancel_request,
    encode_request_body,
    normalize_api_url,
    region_from_url,
    rerun_request,
    status_document,
    status_request,
    submit_request,
    submit_result,
)
from sweeplib.client._transport import (
    DEFAULT_TIMEOUT_S,
    AwsCredentials,
    CredentialSource,
    Opener,
    default_ca_bundle,
    default_opener,
    frozen_credentials,
    send,
    sign_request,
)
from sweeplib.contracts import Limits, parse_sweep_request_json
from sweeplib.errors import ConfigurationError

__all__ = ["SUBMIT_CHECK_LIMITS", "SweepClient"]

#: Caps for the local check before a submission: the largest a deployment can be
#: configured with (:class:`~sweeplib.config.DeploymentConfig`). Every value of every
#: dimension is checked; the deployment's own, possibly smaller, caps are its to enforce.
SUBMIT_CHECK_LIMITS = Limits(max_points=10_000_000, max_shards=100_000)


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
        The transport (tests pass a fake); by default
        :func:`~sweeplib.client.default_opener` verifying HTTPS with
        :func:`~sweeplib.client.default_ca_bundle`.

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
        session: CredentialSource | None = None,
        region: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        opener: Opener | None = None,
    ) -> None:
        self._api_url = normalize_api_url(api_url)
        if session is None:
            from sweeplib.aws import aws_session

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
        return frozen_credentials(self._session, self._api_url)

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

    def cancel(self, run_id: str) -> dict[str, Any]:
        """Cancel a run (``POST /sweep-run/{run_id}/cancel``): its workers run no further
        shard; ``sweep rerun`` resumes it. Returns ``{"run_id", "run_date", "cancelled"}``.

        Raises
        ------
        ObjectNotFound
            The API knows nothing of ``run_id``.
        InvalidRequest, ApiError, ApiUnreachable, ConfigurationError
            As for :meth:`submit`.
        """
        request = cancel_request(self._api_url, run_id)
        return status_document(request, self._exchange(request), run_id=run_id)

    def rerun(self, run_id: str, rerun_id: str | None = None) -> dict[str, Any]:
        """Re-enqueue a run's failed and missing shards (``POST /sweep-run/{run_id}/rerun``).

        ``rerun_id`` is the idempotency key: the same call with it sends nothing twice.
        Without one the API keys the rerun on the run's state (the failed shards' record
        times and the missing shards), so repeating it before any of them has a new outcome
        is a replay. Returns ``{"run_id", "run_date", "rerun_id", "shards", "enqueued",
        "not_enqueued", "replayed"}``.

        Raises
        ------
        ObjectNotFound
            The API knows nothing of ``run_id``.
        InvalidRequest, ApiError, ApiUnreachable, ConfigurationError
            As for :meth:`submit`.
        """
        request = rerun_request(self._api_url, run_id, rerun_id)
        return status_document(request, self._exchange(request), run_id=run_id, ok=(202,))
