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

#: Whether this module runs compiled by mypyc (ADR 0020). Compiled, SplitMix64 runs on
#: 32-bit halves and 16-bit limbs whose every intermediate stays inside the compiled
#: kernel's unboxed ints; on Python's 64-bit ints each step would allocate (≈ 4,000
#: instructions a draw, 11 % of the large example). Interpreted, CPython's own 64-bit
#: arithmetic is the faster of the two. Both give the same numbers (ADR 0025).
COMPILED: Final = not __file__.endswith((".py", ".pyc"))

_M32: Final = 0xFFFFFFFF
_GAMMA_HI: Final = 0x9E3779B9
_GAMMA_LO: Final = 0x7F4A7C15
# The two multipliers in 16-bit limbs, most significant first.
_M1_3: Final = 0xBF58
_M1_2: Final = 0x476D
_M1_1: Final = 0x1CE4
_M1_0: Final = 0xE5B9
_M2_3: Final = 0x94D0
_M2_2: Final = 0x49BB
_M2_1: Final = 0x1331
_M2_0: Final = 0x11EB


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def _mul_halves(hi: int, lo: int, b3: int, b2: int, b1: int, b0: int) -> tuple[int, int]:
    """``(hi·2³² + lo) · b mod 2⁶⁴`` as ``(high, low)`` 32-bit halves.

    ``b`` comes as four 16-bit limbs, most significant first; the other factor is cut
    the same way, so every product multiplies two 16-bit numbers (mypyc's fast path
    wants factors below 2³⁰) and every column sum stays below 2³⁵.
    """
    a0 = lo & 0xFFFF
    a1 = lo >> 16
    a2 = hi & 0xFFFF
    a3 = hi >> 16
    column = a0 * b0
    w0 = column & 0xFFFF
    column = (column >> 16) + a0 * b1 + a1 * b0
    w1 = column & 0xFFFF
    column = (column >> 16) + a0 * b2 + a1 * b1 + a2 * b0
    w2 = column & 0xFFFF
    column = (column >> 16) + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0
    return ((column & 0xFFFF) << 16) | w2, (w1 << 16) | w0


def _mix_halves(hi: int, lo: int) -> tuple[int, int]:
    """:func:`_mix` on 32-bit halves."""
    lo ^= ((lo >> 30) | (hi << 2)) & _M32
    hi ^= hi >> 30
    hi, lo = _mul_halves(hi, lo, _M1_3, _M1_2, _M1_1, _M1_0)
    lo ^= ((lo >> 27) | (hi << 5)) & _M32
    hi ^= hi >> 27
    hi, lo = _mul_halves(hi, lo, _M2_3, _M2_2, _M2_1, _M2_0)
    lo ^= ((lo >> 31) | (hi << 1)) & _M32
    hi ^= hi >> 31
    return hi, lo


def _advance_halves(hi: int, lo: int) -> tuple[int, int]:
    """The state after ``hi·2³² + lo``: plus the golden-ratio increment, mod 2⁶⁴."""
    lo += _GAMMA_LO
    return (hi + _GAMMA_HI + (lo >> 32)) & _M32, lo & _M32


class Stream:
    """One seeded stream of draws (``Stream(x)`` of SIM_SPEC §7.2).

    The state is held whole (``_state``, interpreted) or as 32-bit halves (``_hi``,
    ``_lo``, compiled); see :data:`COMPILED`.
    """

    __slots__ = ("_hi", "_lo", "_state")

    def __init__(self, seed: int) -> None:
        if COMPILED:
            self._hi, self._lo = _mix_halves((seed >> 32) & _M32, seed & _M32)
            self._state = 0
        else:
            self._state = _mix(seed & MASK64)
            self._hi = self._lo = 0

    def _next_halves(self) -> tuple[int, int]:
        hi, lo = _advance_halves(self._hi, self._lo)
        self._hi = hi
        self._lo = lo
        return _mix_halves(hi, lo)

    def next_u64(self) -> int:
        if COMPILED:
            hi, lo = self._next_halves()
            return (hi << 32) | lo
        z = self._state = (self._state + _GAMMA) & MASK64
        z = ((z ^ (z >> 30)) * _M1) & MASK64
        z = ((z ^ (z >> 27)) * _M2) & MASK64
        return z ^ (z >> 31)

    # The two float draws repeat next_u64's body: they sit on the kernel's hot path.

    def uniform(self) -> float:
        """Uniform float in ``[0, 1)``."""
        if COMPILED:
            hi, lo = self._next_halves()
            return ((hi << 21) | (lo >> 11)) * _UNIT
        z = self._state = (self._state + _GAMMA) & MASK64
        z = ((z ^ (z >> 30)) * _M1) & MASK64
        z = ((z ^ (z >> 27)) * _M2) & MASK64
        return ((z ^ (z >> 31)) >> 11) * _UNIT

    def uniform_inclusive(self, low: float, high: float) -> float:
        """Uniform float in ``[low, high]`` (both ends reachable)."""
        if COMPILED:
            hi, lo = self._next_halves()
            return low + ((hi << 21) | (lo >> 11)) * _UNIT_INCLUSIVE * (high - low)
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
    if COMPILED:
        hi, lo = _mix_halves((seed >> 32) & _M32, seed & _M32)
        hi, lo = _advance_halves(hi, lo)
        hi, lo = _mix_halves(hi, lo)
        return ((hi << 21) | (lo >> 11)) * _UNIT
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
