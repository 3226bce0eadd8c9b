"""Speed factors: time-of-day profile × zone × vehicle density (SIM_SPEC §4.2–4.3)."""

from __future__ import annotations

from typing import Final

__all__ = ["BERLIN_PROFILE", "MIN_SPEED_KMH", "density_factor", "hour_of", "hourly_factors"]

# fmt: off
BERLIN_PROFILE = (
    1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00,   # 0–6
    0.45, 0.45,                                  # 7–8
    0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65,    # 9–15
    0.40, 0.40, 0.40,                            # 16–18
    0.75, 0.75, 0.75, 0.75, 0.75,                # 19–23
)
# fmt: on
# Tuples of floats stay plain globals: mypyc 2.4 leaves a Final one unset at import.
_FLAT_PROFILE = (1.0,) * 24

#: Speeds are floored here after all factors are applied.
MIN_SPEED_KMH: Final = 1.0


def hourly_factors(profile: str | tuple[float, ...]) -> tuple[float, ...]:
    """The 24 UTC-hour speed factors of a traffic profile."""
    if profile == "none":
        return _FLAT_PROFILE
    if profile == "berlin":
        return BERLIN_PROFILE
    if isinstance(profile, tuple) and len(profile) == 24:
        return profile
    raise ValueError(f"unknown traffic profile {profile!r}")


def hour_of(epoch_ms: int, now_ms: int) -> int:
    return ((epoch_ms + now_ms) // 3_600_000) % 24


def density_factor(drivers_in_cell: int) -> float:
    """Slow-down from the number of drivers (any state) in the mover's cell."""
    if drivers_in_cell <= 2:
        return 1.0
    if drivers_in_cell <= 5:
        return 0.85
    if drivers_in_cell <= 10:
        return 0.70
    return 0.55
