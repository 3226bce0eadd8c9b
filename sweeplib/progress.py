"""A progress bar over a run's shards, fed by :func:`sweeplib.services.watch`.

``sweep status --watch`` and the notebooks' submit-and-watch show the same bar: a tqdm
bar on stderr (succeeded + failed of planned), or plain lines when tqdm is not
installed (it comes with the ``local`` extra).
"""

from __future__ import annotations

import sys
from typing import Any

from sweeplib.status import RunStatus

__all__ = ["ShardProgress"]


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
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is installed with the local extra
            return None
        return tqdm(
            total=total, unit="shard", desc=self._run_id, file=sys.stderr, dynamic_ncols=True
        )

    def close(self) -> None:
        """Close the bar (the final state stays on screen)."""
        if self._bar is not None:
            self._bar.close()
