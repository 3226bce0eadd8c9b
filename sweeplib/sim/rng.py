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

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "MASK64",
    "RNG_LAYOUTS",
    "RngLayout",
    "Stream",
    "StreamSeeds",
    "first_uniform",
    "stream_seeds",
]

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


#: How a run's stream seeds derive from its scenario seed (SIM_SPEC deviation 6).
RngLayout = Literal["independent", "original"]
RNG_LAYOUTS: Final[tuple[RngLayout, ...]] = ("independent", "original")

# The original's offsets from the scenario seed S (SIM_SPEC §7.2).
QUOTE_SEED_OFFSET: Final = 0x711073BEEF
DRIVER_SEED_OFFSET: Final = 0xDEADBEEF
CANCEL_SEED_OFFSET: Final = 0xCAFEBABE
SPEED_SEED_XOR: Final = 0x5EEDCAFE

# Stream families of the independent layout: one tag each, mixed with S.
_FAMILY_SALT: Final = 0x243F6A8885A308D3  # the first hex digits of pi: nothing up the sleeve
_RIDER_ARRIVAL, _DRIVER_ARRIVAL, _QUOTE, _CANCEL, _DECISION, _SPEED = range(1, 7)


@dataclass(frozen=True, slots=True)
class StreamSeeds:
    """The base seed of each stream family of one run (SIM_SPEC §7.2).

    Per-entity streams add their counter to the base: rider arrival ``k`` draws from
    ``Stream(rider_arrival + k)``, the quote decision of rider index ``i`` from
    ``Stream(quote + i)``, and so on. ``speed`` seeds the one persistent speed stream.
    Which draws come from which family, and in which order, does not depend on the
    layout; only the bases do.
    """

    rider_arrival: int
    driver_arrival: int
    quote: int
    cancel: int
    decision: int
    speed: int


def _family_base(seed: int, family: int) -> int:
    """A strong 64-bit hash of ``(seed, family)`` (two SplitMix64 finalisations)."""
    return _mix(_mix(seed ^ _FAMILY_SALT) ^ ((family * _GAMMA) & MASK64))


def stream_seeds(seed: int, layout: RngLayout = "independent") -> StreamSeeds:
    """The family bases of a run with scenario seed ``seed`` (S of SIM_SPEC §7.2).

    ``"original"`` is the Rust kernel's arithmetic: bases ``S``, ``S + 0xdeadbeef``,
    ``S + 0x711073beef``, ``S + 0xcafebabe``, ``S + 0xdeadbeef`` and ``S ^ 0x5eedcafe``.
    Arrival ``k`` of seed ``S`` then replays arrival ``k − 1`` of seed ``S + 1``, so
    neighbouring seeds give correlated runs, and driver arrival ``k`` shares its first
    draw with the decision of driver index ``k``.

    ``"independent"`` (the default, deviation 6) hashes ``(S, family)`` into each base,
    so the stream of ``(S, family, k)`` starts from the SplitMix64 finalisation of
    ``hash(S, family) + k``: different seeds, and different families of one seed, give
    unrelated streams (two collide only if their bases lie within a run's entity count
    of each other, probability ≈ 2⁻⁴⁴ per pair).
    """
    seed &= MASK64
    if layout == "original":
        return StreamSeeds(
            rider_arrival=seed,
            driver_arrival=(seed + DRIVER_SEED_OFFSET) & MASK64,
            quote=(seed + QUOTE_SEED_OFFSET) & MASK64,
            cancel=(seed + CANCEL_SEED_OFFSET) & MASK64,
            decision=(seed + DRIVER_SEED_OFFSET) & MASK64,
            speed=seed ^ SPEED_SEED_XOR,
        )
    if layout != "independent":
        raise ValueError(f"unknown rng_layout {layout!r}; expected one of {RNG_LAYOUTS}")
    return StreamSeeds(
        rider_arrival=_family_base(seed, _RIDER_ARRIVAL),
        driver_arrival=_family_base(seed, _DRIVER_ARRIVAL),
        quote=_family_base(seed, _QUOTE),
        cancel=_family_base(seed, _CANCEL),
        decision=_family_base(seed, _DECISION),
        speed=_family_base(seed, _SPEED),
    )
