"""Seeded random streams (SIM_SPEC §7).

The original draws from ChaCha12 streams seeded with ``seed_from_u64(x)``. Level A
keeps the *stream structure* — which seed feeds which draws, in which order — and
may use any good generator. We use SplitMix64: the state is the mixed seed and
every draw advances it by the golden-ratio increment and mixes again. It passes
BigCrush, decorrelates consecutive seeds (which is exactly how the original
derives per-entity seeds: ``S + k``), and costs a few integer operations in pure
Python — creating a numpy ``Generator`` per draw would cost ~10 µs on hot paths.

Draw primitives mirror the original's: a uniform float in ``[0, 1)`` from the top
53 bits, a float in an inclusive range, and an unbiased integer in an inclusive
range (Lemire's multiply-shift with rejection).
"""

from __future__ import annotations

from typing import Final

__all__ = ["MASK64", "Stream", "first_uniform"]

MASK64: Final = (1 << 64) - 1
_GAMMA: Final = 0x9E3779B97F4A7C15
_M1: Final = 0xBF58476D1CE4E5B9
_M2: Final = 0x94D049BB133111EB
_UNIT: Final = 2.0**-53
_UNIT_INCLUSIVE: Final = 1.0 / float((1 << 53) - 1)


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


class Stream:
    """One seeded stream of draws (``Stream(x)`` of SIM_SPEC §7.2)."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = _mix(seed & MASK64)

    def next_u64(self) -> int:
        z = self._state = (self._state + _GAMMA) & MASK64
        z = ((z ^ (z >> 30)) * _M1) & MASK64
        z = ((z ^ (z >> 27)) * _M2) & MASK64
        return z ^ (z >> 31)

    # The two float draws repeat next_u64's body: they sit on the kernel's hot path.

    def uniform(self) -> float:
        """Uniform float in ``[0, 1)``."""
        z = self._state = (self._state + _GAMMA) & MASK64
        z = ((z ^ (z >> 30)) * _M1) & MASK64
        z = ((z ^ (z >> 27)) * _M2) & MASK64
        return ((z ^ (z >> 31)) >> 11) * _UNIT

    def uniform_inclusive(self, low: float, high: float) -> float:
        """Uniform float in ``[low, high]`` (both ends reachable)."""
        z = self._state = (self._state + _GAMMA) & MASK64
        z = ((z ^ (z >> 30)) * _M1) & MASK64
        z = ((z ^ (z >> 27)) * _M2) & MASK64
        return low + ((z ^ (z >> 31)) >> 11) * _UNIT_INCLUSIVE * (high - low)

    def integer(self, low: int, high: int) -> int:
        """Uniform integer in ``[low, high]`` (inclusive), without modulo bias."""
        span = high - low + 1
        if span <= 0:
            raise ValueError(f"empty integer range [{low}, {high}]")
        product = self.next_u64() * span
        if (product & MASK64) < span:
            threshold = ((1 << 64) - span) % span
            while (product & MASK64) < threshold:
                product = self.next_u64() * span
        return low + (product >> 64)


def first_uniform(seed: int) -> float:
    """The first ``uniform()`` of ``Stream(seed)``, without building the stream.

    Riders' quote decisions and drivers' accept decisions each read exactly this
    one value from their per-entity stream (SIM_SPEC §7.2 streams 5 and 7).
    """
    state = (_mix(seed & MASK64) + _GAMMA) & MASK64
    return (_mix(state) >> 11) * _UNIT
