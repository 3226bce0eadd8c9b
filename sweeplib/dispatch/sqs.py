"""``SqsDispatcher``: enqueue one SQS message per shard, in batches, several in flight.

The plan of a dispatch is pure and tested without AWS:

1. :func:`batch_entries` turns shard messages into :class:`BatchEntry` values (``Id`` =
   shard id, body = :meth:`ShardMessage.to_json`); their size was checked when the run
   was planned (``Limits.max_message_bytes`` = :data:`MAX_MESSAGE_BYTES`);
2. :func:`split_batches` groups them, in shard order, into batches of at most
   :data:`MAX_BATCH_ENTRIES` entries and :data:`MAX_BATCH_BYTES` bytes;
3. :func:`classify_batch_response` sorts one ``SendMessageBatch`` answer into enqueued,
   retry and give-up entries.

:class:`SqsDispatcher` runs the batches on a thread pool (one ``SendMessageBatch`` call per
attempt) and retries, with exponential backoff and jitter, only the entries that did not
go through: those in ``Failed`` that are not the sender's fault, and every entry of a call
that failed as a whole with a throttling, 5xx or connection error. An entry reported
``Successful`` is never sent again. A call that fails as a whole after SQS accepted it (a
read timeout) can enqueue an entry twice; the worker is idempotent, so that is safe.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import botocore.config  # type: ignore[import-untyped, unused-ignore]
import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

from sweeplib import aws
from sweeplib.contracts import ShardMessage
from sweeplib.dispatch import MAX_MESSAGE_BYTES, DispatchRecord, DispatchReport
from sweeplib.errors import ConfigurationError

__all__ = [
    "ENQUEUED_STATUS",
    "FAILED_STATUS",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ENTRIES",
    "MAX_MESSAGE_BYTES",
    "BatchEntry",
    "BatchOutcome",
    "SqsDispatcher",
    "backoff_delay",
    "batch_entries",
    "classify_batch_response",
    "split_batches",
]

_log = logging.getLogger(__name__)

#: Entries per ``SendMessageBatch`` call (an SQS limit).
MAX_BATCH_ENTRIES = 10
#: Largest sum of the bodies of one ``SendMessageBatch`` call, UTF-8 bytes.
MAX_BATCH_BYTES = 256 * 1024
#: ``DispatchRecord.status_code`` of an enqueued shard.
ENQUEUED_STATUS = 200
#: ``DispatchRecord.status_code`` of a shard whose message could not be enqueued.
FAILED_STATUS = 503

_MAX_DELAY_S = 2.0
# Whole-call errors worth another attempt besides HTTP 429/5xx.
_RETRYABLE_CALL_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "KmsThrottled",
        "RequestThrottled",
        "RequestTimeout",
        "ServiceUnavailable",
        "Throttling",
        "ThrottlingException",
    }
)
# The dispatcher's own client leaves retries to the dispatcher (no retries inside
# botocore on top of ours) and waits less for an answer than the API Gateway limit.
_DISPATCH_CLIENT_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=10
)


# -- the pure plan --------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchEntry:
    """One shard's message as an entry of a ``SendMessageBatch`` call."""

    shard_id: int
    body: str

    @property
    def entry_id(self) -> str:
        """The batch entry ``Id``: the shard id in decimal."""
        return str(self.shard_id)

    @property
    def size(self) -> int:
        """The body's length in UTF-8 bytes (what SQS counts)."""
        return len(self.body.encode("utf-8"))

    def to_request(self) -> dict[str, str]:
        """The entry as the SDK takes it: ``{"Id": …, "MessageBody": …}``."""
        return {"Id": self.entry_id, "MessageBody": self.body}


def batch_entries(messages: Iterable[ShardMessage]) -> tuple[BatchEntry, ...]:
    """Build the batch entries of ``messages``, in the order given.

    Raises
    ------
    ValueError
        If two messages have the same shard id.
    """
    entries: list[BatchEntry] = []
    seen: set[int] = set()
    for message in messages:
        if message.shard_id in seen:
            raise ValueError(f"shard {message.shard_id} appears twice in one dispatch")
        seen.add(message.shard_id)
        entries.append(BatchEntry(shard_id=message.shard_id, body=message.to_json()))
    return tuple(entries)


def split_batches(
    entries: Sequence[BatchEntry],
    *,
    max_entries: int = MAX_BATCH_ENTRIES,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[tuple[BatchEntry, ...]]:
    """Group ``entries``, keeping their order, into the fewest consecutive batches of at
    most ``max_entries`` entries whose bodies add up to at most ``max_bytes``.

    Raises
    ------
    ValueError
        If one entry alone is over ``max_bytes``, or a limit is below 1.
    """
    if max_entries < 1 or max_bytes < 1:
        raise ValueError(f"limits must be ≥ 1, got {max_entries} entries / {max_bytes} bytes")
    batches: list[tuple[BatchEntry, ...]] = []
    current: list[BatchEntry] = []
    current_bytes = 0
    for entry in entries:
        size = entry.size
        if size > max_bytes:
            raise ValueError(f"shard {entry.shard_id}'s body is {size} bytes > {max_bytes}")
        if current and (len(current) == max_entries or current_bytes + size > max_bytes):
            batches.append(tuple(current))
            current, current_bytes = [], 0
        current.append(entry)
        current_bytes += size
    if current:
        batches.append(tuple(current))
    return batches


@dataclass(frozen=True)
class BatchOutcome:
    """What one ``SendMessageBatch`` attempt did to its entries, by entry ``Id``.

    Attributes
    ----------
    enqueued : frozenset of str
        Reported ``Successful``: never send these again.
    retry : Mapping[str, str]
        Worth another attempt, with why they failed.
    give_up : Mapping[str, str]
        Failed for a reason another attempt will not fix (the sender's fault).
    """

    enqueued: frozenset[str]
    retry: Mapping[str, str]
    give_up: Mapping[str, str]


def _failure_detail(failure: Mapping[str, Any]) -> str:
    code = failure.get("Code") or "Unknown"
    message = failure.get("Message") or "no message"
    fault = "sender" if failure.get("SenderFault") else "service"
    return f"{code}: {message} ({fault} fault)"


def classify_batch_response(response: Mapping[str, Any], sent_ids: Iterable[str]) -> BatchOutcome:
    """Sort the entries of one ``SendMessageBatch`` response.

    ``Successful`` entries are enqueued; ``Failed`` ones with ``SenderFault`` are given up
    (e.g. ``InvalidMessageContents``), other ``Failed`` ones are retried, and so is an
    entry the response does not mention at all.
    """
    sent = list(sent_ids)
    sent_set = set(sent)
    reported = (str(item["Id"]) for item in response.get("Successful", ()))
    enqueued = frozenset(entry_id for entry_id in reported if entry_id in sent_set)
    retry: dict[str, str] = {}
    give_up: dict[str, str] = {}
    for failure in response.get("Failed", ()):
        entry_id = str(failure["Id"])
        if entry_id in enqueued or entry_id not in sent_set:
            continue
        target = give_up if failure.get("SenderFault") else retry
        target[entry_id] = _failure_detail(failure)
    for entry_id in sent:
        if entry_id not in enqueued and entry_id not in retry and entry_id not in give_up:
            retry[entry_id] = "MissingFromResponse: SQS reported neither success nor failure"
    return BatchOutcome(enqueued=enqueued, retry=retry, give_up=give_up)


def backoff_delay(attempt: int, base_delay_s: float, rand: float) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): exponential backoff
    ``base · 2^(attempt-1)``, capped at 2 s, with "equal jitter" (``rand`` in [0, 1) picks
    a point in the upper half)."""
    ceiling = min(_MAX_DELAY_S, base_delay_s * 2.0 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * rand


def _call_error_detail(error: Exception) -> tuple[str, bool]:
    """Why a whole ``SendMessageBatch`` call failed, and whether to try it again."""
    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(details.get("Code") or status or "Unknown")
        message = details.get("Message") or str(error)
        retryable = code in _RETRYABLE_CALL_CODES or (
            isinstance(status, int) and (status == 429 or status >= 500)
        )
        return f"{code}: {message}", retryable
    # BotoCoreError: connection refused/reset, timeouts, … — transport trouble.
    return f"{type(error).__name__}: {error}", True


# -- the shell ------------------------------------------------------------------------------


class SqsDispatcher:
    """``Dispatcher`` that enqueues one message per shard on an SQS standard queue.

    Parameters
    ----------
    queue_url : str
        The shard queue's URL.
    client : botocore.client.BaseClient, optional
        An SQS client. By default one from :func:`sweeplib.aws.client` whose botocore
        retries are off (this class retries) and whose read timeout is 10 s.
    session : boto3.Session, optional
        Used to create the client when ``client`` is not given.
    max_in_flight : int
        ``SendMessageBatch`` calls in flight at once (threads). Keep it at most the
        client's ``max_pool_connections``.
    max_attempts : int
        Attempts per entry, the first included.
    base_delay_s : float
        Backoff before the second attempt; doubles per attempt (see :func:`backoff_delay`).
    sleep : callable
        Waits between attempts (tests pass a fake).
    rng : random.Random, optional
        Source of the backoff jitter.

    Raises
    ------
    ConfigurationError
        For an empty ``queue_url`` or a limit out of range.
    """

    def __init__(
        self,
        queue_url: str,
        *,
        client: Any = None,
        session: boto3.Session | None = None,
        max_in_flight: int = 8,
        max_attempts: int = 5,
        base_delay_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not isinstance(queue_url, str) or not queue_url:
            raise ConfigurationError("queue_url", f"must be an SQS queue URL, got {queue_url!r}")
        for name, value in (("max_in_flight", max_in_flight), ("max_attempts", max_attempts)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(name, f"must be an int ≥ 1, got {value!r}")
        if not base_delay_s >= 0:
            raise ConfigurationError("base_delay_s", f"must be ≥ 0, got {base_delay_s!r}")
        self._queue_url = queue_url
        if client is None:
            client = aws.client("sqs", session=session, config=_DISPATCH_CLIENT_CONFIG)
        self._client = client
        self._max_in_flight = max_in_flight
        self._max_attempts = max_attempts
        self._base_delay_s = base_delay_s
        self._sleep = sleep
        self._rng = random.Random() if rng is None else rng

    @property
    def queue_url(self) -> str:
        """The shard queue's URL."""
        return self._queue_url

    def __repr__(self) -> str:
        return f"SqsDispatcher(queue_url={self._queue_url!r})"

    def dispatch(self, messages: Sequence[ShardMessage]) -> DispatchReport:
        """Enqueue every message; report each shard, in shard order.

        Enqueued shards get status 200; a shard whose message still could not be
        enqueued after ``max_attempts`` attempts (or that SQS refused as the sender's
        fault) gets 503 with the SQS error code and message in ``detail``.

        Raises
        ------
        ValueError
            Before anything is sent, if two messages have the same shard id or one is
            over :data:`MAX_BATCH_BYTES` (planning refuses such a run first).
        """
        batches = split_batches(batch_entries(messages))
        if not batches:
            return DispatchReport()
        workers = min(self._max_in_flight, len(batches))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sqs-dispatch") as pool:
            results = list(pool.map(self._send_with_retries, batches))
        records = sorted((r for batch in results for r in batch), key=lambda r: r.shard_id)
        return DispatchReport(tuple(records))

    def _send_with_retries(self, batch: tuple[BatchEntry, ...]) -> list[DispatchRecord]:
        pending = {entry.entry_id: entry for entry in batch}
        records: list[DispatchRecord] = []
        for attempt in range(1, self._max_attempts + 1):
            outcome = self._send_once(tuple(pending.values()))
            for entry_id in outcome.enqueued:
                records.append(DispatchRecord(pending.pop(entry_id).shard_id, ENQUEUED_STATUS))
            for entry_id, detail in outcome.give_up.items():
                shard_id = pending.pop(entry_id).shard_id
                records.append(DispatchRecord(shard_id, FAILED_STATUS, f"SQS {detail}"))
            if not outcome.retry:
                break
            if attempt == self._max_attempts:
                for entry_id, detail in outcome.retry.items():
                    shard_id = pending.pop(entry_id).shard_id
                    text = f"SQS {detail}; gave up after {attempt} attempts"
                    records.append(DispatchRecord(shard_id, FAILED_STATUS, text))
                break
            _log.warning(
                "SendMessageBatch attempt %d: %d of %d entries to retry (%s)",
                attempt,
                len(outcome.retry),
                len(batch),
                next(iter(outcome.retry.values())),
            )
            self._sleep(backoff_delay(attempt, self._base_delay_s, self._rng.random()))
        return records

    def _send_once(self, entries: tuple[BatchEntry, ...]) -> BatchOutcome:
        """One ``SendMessageBatch`` call; whole-call errors become per-entry outcomes."""
        ids = [entry.entry_id for entry in entries]
        try:
            response = self._client.send_message_batch(
                QueueUrl=self._queue_url, Entries=[entry.to_request() for entry in entries]
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            detail, retryable = _call_error_detail(error)
            failed = dict.fromkeys(ids, detail)
            if retryable:
                return BatchOutcome(enqueued=frozenset(), retry=failed, give_up={})
            return BatchOutcome(enqueued=frozenset(), retry={}, give_up=failed)
        return classify_batch_response(response, ids)
