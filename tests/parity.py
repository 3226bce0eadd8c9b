"""Run the parity scenarios in this process and write their Parquet outputs.

``python -m tests.parity {compiled|pure} OUT_DIR`` writes, per scenario,
``OUT_DIR/<scenario>/{trip_data,snapshot_counts,shard_metrics}.parquet`` plus
``run.json`` (events processed, final clock), encoded exactly as the worker encodes
them. ``pure`` loads the kernel's ``.py`` files even where compiled modules exist;
either way the run fails unless that build is the one that ran.
tests/functional/test_compiled_parity.py runs it once each way and compares bytes.

Scenarios (ADR 0020): SIM_SPEC §11's hand-built end-to-end worlds and its small-box
and invariants scenarios, generated scenarios covering every algorithm, batch mode,
surge, traffic, spawn weighting and the density-congestion path, and the large
example's first simulated hour.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

from tests.kernel_builds import force_pure_kernel

SCENARIOS: tuple[str, ...] = (
    "s11-end-to-end-1",
    "s11-end-to-end-2",
    "s11-small-box",
    "s11-invariants",
    *(f"generated-{i:02d}" for i in range(16)),
    "large-first-hour",
)


def _scenarios() -> dict[str, Callable[[], object]]:
    import h3.api.basic_int as h3

    from benchmarks.kernel import scenario as bench_scenario
    from sweeplib.sim import (
        DriverDecisionConfig,
        MatchingAlgorithm,
        PricingConfig,
        RiderQuoteConfig,
        ScenarioParams,
        Simulation,
        simulate,
    )
    from sweeplib.sim.outputs import SimulationResult, snapshot_columns, trip_columns
    from sweeplib.sim.run import collect_metrics

    def finish(sim: Simulation, max_steps: int) -> SimulationResult:
        sim.run(max_steps)
        return SimulationResult(
            metrics=collect_metrics(sim),
            trip_data=trip_columns(sim.snapshotted_trips.values()),
            snapshot_counts=snapshot_columns(sim.snapshots),
            events_processed=sim.events_processed,
            final_time_ms=sim.now,
        )

    origin = h3.latlng_to_cell(52.52, 13.405, 9)

    def ring(cell: int, k: int) -> list[int]:
        return sorted(c for c in h3.grid_disk(cell, k) if h3.grid_distance(cell, c) == k)

    def end_to_end(riders: int) -> SimulationResult:
        # SIM_SPEC §11: per-rider TryMatch, Simple, radius 0, 40 km/h, always accept.
        sim = Simulation(
            ScenarioParams(
                num_riders=0,
                num_drivers=0,
                seed=3,
                batch_matching_enabled=False,
                matching_algorithm_type=MatchingAlgorithm.SIMPLE,
                base_speed_kmh=40.0,
                simulation_end_time_ms=3_600_000,
                rider_quote_config=RiderQuoteConfig(accept_probability=1.0),
                driver_decision_config=DriverDecisionConfig(base_acceptance_score=50.0),
            )
        )
        cells = [origin, ring(origin, 4)[0]][:riders]
        for cell in cells:
            sim.add_driver(cell, 200.0, 10 * 3_600_000)
        for i, cell in enumerate(cells):
            sim.now = 1_000 * (i + 1)
            sim.add_rider(cell, ring(cell, 3)[0])
        sim.now = 0
        return finish(sim, 1_000)

    def generated(index: int) -> SimulationResult:
        draw = random.Random(1300 + index)
        many = index % 4 == 3  # > 200 entities: spatial index and density congestion
        params = ScenarioParams(
            num_riders=draw.randint(250, 400) if many else draw.randint(0, 80),
            num_drivers=draw.randint(100, 200) if many else draw.randint(0, 40),
            match_radius=draw.randint(0, 8),
            matching_algorithm_type=draw.choice(list(MatchingAlgorithm)),
            batch_matching_enabled=draw.random() < 0.6,
            seed=draw.getrandbits(64),
            pricing_config=PricingConfig(
                commission_rate=draw.random(), surge_enabled=draw.random() < 0.5
            ),
            base_speed_kmh=None if draw.random() < 0.5 else draw.uniform(5.0, 80.0),
            simulation_end_time_ms=draw.randint(1, 3) * 3_600_000,
            epoch_ms=draw.choice([0, 8 * 3_600_000, 2 * 86_400_000 + 17 * 3_600_000]),
            traffic_profile=draw.choice(["none", "berlin"]),
            spawn_weighting=draw.choice(["uniform", "berlin_hotspots"]),
            min_trip_cells=3,
            max_trip_cells=draw.choice([12, 25, 40]),
        )
        return simulate(params)

    small_box = ScenarioParams(
        num_riders=40,
        num_drivers=20,
        lat_min=52.50,
        lat_max=52.53,
        lng_min=13.38,
        lng_max=13.43,
        min_trip_cells=2,
        max_trip_cells=8,
        epoch_ms=8 * 3_600_000,
        simulation_end_time_ms=3_600_000,
        seed=2,
    )
    runs: dict[str, Callable[[], object]] = {
        "s11-end-to-end-1": lambda: end_to_end(1),
        "s11-end-to-end-2": lambda: end_to_end(2),
        "s11-small-box": lambda: simulate(small_box),
        "s11-invariants": lambda: simulate(
            ScenarioParams(num_riders=120, num_drivers=40, match_radius=3, seed=99)
        ),
        "large-first-hour": lambda: simulate(
            bench_scenario("large").replace(simulation_end_time_ms=3_600_000)
        ),
    }
    for i in range(16):
        runs[f"generated-{i:02d}"] = lambda i=i: generated(i)
    assert set(runs) == set(SCENARIOS)
    return runs


def write_outputs(build: str, out: Path) -> None:
    from sweeplib.sim import kernel_build
    from sweeplib.sim.outputs import SimulationResult
    from sweeplib.storage.parquet import encode_rows, encode_table, table_from_columns
    from sweeplib.storage.schemas import (
        SHARD_METRICS_SCHEMA,
        SNAPSHOT_COUNTS_SCHEMA,
        TRIP_DATA_SCHEMA,
    )

    runs = _scenarios()
    if kernel_build() != build:
        raise SystemExit(f"asked for the {build} kernel, but the {kernel_build()} one loaded")
    for name in SCENARIOS:
        run = runs[name]
        result = run()
        assert isinstance(result, SimulationResult)
        folder = out / name
        folder.mkdir(parents=True)
        (folder / "trip_data.parquet").write_bytes(
            encode_table(table_from_columns(result.trip_data, TRIP_DATA_SCHEMA))
        )
        (folder / "snapshot_counts.parquet").write_bytes(
            encode_table(table_from_columns(result.snapshot_counts, SNAPSHOT_COUNTS_SCHEMA))
        )
        # The point's identity columns come from the sweep, not the kernel: fixed here.
        row = {**result.metrics, "design_point": 0, "replicate": 0, "point_seed": 0}
        metrics = {column: row[column] for column in SHARD_METRICS_SCHEMA.names}
        (folder / "shard_metrics.parquet").write_bytes(encode_rows([metrics], SHARD_METRICS_SCHEMA))
        (folder / "run.json").write_text(
            json.dumps(
                {
                    "kernel": kernel_build(),
                    "events_processed": result.events_processed,
                    "final_time_ms": result.final_time_ms,
                    "trips": result.trip_count,
                }
            )
        )


def main(argv: list[str]) -> int:
    build, out = argv
    if build not in ("compiled", "pure"):
        raise SystemExit("usage: python -m tests.parity {compiled|pure} OUT_DIR")
    if build == "pure":
        force_pure_kernel()
    write_outputs(build, Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
