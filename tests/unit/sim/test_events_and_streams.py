"""Clock ordering (SIM_SPEC §2.2, deviation 2) and seeded streams (§7)."""

from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sweeplib.sim import ScenarioParams, Simulation, kernel_build, rng
from sweeplib.sim.engine import HANDLERS
from sweeplib.sim.events import EventKind, EventQueue
from sweeplib.sim.rng import MASK64, Stream, first_uniform


def test_every_event_kind_has_its_handler():
    """The world's handler table is indexed by kind: ``HANDLERS[k]`` handles kind ``k``."""
    assert len(HANDLERS) == len(EventKind)
    for kind, handler in zip(EventKind, HANDLERS, strict=True):
        assert handler.__name__ == f"on_{kind.name.lower()}"


def test_the_worlds_schedule_orders_events_as_the_queue_does():
    """``Simulation.schedule`` packs the same heap keys as ``EventQueue.push``."""
    sim = Simulation(ScenarioParams(num_riders=0, num_drivers=0))
    queue = EventQueue()
    for at_ms, kind in [(20, 1), (20, 5), (10, 12), (20, 5), (0, 17), (10, 0)]:
        sim.schedule(at_ms, kind)
        queue.push(at_ms, kind)
    assert sim.queue.pending() == queue.pending()
    assert sorted(sim.queue.heap) == sorted(queue.heap)


def test_events_pop_by_time_then_higher_ordinal_first():
    queue = EventQueue()
    queue.push(20, EventKind.SPAWN_RIDER)
    queue.push(20, EventKind.QUOTE_ACCEPTED)
    queue.push(10, EventKind.SIMULATION_STARTED)
    queue.push(30, EventKind.CHECK_DRIVER_OFF_DUTY)
    popped = [queue.pop()[:2] for _ in range(4)]
    assert popped == [
        (10, EventKind.SIMULATION_STARTED),
        (20, EventKind.QUOTE_ACCEPTED),  # ordinal 5 beats SpawnRider (1) at the same ms
        (20, EventKind.SPAWN_RIDER),
        (30, EventKind.CHECK_DRIVER_OFF_DUTY),
    ]


def test_start_of_run_order_batch_then_drivers_then_riders():
    queue = EventQueue()
    for kind in (EventKind.BATCH_MATCH_RUN, EventKind.SPAWN_RIDER, EventKind.SPAWN_DRIVER):
        queue.push(0, kind)
    assert [queue.pop()[1] for _ in range(3)] == [
        EventKind.BATCH_MATCH_RUN,
        EventKind.SPAWN_DRIVER,
        EventKind.SPAWN_RIDER,
    ]


def test_equal_time_and_kind_pop_in_insertion_order():
    """Deviation 2: a FIFO tie-break instead of BinaryHeap internals."""
    queue = EventQueue()
    subjects = [f"rider-{i}" for i in range(50)]
    for subject in subjects:
        queue.push(5_000, EventKind.RIDER_CANCEL, subject)
    assert [queue.pop()[2] for _ in subjects] == subjects


def test_large_timestamps_keep_their_order():
    queue = EventQueue()
    far = 10 * 365 * 24 * 3_600_000  # ten years of simulated time
    queue.push(far + 1, EventKind.SIMULATION_STARTED)
    queue.push(far, EventKind.SIMULATION_STARTED)
    assert [queue.pop()[0] for _ in range(2)] == [far, far + 1]


def test_renumbering_keeps_pop_order_and_subjects():
    """Past the sequence limit the pending events are renumbered: same order, same subjects."""
    limit = 7
    queue, reference = EventQueue(seq_limit=limit), EventQueue()
    rng = Stream(5)
    popped, expected = [], []
    for step in range(200):
        at_ms, kind = rng.integer(0, 4), rng.integer(0, len(EventKind) - 1)
        queue.push(at_ms, kind, f"event-{step}")
        reference.push(at_ms, kind, f"event-{step}")
        assert queue.seq <= limit
        if len(queue) >= 5:  # at most 5 pending: fewer than the 7 sequence numbers
            popped.append(queue.pop())
            expected.append(reference.pop())
    popped += [queue.pop() for _ in range(len(queue))]
    expected += [reference.pop() for _ in range(len(reference))]
    assert popped == expected and len(popped) == 200
    assert queue.subjects == {} and reference.subjects == {}


def test_renumbering_refuses_more_pending_events_than_sequence_numbers():
    queue = EventQueue(seq_limit=3)
    for at_ms in range(3):
        queue.push(at_ms, EventKind.SPAWN_RIDER)
    with pytest.raises(OverflowError, match="3 pending events"):
        queue.push(3, EventKind.SPAWN_RIDER)


def test_the_runner_renumbers_in_place():
    """The runner holds the heap and the subjects: renumbering must not replace them."""
    queue = EventQueue(seq_limit=4)
    heap, subjects = queue.heap, queue.subjects
    for at_ms in range(6):
        queue.push(at_ms, EventKind.SPAWN_RIDER, at_ms)
        if at_ms % 2:
            queue.pop()
    assert queue.heap is heap and queue.subjects is subjects
    assert [subject for _, _, subject in queue.pending()] == [3, 4, 5]


def test_stream_is_deterministic_and_seed_sensitive():
    a, b, c = Stream(42), Stream(42), Stream(43)
    draws_a = [a.next_u64() for _ in range(5)]
    assert draws_a == [b.next_u64() for _ in range(5)]
    assert draws_a != [c.next_u64() for _ in range(5)]
    assert all(0 <= x <= MASK64 for x in draws_a)


def _splitmix64(seed: int, draws: int) -> list[int]:
    """SplitMix64 written out plainly, as the reference for :class:`Stream`'s inlined
    draws (the same bytes compiled or interpreted, ADR 0020)."""

    def mix(z: int) -> int:
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    state, out = mix(seed & MASK64), []
    for _ in range(draws):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        out.append(mix(state))
    return out


# Known answers: SplitMix64 seeded with its state (no initial mix) from 0 gives
# 0xE220A8397B1DCDAF first; ours mixes the seed first, so Stream(0) starts from mix(0) = 0.
def test_the_reference_is_splitmix64():
    assert _splitmix64(0, 1) == [0xE220A8397B1DCDAF]


@given(st.integers(-(2**70), 2**70), st.integers(1, 4))
def test_streams_draw_splitmix64_exactly(seed, draws):
    stream = Stream(seed)
    words = [stream.next_u64() for _ in range(draws)]
    assert words == _splitmix64(seed, draws)
    again = Stream(seed)
    top = [word >> 11 for word in words]
    assert [again.uniform() for _ in range(draws)] == [t * 2.0**-53 for t in top]
    assert first_uniform(seed) == top[0] * 2.0**-53
    inclusive = Stream(seed).uniform_inclusive(2.0, 7.5)
    assert inclusive == 2.0 + top[0] * (1.0 / float((1 << 53) - 1)) * 5.5


@given(st.integers(min_value=0, max_value=MASK64))
def test_splitmix64_on_32_bit_halves_equals_the_64_bit_form(word):
    """The compiled kernel's SplitMix64 (rng.COMPILED) gives the interpreted one's bits.

    Both forms are plain Python, so this runs the halves path whichever build loaded;
    ``test_streams_draw_splitmix64_exactly`` checks the path the build uses.
    """
    hi, lo = word >> 32, word & 0xFFFFFFFF
    assert rng._mix_halves(hi, lo) == (rng._mix(word) >> 32, rng._mix(word) & 0xFFFFFFFF)
    stepped = (word + 0x9E3779B97F4A7C15) & MASK64
    assert rng._advance_halves(hi, lo) == (stepped >> 32, stepped & 0xFFFFFFFF)
    factor = (word * 0x9E3779B97F4A7C15 + 12345) & MASK64
    assert rng._mul_halves(hi, lo, *_limbs(factor)) == (
        ((word * factor) & MASK64) >> 32,
        (word * factor) & 0xFFFFFFFF,
    )


def test_the_halves_run_exactly_when_rng_is_compiled():
    assert (kernel_build() == "compiled") == rng.COMPILED


def test_splitmix64_halves_at_the_extremes():
    for word in (0, 1, MASK64, MASK64 - 1, 1 << 63, (1 << 32) - 1, 1 << 32):
        hi, lo = word >> 32, word & 0xFFFFFFFF
        mixed = rng._mix(word)
        assert rng._mix_halves(hi, lo) == (mixed >> 32, mixed & 0xFFFFFFFF)
        square = (word * word) & MASK64
        assert rng._mul_halves(hi, lo, *_limbs(word)) == (square >> 32, square & 0xFFFFFFFF)


def _limbs(word: int) -> tuple[int, int, int, int]:
    """A 64-bit word as 16-bit limbs, most significant first."""
    return (word >> 48) & 0xFFFF, (word >> 32) & 0xFFFF, (word >> 16) & 0xFFFF, word & 0xFFFF


def test_the_multiplier_limbs_are_splitmix64s():
    assert _limbs(0xBF58476D1CE4E5B9) == (rng._M1_3, rng._M1_2, rng._M1_1, rng._M1_0)
    assert _limbs(0x94D049BB133111EB) == (rng._M2_3, rng._M2_2, rng._M2_1, rng._M2_0)


def test_first_uniform_is_the_streams_first_draw():
    for seed in (0, 1, 2**63, MASK64, 0xDEADBEEF + 17):
        assert first_uniform(seed) == Stream(seed).uniform()


def test_seeds_wrap_at_64_bits():
    assert first_uniform(MASK64 + 5) == first_uniform(4)


def test_consecutive_seeds_give_uncorrelated_uniform_first_draws():
    """Per-entity seeds are S + k: their first draws must look independent."""
    draws = [first_uniform(1_000 + k) for k in range(20_000)]
    assert 0.49 < statistics.fmean(draws) < 0.51
    assert all(0.0 <= u < 1.0 for u in draws)
    pairs = list(itertools.pairwise(draws))
    mean = statistics.fmean(draws)
    lag1 = sum((x - mean) * (y - mean) for x, y in pairs) / sum((x - mean) ** 2 for x in draws)
    assert abs(lag1) < 0.03
    below_tenth = sum(u < 0.1 for u in draws) / len(draws)
    assert 0.09 < below_tenth < 0.11


def test_integer_draws_cover_the_inclusive_range_uniformly():
    stream = Stream(9)
    draws = [stream.integer(120, 125) for _ in range(12_000)]
    assert set(draws) == set(range(120, 126))
    for value in range(120, 126):
        assert 1_800 < draws.count(value) < 2_200


def test_integer_draw_of_a_single_value_range():
    assert Stream(1).integer(5, 5) == 5
    with pytest.raises(ValueError, match="empty integer range"):
        Stream(1).integer(6, 5)


def test_inclusive_float_range_stays_in_bounds():
    stream = Stream(3)
    draws = [stream.uniform_inclusive(20.0, 60.0) for _ in range(5_000)]
    assert min(draws) >= 20.0 and max(draws) <= 60.0
    assert 39.0 < statistics.fmean(draws) < 41.0
