"""Parquet encoding: byte-for-byte determinism, round trips, schema validation."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sweeplib.errors import SchemaMismatch, StorageError
from sweeplib.storage.parquet import (
    decode_table,
    encode_rows,
    encode_table,
    table_from_columns,
    table_from_rows,
)
from sweeplib.storage.schemas import (
    SHARD_OUTCOMES_SCHEMA,
    TRIP_DATA_SCHEMA,
)
from tests.factories import trip_rows


def outcome_row(**overrides):
    row = {
        "run_id": "run-1",
        "shard_id": 3,
        "status": "success",
        "start_index": 30,
        "end_index_exclusive": 40,
        "event_time": "2026-02-14T10:00:00Z",
        "record_schema": "v1",
        "result_key": "serverless-sweeps/outcomes/dataset=shard_metrics/",
        "points_processed": 10,
        "format": "parquet",
        "error_code": None,
        "error_message": None,
    }
    row.update(overrides)
    return row


def test_same_table_encodes_to_identical_bytes_in_one_process():
    first = encode_rows(trip_rows(500), TRIP_DATA_SCHEMA)
    second = encode_table(table_from_rows(trip_rows(500), TRIP_DATA_SCHEMA))
    assert first == second
    # Re-encoding the decoded table is stable too (what a redelivered shard does).
    assert encode_table(decode_table(first)) == first


def test_different_content_gives_different_bytes():
    assert encode_rows([outcome_row()], SHARD_OUTCOMES_SCHEMA) != encode_rows(
        [outcome_row(points_processed=11)], SHARD_OUTCOMES_SCHEMA
    )


def test_file_layout_one_row_group_snappy_no_timestamps():
    body = encode_rows(trip_rows(3000), TRIP_DATA_SCHEMA)
    metadata = pq.ParquetFile(pa.BufferReader(body)).metadata
    assert metadata.num_rows == 3000
    assert metadata.num_row_groups == 1
    assert metadata.format_version == "2.6"
    group = metadata.row_group(0)
    assert {group.column(i).compression for i in range(group.num_columns)} == {"SNAPPY"}
    # The only key/value metadata is the Arrow schema: no writer timestamp or host.
    assert set(metadata.metadata) == {b"ARROW:schema"}


def test_unsigned_and_required_columns_survive_in_the_parquet_schema():
    body = encode_rows(trip_rows(2), TRIP_DATA_SCHEMA)
    parquet_schema = pq.ParquetFile(pa.BufferReader(body)).schema
    trip_entity = parquet_schema.column(0)
    assert trip_entity.physical_type == "INT64"
    assert "isSigned=false" in str(trip_entity.logical_type)
    assert trip_entity.max_definition_level == 0  # REQUIRED
    assert parquet_schema.column(9).max_definition_level == 1  # pickup_at is OPTIONAL
    state = parquet_schema.column(3)
    assert (state.physical_type, "bitWidth=8" in str(state.logical_type)) == ("INT32", True)


def test_round_trip_preserves_schema_and_values():
    table = table_from_rows(trip_rows(50), TRIP_DATA_SCHEMA)
    decoded = decode_table(encode_table(table))
    assert decoded.schema.equals(TRIP_DATA_SCHEMA)
    assert decoded.equals(table)
    assert decoded.column("pickup_at").null_count == table.column("pickup_at").null_count > 0


def test_empty_table_round_trips():
    decoded = decode_table(encode_rows([], SHARD_OUTCOMES_SCHEMA))
    assert decoded.num_rows == 0
    assert decoded.schema.equals(SHARD_OUTCOMES_SCHEMA)


def test_decode_rejects_non_parquet_bytes():
    with pytest.raises(StorageError, match="not a readable Parquet file") as info:
        decode_table(b"PAR1 not really", key="some/key")
    assert info.value.key == "some/key"


def test_table_from_rows_orders_columns_by_schema():
    row = dict(reversed(list(outcome_row().items())))
    table = table_from_rows([row], SHARD_OUTCOMES_SCHEMA)
    assert table.schema.equals(SHARD_OUTCOMES_SCHEMA)
    assert table.to_pylist() == [outcome_row()]


def test_table_from_rows_reports_missing_and_extra_columns():
    row = outcome_row(extra_column=1)
    del row["event_time"]
    with pytest.raises(
        SchemaMismatch,
        match=r"row 0: missing columns \['event_time'\], unexpected columns \['extra_column'\]",
    ):
        table_from_rows([row], SHARD_OUTCOMES_SCHEMA)


def test_table_from_rows_names_the_bad_row():
    rows = [outcome_row(), outcome_row()]
    del rows[1]["status"]
    with pytest.raises(SchemaMismatch, match="row 1: missing columns"):
        table_from_rows(rows, SHARD_OUTCOMES_SCHEMA)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("run_id", None, "not nullable"),
        ("shard_id", 1.5, "got float"),
        ("shard_id", True, "got a bool"),
        ("shard_id", "3", "got str"),
        ("event_time", 5, "got int"),
        ("shard_id", -1, "shard_id"),
        ("shard_id", 2**64, "shard_id"),
    ],
)
def test_table_from_rows_rejects_bad_values(column, value, message):
    with pytest.raises(SchemaMismatch, match=message) as caught:
        table_from_rows([outcome_row(**{column: value})], SHARD_OUTCOMES_SCHEMA)
    assert caught.value.dataset == "shard_outcomes"


def test_table_from_rows_accepts_ints_for_float_columns():
    rows = trip_rows(1)
    rows[0]["pickup_distance_km_at_accept"] = 2
    assert table_from_rows(rows, TRIP_DATA_SCHEMA).column(6).to_pylist() == [2.0]


def trip_columns(rows):
    """The kernel's shape of ``rows``: numpy columns, masked arrays for the nullable ones."""
    columns = {}
    for field in TRIP_DATA_SCHEMA:
        values = [row[field.name] for row in rows]
        dtype = field.type.to_pandas_dtype()
        if field.nullable:
            mask = [v is None for v in values]
            data = np.array([0 if v is None else v for v in values], dtype=dtype)
            columns[field.name] = np.ma.MaskedArray(data, mask=mask)
        else:
            columns[field.name] = np.array(values, dtype=dtype)
    return columns


def test_columns_and_rows_of_the_same_values_encode_to_the_same_bytes():
    rows = trip_rows(50)
    from_columns = table_from_columns(trip_columns(rows), TRIP_DATA_SCHEMA)
    assert from_columns.schema.equals(TRIP_DATA_SCHEMA)
    assert from_columns.to_pylist() == table_from_rows(rows, TRIP_DATA_SCHEMA).to_pylist()
    assert encode_table(from_columns) == encode_rows(rows, TRIP_DATA_SCHEMA)


def test_table_from_columns_rejects_wrong_dtype_order_nulls_and_lengths():
    good = trip_columns(trip_rows(3))

    def refused(columns, message):
        with pytest.raises(SchemaMismatch, match=message) as caught:
            table_from_columns(columns, TRIP_DATA_SCHEMA)
        assert caught.value.dataset == "trip_data"

    refused({**good, "trip_entity": good["trip_entity"].astype(np.int64)}, "got numpy dtype int64")
    refused(dict(reversed(good.items())), "columns in order")
    refused({k: v for k, v in good.items() if k != "state"}, r"missing columns \['state'\]")
    masked = np.ma.MaskedArray(good["rider_entity"], mask=[False, True, False])
    refused({**good, "rider_entity": masked}, "'rider_entity' is not nullable but holds nulls")
    refused({**good, "state": good["state"][:2]}, "different lengths")


def test_chunking_of_the_input_table_does_not_change_the_bytes():
    table = table_from_rows(trip_rows(400), TRIP_DATA_SCHEMA)
    chunked = pa.concat_tables([table.slice(0, 150), table.slice(150)])
    assert chunked.column(0).num_chunks == 2
    assert encode_table(chunked) == encode_table(table)
