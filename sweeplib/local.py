"""Run shards on this machine: a process pool calling the Lambda's own worker.

:class:`LocalDispatcher` implements the ``Dispatcher`` port by *executing* the
shards: each pool process decodes the message's JSON and calls
:func:`sweeplib.worker.execute_shard` against a :class:`~sweeplib.storage.LocalObjectStore`,
as the Lambda does against S3. The messages come from this process's own planner, not
from a queue, so they are not checked against the run's submission record (the Lambda's
:func:`~sweeplib.worker.execute_shard_body` does that). A progress bar
(:class:`~sweeplib.progress.PointProgress`) counts points and shards, and ends exactly at
the point count.

Ctrl-C: pool processes ignore SIGINT; the parent terminates them. If the parent is
killed outright (``kill -9``), each pool process notices within
:data:`PARENT_POLL_S` and exits instead of computing on as an orphan. Shards that
finished keep their outcome records; interrupted shards have none (stores write
atomically, so no partial object is ever visible) and are reported as not
dispatched, so ``sweep rerun`` (or running the same request again) completes them.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweeplib.contracts import ShardMessage
from sweeplib.dispatch import DispatchRecord, DispatchReport
from sweeplib.errors import ShardFailed
from sweeplib.progress import PointProgress
from sweeplib.storage import keys
from sweeplib.storage.local import LocalObjectStore

__all__ = ["LocalDispatcher", "RunSummary", "ShardOutcome", "default_workers", "estimated_cost"]

STATUS_RAN = 200
STATUS_INTERRUPTED = 499


_COST_SAMPLE_POINTS = 20_000


def estimated_cost(message: ShardMessage) -> float:
    """A relative cost of a shard, for scheduling only: Σ (riders + drivers) × hours.

    Beyond ``_COST_SAMPLE_POINTS`` points per shard the point count stands in.
    """
    from sweeplib.experiments import scenario_for
    from sweeplib.planning import shard_points

    if message.size > _COST_SAMPLE_POINTS:
        return float(message.size)
    cost = 0.0
    for point in shard_points(message):
        params = scenario_for(point.values, point.seed)
        cost += (params.num_riders + params.num_drivers) * params.resolved_end_time_ms
    return cost


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ShardOutcome:
    shard_id: int
    status: str  # "success" | "skipped" | "failure"
    points: int
    error_code: str | None = None
    error_message: str | None = None
    kernel_seconds: float = 0.0
    io_seconds: float = 0.0
    wall_seconds: float = 0.0


@dataclass
class RunSummary:
    """What one dispatch did, for the final summary line."""

    outcomes: list[ShardOutcome] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)
    wall_seconds: float = 0.0

    def shards(self, status: str) -> list[ShardOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def points(self) -> int:
        return sum(o.points for o in self.outcomes if o.status == "success")

    @property
    def kernel_seconds(self) -> float:
        return sum(o.kernel_seconds for o in self.outcomes)

    @property
    def io_seconds(self) -> float:
        return sum(o.io_seconds for o in self.outcomes)

    def describe(self) -> str:
        succeeded = len(self.shards("success")) + len(self.shards("skipped"))
        text = (
            f"{succeeded} shard(s) succeeded ({len(self.shards('skipped'))} already done), "
            f"{len(self.shards('failure'))} failed, {len(self.interrupted)} interrupted; "
            f"{self.points} point(s) simulated in {self.wall_seconds:.1f} s"
        )
        for outcome in self.shards("failure"):
            text += f"\n  shard {outcome.shard_id} failed ({outcome.error_code}): "
            text += f"{outcome.error_message}"
        return text


# -- pool process side -----------------------------------------------------------------

_STORE: LocalObjectStore | None = None
_PREFIX = keys.DEFAULT_PREFIX
_PROGRESS: Any = None


#: How often a pool process checks that the process that started it is still alive.
PARENT_POLL_S = 0.5


def _exit_with_parent(parent_pid: int) -> None:
    """Exit this pool process as soon as its parent is gone (``kill -9`` of ``sweep run``):
    orphaned, it would keep computing and writing objects nobody collects. A stopped
    write leaves at most a temporary file, which the next ``sweep run`` removes."""

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _initialize(root: str, prefix: str, progress: Any, parent_pid: int | None = None) -> None:
    global _STORE, _PREFIX, _PROGRESS
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    # The parent's summary reports every failure; keep the pool processes quiet.
    logging.getLogger("sweeplib").setLevel(logging.ERROR)
    _STORE = LocalObjectStore(root)
    _PREFIX = prefix
    _PROGRESS = progress


def _report_point(shard_id: int, point_index: int) -> None:
    if _PROGRESS is not None:
        _PROGRESS.put((shard_id, point_index))


def _run_shard(body: str) -> ShardOutcome:
    from sweeplib.worker import execute_shard  # imported in the pool process

    assert _STORE is not None
    now = dt.datetime.now(dt.UTC)
    message = ShardMessage.from_json(body)  # the parent's own message
    try:
        result = execute_shard(message, _STORE, now, prefix=_PREFIX, on_point=_report_point)
    except ShardFailed as failure:
        return ShardOutcome(failure.shard_id, "failure", 0, failure.error_code, failure.cause)
    return ShardOutcome(
        shard_id=result.shard_id,
        status=result.status,
        points=result.points_processed,
        kernel_seconds=result.kernel_seconds,
        io_seconds=result.io_seconds,
        wall_seconds=result.wall_seconds,
    )


# -- parent side -----------------------------------------------------------------------


class LocalDispatcher:
    """Execute shard messages in a local process pool (the ``Dispatcher`` port).

    Parameters
    ----------
    data_dir
        Root of the local object store.
    workers
        Pool size (default: the machine's CPUs).
    prefix
        Base key prefix.
    progress
        Show a progress bar over points (``tqdm.auto``: a widget in a notebook, text on
        stderr in a terminal).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        workers: int | None = None,
        prefix: str = keys.DEFAULT_PREFIX,
        progress: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.workers = workers or default_workers()
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        self.prefix = prefix
        self.progress = progress
        self.summary = RunSummary()

    def dispatch(self, messages: Sequence[ShardMessage]) -> DispatchReport:
        """Run the shards; return one record per shard (499 = interrupted, not run)."""
        started = time.perf_counter()
        self.summary = RunSummary()
        if not messages:
            return DispatchReport()
        context = multiprocessing.get_context("spawn")
        progress_queue = context.Queue()
        bar = PointProgress.shown({m.shard_id: m.size for m in messages}, enabled=self.progress)
        pending: dict[int, Any] = {}
        finished: dict[int, ShardOutcome] = {}
        pool = context.Pool(
            processes=min(self.workers, len(messages)),
            initializer=_initialize,
            initargs=(str(self.data_dir), self.prefix, progress_queue, os.getpid()),
        )
        try:
            # Longest shards first (LPT): the pool's tail is then a short shard, not a
            # long one running alone while the other workers idle.
            for message in sorted(messages, key=estimated_cost, reverse=True):
                pending[message.shard_id] = pool.apply_async(_run_shard, (message.to_json(),))
            while pending:
                _drain(progress_queue, bar, wait=0.1)
                for shard_id in [s for s, r in pending.items() if r.ready()]:
                    outcome: ShardOutcome = pending.pop(shard_id).get()
                    finished[shard_id] = outcome
                    bar.shard_done(shard_id, failed=outcome.status == "failure")
            _drain(progress_queue, bar, wait=0.0)
            pool.close()
        except KeyboardInterrupt:
            pool.terminate()
            self.summary.interrupted = sorted(pending)
        finally:
            pool.join()
            bar.close()
        self.summary.outcomes = [finished[s] for s in sorted(finished)]
        self.summary.wall_seconds = time.perf_counter() - started
        records = [DispatchRecord(s, STATUS_RAN, finished[s].status) for s in sorted(finished)]
        records += [
            DispatchRecord(s, STATUS_INTERRUPTED, "interrupted") for s in self.summary.interrupted
        ]
        return DispatchReport(tuple(sorted(records, key=lambda r: r.shard_id)))


def _drain(progress_queue: Any, bar: PointProgress, *, wait: float) -> None:
    try:
        item = progress_queue.get(timeout=wait) if wait else progress_queue.get_nowait()
        while True:
            bar.point_done(item[0])
            item = progress_queue.get_nowait()
    except queue.Empty:
        return
