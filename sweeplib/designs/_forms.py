"""The compact forms of a design: ``sweep design`` flags, a notebook's ``design``
parameter, and a run's recorded ``design`` provenance (see :mod:`sweeplib.designs`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from sweeplib.designs._core import Categorical, Design, Factor, Range, make_design
from sweeplib.dimensions import JSONScalar, validate_dimension_name
from sweeplib.errors import InvalidRequest

__all__ = [
    "design_from_provenance",
    "design_from_spec",
    "parse_choice",
    "parse_range",
    "parse_set",
]


def _number(text: str, what: str, name: str) -> float:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(name, f"{what} {text!r} is not a number")
    return value


def parse_range(text: str) -> Range:
    """``NAME=LO:HI[:int][:log]`` → :class:`Range`, e.g. ``num_drivers=50:500:int``."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InvalidRequest(text, "expected NAME=LO:HI[:int][:log]")
    parts = [part.strip() for part in spec.split(":")]
    if len(parts) < 2:
        raise InvalidRequest(name, f"expected LO:HI[:int][:log], got {spec!r}")
    flags = parts[2:]
    unknown = [flag for flag in flags if flag not in ("int", "log", "real", "linear")]
    if unknown:
        raise InvalidRequest(name, f"unknown option {unknown[0]!r}; use int, real, log, linear")
    return Range(
        name,
        _number(parts[0], "low bound", name),
        _number(parts[1], "high bound", name),
        scale="log" if "log" in flags else "linear",
        integer="int" in flags,
    )


def _json_scalar(text: str) -> JSONScalar:
    """A JSON scalar (``5``, ``0.1``, ``true``, ``null``, ``"x"``), else the text itself."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(value, list | dict):
        return text
    return value  # type: ignore[no-any-return]


def parse_choice(text: str) -> Categorical:
    """``NAME=A,B,C`` → :class:`Categorical`; each choice read as JSON if it is JSON
    (``5``, ``true``), else as a string (``hungarian``)."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise InvalidRequest(text, "expected NAME=A,B,...")
    return Categorical(name, tuple(_json_scalar(part.strip()) for part in spec.split(",")))


def parse_set(text: str) -> tuple[str, JSONScalar]:
    """``NAME=VALUE`` → ``(name, value)``, the value read as JSON if it is JSON."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InvalidRequest(text, "expected NAME=VALUE")
    validate_dimension_name(name)
    return name, _json_scalar(value.strip())


_SPEC_KEYS: Final = (
    "kind",
    "samples",
    "levels",
    "ranges",
    "choices",
    "fixed",
    "seed",
    "second_order",
)


def design_from_spec(spec: Mapping[str, Any]) -> Design:
    """A design from a notebook's ``design`` parameter (or any JSON object)::

        {"kind": "lhs", "samples": 64, "seed": 7,
         "ranges": {"commission_rate": "0:0.3", "num_drivers": "50:500:int"},
         "choices": {"matching_algorithm_type": ["simple", "hungarian"]},
         "fixed": {"match_radius": 5}}

    ``ranges`` take the compact ``LO:HI[:int][:log]`` form of ``sweep design --range``.

    Raises
    ------
    InvalidRequest
        ``field`` ``design.<key>`` (``design.ranges.num_drivers`` …) and why.
    """
    if not isinstance(spec, Mapping):
        raise InvalidRequest("design", f"must be an object, got {type(spec).__name__}")
    unknown = sorted(str(key) for key in spec if key not in _SPEC_KEYS)
    if unknown:
        raise InvalidRequest(
            f"design.{unknown[0]}", f"unknown key; accepted: {', '.join(_SPEC_KEYS)}"
        )
    factors: list[Factor] = []
    try:
        for group, parse in (("ranges", parse_range), ("choices", None)):
            entries = spec.get(group)
            entries = {} if entries is None else entries
            if not isinstance(entries, Mapping):
                raise InvalidRequest(group, "must be an object mapping dimension names to values")
            for name, value in entries.items():
                if parse is not None:
                    factors.append(parse(f"{name}={value}"))
                elif isinstance(value, list | tuple):
                    factors.append(Categorical(str(name), tuple(value)))
                else:
                    raise InvalidRequest(f"{group}.{name}", "must be a list of choices")
        fixed = spec.get("fixed")
        fixed = {} if fixed is None else fixed
        if not isinstance(fixed, Mapping):
            raise InvalidRequest("fixed", "must be an object mapping dimension names to values")
        return make_design(
            str(spec.get("kind", "")),
            factors,
            samples=spec.get("samples"),
            levels=spec.get("levels"),
            fixed=fixed,
            seed=spec.get("seed", 0),
            second_order=bool(spec.get("second_order", False)),
        )
    except InvalidRequest as error:
        field = error.field.removeprefix("dimensions.")
        raise InvalidRequest(f"design.{field}", error.reason) from None


def design_from_provenance(provenance: Mapping[str, Any]) -> Design:
    """Draw a run's design again from the ``design`` object :meth:`Design.request` wrote
    (designs are reproducible from their seed): the same points and unit-cube matrix,
    which sensitivity analysis needs.

    Raises
    ------
    InvalidRequest
        ``field`` ``design`` when the object was not written by :mod:`sweeplib.designs`.
    """
    try:
        factors: list[Factor] = []
        for entry in provenance["factors"]:
            if entry["type"] == "categorical":
                factors.append(Categorical(entry["name"], tuple(entry["choices"])))
            else:
                factors.append(
                    Range(
                        entry["name"],
                        entry["low"],
                        entry["high"],
                        scale=entry["scale"],
                        integer=entry["type"] == "integer",
                    )
                )
        kind = provenance["kind"]
        return make_design(
            kind,
            factors,
            samples=provenance.get("samples"),
            levels=provenance.get("num_levels", provenance.get("levels")),
            fixed=provenance.get("fixed") or {},
            seed=provenance["seed"],
            second_order=bool(provenance.get("calc_second_order", False)),
        )
    except (KeyError, TypeError) as error:
        raise InvalidRequest("design", f"is not a sweeplib.designs design ({error!r})") from None
