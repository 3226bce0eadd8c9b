"""Progress bars end exactly at their totals, whatever order the reports arrive in."""

from __future__ import annotations

import random

from tqdm import tqdm as std_tqdm
from tqdm.notebook import tqdm as notebook_tqdm

from sweeplib.progress import PointProgress, ShardProgress, progress_bar
from sweeplib.status import RunStatus


class FakeBar:
    """Records what a tqdm bar is told."""

    def __init__(self) -> None:
        self.n = 0
        self.postfix = ""
        self.closed = False

    def update(self, points: int) -> None:
        assert points > 0, "a bar never moves back or by nothing"
        self.n += points

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_a_point_reported_after_its_shard_finished_is_not_counted_twice():
    """The overshoot seen as "13pt" for a 12-point sweep: the pool hands the parent the
    shard's result before the queue delivers its last point report."""
    bar = FakeBar()
    progress = PointProgress({0: 12}, bar)
    for _ in range(11):
        progress.point_done(0)
    progress.shard_done(0)  # the result arrives first …
    progress.point_done(0)  # … the 12th point's report after it
    assert (progress.position, bar.n) == (12, 12)
    assert bar.postfix == "shards 1/1, failed 0"


def test_ten_thousand_points_end_at_ten_thousand_in_any_arrival_order():
    """'10003pt' for 10,000 points: late reports of several shards, in any order."""
    sizes = {shard: 100 for shard in range(100)}
    events = [("point", s) for s, size in sizes.items() for _ in range(size)]
    rng = random.Random(20261130)
    rng.shuffle(events)
    # each shard finishes somewhere after at least one of its points; a few of its
    # reports may still be in flight
    for shard in sizes:
        last = max(i for i, e in enumerate(events) if e == ("point", shard))
        events.insert(last - rng.randrange(0, 4), ("shard", shard))
    bar = FakeBar()
    progress = PointProgress(sizes, bar)
    seen = []
    for kind, shard in events:
        if kind == "point":
            progress.point_done(shard)
        else:
            progress.shard_done(shard)
        seen.append(progress.position)
    assert progress.total == 10_000
    assert (progress.position, bar.n) == (10_000, 10_000)
    assert max(seen) == 10_000 and seen == sorted(seen)


def test_a_failed_or_skipped_shard_moves_the_bar_past_its_points():
    bar = FakeBar()
    progress = PointProgress({0: 3, 1: 4, 2: 5}, bar)
    progress.point_done(0)
    progress.shard_done(0, failed=True)  # failed after its first point
    progress.shard_done(1)  # skipped: already done, no point reported
    assert (progress.position, bar.n) == (7, 7)
    assert bar.postfix == "shards 2/3, failed 1"
    progress.shard_done(1)  # a second notice changes nothing
    assert bar.n == 7 and bar.postfix == "shards 2/3, failed 1"


def test_an_interrupted_run_stops_short_and_never_counts_beyond_a_shard():
    bar = FakeBar()
    progress = PointProgress({0: 2, 1: 2}, bar)
    for _ in range(5):  # more reports than the shard has points
        progress.point_done(1)
    progress.point_done(7)  # a shard the run does not have
    progress.close()
    assert (progress.position, bar.n, bar.closed) == (2, 2, True)


def test_without_a_bar_it_only_counts():
    progress = PointProgress.shown({0: 2}, enabled=False)
    progress.point_done(0)
    progress.shard_done(0)
    progress.close()
    assert progress.position == progress.total == 2


def test_the_bar_on_a_terminal_is_text_on_stderr_ending_at_the_total(capsys):
    progress = PointProgress.shown({0: 6, 1: 6})
    for _ in range(5):
        progress.point_done(0)
    progress.shard_done(0)
    progress.point_done(0)  # late
    progress.shard_done(1)
    progress.close()
    err = capsys.readouterr().err.replace("\r", "\n")
    final = [line for line in err.splitlines() if line.strip()][-1]
    assert "12/12" in final and "shards 2/2, failed 0" in final
    assert "13/12" not in err


def test_progress_bar_outside_a_kernel_is_plain_tqdm():
    bar = progress_bar(3, unit="pt", desc="points")
    try:
        assert isinstance(bar, std_tqdm) and bar.total == 3
        assert not isinstance(bar, notebook_tqdm)  # the widget is for Jupyter kernels
    finally:
        bar.close()


def status(planned: int, ok: int) -> RunStatus:
    return RunStatus(
        run_id="r",
        run_dates=("2026-11-30",),
        total_points=planned,
        planned=planned,
        succeeded=tuple(range(ok)),
        failed=(),
        missing=tuple(range(ok, planned)),
    )


def test_shard_progress_ends_at_the_planned_shards(capsys):
    progress = ShardProgress("r")
    progress(status(4, 1))
    progress(status(4, 4))
    progress.close()
    err = capsys.readouterr().err.replace("\r", "\n")
    final = [line for line in err.splitlines() if line.strip()][-1]
    assert final.startswith("r: 100%") and "4/4" in final and "ok=4 failed=0" in final
