"""`sweep run / status / rerun / query` end to end through the real local store and DuckDB."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sweeplib.cli import main
from sweeplib.storage import LocalObjectStore, decode_table, keys
from tests.factories import request_body
from tests.processes import wait_until, watched_child

from .conftest import files_under


def sweep(*args: str) -> int:
    return main(list(args))


def run_files(data: Path) -> dict[str, bytes]:
    return files_under(data)


def outcome_rows(data: Path) -> dict[str, dict]:
    store = LocalObjectStore(data)
    rows = {}
    for key in store.list(keys.dataset_prefix("shard_outcomes")):
        row = decode_table(store.get(key)).to_pylist()[0]
        row.pop("event_time")
        rows[key] = row
    return rows


def test_run_writes_every_dataset_and_status_matches_the_plan(request_file, tmp_path, capsys):
    data = tmp_path / "data"
    assert (
        sweep(
            "run", str(request_file()), "--data-dir", str(data), "--workers", "2", "--no-progress"
        )
        == 0
    )
    store = LocalObjectStore(data)
    for dataset in ("shard_metrics", "trip_data", "snapshot_counts", "effective_parameters"):
        assert len(list(store.list(keys.dataset_prefix(dataset)))) == 4  # 2 × 2 points
    assert len(list(store.list(keys.dataset_prefix("shard_outcomes")))) == 3
    assert len(list(store.list(keys.dataset_prefix("run_context")))) == 1
    capsys.readouterr()
    assert sweep("status", "fn-run", "--data-dir", str(data), "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["planned_shards"] == 3 and status["succeeded_shards"] == 3
    assert status["failed_shards"] == status["missing_shards"] == 0
    assert status["succeeded_points"] == status["total_points"] == 4


def test_running_the_same_request_again_changes_no_byte(request_file, tmp_path, capsys):
    data = tmp_path / "data"
    request = str(request_file())
    assert sweep("run", request, "--data-dir", str(data), "--no-progress") == 0
    before = run_files(data)
    mtimes = {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file()}
    assert sweep("run", request, "--data-dir", str(data), "--no-progress") == 0
    assert "had not run yet" in capsys.readouterr().out
    assert run_files(data) == before
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file()} == mtimes


def test_two_runs_of_one_request_produce_identical_data(request_file, tmp_path):
    request = str(request_file())
    first, second = tmp_path / "a", tmp_path / "b"
    assert sweep("run", request, "--data-dir", str(first), "--workers", "1", "--no-progress") == 0
    assert sweep("run", request, "--data-dir", str(second), "--workers", "2", "--no-progress") == 0
    a, b = run_files(first), run_files(second)
    assert a.keys() == b.keys()
    different = sorted(k for k in a if a[k] != b[k])
    # only records carrying the wall-clock time differ: outcome event times, accepted_at,
    # the consolidation time; the run-level tables themselves are byte-identical
    assert any("dataset=run_points" in k for k in a)
    timed = ("dataset=shard_outcomes", "dataset=run_consolidation")
    assert all(any(t in k for t in timed) or k.endswith("submission.json") for k in different)
    assert outcome_rows(first) == outcome_rows(second)


def test_injected_failure_is_recorded_and_fails_again_on_rerun(request_file, tmp_path, capsys):
    data = tmp_path / "data"
    request = str(request_file(failure_injection_shards=[1, 1]))
    assert sweep("run", request, "--data-dir", str(data), "--no-progress") == 0
    out = capsys.readouterr().out
    assert "1 failed" in out and "injected_failure" in out
    store = LocalObjectStore(data)
    run_date = keys.parse_key(next(store.list(keys.dataset_prefix("run_context")))).run_date
    assert store.exists(keys.RunAddress.of(run_date, "fn-run").shard_outcome_key("failure", 1))
    assert not store.exists(keys.RunAddress.of(run_date, "fn-run").shard_outcome_key("success", 1))
    assert sweep("rerun", "fn-run", "--data-dir", str(data), "--no-progress") == 0
    out = capsys.readouterr().out
    assert "rerunning 1 shard(s) (1 failed, 0 missing)" in out and "1 failed" in out
    assert sweep("status", "fn-run", "--data-dir", str(data)) == 0
    status = capsys.readouterr().out
    assert "succeeded       2 shard(s)" in status and "failed          1 shard(s)" in status


def test_a_crashed_run_is_completed_by_rerun(request_file, tmp_path, capsys):
    """A run killed between points: complete objects only, no commit; rerun finishes it."""
    from sweeplib import services
    from sweeplib.contracts import parse_sweep_request
    from sweeplib.dispatch import DispatchReport

    data = tmp_path / "data"
    store = LocalObjectStore(data)

    class Crash:
        def dispatch(self, messages):
            from sweeplib.worker import execute_shard

            execute_shard(messages[0], store, _now())

            class Dying(LocalObjectStore):
                writes = 0

                def put(self, key, body, *, if_absent=False):
                    if Dying.writes == 4:
                        raise SystemExit("killed")
                    Dying.writes += 1
                    super().put(key, body, if_absent=if_absent)

            execute_shard(messages[1], Dying(data), _now())
            return DispatchReport()

    request = parse_sweep_request(request_body())
    with pytest.raises(SystemExit):
        services.submit(
            request, store=store, dispatcher=Crash(), now=_now(), request_source="local"
        )
    assert not any(".tmp-" in name for name in files_under(data))
    capsys.readouterr()
    assert sweep("status", "fn-run", "--data-dir", str(data), "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["succeeded_shards"] == 1 and status["missing_shards"] == 2
    assert sweep("rerun", "fn-run", "--data-dir", str(data), "--no-progress") == 0
    capsys.readouterr()
    assert sweep("status", "fn-run", "--data-dir", str(data), "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["succeeded_shards"] == 3 and status["missing_shards"] == 0
    clean = tmp_path / "clean"
    assert sweep("run", str(request_file()), "--data-dir", str(clean), "--no-progress") == 0
    a, b = run_files(data), run_files(clean)
    assert {k for k in a if "dataset=" in k} == {k for k in b if "dataset=" in k}
    for key in a:
        if "dataset=" in key and "shard_outcomes" not in key and "run_consolidation" not in key:
            assert a[key] == b[key], key


def _now():
    import datetime as dt

    return dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"dimensions": {"speed": [1]}}, "dimensions.speed"),
        ({"dimensions": {"commission_rate": ["0.1"]}}, "dimensions.commission_rate[0]"),
        ({"dimensions": {"num_riders": []}}, "dimensions.num_riders"),
        ({"shard_count": None, "shard_size": 0}, "shard_size"),
        ({"run_id": "../x"}, "run_id"),
    ],
)
def test_bad_requests_exit_2_and_write_nothing(request_file, tmp_path, capsys, changes, fragment):
    data = tmp_path / "data"
    assert sweep("run", str(request_file(**changes)), "--data-dir", str(data)) == 2
    assert fragment in capsys.readouterr().err
    assert not data.exists() or run_files(data) == {}


def test_unreadable_request_and_bad_workers_exit_2(tmp_path, request_file, capsys):
    assert sweep("run", str(tmp_path / "missing.json"), "--data-dir", str(tmp_path)) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert sweep("run", str(request_file()), "--data-dir", str(tmp_path), "--workers", "0") == 2


def test_a_run_id_taken_by_another_request_is_refused(request_file, tmp_path, capsys):
    data = tmp_path / "data"
    assert sweep("run", str(request_file()), "--data-dir", str(data), "--no-progress") == 0
    before = run_files(data)
    assert sweep("run", str(request_file(seed=12)), "--data-dir", str(data)) == 2
    assert "different request" in capsys.readouterr().err
    assert run_files(data) == before


def test_status_and_rerun_of_an_unknown_run_exit_1(tmp_path, capsys):
    assert sweep("status", "nobody", "--data-dir", str(tmp_path)) == 1
    assert "no such object" in capsys.readouterr().err
    assert sweep("rerun", "nobody", "--data-dir", str(tmp_path)) == 1


def test_query_outputs_table_csv_and_json(request_file, tmp_path, capsys):
    data = tmp_path / "data"
    assert sweep("run", str(request_file()), "--data-dir", str(data), "--no-progress") == 0
    capsys.readouterr()
    sql = (
        "SELECT shard_id_partition AS shard, status FROM ride_sim_analytics.sweep_shard_outcomes "
        "ORDER BY CAST(shard_id_partition AS bigint)"
    )
    assert sweep("query", sql, "--data-dir", str(data)) == 0
    assert "(3 rows)" in capsys.readouterr().out
    assert sweep("query", sql, "--data-dir", str(data), "--csv") == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["shard", "status"], ["0", "success"], ["1", "success"], ["2", "success"]]
    assert (
        sweep(
            "query",
            "--named",
            "run_profile",
            "--param",
            "run_id=fn-run",
            "--data-dir",
            str(data),
            "--json",
        )
        == 0
    )
    (profile,) = json.loads(capsys.readouterr().out)
    assert profile["successful_shards"] == 3 and profile["expected_points"] == 4
    assert profile["successful_points"] == 4 and profile["failed_shards"] == 0


def test_query_errors(tmp_path, capsys):
    assert sweep("query", "SELECT nope FROM nowhere", "--data-dir", str(tmp_path)) == 1
    assert capsys.readouterr().err.startswith("sweep query:")
    assert sweep("query", "--named", "nope", "--data-dir", str(tmp_path)) == 2
    assert sweep("query", "--named", "run_profile", "--data-dir", str(tmp_path)) == 2
    assert "run_id" in capsys.readouterr().err
    assert sweep("query", "--list") == 0
    assert "point_metrics" in capsys.readouterr().out


def outcomes(store) -> dict[int, str]:
    """shard id → status of every outcome record."""
    found = {}
    for key in store.list(keys.dataset_prefix("shard_outcomes")):
        parsed = keys.parse_key(key)
        found[parsed.shard_id] = parsed.status
    return found


def written_points(store, shard_id: int) -> set[int]:
    """The points of a shard whose last object (shard_metrics) is written."""
    found = set()
    for key in store.list(keys.dataset_prefix("shard_metrics")):
        parsed = keys.parse_key(key)
        if parsed.shard_id == shard_id:
            found.add(parsed.point_index)
    return found


@pytest.mark.slow
def test_ctrl_c_keeps_finished_shards_and_rerun_completes(tmp_path):
    """A real SIGINT to `sweep run`, sent when one shard has finished and the other is
    certainly still running: the finished shard stays, the other is missing, rerun
    completes it.

    Shard 0 is two quick points (~0.1 s). Shard 1 is a quick point 2, then point 3: 40,000
    riders and 8,000 drivers, several seconds alone. The two shards run side by side
    (two workers). The signal goes once the run's progress bar counts shard 0 as done and
    point 2's last object is written: shard 1 is then inside point 3, seconds from its end.
    """
    data = tmp_path / "data"
    request = tmp_path / "ctrl-c.json"
    request.write_text(
        json.dumps(
            {
                "run_id": "ctrl-c",
                "dimensions": {
                    "match_radius": [4],
                    "num_drivers": [8_000],
                    "num_riders": [40, 41, 42, 40_000],
                },
                "shard_size": 2,
                "seed": 3,
            }
        )
    )
    cli = [sys.executable, "-m", "sweeplib.cli"]
    store = LocalObjectStore(data)
    run = [*cli, "run", str(request), "--data-dir", str(data), "--workers", "2"]
    with watched_child(run) as (child, stdout, stderr):
        # the parent has collected shard 0 (its bar says so) …
        stderr.wait_for(lambda text: "shards 1/2" in text, timeout=120, what="shard 0 done")
        # … and shard 1 has finished point 2, so it is computing point 3
        wait_until(
            lambda: 2 in written_points(store, 1), child, timeout=120, what="point 2 written"
        )
        assert outcomes(store) == {0: "success"}  # shard 1 is still running
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
    assert child.returncode == 130, (stdout.text, stderr.text)
    assert "1 shard(s) succeeded" in stdout.text and "1 interrupted" in stdout.text
    assert not any(".tmp-" in name for name in files_under(data))
    assert outcomes(store) == {0: "success"}
    assert written_points(store, 1) == {2}  # point 3 was cut short: nothing of it is written
    rerun = subprocess.run(
        [*cli, "rerun", "ctrl-c", "--data-dir", str(data), "--no-progress"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert "rerunning 1 shard(s) (0 failed, 1 missing)" in rerun.stdout
    status = subprocess.run(
        [*cli, "status", "ctrl-c", "--data-dir", str(data), "--json"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert json.loads(status)["succeeded_shards"] == 2
    assert json.loads(status)["missing_shards"] == 0


def test_a_replicated_points_design_runs_reruns_and_queries_locally(tmp_path, capsys):
    """A `sweep design` request through `sweep run`, a lost commit, `sweep rerun` and
    `status`: identical bytes, design points and replicates in the outcomes."""
    data, request = tmp_path / "data", tmp_path / "design.json"
    assert sweep(
        "design", "--kind", "halton", "--samples", "3", "--design-seed", "4",
        "--range", "num_riders=40:80:int", "--set", "num_drivers=20", "--set", "match_radius=3",
        "--replications", "2", "--seeding", "common", "--run-id", "pts", "--shard-size", "2",
        "-o", str(request),
    ) == 0  # fmt: skip
    assert sweep("run", str(request), "--data-dir", str(data), "--workers", "1") == 0
    before = run_files(data)
    success = [
        key for key in before if "dataset=shard_outcomes" in key and "shard_id_partition=1/" in key
    ]
    assert len(success) == 1
    (data / success[0]).unlink()  # shard 1's commit marker is lost: the shard is missing
    capsys.readouterr()
    sweep("status", "pts", "--data-dir", str(data))
    assert "missing shards: 1" in capsys.readouterr().out
    assert sweep("rerun", "pts", "--data-dir", str(data), "--workers", "1") == 0
    after = run_files(data)
    assert after.keys() == before.keys()
    assert all(after[k] == before[k] for k in after if "dataset=shard_outcomes" not in k)
    sweep("status", "pts", "--data-dir", str(data))
    assert "succeeded       3 shard(s), 6 point(s)" in capsys.readouterr().out
    sql = (
        "SELECT design_point, replicate, point_seed FROM ride_sim_analytics.sweep_shard_metrics "
        "WHERE run_id = 'pts' ORDER BY CAST(point_index AS integer)"
    )
    assert sweep("query", sql, "--data-dir", str(data), "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["design_point"], r["replicate"], r["point_seed"]) for r in rows] == [
        (0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 1), (2, 0, 0), (2, 1, 1),
    ]  # fmt: skip


def _pool_processes(parent_pid: int) -> list[int]:
    """The multiprocessing pool processes whose parent is ``parent_pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == parent_pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_pool_processes_exit_when_sweep_run_is_killed(tmp_path):
    """Issue 15, item 10: `kill -9` of `sweep run` used to leave its pool processes
    computing (and writing) their shard to the end. One heavy point (600,000 riders: tens
    of seconds); the parent is killed once its pool process is inside the kernel (its
    memory has grown); the pool process must be gone well before the point could end."""
    import os
    import time

    data = tmp_path / "data"
    request = tmp_path / "orphan.json"
    body = request_body(
        "orphan", dimensions={"num_riders": [600_000], "num_drivers": [60_000]}, shard_count=1
    )
    request.write_text(json.dumps(body))
    run = [sys.executable, "-m", "sweeplib.cli", "run", str(request), "--data-dir", str(data)]
    workers: list[int] = []
    try:
        with watched_child([*run, "--workers", "1", "--no-progress"]) as (child, _, _):
            wait_until(
                lambda: bool(_pool_processes(child.pid)), child, timeout=60, what="a pool process"
            )
            workers = _pool_processes(child.pid)
            wait_until(
                lambda: max(_rss_mb(p) for p in workers) > 150, child, timeout=120,
                what="the point running in the kernel",
            )  # fmt: skip
            child.kill()
            child.wait(timeout=30)
            deadline = time.monotonic() + 15
            while any(_alive(p) for p in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            orphans = [p for p in workers if _alive(p)]
            assert orphans == [], "pool processes kept running after their parent was killed"
    finally:
        for pid in workers:  # never leave a stray process behind, pass or fail
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_cancel_marks_the_run_status_shows_it_and_rerun_resumes(request_file, tmp_path, capsys):
    data = tmp_path / "data"
    assert sweep("run", str(request_file()), "--data-dir", str(data), "--no-progress") == 0
    capsys.readouterr()
    assert sweep("cancel", "fn-run", "--data-dir", str(data)) == 0
    assert "is cancelled" in capsys.readouterr().out
    assert sweep("status", "fn-run", "--data-dir", str(data)) == 0
    assert "CANCELLED" in capsys.readouterr().out
    assert sweep("rerun", "fn-run", "--data-dir", str(data), "--no-progress") == 0
    capsys.readouterr()
    assert sweep("status", "fn-run", "--data-dir", str(data), "--json") == 0
    assert json.loads(capsys.readouterr().out)["cancelled"] is False
    assert sweep("cancel", "nobody", "--data-dir", str(data)) == 1


@pytest.mark.slow
def test_cancel_stops_a_running_sweep_run_and_rerun_resumes(tmp_path):
    """Issue 15, item 12, with real processes: `sweep cancel` from outside while `sweep run`
    works through four one-point shards one at a time. Once a first shard has committed, the
    cancel lands; the shard running then may finish (a point is not cut short), the shards
    not started yet are recorded as cancelled (none is missing), what committed stays, and
    `sweep rerun` completes the run."""
    from sweeplib import services

    data = tmp_path / "data"
    request = tmp_path / "cancel.json"
    body = request_body(
        "cancelled",
        dimensions={"num_riders": [4_000, 4_001, 4_002, 4_003], "num_drivers": [800]},
        shard_count=4,
    )
    request.write_text(json.dumps(body))
    store = LocalObjectStore(data)
    run = [sys.executable, "-m", "sweeplib.cli", "run", str(request), "--data-dir", str(data)]
    with watched_child([*run, "--workers", "1", "--no-progress"]) as (child, _, _):
        wait_until(lambda: bool(outcomes(store)), child, timeout=300, what="a first outcome")
        services.cancel(store, "cancelled", now=services.utc_now())
        child.wait(timeout=300)
    assert sorted(outcomes(store)) == [0, 1, 2, 3]  # every shard has an outcome
    status = services.status(store, "cancelled")
    assert status.cancelled and not status.missing
    assert 1 <= len(status.succeeded) <= 2  # the first, and perhaps the one then running
    assert status.failed and {f.error_code for f in status.failed} == {"cancelled"}
    assert sweep("rerun", "cancelled", "--data-dir", str(data), "--no-progress") == 0
    after = services.status(store, "cancelled")
    assert len(after.succeeded) == 4 and not after.cancelled
