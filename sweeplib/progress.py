"""Progress bars: over a local run's points, and over a run's shards.

Both are ``tqdm.auto`` bars (:func:`progress_bar`): a widget in JupyterLab (with
``ipywidgets``, the ``notebooks`` extra), text on stderr in a terminal. They end exactly
at their total.

:class:`PointProgress`
    The local runner's bar over points (``sweep run``, ``sweep rerun``, the design
    notebook). Pool processes report each point they write; the parent learns that a
    shard finished from the pool. The two channels are not ordered: a point's report can
    arrive *after* its shard's result (it travels through a queue fed by a background
    thread in the pool process). Counting both naïvely overshot — a 12-point sweep ended
    at "13pt", 10,000 points at "10003pt" — so the bar counts each shard's points capped
    at its size, and a finished shard counts as exactly its size: late reports are
    ignored, and a failed or skipped shard still moves the bar past its points.
:class:`ShardProgress`
    ``sweep status --watch`` and the notebooks' submit-and-watch: succeeded + failed of
    planned shards, fed by :func:`sweeplib.services.watch`.

Without tqdm (it comes with the ``local`` extra) the shard bar prints plain lines and
the point bar shows nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from sweeplib.status import RunStatus

__all__ = ["PointProgress", "ShardProgress", "progress_bar"]


def progress_bar(total: int, *, unit: str, desc: str) -> Any:
    """A ``tqdm.auto`` bar: a widget in a Jupyter kernel, text on stderr elsewhere.

    Raises
    ------
    ImportError
        tqdm is not installed (the ``local`` extra).
    """
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, dynamic_ncols=True)


class PointProgress:
    """Points done of a local run, per shard, never past a shard's size.

    Parameters
    ----------
    sizes
        Points per shard id (the bar's total is their sum).
    bar
        A tqdm-like bar (``update``, ``set_postfix_str``, ``close``), or ``None`` to
        count without showing anything.
    """

    def __init__(self, sizes: Mapping[int, int], bar: Any = None) -> None:
        self._sizes = dict(sizes)
        self._bar = bar
        self._counted: dict[int, int] = dict.fromkeys(self._sizes, 0)
        self._finished: set[int] = set()
        self._failed = 0
        self._position = 0

    @classmethod
    def shown(cls, sizes: Mapping[int, int], *, enabled: bool = True) -> PointProgress:
        """A counter with a :func:`progress_bar` over ``sum(sizes)`` points (``enabled``)."""
        bar = progress_bar(sum(sizes.values()), unit="pt", desc="points") if enabled else None
        return cls(sizes, bar)

    @property
    def total(self) -> int:
        """Points planned: the bar's total."""
        return sum(self._sizes.values())

    @property
    def position(self) -> int:
        """Points counted so far (at most :attr:`total`)."""
        return self._position

    def point_done(self, shard_id: int) -> None:
        """A pool process wrote a point of ``shard_id``. Ignored once the shard finished,
        or beyond its size."""
        if shard_id in self._finished:
            return
        counted = self._counted.get(shard_id, 0)
        if counted < self._sizes.get(shard_id, 0):
            self._counted[shard_id] = counted + 1
            self._advance(1)

    def shard_done(self, shard_id: int, *, failed: bool = False) -> None:
        """``shard_id`` finished (succeeded, skipped or failed): it counts as all its points."""
        if shard_id in self._finished:
            return
        self._finished.add(shard_id)
        self._failed += failed
        size = self._sizes.get(shard_id, 0)
        unreported = size - self._counted.get(shard_id, 0)
        self._counted[shard_id] = size
        self._advance(unreported)
        if self._bar is not None:
            self._bar.set_postfix_str(
                f"shards {len(self._finished)}/{len(self._sizes)}, failed {self._failed}",
                refresh=True,
            )

    def _advance(self, points: int) -> None:
        if points <= 0:
            return
        self._position += points
        if self._bar is not None:
            self._bar.update(points)

    def close(self) -> None:
        """Close the bar (the final state stays on screen; a widget shows a partial run red)."""
        if self._bar is not None:
            self._bar.close()


class ShardProgress:
    """Call it with each :class:`~sweeplib.status.RunStatus` read; :meth:`close` at the end.

    Parameters
    ----------
    run_id
        Labels the bar.
    enabled
        ``False`` shows nothing (a quiet caller).
    """

    def __init__(self, run_id: str, *, enabled: bool = True) -> None:
        self._run_id = run_id
        self._enabled = enabled
        self._started = False
        self._bar: Any = None  # None: not started yet, or plain lines
        self._last: tuple[int, int, int] | None = None

    def __call__(self, status: RunStatus) -> None:
        if not self._enabled:
            return
        ok, failed = len(status.succeeded), len(status.failed)
        if not self._started:
            self._started = True
            self._bar = self._make_bar(status.planned)
        if self._bar is None:
            if (ok, failed, status.planned) != self._last:
                print(
                    f"{self._run_id}: {ok + failed}/{status.planned} shard(s) done "
                    f"({ok} succeeded, {failed} failed)",
                    file=sys.stderr,
                )
        else:
            self._bar.n = ok + failed
            self._bar.set_postfix_str(f"ok={ok} failed={failed}", refresh=False)
            self._bar.refresh()
        self._last = (ok, failed, status.planned)

    def _make_bar(self, total: int) -> Any:
        try:
            return progress_bar(total, unit="shard", desc=self._run_id)
        except ImportError:  # pragma: no cover - tqdm is installed with the local extra
            return None

    def close(self) -> None:
        """Close the bar (the final state stays on screen)."""
        if self._bar is not None:
            self._bar.close()
