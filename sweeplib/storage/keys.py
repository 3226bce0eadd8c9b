"""Object keys of the outcome datasets: the one place that builds (and parses) them.

Every object is ``part-0.parquet`` under a Hive-style partition path::

    {prefix}/dataset={name}/run_date={YYYY-MM-DD}/{partitions...}/part-0.parquet

==================== =====================================================================
dataset              partitions after ``run_date=…/``
==================== =====================================================================
shard_outcomes       ``run_id_partition={run}/status_partition={success|failure}/``
                     ``shard_id_partition={s}/``
run_context          ``run_id_partition={run}/status_partition=accepted/``
effective_parameters ``run_id_partition={run}/status_partition={status}/``
                     ``shard_id_partition={s}/point_index_partition={p}/``
shard_metrics,       ``run_id={run}/status={status}/shard_id={s}/point_index={p}/``
trip_data,
snapshot_counts
run_points,          ``run_id_partition={run}/generation={g}/``  (run-level tables,
run_trips,           DESIGN §3.7)
run_snapshots
run_consolidation    ``run_id_partition={run}/``  (which generation is current, and what
                     it holds)
==================== =====================================================================

The run-level tables are written by consolidation (:mod:`sweeplib.consolidation`):
each consolidation writes a new ``generation`` folder, then replaces the run's one
``run_consolidation`` object, which names the current generation — its commit marker.

A run's objects are addressed through a :class:`RunAddress` — prefix, run date and run
id, checked once when it is made (``InvalidRequest`` names a bad one) — whose methods
build each key without checking again; so a key never contains a slash or a ``..``
component that came from a value. A run's own records outside the datasets (the
submission record and the dispatch ledger, keyed by run id alone) are built by
:func:`submission_key`, :func:`dispatch_ledger_key` and the dispatch rounds
(:func:`dispatch_round_key`). All functions are pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, get_args

from sweeplib.contracts import format_run_date, validate_run_id
from sweeplib.errors import InvalidRequest, StorageError

__all__ = [
    "CONSOLIDATED",
    "DATASETS",
    "DEFAULT_PREFIX",
    "OBJECT_NAME",
    "PARTITION_COLUMNS",
    "POINT_DATASETS",
    "RUN_TABLE_DATASETS",
    "Dataset",
    "OutcomeStatus",
    "ParsedKey",
    "PointDataset",
    "RunAddress",
    "RunTableDataset",
    "cancel_key",
    "consolidation_claim_key",
    "dataset_prefix",
    "dispatch_ledger_key",
    "dispatch_rerun_key",
    "dispatch_round_key",
    "dispatch_rounds_prefix",
    "location_template",
    "normalize_prefix",
    "parse_dispatch_round_key",
    "parse_key",
    "run_date_prefix",
    "submission_key",
]

DEFAULT_PREFIX: Final = "serverless-sweeps/outcomes"
OBJECT_NAME: Final = "part-0.parquet"

Dataset = Literal[
    "shard_outcomes",
    "run_context",
    "effective_parameters",
    "shard_metrics",
    "trip_data",
    "snapshot_counts",
    "run_points",
    "run_trips",
    "run_snapshots",
    "run_consolidation",
]
#: The datasets with one object per point.
PointDataset = Literal["effective_parameters", "shard_metrics", "trip_data", "snapshot_counts"]
#: The run-level tables (one folder per run and consolidation generation).
RunTableDataset = Literal["run_points", "run_trips", "run_snapshots"]
OutcomeStatus = Literal["success", "failure"]

DATASETS: Final[tuple[Dataset, ...]] = get_args(Dataset)
POINT_DATASETS: Final[tuple[PointDataset, ...]] = get_args(PointDataset)
RUN_TABLE_DATASETS: Final[tuple[RunTableDataset, ...]] = get_args(RunTableDataset)
_STATUSES: Final[tuple[OutcomeStatus, ...]] = get_args(OutcomeStatus)
_RUN_CONTEXT_STATUS: Final = "accepted"

# Partition columns in path order (Athena partition keys; all strings).
PARTITION_COLUMNS: Final[Mapping[Dataset, tuple[str, ...]]] = {
    "shard_outcomes": ("run_date", "run_id_partition", "status_partition", "shard_id_partition"),
    "run_context": ("run_date", "run_id_partition", "status_partition"),
    "effective_parameters": (
        "run_date",
        "run_id_partition",
        "status_partition",
        "shard_id_partition",
        "point_index_partition",
    ),
    "shard_metrics": ("run_date", "run_id", "status", "shard_id", "point_index"),
    "trip_data": ("run_date", "run_id", "status", "shard_id", "point_index"),
    "snapshot_counts": ("run_date", "run_id", "status", "shard_id", "point_index"),
    "run_points": ("run_date", "run_id_partition", "generation"),
    "run_trips": ("run_date", "run_id_partition", "generation"),
    "run_snapshots": ("run_date", "run_id_partition", "generation"),
    "run_consolidation": ("run_date", "run_id_partition"),
}

# Logical field -> partition column, per naming style.
_LOGICAL = ("run_date", "run_id", "status", "shard_id", "point_index")
_RUN_TABLE_LOGICAL = ("run_date", "run_id", "generation")
#: The ``status`` a parsed key of a run-level dataset reports.
CONSOLIDATED: Final = "consolidated"

_INT_RE: Final = re.compile(r"0|[1-9][0-9]*")
_PREFIX_SEGMENT_RE: Final = re.compile(r"[A-Za-z0-9._=+@,:~-]+")


@dataclass(frozen=True, slots=True)
class ParsedKey:
    """The parts of an outcome object key (see :func:`parse_key`).

    ``shard_id`` is ``None`` for run_context; ``point_index`` is ``None`` for
    run_context and shard_outcomes. ``status`` is ``"accepted"`` for run_context and
    ``"consolidated"`` for the run-level datasets, whose tables also have a
    ``generation`` (``None`` for every other dataset).
    """

    prefix: str
    dataset: Dataset
    run_date: str
    run_id: str
    status: str
    shard_id: int | None
    point_index: int | None
    generation: int | None = None


# -- validation --------------------------------------------------------------------------


def normalize_prefix(prefix: str) -> str:
    """Return ``prefix`` without surrounding slashes, after validating its segments.

    Parameters
    ----------
    prefix
        Base prefix such as ``"serverless-sweeps/outcomes"``; ``""`` means the root.

    Raises
    ------
    InvalidRequest
        If a segment is empty, ``.``/``..``, starts with ``dataset=``, or holds
        characters outside ``[A-Za-z0-9._=+@,:~-]``.
    """
    trimmed = prefix.strip("/")
    if not trimmed:
        return ""
    for segment in trimmed.split("/"):
        if segment in ("", ".", "..") or not _PREFIX_SEGMENT_RE.fullmatch(segment):
            raise InvalidRequest("prefix", f"invalid path segment {segment!r} in {prefix!r}")
        if segment.startswith("dataset="):
            raise InvalidRequest("prefix", f"must not contain a 'dataset=' segment: {prefix!r}")
    return trimmed


def _status(value: str) -> OutcomeStatus:
    for status in _STATUSES:
        if value == status:
            return status
    raise InvalidRequest("status", f"expected one of {', '.join(_STATUSES)}, got {value!r}")


def _dataset(value: str) -> Dataset:
    for dataset in DATASETS:
        if value == dataset:
            return dataset
    raise InvalidRequest("dataset", f"unknown dataset {value!r}; known: {', '.join(DATASETS)}")


# -- building ----------------------------------------------------------------------------


def _join(prefix: str, *segments: str) -> str:
    """``prefix`` (normalized) and ``segments``, joined by ``/``."""
    return "/".join((prefix, *segments) if prefix else segments)


def _partitions(dataset: Dataset, values: tuple[object, ...]) -> tuple[str, ...]:
    columns = PARTITION_COLUMNS[dataset]
    return tuple(f"{column}={value}" for column, value in zip(columns, values, strict=False))


def dataset_prefix(dataset: Dataset, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Listing prefix of every object of one dataset, ending in ``/``.

    Parameters
    ----------
    dataset
        One of :data:`DATASETS`.
    prefix
        Base prefix (default :data:`DEFAULT_PREFIX`).

    Returns
    -------
    str
        e.g. ``"serverless-sweeps/outcomes/dataset=run_context/"``.
    """
    return _join(normalize_prefix(prefix), f"dataset={_dataset(dataset)}") + "/"


def run_date_prefix(dataset: Dataset, run_date: str | date, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Listing prefix of one dataset's objects for one ``run_date``, ending in ``/``."""
    segments = _partitions(_dataset(dataset), (format_run_date(run_date),))
    return _join(normalize_prefix(prefix), f"dataset={dataset}", *segments) + "/"


def location_template(dataset: Dataset) -> str:
    """A dataset's partition layout relative to the prefix, with Athena's ``${column}``
    placeholders for the partition values and no trailing slash (partition projection's
    ``storage.location.template``): ``dataset=run_context/run_date=${run_date}/…``."""
    ds = _dataset(dataset)
    placeholders = (f"{column}=${{{column}}}" for column in PARTITION_COLUMNS[ds])
    return "/".join((f"dataset={ds}", *placeholders))


@dataclass(frozen=True, slots=True)
class RunAddress:
    """Where one run's objects live: base prefix, run date and run id, checked once.

    Make it with :meth:`of`; its methods build keys from already-checked parts (the
    status and the shard and point numbers are the caller's typed values), so the
    per-point path builds keys without re-validating anything.

    Attributes
    ----------
    prefix : str
        Normalized base prefix (no surrounding slashes; ``""`` is the root).
    run_date : str
        ``YYYY-MM-DD``, fixed at submission.
    run_id : str
    """

    prefix: str
    run_date: str
    run_id: str

    @classmethod
    def of(cls, run_date: str | date, run_id: str, *, prefix: str = DEFAULT_PREFIX) -> RunAddress:
        """Check the three parts and return the address.

        Raises
        ------
        InvalidRequest
            ``field`` ``"run_date"``, ``"run_id"`` or ``"prefix"``.
        """
        return cls(normalize_prefix(prefix), format_run_date(run_date), validate_run_id(run_id))

    def _key(self, dataset: Dataset, *values: object) -> str:
        partitions = _partitions(dataset, (self.run_date, self.run_id, *values))
        return _join(self.prefix, f"dataset={dataset}", *partitions, OBJECT_NAME)

    def shard_outcome_key(self, status: OutcomeStatus, shard_id: int) -> str:
        """Key of one shard's outcome record (the success record is its commit marker).

        Returns
        -------
        str
            ``{prefix}/dataset=shard_outcomes/run_date=…/run_id_partition=…/``
            ``status_partition=…/shard_id_partition=…/part-0.parquet``.
        """
        return self._key("shard_outcomes", status, shard_id)

    def run_context_key(self) -> str:
        """Key of the run's context record (written once, at acceptance; status ``accepted``)."""
        return self._key("run_context", _RUN_CONTEXT_STATUS)

    def point_key(
        self, dataset: PointDataset, status: OutcomeStatus, shard_id: int, point_index: int
    ) -> str:
        """Key of one point's object in a per-point dataset (:data:`POINT_DATASETS`).

        Returns
        -------
        str
            e.g. ``{prefix}/dataset=shard_metrics/run_date=…/run_id=…/status=…/``
            ``shard_id=…/point_index=…/part-0.parquet``.
        """
        return self._key(dataset, status, shard_id, point_index)

    def run_table_prefix(self, dataset: RunTableDataset, generation: int) -> str:
        """Folder of one generation of a run-level table, ending in ``/``: e.g.
        ``{prefix}/dataset=run_points/run_date=…/run_id_partition=…/generation=3/``. Local
        consolidation writes :data:`OBJECT_NAME` in it; Athena's UNLOAD writes its own
        file names."""
        partitions = _partitions(dataset, (self.run_date, self.run_id, generation))
        return _join(self.prefix, f"dataset={dataset}", *partitions) + "/"

    def run_table_key(self, dataset: RunTableDataset, generation: int) -> str:
        """Key of the one object local consolidation writes per generation and table."""
        return self.run_table_prefix(dataset, generation) + OBJECT_NAME

    def consolidation_key(self) -> str:
        """Key of the run's consolidation record (replaced by each consolidation: the
        commit marker of the generation it names)."""
        return self._key("run_consolidation")

    def dataset_prefix(self, dataset: Dataset, *, status: str | None = None) -> str:
        """Listing prefix of the run's objects in one dataset, ending in ``/``.

        Parameters
        ----------
        dataset
            One of :data:`DATASETS`.
        status
            Optionally narrow to one status (``"success"``/``"failure"``;
            ``"accepted"`` for run_context).

        Raises
        ------
        InvalidRequest
            An unknown dataset or status.
        """
        ds = _dataset(dataset)
        values: list[str] = [self.run_date, self.run_id]
        if status is not None:
            if ds in RUN_TABLE_DATASETS or ds == "run_consolidation":
                raise InvalidRequest("status", f"{ds} has no status partition")
            if ds == "run_context":
                if status != _RUN_CONTEXT_STATUS:
                    reason = f"run_context status is 'accepted', got {status!r}"
                    raise InvalidRequest("status", reason)
                values.append(status)
            else:
                values.append(_status(status))
        return _join(self.prefix, f"dataset={ds}", *_partitions(ds, tuple(values))) + "/"


def _run_record_key(run_id: str, name: str, prefix: str) -> str:
    return _join(normalize_prefix(prefix), "_runs", f"run_id={validate_run_id(run_id)}", name)


def submission_key(run_id: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Key of a run's submission record: ``{prefix}/_runs/run_id={run}/submission.json``.

    Not an Athena dataset (it lives outside every ``dataset=`` folder). It is keyed by
    run id alone, so the first acceptance of a run id can be claimed with a conditional
    create whatever the date, and it keeps the normalized request and the run date for
    ``status`` and ``rerun``.
    """
    return _run_record_key(run_id, "submission.json", prefix)


def dispatch_ledger_key(run_id: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Key of a run's dispatch ledger, beside its submission record:
    ``{prefix}/_runs/run_id={run}/dispatched.json``."""
    return _run_record_key(run_id, "dispatched.json", prefix)


def cancel_key(run_id: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Key of a run's cancel record: ``{prefix}/_runs/run_id={run}/cancel.json``."""
    return _run_record_key(run_id, "cancel.json", prefix)


def consolidation_claim_key(run_id: str, generation: int, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Key of the claim on a run's consolidation generation, taken by the consolidation
    that a run's completion starts (conditional create: one starter per generation):
    ``{prefix}/_runs/run_id={run}/consolidation/generation={g}.json`` (ADR 0022)."""
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        raise InvalidRequest("generation", f"must be an integer >= 0, got {generation!r}")
    return _run_record_key(run_id, "consolidation", prefix) + f"/generation={generation}.json"


def dispatch_rounds_prefix(run_id: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Folder of a run's dispatch rounds: ``{prefix}/_runs/run_id={run}/dispatch/``."""
    return _run_record_key(run_id, "dispatch", prefix) + "/"


_ROUND_NAME = re.compile(r"round=(\d{6})(\.refused)?\.json")


def dispatch_round_key(
    run_id: str, round_number: int, *, refused: bool = False, prefix: str = DEFAULT_PREFIX
) -> str:
    """Key of a dispatch round's claim (``…/dispatch/round=000001.json``) or, with
    ``refused``, of the shards its dispatcher refused (``…/round=000001.refused.json``)."""
    if isinstance(round_number, bool) or not 1 <= round_number <= 999_999:
        raise InvalidRequest("round", f"must be in [1, 999999], got {round_number!r}")
    name = f"round={round_number:06d}{'.refused' if refused else ''}.json"
    return dispatch_rounds_prefix(run_id, prefix=prefix) + name


_RERUN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def dispatch_rerun_key(run_id: str, rerun_id: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """Key of a rerun's claim: ``…/dispatch/rerun={rerun_id}.json`` (idempotency).

    Raises
    ------
    InvalidRequest
        ``field`` ``"rerun_id"``: not 1–64 of ``[A-Za-z0-9._-]``.
    """
    if not isinstance(rerun_id, str) or _RERUN_ID.fullmatch(rerun_id) is None:
        raise InvalidRequest("rerun_id", "must be 1-64 characters of [A-Za-z0-9._-]")
    return dispatch_rounds_prefix(run_id, prefix=prefix) + f"rerun={rerun_id}.json"


def parse_dispatch_round_key(key: str) -> tuple[int, bool] | None:
    """``(round number, refused)`` of a key built by :func:`dispatch_round_key`, else None."""
    found = _ROUND_NAME.fullmatch(key.rpartition("/")[2])
    return None if found is None else (int(found[1]), found[2] is not None)


# -- parsing -----------------------------------------------------------------------------


def parse_key(key: str) -> ParsedKey:
    """Parse an outcome object key built by this module.

    Parameters
    ----------
    key
        A full object key, e.g. one yielded by ``ObjectStore.list``.

    Returns
    -------
    ParsedKey
        Prefix, dataset and partition values (``shard_id``/``point_index`` as ints).

    Raises
    ------
    StorageError
        If the key does not have exactly the layout of its dataset.
    """
    segments = key.split("/")
    if segments[-1] != OBJECT_NAME:
        raise StorageError(key, f"not an outcome object (expected .../{OBJECT_NAME})")
    starts = [i for i, segment in enumerate(segments) if segment.startswith("dataset=")]
    if len(starts) != 1:
        raise StorageError(key, "expected exactly one 'dataset=' segment")
    start = starts[0]
    name = segments[start].removeprefix("dataset=")
    if name not in DATASETS:
        raise StorageError(key, f"unknown dataset {name!r}")
    dataset = _dataset(name)
    columns = PARTITION_COLUMNS[dataset]
    parts = segments[start + 1 : -1]
    if len(parts) != len(columns):
        raise StorageError(key, f"{dataset} keys have {len(columns)} partitions, got {len(parts)}")
    run_level = dataset in RUN_TABLE_DATASETS or dataset == "run_consolidation"
    values: dict[str, str] = {}
    for column, logical, part in zip(
        columns, _RUN_TABLE_LOGICAL if run_level else _LOGICAL, parts, strict=False
    ):
        column_name, sep, value = part.partition("=")
        if not sep or column_name != column:
            raise StorageError(key, f"expected partition {column}=…, got {part!r}")
        values[logical] = value
    try:
        run_date = format_run_date(values["run_date"])
        run_id = validate_run_id(values["run_id"])
        status = values.get("status", CONSOLIDATED)
        if run_level:
            pass
        elif dataset == "run_context":
            if status != _RUN_CONTEXT_STATUS:
                raise InvalidRequest("status", f"expected 'accepted', got {status!r}")
        else:
            _status(status)
        shard_id = _parse_index("shard_id", values.get("shard_id"))
        point_index = _parse_index("point_index", values.get("point_index"))
        generation = _parse_index("generation", values.get("generation"))
    except InvalidRequest as error:
        raise StorageError(key, str(error)) from None
    return ParsedKey(
        prefix="/".join(segments[:start]),
        dataset=dataset,
        run_date=run_date,
        run_id=run_id,
        status=status,
        shard_id=shard_id,
        point_index=point_index,
        generation=generation,
    )


def _parse_index(field: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not _INT_RE.fullmatch(text):
        raise InvalidRequest(field, f"expected a non-negative integer, got {text!r}")
    return int(text)
