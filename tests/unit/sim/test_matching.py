"""Matching and driver decisions (SIM_SPEC §5, §6.6)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sweeplib.sim import DriverDecisionConfig, EventKind, MatchingAlgorithm, matching
from sweeplib.sim import assignment as m
from sweeplib.sim.entities import (
    DRIVER_EN_ROUTE,
    DRIVER_EVALUATING,
    DRIVER_IDLE,
    TRIP_EN_ROUTE,
)

from .world import ORIGIN, driver_at, empty_world, kinds, ring, waiting_rider

DEST = ring(ORIGIN, 8)[0]


def test_trymatch_links_a_same_cell_pair_and_schedules_match_accepted():
    sim = empty_world(
        batch_matching_enabled=False, matching_algorithm_type=MatchingAlgorithm.SIMPLE
    )
    driver = driver_at(sim, ORIGIN)
    rider = waiting_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.TRY_MATCH, rider, at_ms=3_000)
    assert rider.matched_driver is driver and driver.matched_rider is rider
    assert driver.state == DRIVER_EVALUATING
    assert kinds(sim) == [(4_000, EventKind.MATCH_ACCEPTED)]


def test_trymatch_without_a_driver_in_radius_retries_after_30_s():
    sim = empty_world(batch_matching_enabled=False, match_radius=1)
    driver_at(sim, ring(ORIGIN, 2)[0])
    rider = waiting_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.TRY_MATCH, rider, at_ms=3_000)
    assert rider.matched_driver is None
    assert kinds(sim) == [(33_000, EventKind.TRY_MATCH)]


def test_trymatch_is_a_no_op_in_batch_mode():
    sim = empty_world()
    driver_at(sim, ORIGIN)
    rider = waiting_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.TRY_MATCH, rider)
    assert rider.matched_driver is None and kinds(sim) == []


def test_match_accepted_schedules_the_decision_one_second_later():
    sim = empty_world()
    driver = driver_at(sim, ORIGIN)
    sim.handle(EventKind.MATCH_ACCEPTED, driver, at_ms=7_000)
    assert kinds(sim) == [(8_000, EventKind.DRIVER_DECISION)]


def test_match_rejected_clears_the_link_and_retries_only_without_batching():
    for batch, expected in ((False, [(40_000, EventKind.TRY_MATCH)]), (True, [])):
        sim = empty_world(batch_matching_enabled=batch)
        driver = driver_at(sim, ring(ORIGIN, 1)[0])
        rider = waiting_rider(sim, ORIGIN, DEST)
        rider.matched_driver = driver
        sim.handle(EventKind.MATCH_REJECTED, rider, at_ms=10_000)
        assert rider.matched_driver is None
        assert kinds(sim) == expected


def offer(sim, score):
    driver = driver_at(sim, ring(ORIGIN, 1)[0])
    rider = waiting_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.TRY_MATCH, rider)  # no-op in batch mode; link by hand
    rider.matched_driver = driver
    sim.set_driver_state(driver, DRIVER_EVALUATING)
    driver.matched_rider = rider
    return driver, rider


def test_a_very_attractive_offer_is_accepted_and_starts_a_trip():
    config = DriverDecisionConfig(base_acceptance_score=50.0)
    sim = empty_world(driver_decision_config=config)
    driver, rider = offer(sim, 50.0)
    sim.handle(EventKind.DRIVER_DECISION, driver, at_ms=20_000)
    assert driver.state == DRIVER_EN_ROUTE
    trip = rider.assigned_trip
    assert trip is not None and trip.state == TRIP_EN_ROUTE
    assert trip.pickup == ORIGIN and trip.dropoff == DEST
    assert trip.matched_at == 20_000 and trip.requested_at == rider.requested_at
    assert trip.pickup_distance_km == sim.grid.distance_km(ring(ORIGIN, 1)[0], ORIGIN)
    assert trip.agreed_fare == rider.accepted_fare
    assert kinds(sim) == [(21_000, EventKind.MOVE_STEP)]


def test_a_very_unattractive_offer_is_rejected():
    config = DriverDecisionConfig(base_acceptance_score=-50.0)
    sim = empty_world(driver_decision_config=config)
    driver, rider = offer(sim, -50.0)
    sim.handle(EventKind.DRIVER_DECISION, driver, at_ms=20_000)
    assert driver.state == DRIVER_IDLE and driver.matched_rider is None
    assert kinds(sim) == [(20_000, EventKind.MATCH_REJECTED)]
    assert rider.assigned_trip is None


def test_same_seed_and_indices_give_the_same_decision():
    outcomes = set()
    for _ in range(3):
        sim = empty_world(seed=11)
        driver, _ = offer(sim, 0.0)
        sim.handle(EventKind.DRIVER_DECISION, driver, at_ms=20_000)
        outcomes.add(driver.state)
    assert len(outcomes) == 1


def test_acceptance_probability_formula():
    sim = empty_world()
    driver, rider = offer(sim, 0.0)
    rider.accepted_fare = 15.0
    driver.daily_earnings = 50.0
    driver.earnings_target = 200.0
    sim.now = 3_600_000
    driver.session_start_ms = 0
    driver.fatigue_threshold_ms = 36_000_000
    pickup_km = sim.grid.distance_km(driver.cell, rider.cell)
    trip_km = sim.grid.distance_km(rider.cell, rider.destination)
    score = 1.0 + 1.5 - 2.0 * pickup_km + 0.5 * trip_km - 0.5 * 0.25 - 1.0 * 0.1
    assert np.isclose(matching.acceptance_probability(sim, driver, rider), 1 / (1 + np.exp(-score)))


def test_decision_for_a_driver_not_evaluating_is_a_no_op():
    sim = empty_world()
    driver = driver_at(sim, ORIGIN)
    sim.handle(EventKind.DRIVER_DECISION, driver)
    assert driver.state == DRIVER_IDLE and kinds(sim) == []


def test_decision_for_a_cancelled_rider_returns_the_driver_to_idle():
    sim = empty_world()
    driver, rider = offer(sim, 0.0)
    sim.handle(EventKind.RIDER_CANCEL, rider)
    sim.set_driver_state(driver, DRIVER_EVALUATING)  # a stale evaluating driver
    sim.handle(EventKind.DRIVER_DECISION, driver)
    assert driver.state == DRIVER_IDLE


def test_cost_based_picks_the_closer_driver_whatever_the_order():
    near, far = ring(ORIGIN, 1)[0], ring(ORIGIN, 3)[0]
    for order in ((far, near), (near, far)):
        sim = empty_world(
            batch_matching_enabled=False,
            match_radius=3,
            matching_algorithm_type=MatchingAlgorithm.COST_BASED,
        )
        drivers = {cell: driver_at(sim, cell) for cell in order}
        rider = waiting_rider(sim, ORIGIN, DEST)
        sim.handle(EventKind.TRY_MATCH, rider)
        assert rider.matched_driver is drivers[near]


def test_simple_takes_the_first_idle_driver_in_radius_not_the_nearest():
    near, far = ring(ORIGIN, 1)[0], ring(ORIGIN, 3)[0]
    sim = empty_world(
        batch_matching_enabled=False,
        match_radius=3,
        matching_algorithm_type=MatchingAlgorithm.SIMPLE,
    )
    first = driver_at(sim, far)
    driver_at(sim, near)
    rider = waiting_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.TRY_MATCH, rider)
    assert rider.matched_driver is first


def test_match_radius_is_in_grid_hops():
    sim = empty_world(match_radius=2)
    inside = driver_at(sim, ring(ORIGIN, 2)[0])
    driver_at(sim, ring(ORIGIN, 3)[0])
    assert matching.feasible_drivers(sim, ORIGIN) == [inside]


def test_feasible_drivers_follow_the_idle_order_with_swap_remove():
    sim = empty_world(match_radius=2)
    cells = ring(ORIGIN, 1)[:4]
    drivers = [driver_at(sim, cell) for cell in cells]
    assert matching.feasible_drivers(sim, ORIGIN) == drivers
    sim.set_driver_state(drivers[0], DRIVER_EVALUATING)  # swap-remove: last takes slot 0
    assert matching.feasible_drivers(sim, ORIGIN) == [drivers[3], drivers[1], drivers[2]]
    sim.set_driver_state(drivers[0], DRIVER_IDLE)  # re-appended at the end
    assert matching.feasible_drivers(sim, ORIGIN) == [
        drivers[3],
        drivers[1],
        drivers[2],
        drivers[0],
    ]


def test_large_radius_scan_agrees_with_the_disk_lookup():
    sim = empty_world(match_radius=40)  # disk of 4,921 cells > 4 × occupied cells
    inside = [driver_at(sim, ring(ORIGIN, k)[0]) for k in (0, 7, 40)]
    driver_at(sim, ring(ORIGIN, 41)[0])
    assert matching.feasible_drivers(sim, ORIGIN) == inside


def test_batch_simple_double_books_one_driver():
    """Preserved quirk (§5.5): every rider sees the same unreduced candidate list."""
    sim = empty_world(match_radius=1, matching_algorithm_type=MatchingAlgorithm.SIMPLE)
    driver = driver_at(sim, ORIGIN)
    riders = [waiting_rider(sim, cell, DEST) for cell in (ORIGIN, ring(ORIGIN, 1)[0])]
    sim.handle(EventKind.BATCH_MATCH_RUN, None, at_ms=5_000)
    assert all(rider.matched_driver is driver for rider in riders)
    assert driver.matched_rider is riders[-1]  # last write wins
    events = kinds(sim)
    assert events.count((6_000, EventKind.MATCH_ACCEPTED)) == 2
    assert (10_000, EventKind.BATCH_MATCH_RUN) in events


def test_batch_hungarian_small_batch_is_greedy_by_rider_order():
    sim = empty_world(match_radius=3)
    near = driver_at(sim, ring(ORIGIN, 1)[0])
    other = driver_at(sim, ring(ORIGIN, 3)[0])
    first = waiting_rider(sim, ORIGIN, DEST)
    second = waiting_rider(sim, ring(ORIGIN, 1)[0], DEST)
    pairs = matching.find_batch_matches(sim, [first, second])
    # greedy: the first rider takes the nearest driver even though the second rider
    # sits on that driver's cell
    assert pairs == [(first, near), (second, other)]


def test_batch_hungarian_large_batch_maximises_matches_then_minimises_cost():
    sim = empty_world(match_radius=3)
    for k in range(1, 4):
        for cell in ring(ORIGIN, k)[:8]:
            driver_at(sim, cell)  # 24 idle drivers: above the greedy cut-over
    first = waiting_rider(sim, ORIGIN, DEST)
    second = waiting_rider(sim, ring(ORIGIN, 1)[0], DEST)
    pairs = matching.find_batch_matches(sim, [first, second])
    assert len(pairs) == 2
    assert {rider for rider, _ in pairs} == {first, second}
    assert len({driver for _, driver in pairs}) == 2
    total = sum(matching.match_score(sim, rider, driver) for rider, driver in pairs)
    best = max(
        matching.match_score(sim, first, a) + matching.match_score(sim, second, b)
        for a, b in itertools.permutations(sim.idle, 2)
        if a.idle_pos != b.idle_pos
    )
    assert np.isclose(total, best)


def test_pickup_score_and_weight():
    assert m.pickup_score(0.0, 0.1) == -0.1
    one_km = m.pickup_score(1.0, 0.1)  # eta 90 s
    assert np.isclose(one_km, -1.0 - 9.0)
    assert m.km_weight(-1.2345678) == -1_234_567
    assert m.km_weight(1.9999999) == 1_999_999


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.integers(n, 6).flatmap(
            lambda k: st.lists(
                st.lists(
                    st.one_of(st.integers(-5_000_000, 0), st.just(m.INFEASIBLE_WEIGHT)),
                    min_size=k,
                    max_size=k,
                ),
                min_size=n,
                max_size=n,
            )
        )
    )
)
def test_kuhn_munkres_finds_the_optimum(rows):
    weights = np.array(rows, dtype=np.int64)
    n, k = weights.shape
    assignment = m.max_weight_assignment(weights)
    assert sorted(set(assignment)) == sorted(assignment) and len(assignment) == n
    best = max(
        sum(int(weights[i, p[i]]) for i in range(n)) for p in itertools.permutations(range(k), n)
    )
    assert sum(int(weights[i, j]) for i, j in enumerate(assignment)) == best


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_hungarian_pairs_match_the_dense_original_formulation(data):
    """The reduced, component-wise solve equals the dense all-drivers optimum."""
    n_riders = data.draw(st.integers(1, 5))
    n_drivers = data.draw(st.integers(1, 6))
    feasible = {
        (r, d): data.draw(st.integers(-3_000_000, -1))
        for r in range(n_riders)
        for d in range(n_drivers)
        if data.draw(st.booleans())
    }
    riders, drivers = list(range(n_riders)), [f"d{d}" for d in range(n_drivers)]
    pairs = m.hungarian_pairs(
        riders,
        lambda r: [drivers[d] for d in range(n_drivers) if (r, d) in feasible],
        lambda r, cands: [feasible[(r, drivers.index(c))] for c in cands],
        drivers.index,
    )
    rows, cols = (riders, drivers) if n_riders <= n_drivers else (drivers, riders)

    def weight(i, j):
        r, d = (i, j) if n_riders <= n_drivers else (j, i)
        return feasible.get((r, d), m.INFEASIBLE_WEIGHT)

    dense = np.array(
        [[weight(i, j) for j in range(len(cols))] for i in range(len(rows))], dtype=np.int64
    )
    assignment = m.max_weight_assignment(dense)
    dense_pairs = [(i, j) for i, j in enumerate(assignment) if dense[i, j] != m.INFEASIBLE_WEIGHT]
    assert len(pairs) == len(dense_pairs)
    ours = sum(feasible[(r, drivers.index(d))] for r, d in pairs)
    assert ours == sum(int(dense[i, j]) for i, j in dense_pairs)
    assert len({d for _, d in pairs}) == len(pairs)
