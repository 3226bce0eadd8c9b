"""The kernel's own copies of the Parquet schemas equal the storage registry's."""

from __future__ import annotations

import pytest

from sweeplib import sim
from sweeplib.storage import schemas


@pytest.mark.parametrize(
    ("kernel", "registry"),
    [
        (sim.SHARD_METRICS_SCHEMA, schemas.SHARD_METRICS_SCHEMA),
        (sim.TRIP_DATA_SCHEMA, schemas.TRIP_DATA_SCHEMA),
        (sim.SNAPSHOT_COUNTS_SCHEMA, schemas.SNAPSHOT_COUNTS_SCHEMA),
    ],
)
def test_kernel_schemas_equal_the_dataset_registry(kernel, registry):
    assert kernel.equals(registry, check_metadata=True)


def test_kernel_results_pass_the_registry_checks():
    from sweeplib.storage.parquet import check_table

    result = sim.simulate(sim.ScenarioParams(num_riders=40, num_drivers=15, match_radius=3, seed=2))
    check_table(result.trip_data, schemas.TRIP_DATA_SCHEMA)
    check_table(result.snapshot_counts, schemas.SNAPSHOT_COUNTS_SCHEMA)
    check_table(result.metrics_table(), schemas.SHARD_METRICS_SCHEMA)
