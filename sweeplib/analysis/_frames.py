"""Expanding the ``selected_dimensions`` JSON of query results into columns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

import pandas as pd  # type: ignore[import-untyped, unused-ignore]

from sweeplib.errors import QueryError

__all__ = ["DIMENSIONS_COLUMN", "dimension_columns", "expand_dimensions", "swept_dimensions"]

#: The column the named queries put a point's selected dimension values in (JSON text).
DIMENSIONS_COLUMN: Final = "selected_dimensions"


def _decode(text: Any) -> dict[str, Any]:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as error:
        raise QueryError(f"{DIMENSIONS_COLUMN} is not JSON: {text!r}") from error
    if not isinstance(value, dict):
        raise QueryError(f"{DIMENSIONS_COLUMN} is not a JSON object: {text!r}")
    return value


def expand_dimensions(frame: pd.DataFrame, column: str = DIMENSIONS_COLUMN) -> pd.DataFrame:
    """One column per dimension in place of the JSON ``column``.

    The dimension columns take the JSON column's position, in sorted name order (the
    sweep's own order); a name that clashes with another column gets a ``dim_`` prefix.
    Values keep their JSON types (integers stay integers, booleans booleans); a point
    without a dimension gets a missing value. The JSON text itself is kept as the
    frame's last column (``selected_dimensions``) so rows can still be matched on it.

    Parameters
    ----------
    frame
        A named query's result with a ``selected_dimensions`` column.

    Returns
    -------
    pandas.DataFrame
        A new frame; ``dimension_columns(result)`` lists the added columns.

    Raises
    ------
    QueryError
        The column holds something other than JSON objects.
    """
    if column not in frame.columns:
        raise QueryError(f"no {column!r} column in {list(frame.columns)}")
    documents = [_decode(text) for text in frame[column]]
    others = [c for c in frame.columns if c != column]
    labels = _labels(documents, others)
    names = list(labels)
    values = pd.DataFrame(
        {labels[name]: [document.get(name) for document in documents] for name in names},
        index=frame.index,
    )
    values = values.infer_objects()
    position = list(frame.columns).index(column)
    result = pd.concat(
        [frame[others[:position]], values, frame[others[position:]], frame[[column]]], axis=1
    )
    return result


def _labels(documents: Sequence[dict[str, Any]], taken: Sequence[str]) -> dict[str, str]:
    names = sorted({name for document in documents for name in document})
    return {name: f"dim_{name}" if name in taken else name for name in names}


def dimension_columns(frame: pd.DataFrame, column: str = DIMENSIONS_COLUMN) -> list[str]:
    """The dimension columns :func:`expand_dimensions` added to ``frame``, in order.

    Derived again from the JSON column the expansion keeps, so it survives copies,
    filters and merges of the frame.
    """
    if column not in frame.columns:
        return []
    names = sorted({name for text in frame[column] for name in _decode(text)})
    present = set(frame.columns)
    return [
        f"dim_{name}" if f"dim_{name}" in present else name
        for name in names
        if name in present or f"dim_{name}" in present
    ]


def swept_dimensions(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[str]:
    """The dimension columns that take more than one value in ``frame``.

    A dimension listed with one value is a constant of the sweep, not something to plot
    a metric against.
    """
    chosen = dimension_columns(frame) if columns is None else list(columns)
    swept = []
    for name in chosen:
        distinct = {json.dumps(v, sort_keys=True) for v in frame[name].tolist()}
        if len(distinct) > 1:
            swept.append(name)
    return swept
