"""What the request, the message and the records share: the schema version, canonical
JSON and hashing, the strict JSON decoder, and the field checks of run ids, run dates
and integers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any, TypeAlias

from sweeplib.checks import describe_value, render_int
from sweeplib.dimensions import JSONScalar
from sweeplib.errors import InvalidRequest, SweepError

__all__ = [
    "I64_MAX",
    "I64_MIN",
    "SCHEMA_VERSION",
    "ErrorFactory",
    "JSONValue",
    "canonical_json",
    "format_run_date",
    "int_list",
    "load_json",
    "sha256_hex",
    "strict_int",
    "validate_run_id",
]

SCHEMA_VERSION = "v1"

JSONValue: TypeAlias = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]

I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
_RUN_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_RUN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: InvalidRequest or InvalidShardMessage: both are built from (field, reason).
ErrorFactory: TypeAlias = Callable[[str, str], SweepError]


def canonical_json(value: object) -> str:
    """Serialise ``value`` the one way every fingerprint hashes it.

    Object keys sorted by code point (the same order as UTF-8 bytes), no whitespace
    (separators ``,`` and ``:``), non-ASCII characters written as themselves (UTF-8),
    integers as integers, and floats as Python's shortest round-trip ``repr``: ``1.0``
    stays ``1.0`` (distinct from ``1``), ``0.1`` is ``0.1``, ``1e16`` is ``1e+16`` and
    ``1e-7`` is ``1e-07``. Tuples serialise as arrays.

    Raises
    ------
    ValueError
        If ``value`` contains NaN or ±Infinity.
    TypeError
        If ``value`` contains something that is not JSON (a set, a numpy scalar…).
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(text: str) -> str:
    """The lowercase hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _RejectedJSON(ValueError):
    """Raised inside json.loads hooks; never escapes this module."""


def _reject_constant(name: str) -> object:
    raise _RejectedJSON(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _RejectedJSON(f"number {text} is out of range")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RejectedJSON(f"duplicate key {key!r}")
        result[key] = value
    return result


def load_json(text: str | bytes, error: ErrorFactory, field: str) -> object:
    """Decode JSON strictly: NaN, ±Infinity, numbers that overflow a float and duplicate
    object keys are refused with ``error(field, reason)``, as is text that is not UTF-8."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(field, f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except _RejectedJSON as exc:
        raise error(field, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise error(field, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError, or an integer with too many digits
        raise error(field, f"not valid JSON: {exc}") from None


def strict_int(
    value: object, field: str, error: ErrorFactory, *, minimum: int, maximum: int = I64_MAX
) -> int:
    """``value`` if it is an integer (not a bool) in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(field, f"must be an integer, got {describe_value(value)}")
    if value < minimum:
        raise error(field, f"must be ≥ {minimum}, got {render_int(value)}")
    if value > maximum:
        raise error(field, f"must be ≤ {maximum}, got {render_int(value)}")
    return value


def int_list(value: object, field: str, error: ErrorFactory) -> list[int]:
    """``value`` if it is a list of non-negative integers."""
    if not isinstance(value, list | tuple):
        raise error(field, f"must be a list of integers, got {describe_value(value)}")
    return [strict_int(v, f"{field}[{i}]", error, minimum=0) for i, v in enumerate(value)]


def validate_run_id(run_id: object) -> str:
    """Check a (trimmed) run id: 1–128 characters of ``[A-Za-z0-9._-]``, not only dots.

    Run ids become path components of object keys, so ``"../x"``, ``"."`` and ``".."``
    are refused.

    Returns
    -------
    str
        ``run_id``, typed as ``str``.

    Raises
    ------
    InvalidRequest
        With ``field`` ``"run_id"``.
    """
    if not isinstance(run_id, str):
        raise InvalidRequest("run_id", f"must be a string, got {describe_value(run_id)}")
    if not run_id:
        raise InvalidRequest("run_id", "must not be empty")
    if len(run_id) > 128:
        raise InvalidRequest("run_id", f"must be at most 128 characters, got {len(run_id)}")
    if _RUN_ID.fullmatch(run_id) is None:
        raise InvalidRequest(
            "run_id",
            "may contain only letters, digits, '.', '_' and '-' (it is part of object keys), "
            f"got {describe_value(run_id)}",
        )
    if set(run_id) == {"."}:
        raise InvalidRequest("run_id", f"must not consist only of dots, got {run_id!r}")
    return run_id


def format_run_date(run_date: dt.date | str) -> str:
    """Return ``run_date`` as ``YYYY-MM-DD``, checking that a string is a real calendar date.

    Raises
    ------
    InvalidRequest
        With ``field`` ``"run_date"``.
    """
    if isinstance(run_date, dt.date):
        return dt.date(run_date.year, run_date.month, run_date.day).isoformat()
    if not isinstance(run_date, str) or _RUN_DATE.fullmatch(run_date) is None:
        shown = describe_value(run_date)
        raise InvalidRequest("run_date", f"must be a date YYYY-MM-DD, got {shown}")
    try:
        dt.date.fromisoformat(run_date)
    except ValueError as exc:
        raise InvalidRequest("run_date", f"is not a calendar date ({exc}): {run_date!r}") from None
    return run_date
