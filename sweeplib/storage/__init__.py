"""Outcome storage: object keys and layout, dataset schemas, Parquet encoding, object stores.

Writing one dataset object::

    from sweeplib.storage import RunAddress, encode_rows, SHARD_METRICS_SCHEMA, LocalObjectStore

    store = LocalObjectStore("./data")
    run = RunAddress.of("2026-02-14", "run-123")
    key = run.point_key("shard_metrics", "success", shard_id=4, point_index=9)
    store.put(key, encode_rows([metrics_row], SHARD_METRICS_SCHEMA))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sweeplib.storage import keys
from sweeplib.storage.keys import (
    DATASETS,
    DEFAULT_PREFIX,
    Dataset,
    OutcomeStatus,
    ParsedKey,
    PointDataset,
    RunAddress,
    parse_key,
)
from sweeplib.storage.local import LocalObjectStore
from sweeplib.storage.store import MemoryObjectStore, ObjectStore

if TYPE_CHECKING:
    from sweeplib.storage.parquet import (
        decode_table,
        encode_rows,
        encode_table,
        table_from_columns,
        table_from_rows,
    )
    from sweeplib.storage.schemas import (
        ATHENA_DATABASE,
        DATASET_SPECS,
        EFFECTIVE_PARAMETERS_SCHEMA,
        RUN_CONTEXT_SCHEMA,
        SHARD_METRICS_SCHEMA,
        SHARD_OUTCOMES_SCHEMA,
        SNAPSHOT_COUNTS_SCHEMA,
        TRIP_DATA_SCHEMA,
        DatasetSpec,
        dataset_spec,
    )

# Names that need pyarrow are imported on first use, so that importing the key
# builders and stores (e.g. for the Lambda's API path) does not load pyarrow.
_PARQUET = ("decode_table", "encode_rows", "encode_table", "table_from_columns", "table_from_rows")
_SCHEMAS = (
    "ATHENA_DATABASE",
    "DATASET_SPECS",
    "EFFECTIVE_PARAMETERS_SCHEMA",
    "RUN_CONTEXT_SCHEMA",
    "SHARD_METRICS_SCHEMA",
    "SHARD_OUTCOMES_SCHEMA",
    "SNAPSHOT_COUNTS_SCHEMA",
    "TRIP_DATA_SCHEMA",
    "DatasetSpec",
    "dataset_spec",
)
_LAZY = {
    **dict.fromkeys(_PARQUET, "sweeplib.storage.parquet"),
    **dict.fromkeys(_SCHEMAS, "sweeplib.storage.schemas"),
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = [
    "ATHENA_DATABASE",
    "DATASETS",
    "DATASET_SPECS",
    "DEFAULT_PREFIX",
    "EFFECTIVE_PARAMETERS_SCHEMA",
    "RUN_CONTEXT_SCHEMA",
    "SHARD_METRICS_SCHEMA",
    "SHARD_OUTCOMES_SCHEMA",
    "SNAPSHOT_COUNTS_SCHEMA",
    "TRIP_DATA_SCHEMA",
    "Dataset",
    "DatasetSpec",
    "LocalObjectStore",
    "MemoryObjectStore",
    "ObjectStore",
    "OutcomeStatus",
    "ParsedKey",
    "PointDataset",
    "RunAddress",
    "dataset_spec",
    "decode_table",
    "encode_rows",
    "encode_table",
    "keys",
    "parse_key",
    "table_from_columns",
    "table_from_rows",
]
