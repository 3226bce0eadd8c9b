"""Deterministic Parquet encoding of the outcome datasets, and the one way into Arrow.

Rows (records, one-row metrics) and the kernel's numpy columns become Arrow tables of
a dataset's exact schema here, once — :func:`table_from_rows`,
:func:`table_from_columns` — and nothing downstream checks them again.

``encode_table`` fixes every writer option that affects the bytes (format version,
snappy compression, dictionary encoding, statistics, data page version, one row
group, no page index or checksums) and pyarrow writes no wall-clock metadata, so
the same table always encodes to the same bytes with the same pyarrow version —
a redelivered shard rewrites identical objects.
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from sweeplib.errors import SchemaMismatch, StorageError

__all__ = [
    "decode_table",
    "encode_rows",
    "encode_table",
    "table_from_columns",
    "table_from_rows",
]

# Every option that influences the output bytes, pinned (pyarrow >= 15 accepts all of them).
_WRITER_OPTIONS: Mapping[str, Any] = {
    "version": "2.6",
    "compression": "snappy",
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "use_compliant_nested_type": True,
    "store_schema": True,
    "write_page_index": False,
    "write_page_checksum": False,
}

_NUMPY_TYPES: Mapping[pa.DataType, type[np.generic]] = {
    pa.uint64(): np.uint64,
    pa.int64(): np.int64,
    pa.uint8(): np.uint8,
    pa.float64(): np.float64,
}


def encode_table(table: pa.Table) -> bytes:
    """Encode a table as one Parquet file, byte-for-byte deterministically.

    Parameters
    ----------
    table
        The rows to write; its schema is written as is (build it with
        :func:`table_from_rows` or :func:`table_from_columns` to get a dataset's).

    Returns
    -------
    bytes
        A Parquet file with a single row group, snappy-compressed.
    """
    sink = io.BytesIO()
    pq.write_table(
        table.combine_chunks(),
        sink,
        row_group_size=max(1, table.num_rows),
        **_WRITER_OPTIONS,
    )
    return sink.getvalue()


def decode_table(body: bytes, *, key: str = "<bytes>") -> pa.Table:
    """Decode a Parquet file (as produced by :func:`encode_table`) into a table.

    Parameters
    ----------
    body
        The file's bytes.
    key
        Used only in the error message.

    Raises
    ------
    StorageError
        If ``body`` is not a readable Parquet file.
    """
    try:
        # Single-threaded on purpose: objects are small, and pyarrow's CPU thread pool
        # can abort the interpreter at exit after a threaded read ("terminate called
        # without an active exception", apache/arrow#34314, #50482) — seen here in
        # about 1 of 4 short-lived processes with pyarrow 26.
        return pq.ParquetFile(pa.BufferReader(body)).read(use_threads=False)
    except (pa.ArrowException, OSError) as error:
        raise StorageError(key, f"not a readable Parquet file: {error}") from error


def _dataset_name(schema: pa.Schema) -> str:
    """The registry's name for ``schema`` (for error messages)."""
    from sweeplib.storage.schemas import DATASET_SPECS

    for spec in DATASET_SPECS.values():
        if spec.schema.equals(schema):
            return spec.name
    return "table"


def _mismatch(schema: pa.Schema, reason: str) -> SchemaMismatch:
    return SchemaMismatch(_dataset_name(schema), reason)


def _check_names(names: Sequence[str], schema: pa.Schema, where: str) -> None:
    expected = list(schema.names)
    if list(names) == expected:
        return
    missing = [name for name in expected if name not in names]
    extra = [name for name in names if name not in expected]
    if missing or extra:
        raise _mismatch(schema, f"{where}: missing columns {missing}, unexpected columns {extra}")
    raise _mismatch(schema, f"{where}: columns in order {list(names)}, expected {expected}")


def _check_value(schema: pa.Schema, field: pa.Field, value: object, where: str) -> None:
    if value is None:
        if not field.nullable:
            raise _mismatch(schema, f"{where}: column {field.name!r} is not nullable")
        return
    type_ = field.type
    if isinstance(value, bool) and not pa.types.is_boolean(type_):
        raise _mismatch(schema, f"{where}: column {field.name!r} ({type_}) got a bool")
    if pa.types.is_integer(type_):
        ok = isinstance(value, numbers.Integral)
    elif pa.types.is_floating(type_):
        ok = isinstance(value, numbers.Real)
    elif pa.types.is_string(type_) or pa.types.is_large_string(type_):
        ok = isinstance(value, str)
    else:
        ok = True  # left to pyarrow
    if not ok:
        raise _mismatch(
            schema, f"{where}: column {field.name!r} ({type_}) got {type(value).__name__} {value!r}"
        )


def table_from_rows(rows: Sequence[Mapping[str, object]], schema: pa.Schema) -> pa.Table:
    """Build a table with exactly ``schema`` from row mappings.

    Parameters
    ----------
    rows
        One mapping per row, keyed by column name; every row must have exactly the
        schema's columns (order does not matter).
    schema
        The dataset schema, e.g. ``SHARD_OUTCOMES_SCHEMA``.

    Returns
    -------
    pyarrow.Table
        Columns in schema order and types.

    Raises
    ------
    SchemaMismatch
        On a missing or extra column, a null in a non-nullable column, a value of the
        wrong kind (e.g. a float or bool for an integer column) or out of range.
    """
    expected = set(schema.names)
    for i, row in enumerate(rows):
        if set(row) != expected:
            _check_names(list(row), schema, where=f"row {i}")
        for field in schema:
            _check_value(schema, field, row[field.name], where=f"row {i}")
    columns = []
    for field in schema:
        values = [row[field.name] for row in rows]
        try:
            columns.append(_array_from_values(values, field.type))
        except (pa.ArrowException, OverflowError) as error:
            raise _mismatch(schema, f"column {field.name!r}: {error}") from error
    return pa.Table.from_arrays(columns, schema=schema)


def table_from_columns(columns: Mapping[str, npt.NDArray[Any]], schema: pa.Schema) -> pa.Table:
    """Build a table with exactly ``schema`` from named numpy columns (the kernel's output).

    Masked entries of a ``numpy.ma.MaskedArray`` are nulls. The arrays' buffers are
    used as they are (no per-value conversion).

    Raises
    ------
    SchemaMismatch
        Columns missing, extra or out of order; a dtype that is not the column type's;
        nulls in a non-nullable column; columns of different lengths.
    """
    _check_names(list(columns), schema, where="columns")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise _mismatch(schema, f"columns of different lengths {sorted(lengths)}")
    arrays = []
    for field in schema:
        values = columns[field.name]
        expected = _NUMPY_TYPES.get(field.type)
        if expected is None or values.dtype != np.dtype(expected):
            raise _mismatch(
                schema, f"column {field.name!r} ({field.type}) got numpy dtype {values.dtype}"
            )
        valid = None
        if isinstance(values, np.ma.MaskedArray):
            valid = ~np.ma.getmaskarray(values)
            if not field.nullable and not valid.all():
                raise _mismatch(schema, f"column {field.name!r} is not nullable but holds nulls")
            values = values.filled(0)
        arrays.append(_array_from_buffer(values, field.type, valid))
    return pa.Table.from_arrays(arrays, schema=schema)


def _array_from_buffer(
    data: npt.NDArray[Any], type_: pa.DataType, valid: npt.NDArray[np.bool_] | None
) -> pa.Array:
    """An Arrow array over ``data``'s buffer; ``valid`` marks non-null entries."""
    null_count = 0 if valid is None else int(len(valid) - valid.sum())
    bitmap = None
    if valid is not None and null_count:
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    contiguous = np.ascontiguousarray(data)
    return pa.Array.from_buffers(
        type_, len(contiguous), [bitmap, pa.py_buffer(contiguous)], null_count=null_count
    )


def _array_from_values(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """An Arrow array built from buffers (checked values; ``None`` = null).

    ``pa.array`` imports pandas whenever pandas is installed (≈0.35 s in each fresh
    worker process); buffers do not. Other types fall back to ``pa.array``.
    """
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    numpy_type = _NUMPY_TYPES.get(type_)
    if numpy_type is not None:
        data = np.array([0 if v is None else v for v in values], dtype=numpy_type)
        return _array_from_buffer(data, type_, valid)
    null_count = int(len(values) - valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if null_count else None
    if pa.types.is_string(type_):
        encoded = [b"" if v is None else str(v).encode() for v in values]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return pa.Array.from_buffers(
            type_,
            len(values),
            [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
            null_count=null_count,
        )
    return pa.array(values, type=type_)


def encode_rows(rows: Sequence[Mapping[str, object]], schema: pa.Schema) -> bytes:
    """``encode_table(table_from_rows(rows, schema))``: validated rows to Parquet bytes."""
    return encode_table(table_from_rows(rows, schema))
