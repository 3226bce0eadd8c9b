"""Consolidating a run's per-point objects into its run-level tables (DESIGN §3.7, ADR 0016).

A consolidation reads the committed shards (those with a success record), writes the
run's ``run_points``, ``run_trips`` and ``run_snapshots`` into a **new generation**
folder, then replaces the run's one ``run_consolidation`` record, which names that
generation and the shards it holds. The record is the commit marker: readers look it up
first and read only its generation, so they see the old tables or the new ones, never a
mix or a half-written file. A consolidation whose record already holds exactly the
committed shards does nothing (idempotent); one that finds more committed shards (a
rerun completed) writes the next generation. Generations older than the previous one
are removed locally, and in S3 tagged for the bucket's lifecycle rule to expire
(:class:`~sweeplib.storage.store.SupportsCollect`): only after the record names a newer
one, so no reader is sent to a removed table.

Locally DuckDB does the work (:func:`consolidate_local`); in AWS, Athena does it where
the data is, with one ``UNLOAD`` per table and chunk of points (:func:`consolidate_athena`),
started by hand (``sweep compact --bucket``) or by the run's completion
(:func:`consolidate_when_complete`, called by the worker that commits a shard; ADR 0022).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from sweeplib.contracts import STATUS_SUCCESS, format_event_time
from sweeplib.errors import InvalidRequest, ObjectNotFound, PreconditionFailed, StorageError
from sweeplib.storage import keys
from sweeplib.storage.store import ObjectStore, SupportsCollect

if TYPE_CHECKING:
    import pyarrow as pa

    from sweeplib.query.duckdb_engine import DuckDBQueryEngine
    from sweeplib.storage.local import LocalObjectStore

__all__ = [
    "ATHENA_POINT_CHUNK",
    "ConcurrentStatementRunner",
    "Consolidation",
    "StatementRunner",
    "athena_statements",
    "committed_shards",
    "consolidate_athena",
    "consolidate_local",
    "consolidate_when_complete",
    "export_points",
    "read_consolidation",
    "run_provenance",
    "write_consolidation",
]

_GLOB_TAIL: Final = f"*/*/{keys.OBJECT_NAME}"
#: Points per Athena consolidation statement: two literal lists of this many indexes stay
#: inside Athena's query-length limit.
ATHENA_POINT_CHUNK: Final = 10_000
_THREADS: Final = 8


@dataclass(frozen=True)
class Consolidation:
    """A run's consolidation record: which generation of its run-level tables is current.

    Attributes
    ----------
    run_id, run_date : str
    generation : int
        The consolidation's number (0, 1, …).
    partitions : tuple of str
        The ``generation`` partition values the current tables are in: ``("<n>",)``
        locally; Athena's UNLOAD writes one per chunk of points (``"<n>-<k>"``).
    shard_ids : tuple of int
        The committed shards the tables hold, sorted.
    points, trips, snapshots : int
        Rows of ``run_points``, ``run_trips``, ``run_snapshots``.
    dimensions : tuple of str
        The run's dimensions (the ``run_points`` columns its points set), sorted.
    consolidated_at : str
        RFC 3339 UTC.
    engine : str
        ``"duckdb"`` or ``"athena"``.
    changed : bool
        Whether this call wrote the generation (``False``: it was already up to date).
    """

    run_id: str
    run_date: str
    generation: int
    partitions: tuple[str, ...]
    shard_ids: tuple[int, ...]
    points: int
    trips: int
    snapshots: int
    dimensions: tuple[str, ...]
    consolidated_at: str
    engine: str
    changed: bool = True

    def as_row(self) -> dict[str, object]:
        """The ``run_consolidation`` row."""
        return {
            "run_id": self.run_id,
            "generation": self.generation,
            "partitions": ",".join(self.partitions),
            "consolidated_at": self.consolidated_at,
            "engine": self.engine,
            "dimensions": ",".join(self.dimensions),
            "shard_ids": ",".join(str(s) for s in self.shard_ids),
            "shards": len(self.shard_ids),
            "points": self.points,
            "trips": self.trips,
            "snapshots": self.snapshots,
        }

    def describe(self) -> str:
        """One line for ``sweep compact`` / ``sweep run``."""
        verb = "consolidated" if self.changed else "already consolidated"
        return (
            f"run {self.run_id}: {verb} {len(self.shard_ids)} committed shard(s) into "
            f"generation {self.generation}: {self.points} point(s), {self.trips} trip row(s), "
            f"{self.snapshots} snapshot row(s) ({self.engine})"
        )


def _split(text: str) -> tuple[str, ...]:
    return tuple(item for item in text.split(",") if item)


def read_consolidation(store: ObjectStore, address: keys.RunAddress) -> Consolidation | None:
    """The run's consolidation record, or ``None`` if it was never consolidated.

    Raises
    ------
    StorageError
        The record exists but cannot be read as one.
    """
    from sweeplib.storage.parquet import decode_table

    key = address.consolidation_key()
    try:
        body = store.get(key)
    except ObjectNotFound:
        return None
    rows = decode_table(body, key=key).to_pylist()
    if len(rows) != 1:
        raise StorageError(key, f"expected one consolidation row, got {len(rows)}")
    row = rows[0]
    return Consolidation(
        run_id=row["run_id"],
        run_date=address.run_date,
        generation=int(row["generation"]),
        partitions=_split(row["partitions"]),
        shard_ids=tuple(int(s) for s in _split(row["shard_ids"])),
        points=int(row["points"]),
        trips=int(row["trips"]),
        snapshots=int(row["snapshots"]),
        dimensions=_split(row["dimensions"]),
        consolidated_at=row["consolidated_at"],
        engine=row["engine"],
        changed=False,
    )


def write_consolidation(
    store: ObjectStore, address: keys.RunAddress, record: Consolidation
) -> None:
    """Replace the run's consolidation record (one atomic put: the commit)."""
    from sweeplib.storage.parquet import encode_rows
    from sweeplib.storage.schemas import RUN_CONSOLIDATION_SCHEMA

    store.put(address.consolidation_key(), encode_rows([record.as_row()], RUN_CONSOLIDATION_SCHEMA))


def run_provenance(store: ObjectStore, address: keys.RunAddress) -> dict[str, str | None]:
    """The run's ``PROVENANCE_COLUMNS`` from its run_context record (null when absent)."""
    from sweeplib.storage.parquet import decode_table
    from sweeplib.storage.schemas import PROVENANCE_COLUMNS

    key = address.run_context_key()
    try:
        rows = decode_table(store.get(key), key=key).to_pylist()
    except ObjectNotFound:
        rows = []
    row = rows[0] if rows else {}
    return {name: row.get(name) for name in PROVENANCE_COLUMNS}


def committed_shards(store: ObjectStore, address: keys.RunAddress) -> tuple[int, ...]:
    """The run's shards with a success record (the commit marker), sorted."""
    shards = set()
    for key in store.list(address.dataset_prefix("shard_outcomes", status=STATUS_SUCCESS)):
        shard_id = keys.parse_key(key).shard_id
        if shard_id is not None:
            shards.add(shard_id)
    return tuple(sorted(shards))


# -- local (DuckDB) --------------------------------------------------------------------------


def _run_glob(root: Path, address: keys.RunAddress, dataset: keys.PointDataset) -> str:
    folder = address.dataset_prefix(dataset, status=STATUS_SUCCESS)
    return (root.joinpath(*folder.strip("/").split("/")) / _GLOB_TAIL).as_posix()


def _sample_files(root: Path, address: keys.RunAddress, dataset: keys.PointDataset) -> list[str]:
    """One file of each committed shard's folder: a shard's objects are all written by one
    worker (a re-run shard rewrites every point), so they share one schema."""
    folder = root.joinpath(
        *address.dataset_prefix(dataset, status=STATUS_SUCCESS).strip("/").split("/")
    )
    files = []
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as shards:
        for shard in shards:
            with os.scandir(shard.path) as points:
                for point in points:
                    candidate = Path(point.path) / keys.OBJECT_NAME
                    if candidate.is_file():
                        files.append(candidate.as_posix())
                        break
    return files


def _columns_present(
    engine: DuckDBQueryEngine, files: Sequence[str], wanted: Sequence[str]
) -> tuple[list[str], bool]:
    """Which of ``wanted`` any of ``files`` has, and whether the files differ in them.

    Only a run mixing old and new files is read with ``union_by_name`` (it gives the
    missing columns null): DuckDB then opens every file up front, which over 200,000
    files took over 10 minutes and over 10 GB of memory here.
    """
    from sweeplib.query.consolidate import quote_literal

    if not files:
        return [], False
    listing = "[" + ", ".join(quote_literal(f) for f in files) + "]"
    rows = engine.execute(
        f"SELECT file_name, name FROM parquet_schema({listing})", dialect="duckdb"
    ).to_pylist()
    per_file: dict[str, set[str]] = {}
    for row in rows:
        per_file.setdefault(row["file_name"], set()).add(row["name"])
    present = [c for c in wanted if any(c in names for names in per_file.values())]
    mixed = any(set(present) - names for names in per_file.values())
    return present, mixed


def _copy(engine: DuckDBQueryEngine, select: str, final: Path) -> int:
    """Write ``select`` to ``final`` through a temporary file and an atomic rename."""
    from sweeplib.query.consolidate import quote_literal

    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{secrets.token_hex(8)}")
    try:
        result = engine.execute(
            f"COPY ({select}) TO {quote_literal(tmp.as_posix())} "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
            dialect="duckdb",
        )
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    rows = result.column(0).to_pylist() if result.num_columns else [0]
    return int(rows[0] or 0)


def _dimensions(engine: DuckDBQueryEngine, path: Path) -> tuple[str, ...]:
    from sweeplib.query.consolidate import quote_literal

    table = engine.execute(
        "SELECT DISTINCT unnest(json_keys(selected_dimensions)) AS name "
        f"FROM read_parquet({quote_literal(path.as_posix())}) ORDER BY name",
        dialect="duckdb",
    )
    return tuple(str(name) for name in table.column("name").to_pylist())


def _remove_old_generations(root: Path, address: keys.RunAddress, keep_from: int) -> None:
    for dataset in keys.RUN_TABLE_DATASETS:
        run_folder = root.joinpath(*address.run_table_prefix(dataset, 0).strip("/").split("/")[:-1])
        if not run_folder.is_dir():
            continue
        for child in run_folder.iterdir():
            name, _, value = child.name.partition("=")
            if name == "generation" and value.isdigit() and int(value) < keep_from:
                shutil.rmtree(child, ignore_errors=True)


def consolidate_local(
    store: LocalObjectStore,
    run_id: str,
    *,
    now: dt.datetime,
    prefix: str = keys.DEFAULT_PREFIX,
    force: bool = False,
) -> Consolidation | None:
    """Consolidate a run of a local folder with DuckDB (``sweep compact RUN_ID``).

    Parameters
    ----------
    store
        The local folder store.
    run_id
        An accepted run (its submission record gives the run date).
    now
        The time recorded as ``consolidated_at``.
    force
        Write a new generation even if the current one holds every committed shard.

    Returns
    -------
    Consolidation or None
        The current record (``changed`` says whether this call wrote it); ``None`` if
        no shard of the run is committed yet (nothing is written).

    Raises
    ------
    ObjectNotFound
        The run id was never accepted here.
    QueryError
        DuckDB failed (nothing becomes visible: the record was not replaced).
    """
    from sweeplib.query.consolidate import (
        DESIGN_COLUMNS,
        duckdb_points_select,
        duckdb_rows_select,
    )
    from sweeplib.query.duckdb_engine import DuckDBQueryEngine
    from sweeplib.submissions import load_submission

    submission = load_submission(store, run_id, prefix=prefix)
    address = keys.RunAddress.of(submission.run_date, run_id, prefix=prefix)
    shards = committed_shards(store, address)
    if not shards:
        return None
    current = read_consolidation(store, address)
    if current is not None and current.shard_ids == shards and not force:
        return current
    generation = 0 if current is None else current.generation + 1
    root = store.root
    with DuckDBQueryEngine(root, prefix=prefix) as engine:
        # Many small files: more threads than cores overlap their open/read latency.
        engine.execute(f"SET threads = {_THREADS}", dialect="duckdb")
        metrics_has, metrics_mixed = _columns_present(
            engine, _sample_files(root, address, "shard_metrics"), DESIGN_COLUMNS
        )
        parameters_has, parameters_mixed = _columns_present(
            engine, _sample_files(root, address, "effective_parameters"), DESIGN_COLUMNS
        )
        points_select = duckdb_points_select(
            run_id,
            metrics_glob=_run_glob(root, address, "shard_metrics"),
            parameters_glob=_run_glob(root, address, "effective_parameters"),
            shard_ids=shards,
            metrics_has=metrics_has,
            parameters_has=parameters_has,
            union_by_name=metrics_mixed or parameters_mixed,
            provenance=run_provenance(store, address),
        )

        def path(dataset: keys.RunTableDataset) -> Path:
            return store.path(address.run_table_key(dataset, generation))

        trips = _copy(
            engine,
            duckdb_rows_select(
                run_id, table="trips", glob=_run_glob(root, address, "trip_data"), shard_ids=shards
            ),
            path("run_trips"),
        )
        snapshots = _copy(
            engine,
            duckdb_rows_select(
                run_id,
                table="snapshots",
                glob=_run_glob(root, address, "snapshot_counts"),
                shard_ids=shards,
            ),
            path("run_snapshots"),
        )
        points = _copy(engine, points_select, path("run_points"))
        dimensions = _dimensions(engine, path("run_points"))
    record = Consolidation(
        run_id=run_id,
        run_date=address.run_date,
        generation=generation,
        partitions=(str(generation),),
        shard_ids=shards,
        points=points,
        trips=trips,
        snapshots=snapshots,
        dimensions=dimensions,
        consolidated_at=format_event_time(now),
        engine="duckdb",
    )
    write_consolidation(store, address, record)
    _remove_old_generations(root, address, keep_from=generation - 1)
    return record


# -- AWS (Athena) ----------------------------------------------------------------------------


class StatementRunner(Protocol):
    """Runs one Athena statement that returns no rows, waiting for it
    (:meth:`sweeplib.query.athena_engine.AthenaQueryEngine.statement`)."""

    def statement(self, sql: str) -> object: ...


@runtime_checkable
class ConcurrentStatementRunner(Protocol):
    """Runs several statements at once and waits for all
    (:meth:`sweeplib.query.athena_statements.AthenaStatements.statements`)."""

    def statement(self, sql: str) -> object: ...

    def statements(self, sqls: Sequence[str]) -> object: ...


_GENERATION = re.compile(r"/generation=(\d+)(?:-\d+)?/")


def _run_table_folder(address: keys.RunAddress, dataset: keys.RunTableDataset) -> str:
    return address.run_table_prefix(dataset, 0).rsplit("generation=", 1)[0]


def _generations_in_store(store: ObjectStore, address: keys.RunAddress) -> dict[str, int]:
    """Every run-level table object of the run, with its generation number."""
    found = {}
    for dataset in keys.RUN_TABLE_DATASETS:
        for key in store.list(_run_table_folder(address, dataset)):
            match = _GENERATION.search(key)
            if match:
                found[key] = int(match[1])
    return found


def _next_generation(
    store: ObjectStore, address: keys.RunAddress, current: Consolidation | None
) -> int:
    """One more than the record's generation and than any generation folder written (an
    UNLOAD that failed half-way leaves one; UNLOAD needs an empty folder)."""
    seen = [current.generation] if current is not None else []
    seen += _generations_in_store(store, address).values()
    return max(seen, default=-1) + 1


def _collect_old_generations(store: ObjectStore, address: keys.RunAddress, keep_from: int) -> int:
    """Give up the run-level table objects of generations below ``keep_from`` (the record
    already names a newer one, so no reader is sent there); how many."""
    if not isinstance(store, SupportsCollect):
        return 0
    old = [key for key, g in _generations_in_store(store, address).items() if g < keep_from]
    store.collect(old)
    return len(old)


def _chunks(points: Sequence[int], size: int) -> list[Sequence[int]]:
    return [points[i : i + size] for i in range(0, len(points), size)]


def athena_statements(
    address: keys.RunAddress,
    *,
    bucket: str,
    generation: int,
    shard_ranges: Sequence[tuple[int, int, int]],
    chunk: int = ATHENA_POINT_CHUNK,
    provenance: Mapping[str, str | None] | None = None,
) -> list[tuple[str, str]]:
    """The ``UNLOAD`` statements of one Athena consolidation, ``(partition, SQL)``.

    Parameters
    ----------
    address
        The run.
    bucket
        The results bucket.
    generation
        The new generation's number.
    shard_ranges
        ``(shard_id, start_index, end_index_exclusive)`` of the committed shards.
    chunk
        Most points per statement (the query names them literally, ADR 0006): chunk
        ``k`` of the points is unloaded into partition ``generation=<generation>-<k>``
        of each table (UNLOAD needs an empty folder per statement).
    provenance
        The run's provenance values (:func:`run_provenance`), written as literals.
    """
    from sweeplib.query.consolidate import (
        DESIGN_COLUMNS,
        athena_points_select,
        athena_rows_select,
        athena_unload,
    )
    from sweeplib.storage.schemas import EFFECTIVE_PARAMETERS_SCHEMA, SHARD_METRICS_SCHEMA

    metrics_has = [c for c in DESIGN_COLUMNS if c in SHARD_METRICS_SCHEMA.names]
    parameters_has = [c for c in DESIGN_COLUMNS if c in EFFECTIVE_PARAMETERS_SCHEMA.names]
    owner = {p: s for s, start, end in shard_ranges for p in range(start, end)}
    statements: list[tuple[str, str]] = []
    for number, points in enumerate(_chunks(sorted(owner), chunk)):
        partition = f"{generation}-{number}"
        shards = sorted({owner[p] for p in points})

        def location(dataset: keys.RunTableDataset, partition: str = partition) -> str:
            folder = address.run_table_prefix(dataset, 0).rsplit("generation=", 1)[0]
            return f"s3://{bucket}/{folder}generation={partition}/"

        selects = {
            "run_trips": athena_rows_select(
                address.run_id, table="trips", point_indexes=points, shard_ids=shards
            ),
            "run_snapshots": athena_rows_select(
                address.run_id, table="snapshots", point_indexes=points, shard_ids=shards
            ),
            "run_points": athena_points_select(
                address.run_id,
                point_indexes=points,
                shard_ids=shards,
                metrics_has=metrics_has,
                parameters_has=parameters_has,
                provenance=provenance,
            ),
        }
        for dataset, select in selects.items():
            statements.append((partition, athena_unload(select, location(dataset))))  # type: ignore[arg-type]
    return statements


def consolidate_athena(
    store: ObjectStore,
    run_id: str,
    *,
    athena: StatementRunner,
    bucket: str,
    now: dt.datetime,
    prefix: str = keys.DEFAULT_PREFIX,
    force: bool = False,
    chunk: int = ATHENA_POINT_CHUNK,
    count_rows: Callable[[str, tuple[str, ...]], tuple[int, int, int]] | None = None,
    claim: bool = False,
) -> Consolidation | None:
    """Consolidate a run in S3 with Athena ``UNLOAD`` (``sweep compact RUN_ID --bucket …``).

    Nothing is downloaded: Athena reads the per-point objects and writes the run-level
    tables into a new generation's folders; then the run's consolidation record (an S3
    object, one atomic put) is replaced to name them.

    Parameters
    ----------
    store
        The bucket's object store (submission record, outcome records, the record).
    athena
        Runs each statement (``AthenaQueryEngine``).
    count_rows
        ``(run_id, partitions) -> (points, trips, snapshots)``; default: the committed
        points' count and 0 for the rest (UNLOAD reports no row counts).
    claim
        Take the generation's claim first (a conditional create of
        :func:`~sweeplib.storage.keys.consolidation_claim_key`): of several concurrent or
        repeated calls for one generation exactly one runs the statements; the others
        return the current record (``None`` if there is none yet). Used by
        :func:`consolidate_when_complete`; ``sweep compact`` does not claim.

    The generation is one more than the record's and than any generation folder found
    (a failed attempt's leftovers). Once the record names it, the objects of generations
    older than the previous one are given up (:meth:`SupportsCollect.collect`).

    Returns / Raises
    ----------------
    As :func:`consolidate_local`; ``QueryError`` when a statement fails (the record is
    not replaced, so readers keep the previous generation).
    """
    from sweeplib.planning import compute_shard_plan
    from sweeplib.submissions import load_submission

    submission = load_submission(store, run_id, prefix=prefix)
    address = keys.RunAddress.of(submission.run_date, run_id, prefix=prefix)
    shards = committed_shards(store, address)
    if not shards:
        return None
    current = read_consolidation(store, address)
    if current is not None and current.shard_ids == shards and not force:
        return current
    generation = _next_generation(store, address, current)
    if claim:
        body = json.dumps(
            {"run_id": run_id, "shard_ids": list(shards), "at": format_event_time(now)}
        )
        try:
            store.put(
                keys.consolidation_claim_key(run_id, generation, prefix=prefix),
                body.encode(),
                if_absent=True,
            )
        except PreconditionFailed:
            return current  # another delivery or worker runs (or ran) this generation
    wanted = set(shards)
    ranges = [
        (s.shard_id, s.start_index, s.end_index_exclusive)
        for s in compute_shard_plan(submission.request).shards
        if s.shard_id in wanted
    ]
    statements = athena_statements(
        address,
        bucket=bucket,
        generation=generation,
        shard_ranges=ranges,
        chunk=chunk,
        provenance=run_provenance(store, address),
    )
    sqls = [sql for _partition, sql in statements]
    if isinstance(athena, ConcurrentStatementRunner):
        athena.statements(sqls)
    else:
        for sql in sqls:
            athena.statement(sql)
    partitions = tuple(dict.fromkeys(partition for partition, _ in statements))
    points = sum(end - start for _, start, end in ranges)
    counts = count_rows(run_id, partitions) if count_rows else (points, 0, 0)
    record = Consolidation(
        run_id=run_id,
        run_date=address.run_date,
        generation=generation,
        partitions=partitions,
        shard_ids=shards,
        points=counts[0],
        trips=counts[1],
        snapshots=counts[2],
        dimensions=submission.request.dimension_names,
        consolidated_at=format_event_time(now),
        engine="athena",
    )
    write_consolidation(store, address, record)
    _collect_old_generations(store, address, keep_from=generation - 1)
    return record


def consolidate_when_complete(
    store: ObjectStore,
    run_id: str,
    *,
    athena: StatementRunner,
    bucket: str,
    now: dt.datetime,
    prefix: str = keys.DEFAULT_PREFIX,
) -> Consolidation | None:
    """Consolidate a cloud run in Athena once every shard of its plan is committed.

    Called by the worker after it commits (or finds committed) a shard (ADR 0022): cheap
    when the run is not complete (one listing of its success records); when it is, the
    generation's claim makes exactly one caller run the statements, whatever the number
    of duplicate deliveries or concurrent last shards.

    Returns
    -------
    Consolidation or None
        ``None`` while shards are missing; else what :func:`consolidate_athena` returns
        with ``claim=True``.
    """
    from sweeplib.planning import compute_shard_plan
    from sweeplib.submissions import load_submission

    submission = load_submission(store, run_id, prefix=prefix)
    address = keys.RunAddress.of(submission.run_date, run_id, prefix=prefix)
    if len(committed_shards(store, address)) < compute_shard_plan(submission.request).shard_count:
        return None
    return consolidate_athena(
        store, run_id, athena=athena, bucket=bucket, now=now, prefix=prefix, claim=True
    )


def export_points(
    store: LocalObjectStore, run_id: str, *, now: dt.datetime, prefix: str = keys.DEFAULT_PREFIX
) -> pa.Table:
    """A local run's points table, unrounded, with only the run's own dimension columns.

    Consolidates first when the run-level tables are missing or stale.

    Raises
    ------
    ObjectNotFound
        The run id was never accepted in this folder.
    InvalidRequest
        ``run_id``: no shard of the run is committed yet (there are no points).
    """
    import pyarrow.parquet as pq

    from sweeplib.storage.schemas import DIMENSION_COLUMN_TYPES

    record = consolidate_local(store, run_id, now=now, prefix=prefix)
    if record is None:
        raise InvalidRequest("run_id", f"run {run_id!r} has no committed shard yet: no points")
    address = keys.RunAddress.of(record.run_date, run_id, prefix=prefix)
    table = pq.read_table(store.path(address.run_table_key("run_points", record.generation)))
    dropped = [name for name in DIMENSION_COLUMN_TYPES if name not in record.dimensions]
    return table.drop_columns(dropped)
