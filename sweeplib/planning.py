"""Shard plans and the point mapping (DESIGN §3.3). Pure arithmetic: points are never materialised.

* :func:`compute_shard_plan` splits ``[0, total_points)`` into contiguous shards.
* :func:`point_values` decodes a point index into one value per dimension: names in
  sorted order, the **last name varies fastest** (mixed radix), i.e. the order of
  ``itertools.product(*(dimensions[name] for name in sorted(dimensions)))``.
* :func:`point_seed` is the per-point seed, ``seed XOR point_index`` as unsigned 64-bit.
* With ``replications`` R (DESIGN §3.6), point ``p`` is design point ``p // R``,
  replicate ``p % R``; a design point's values come from the grid (decoded as above) or
  from the request's explicit ``points``. Under ``seeding = "common"`` the seed is
  ``seed XOR replicate``, so every design point's replicate r shares its random draws.
* :func:`shard_messages` yields the queue message of every shard, and
  :func:`shard_points` the points of one shard's message (checked values, seeds).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sweeplib.contracts import (
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    SHARD_STRATEGY_DERIVED,
    SHARD_STRATEGY_EXPLICIT,
    JSONScalar,
    Limits,
    Provenance,
    RunContextRecord,
    ShardMessage,
    SweepRequest,
    format_run_date,
)
from sweeplib.contracts.request import ExplicitPoints, total_points
from sweeplib.errors import PlanTooLarge

__all__ = [
    "ShardPlan",
    "ShardRange",
    "SweepPoint",
    "compute_shard_plan",
    "contiguous_shards",
    "point_index",
    "point_seed",
    "point_values",
    "request_point",
    "run_context_record",
    "shard_message",
    "shard_messages",
    "shard_points",
    "total_points",
]

_U64_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class ShardRange:
    """The points ``[start_index, end_index_exclusive)`` of shard ``shard_id``."""

    shard_id: int
    start_index: int
    end_index_exclusive: int

    @property
    def size(self) -> int:
        """The number of points in the shard."""
        return self.end_index_exclusive - self.start_index


@dataclass(frozen=True)
class ShardPlan:
    """How a request's points are split into shards.

    Attributes
    ----------
    total_points : int
        Product of the dimension lengths.
    shard_count : int
        Number of shards (``len(shards)``).
    shard_strategy : str
        ``"explicit_shard_count"`` or ``"derived_from_shard_size"``.
    max_shards : int
        The cap the plan was checked against: the smaller of the request's
        ``max_shards`` and the deployment's ``Limits.max_shards``.
    shards : tuple of ShardRange
        Contiguous, in order, covering ``[0, total_points)`` exactly once; the first
        ``total_points % shard_count`` shards hold one point more than the others.
    """

    total_points: int
    shard_count: int
    shard_strategy: str
    max_shards: int
    shards: tuple[ShardRange, ...]


def compute_shard_plan(request: SweepRequest, limits: Limits = DEFAULT_LIMITS) -> ShardPlan:
    """Split the request's points into contiguous shards (DESIGN §3.3).

    The shard count is ``min(shard_count, total_points)`` when ``shard_count`` is set,
    else ``ceil(total_points / shard_size)``.

    Parameters
    ----------
    request : SweepRequest
        A request from :func:`~sweeplib.contracts.parse_sweep_request`.
    limits : Limits
        The deployment's caps.

    Returns
    -------
    ShardPlan

    Raises
    ------
    PlanTooLarge
        ``field`` ``"shard_count"`` or ``"shard_size"`` when the plan needs more shards
        than ``min(request.max_shards, limits.max_shards)``; ``"dimensions"`` when the
        points exceed ``limits.max_points`` or a shard's message would be longer than
        ``limits.max_message_bytes``.
    """
    total = request.total_points
    if total > limits.max_points:
        field = "points" if request.points is not None else "dimensions"
        raise PlanTooLarge(field, f"{total} points exceed the limit of {limits.max_points}")
    if request.shard_count is not None:
        count = min(request.shard_count, total)
        strategy, field = SHARD_STRATEGY_EXPLICIT, "shard_count"
        why = f"shard_count {request.shard_count} over {total} points gives {count} shards"
    else:
        assert request.shard_size is not None  # parse_sweep_request requires one of them
        count = -(-total // request.shard_size)
        strategy, field = SHARD_STRATEGY_DERIVED, "shard_size"
        why = f"shard_size {request.shard_size} over {total} points gives {count} shards"

    cap = min(request.max_shards, limits.max_shards)
    if count > cap:
        source = "max_shards" if cap == request.max_shards else "the deployment's limit"
        raise PlanTooLarge(field, f"{why}, more than {source} {cap}")

    plan = ShardPlan(
        total_points=total,
        shard_count=count,
        shard_strategy=strategy,
        max_shards=cap,
        shards=contiguous_shards(total, count),
    )
    if limits.max_message_bytes is not None:
        _check_message_sizes(request, plan, limits.max_message_bytes)
    return plan


# Any run date has ten characters: a stand-in gives every message its real length.
_SIZING_RUN_DATE = "2000-01-01"


def _check_message_sizes(request: SweepRequest, plan: ShardPlan, limit: int) -> None:
    """Refuse a plan whose shard messages a queue capped at ``limit`` bytes would refuse.

    A grid message grows with its shard id and bounds only, so the last is the longest;
    a points message carries its own points, so each is measured. The first message
    over the limit is named.
    """

    def size(shard: ShardRange) -> int:
        message = _message(request, plan, shard, _SIZING_RUN_DATE)
        return len(message.to_json().encode("utf-8"))

    if request.points is None and size(plan.shards[-1]) <= limit:
        return
    for shard in plan.shards:
        found = size(shard)
        if found > limit:
            if request.points is not None:
                raise PlanTooLarge(
                    "shard_size" if request.shard_count is None else "shard_count",
                    f"the queue message of shard {shard.shard_id} carries "
                    f"{shard.size} points in {found} bytes; SQS takes at most {limit}: "
                    "use smaller shards",
                )
            raise PlanTooLarge(
                "dimensions",
                f"the queue message of shard {shard.shard_id} is {found} bytes; SQS takes "
                f"at most {limit}: use fewer or shorter dimension values",
            )


def contiguous_shards(total: int, count: int) -> tuple[ShardRange, ...]:
    """``count`` contiguous ranges over ``[0, total)``; the first ``total % count`` get one more."""
    base, extra = divmod(total, count)
    return tuple(
        ShardRange(
            shard_id=shard_id,
            start_index=shard_id * base + min(shard_id, extra),
            end_index_exclusive=(shard_id + 1) * base + min(shard_id + 1, extra),
        )
        for shard_id in range(count)
    )


def point_values(
    dimensions: Mapping[str, Sequence[JSONScalar]], index: int
) -> dict[str, JSONScalar]:
    """The dimension values of point ``index``.

    Names are taken in sorted order and the last one varies fastest: the index is
    decoded as a mixed-radix number from the last name backwards.

    Parameters
    ----------
    dimensions : Mapping[str, Sequence]
        Name → values (e.g. ``SweepRequest.dimensions``).
    index : int
        In ``[0, total_points(dimensions))``.

    Returns
    -------
    dict
        Name → value, names in sorted order.

    Raises
    ------
    IndexError
        If ``index`` is outside ``[0, total_points)``.
    """
    total = total_points(dimensions)
    if not 0 <= index < total:
        raise IndexError(f"point index {index} is outside [0, {total})")
    names = sorted(dimensions)
    return _decode(names, [dimensions[name] for name in names], index)


def _decode(
    names: Sequence[str], columns: Sequence[Sequence[JSONScalar]], index: int
) -> dict[str, JSONScalar]:
    """Mixed-radix decode of ``index``, the last name varying fastest."""
    digits = [0] * len(names)
    remainder = index
    for position in range(len(names) - 1, -1, -1):
        remainder, digits[position] = divmod(remainder, len(columns[position]))
    return {name: columns[i][digits[i]] for i, name in enumerate(names)}


def point_index(
    dimensions: Mapping[str, Sequence[JSONScalar]], values: Mapping[str, JSONScalar]
) -> int:
    """The inverse of :func:`point_values` (for dimensions without duplicate values).

    A value matches only a value of the same JSON type: ``1``, ``1.0`` and ``true``
    are different values.

    Raises
    ------
    KeyError
        If ``values`` lacks a dimension or has a value the dimension does not list.
    """
    index = 0
    for name in sorted(dimensions):
        options = dimensions[name]
        wanted = values[name]
        digit = next(
            (
                position
                for position, option in enumerate(options)
                if type(option) is type(wanted) and option == wanted
            ),
            None,
        )
        if digit is None:
            raise KeyError(f"{name}: {wanted!r} is not one of its values")
        index = index * len(options) + digit
    return index


def point_seed(seed: int, index: int) -> int:
    """The seed of point ``index``: ``seed`` read as unsigned 64-bit, XOR ``index``.

    >>> point_seed(42, 3)
    41
    >>> point_seed(-1, 5) == 2**64 - 1 - 5
    True

    Raises
    ------
    ValueError
        If ``index`` is outside ``[0, 2**64)``.
    """
    if not 0 <= index <= _U64_MASK:
        raise ValueError(f"point index {index} is not an unsigned 64-bit integer")
    return (seed & _U64_MASK) ^ index


def shard_messages(
    request: SweepRequest, plan: ShardPlan, run_date: dt.date | str
) -> Iterator[ShardMessage]:
    """Yield the queue message of every shard of ``plan``, in shard order.

    Parameters
    ----------
    request : SweepRequest
        The validated request the plan was computed from.
    plan : ShardPlan
        From :func:`compute_shard_plan`.
    run_date : datetime.date or str
        The run's date, fixed once at submission (``YYYY-MM-DD``); every message,
        including those of reruns, carries it.

    Raises
    ------
    InvalidRequest
        ``field`` ``"run_date"`` if ``run_date`` is not a calendar date.
    """
    date_text = format_run_date(run_date)
    for shard in plan.shards:
        yield _message(request, plan, shard, date_text)


def shard_message(
    request: SweepRequest, plan: ShardPlan, shard_id: int, run_date: dt.date | str
) -> ShardMessage:
    """The message of one shard: the one :func:`shard_messages` yields for ``shard_id``.

    Raises
    ------
    IndexError
        If ``shard_id`` is not a shard of ``plan``.
    """
    if not 0 <= shard_id < plan.shard_count:
        raise IndexError(f"shard {shard_id} is not in a plan of {plan.shard_count} shard(s)")
    return _message(request, plan, plan.shards[shard_id], format_run_date(run_date))


def _message(
    request: SweepRequest, plan: ShardPlan, shard: ShardRange, run_date: str
) -> ShardMessage:
    points, offset = None, 0
    if request.points is not None:
        offset = shard.start_index // request.replications
        last = (shard.end_index_exclusive - 1) // request.replications
        points = ExplicitPoints(request.points.names, request.points.rows[offset : last + 1])
    return ShardMessage(
        schema_version=SCHEMA_VERSION,
        run_id=request.run_id,
        run_date=run_date,
        request_fingerprint=request.request_fingerprint,
        dimensions=request.dimensions,
        total_points=plan.total_points,
        shard_id=shard.shard_id,
        start_index=shard.start_index,
        end_index_exclusive=shard.end_index_exclusive,
        seed=request.seed,
        failure_injection_shards=request.failure_injection_shards,
        replications=request.replications,
        seeding=request.seeding,
        points=points,
        points_offset=offset,
    )


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One point of a sweep: its index, its dimension values (checked when the request
    or message was parsed), its seed, and which design point and replicate it is."""

    index: int
    values: Mapping[str, JSONScalar]
    seed: int
    design_point: int = -1
    replicate: int = 0

    def __post_init__(self) -> None:
        if self.design_point < 0:  # a point given without a design: its own design point
            object.__setattr__(self, "design_point", self.index)


def shard_points(message: ShardMessage) -> Iterator[SweepPoint]:
    """The points of one shard, in index order (values decoded as :func:`point_values`,
    or read from the message's explicit points)."""
    seed = message.seed & _U64_MASK
    replications = message.replications
    common = message.seeding == "common"
    explicit = message.points
    names = explicit.names if explicit is not None else tuple(message.dimensions)
    columns = [message.dimensions[name] for name in names] if explicit is None else []
    for index in range(message.start_index, message.end_index_exclusive):
        design_point, replicate = divmod(index, replications)
        if explicit is not None:
            row = explicit.rows[design_point - message.points_offset]
            values = dict(zip(names, row, strict=True))
        else:
            values = _decode(names, columns, design_point)
        point_seed = seed ^ (replicate if common else index)
        yield SweepPoint(index, values, point_seed, design_point, replicate)


def request_point(request: SweepRequest, index: int) -> SweepPoint:
    """Point ``index`` of a request (any index, whatever the shards): its values, seed,
    design point and replicate, as :func:`shard_points` yields it.

    Raises
    ------
    IndexError
        If ``index`` is outside ``[0, request.total_points)``.
    """
    if not 0 <= index < request.total_points:
        raise IndexError(f"point index {index} is outside [0, {request.total_points})")
    design_point, replicate = divmod(index, request.replications)
    if request.points is not None:
        values = request.points.values(design_point)
    else:
        values = point_values(request.dimensions, design_point)
    seed = request.seed & _U64_MASK
    point_seed = seed ^ (replicate if request.seeding == "common" else index)
    return SweepPoint(index, values, point_seed, design_point, replicate)


def run_context_record(
    request: SweepRequest, plan: ShardPlan, request_source: str, provenance: Provenance
) -> RunContextRecord:
    """The ``run_context`` row written when a run is accepted.

    Parameters
    ----------
    request_source : str
        Who submitted the run, e.g. ``"api"`` or ``"local"``.
    provenance : Provenance
        The code accepting it (:func:`sweeplib.provenance.current_provenance`).
    """
    return RunContextRecord(
        run_id=request.run_id,
        request_source=request_source,
        request_fingerprint=request.request_fingerprint,
        config_fingerprint=request.config_fingerprint,
        total_points=plan.total_points,
        shard_count=plan.shard_count,
        shard_strategy=plan.shard_strategy,
        max_shards=plan.max_shards,
        design_kind=request.design_kind,
        design_points=request.design_points,
        replications=request.replications,
        seeding=request.seeding,
        sweeplib_version=provenance.sweeplib_version,
        kernel_hash=provenance.kernel_hash,
        artifact_sha256=provenance.artifact_sha256,
    )
