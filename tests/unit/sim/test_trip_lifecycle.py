"""Movement, pickup, dropoff, cancellation and off-duty rules (SIM_SPEC §4.6, §6.5–6.7)."""

from __future__ import annotations

import h3.api.basic_int as h3
import pytest

from sweeplib.sim import (
    DriverDecisionConfig,
    EventKind,
    MatchingAlgorithm,
    PricingConfig,
    RiderQuoteConfig,
    ScenarioParams,
    Simulation,
)
from sweeplib.sim.entities import (
    DRIVER_EN_ROUTE,
    DRIVER_EVALUATING,
    DRIVER_IDLE,
    DRIVER_OFF_DUTY,
    DRIVER_ON_TRIP,
    RIDER_IN_TRANSIT,
    TRIP_CANCELLED,
    TRIP_COMPLETED,
    TRIP_EN_ROUTE,
    TRIP_ON_TRIP,
    Trip,
)
from sweeplib.sim.movement import travel_ms
from sweeplib.sim.rng import Stream

from .world import ORIGIN, driver_at, empty_world, kinds, queued, ring, waiting_rider

DEST = ring(ORIGIN, 6)[0]


@pytest.mark.parametrize(
    ("km", "kmh", "expected"),
    [(1.0, 40.0, 90_000), (2.5, 40.0, 225_000), (0.0, 40.0, 1_000), (0.001, 60.0, 1_000)],
)
def test_travel_time(km, kmh, expected):
    assert travel_ms(km, kmh) == expected


def test_travel_time_rounds_half_away_from_zero():
    # 0.0125 km at 1 km/h = 45,000 ms exactly; 1/3 km at 40 km/h = 30,000 ms
    assert travel_ms(0.0125, 1.0) == 45_000
    assert travel_ms(1 / 3, 40.0) == 30_000
    assert travel_ms(1.0, 0.5) == 3_600_000  # speeds below 1 km/h count as 1


def en_route_trip(sim: Simulation, driver_cell: int, rider_cell: int = ORIGIN) -> Trip:
    driver = driver_at(sim, driver_cell)
    rider = waiting_rider(sim, rider_cell, DEST)
    rider.matched_driver = driver
    sim.set_driver_state(driver, DRIVER_EVALUATING)
    driver.matched_rider = rider
    sim.set_driver_state(driver, DRIVER_EN_ROUTE)
    return sim.add_trip(rider, driver)


def test_first_move_step_moves_one_hop_and_reports_the_eta():
    sim = empty_world()
    start = ring(ORIGIN, 3)[0]
    trip = en_route_trip(sim, start)
    sim.handle(EventKind.MOVE_STEP, trip, at_ms=10_000)
    driver = trip.driver
    assert driver.cell != start
    assert h3.grid_distance(driver.cell, ORIGIN) == 2
    assert (
        trip.route is not None and trip.route.cells[0] == start and trip.route.cells[-1] == ORIGIN
    )
    events = queued(sim)
    assert events[0][:2] == (10_000, EventKind.PICKUP_ETA_UPDATED)
    assert events[1][1] == EventKind.MOVE_STEP and events[1][0] > 10_000
    assert trip.pickup_eta_ms > 0


def test_last_hop_schedules_the_pickup_one_second_later():
    sim = empty_world()
    trip = en_route_trip(sim, ring(ORIGIN, 1)[0])
    sim.handle(EventKind.MOVE_STEP, trip, at_ms=10_000)
    assert trip.driver.cell == ORIGIN
    assert trip.pickup_eta_ms == 0
    assert kinds(sim) == [(10_000, EventKind.PICKUP_ETA_UPDATED), (11_000, EventKind.TRIP_STARTED)]


def test_move_step_on_the_target_cell_arrives_without_moving():
    sim = empty_world()
    trip = en_route_trip(sim, ORIGIN)
    sim.handle(EventKind.MOVE_STEP, trip, at_ms=10_000)
    assert kinds(sim) == [(11_000, EventKind.TRIP_STARTED)]
    # The speed draw happens first (§4.2): exactly one draw of the speed stream is gone.
    reference = Stream(sim.params.stream_seeds.speed)
    reference.next_u64()
    assert sim.speed_stream.next_u64() == reference.next_u64()


def test_trip_started_picks_the_rider_up():
    sim = empty_world()
    trip = en_route_trip(sim, ORIGIN)
    sim.handle(EventKind.TRIP_STARTED, trip, at_ms=12_000)
    assert trip.state == TRIP_ON_TRIP and trip.pickup_at == 12_000
    assert trip.rider.state == RIDER_IN_TRANSIT and trip.driver.state == DRIVER_ON_TRIP
    assert trip.route is None
    assert kinds(sim) == [(13_000, EventKind.MOVE_STEP)]


def test_trip_started_requires_the_driver_on_the_riders_cell():
    sim = empty_world()
    trip = en_route_trip(sim, ring(ORIGIN, 1)[0])
    sim.handle(EventKind.TRIP_STARTED, trip)
    assert trip.state == TRIP_EN_ROUTE and kinds(sim) == []


def test_trip_completed_pays_out_and_frees_everyone():
    sim = empty_world(pricing_config=None)
    trip = en_route_trip(sim, ORIGIN)
    sim.handle(EventKind.TRIP_STARTED, trip, at_ms=12_000)
    sim.queue.clear()
    sim.handle(EventKind.TRIP_COMPLETED, trip, at_ms=600_000)
    rider, driver = trip.rider, trip.driver
    assert not rider.alive
    assert driver.state == DRIVER_IDLE and driver.matched_rider is None
    assert trip.state == TRIP_COMPLETED and trip.dropoff_at == 600_000
    assert driver.daily_earnings == pytest.approx(15.0)  # commission 0
    assert sim.total_fares == pytest.approx(15.0) and sim.riders_completed == 1
    assert kinds(sim) == [(600_000, EventKind.CHECK_DRIVER_OFF_DUTY)]


def test_commission_splits_the_fare():
    sim = empty_world(pricing_config=PricingConfig(commission_rate=0.2))
    trip = en_route_trip(sim, ORIGIN)
    sim.handle(EventKind.TRIP_STARTED, trip)
    sim.handle(EventKind.TRIP_COMPLETED, trip)
    assert sim.platform_revenue == pytest.approx(3.0)
    assert trip.driver.daily_earnings == pytest.approx(12.0)


def test_rider_cancel_with_an_en_route_trip():
    sim = empty_world()
    trip = en_route_trip(sim, ring(ORIGIN, 2)[0])
    sim.handle(EventKind.RIDER_CANCEL, trip.rider, at_ms=500_000)
    assert not trip.rider.alive
    assert trip.driver.state == DRIVER_IDLE and trip.driver.matched_rider is None
    assert trip.state == TRIP_CANCELLED and trip.cancelled_at == 500_000
    assert sim.riders_cancelled == 1


def test_rider_cancel_without_a_match():
    sim = empty_world()
    rider = waiting_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.RIDER_CANCEL, rider)
    assert not rider.alive and sim.riders_cancelled == 1 and sim.rider_counts == [0, 0, 0]


def test_cancel_after_pickup_is_ignored():
    sim = empty_world()
    trip = en_route_trip(sim, ORIGIN)
    sim.handle(EventKind.TRIP_STARTED, trip)
    sim.handle(EventKind.RIDER_CANCEL, trip.rider)
    assert trip.rider.alive and trip.state == TRIP_ON_TRIP and sim.riders_cancelled == 0


def test_pickup_eta_beyond_patience_cancels():
    sim = empty_world()
    trip = en_route_trip(sim, ring(ORIGIN, 2)[0])
    trip.pickup_eta_ms = 2_000_000
    sim.handle(EventKind.PICKUP_ETA_UPDATED, trip, at_ms=100_000)
    assert kinds(sim) == []  # still within the first 120 s
    sim.handle(EventKind.PICKUP_ETA_UPDATED, trip, at_ms=500_000)
    assert kinds(sim) == [(500_000, EventKind.RIDER_CANCEL)]


def test_periodic_check_takes_drivers_at_target_off_duty():
    sim = empty_world()
    driver = driver_at(sim, ORIGIN, target=100.0)
    sim.credit_earnings(driver, 150.0)
    sim.handle(EventKind.CHECK_DRIVER_OFF_DUTY, None, at_ms=300_000)
    assert driver.state == DRIVER_OFF_DUTY and driver.session_end_ms == 300_000
    assert kinds(sim) == [(600_000, EventKind.CHECK_DRIVER_OFF_DUTY)]


def test_periodic_check_leaves_fresh_drivers_alone():
    sim = empty_world()
    driver = driver_at(sim, ORIGIN, target=100.0, fatigue_h=8.0)
    sim.handle(EventKind.CHECK_DRIVER_OFF_DUTY, None, at_ms=7 * 3_600_000)
    assert driver.state == DRIVER_IDLE


def test_fatigue_takes_even_an_en_route_driver_off_duty_and_freezes_the_trip():
    """Preserved quirk (§6.7)."""
    sim = empty_world()
    trip = en_route_trip(sim, ring(ORIGIN, 3)[0])
    trip.driver.fatigue_threshold_ms = 8 * 3_600_000
    sim.handle(EventKind.CHECK_DRIVER_OFF_DUTY, trip.driver, at_ms=9 * 3_600_000)
    assert trip.driver.state == DRIVER_OFF_DUTY
    sim.handle(EventKind.MOVE_STEP, trip)
    assert kinds(sim) == [] and trip.state == TRIP_EN_ROUTE  # frozen, no reschedule
    sim.handle(EventKind.RIDER_CANCEL, trip.rider)
    assert trip.state == TRIP_CANCELLED and trip.driver.state == DRIVER_OFF_DUTY


def test_periodic_fatigue_check_over_all_drivers():
    sim = empty_world()
    tired = driver_at(sim, ORIGIN, fatigue_h=8.0)
    fresh = driver_at(sim, ORIGIN, fatigue_h=12.0)
    sim.handle(EventKind.CHECK_DRIVER_OFF_DUTY, None, at_ms=9 * 3_600_000)
    assert tired.state == DRIVER_OFF_DUTY and fresh.state == DRIVER_IDLE


def end_to_end(riders: int) -> Simulation:
    """SIM_SPEC §11's hand-built world, with riders placed on the drivers' cells."""
    params = ScenarioParams(
        num_riders=0,
        num_drivers=0,
        seed=3,
        batch_matching_enabled=False,
        matching_algorithm_type=MatchingAlgorithm.SIMPLE,
        base_speed_kmh=40.0,
        simulation_end_time_ms=3_600_000,
        rider_quote_config=RiderQuoteConfig(accept_probability=1.0),
        driver_decision_config=DriverDecisionConfig(base_acceptance_score=50.0),
    )
    sim = Simulation(params)
    cells = [ORIGIN, ring(ORIGIN, 4)[0]][:riders]
    for cell in cells:
        driver_at(sim, cell)
    for i, cell in enumerate(cells):
        sim.now = 1_000 * (i + 1)
        sim.add_rider(cell, ring(cell, 3)[0])
    sim.now = 0
    return sim


@pytest.mark.parametrize("count", [1, 2])
def test_end_to_end_trips_complete(count):
    sim = end_to_end(count)
    steps = sim.run(max_steps=1_000)
    assert steps < 1_000
    completed = [t for t in sim.trips if t.state == TRIP_COMPLETED]
    assert len(completed) == count == sim.riders_completed
    for trip in completed:
        assert trip.dropoff != trip.pickup
        assert trip.requested_at <= trip.matched_at <= trip.pickup_at <= trip.dropoff_at
        assert trip.dropoff_at >= 1_000
    for driver in sim.drivers:
        assert driver.state in (DRIVER_IDLE, DRIVER_OFF_DUTY) and driver.matched_rider is None
