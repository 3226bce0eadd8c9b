"""Quote, decision, acceptance and abandonment (SIM_SPEC §2.8, §6.3–6.4)."""

from __future__ import annotations

from sweeplib.sim import EventKind, PricingConfig, RiderQuoteConfig, quotes
from sweeplib.sim.entities import RIDER_BROWSING, RIDER_WAITING

from .world import ORIGIN, browsing_rider, driver_at, empty_world, kinds, queued, ring

DEST = ring(ORIGIN, 6)[0]


def quoted(sim, fare=12.0, eta_ms=60_000):
    rider = browsing_rider(sim, ORIGIN, DEST)
    rider.quote_fare = fare
    rider.quote_eta_ms = eta_ms
    return rider


def test_show_quote_prices_the_trip_and_schedules_the_decision():
    sim = empty_world()
    driver_at(sim, ring(ORIGIN, 3)[0])
    rider = browsing_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.SHOW_QUOTE, rider, at_ms=1_000)
    expected_base = 2.50 + 1.50 * sim.grid.distance_km(ORIGIN, DEST)
    assert rider.quote_fare == expected_base  # no surge configured
    assert rider.quote_fare >= 2.50
    # nearest idle driver, straight line at 40 km/h, truncated
    distance = sim.grid.distance_km(ring(ORIGIN, 3)[0], ORIGIN)
    assert rider.quote_eta_ms == int(distance / 40 * 3_600_000)
    assert kinds(sim) == [(2_000, EventKind.QUOTE_DECISION)]


def test_show_quote_without_idle_drivers_uses_the_default_eta():
    sim = empty_world()
    rider = browsing_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.SHOW_QUOTE, rider)
    assert rider.quote_eta_ms == 300_000


def test_show_quote_eta_is_at_least_one_second():
    sim = empty_world()
    driver_at(sim, ORIGIN)  # same cell: distance 0
    rider = browsing_rider(sim, ORIGIN, DEST)
    sim.handle(EventKind.SHOW_QUOTE, rider)
    assert rider.quote_eta_ms == 1_000


def test_surge_multiplier_counts_demand_and_idle_supply_in_the_disk():
    pricing = PricingConfig(surge_enabled=True, surge_radius_k=1, surge_max_multiplier=1.8)
    sim = empty_world(pricing_config=pricing)
    neighbours = ring(ORIGIN, 1)
    driver_at(sim, neighbours[0])
    driver_at(sim, ring(ORIGIN, 4)[0])  # outside the disk: not supply
    for cell in (ORIGIN, neighbours[1], neighbours[2]):
        browsing_rider(sim, cell, DEST)
    # demand 3 (includes the quoting rider) vs supply 1 → 1 + 2/1 = 3, capped at 1.8
    assert quotes.surge_multiplier(sim, ORIGIN) == 1.8
    driver_at(sim, neighbours[3])
    driver_at(sim, neighbours[4])
    # demand 3 vs supply 3 → no surge
    assert quotes.surge_multiplier(sim, ORIGIN) == 1.0
    browsing_rider(sim, neighbours[5], DEST)
    # demand 4 vs supply 3 → 1 + 1/3
    assert quotes.surge_multiplier(sim, ORIGIN) == 1.0 + 1 / 3


def test_surge_with_demand_and_no_supply_is_the_maximum():
    pricing = PricingConfig(surge_enabled=True, surge_radius_k=2, surge_max_multiplier=1.3)
    sim = empty_world(pricing_config=pricing)
    browsing_rider(sim, ORIGIN, DEST)
    assert quotes.surge_multiplier(sim, ORIGIN) == 1.3


def test_surge_radius_zero_disables_surge():
    pricing = PricingConfig(surge_enabled=True, surge_radius_k=0, surge_max_multiplier=3.0)
    sim = empty_world(pricing_config=pricing)
    browsing_rider(sim, ORIGIN, DEST)
    assert quotes.surge_multiplier(sim, ORIGIN) == 1.0


def test_accept_probability_one_accepts():
    sim = empty_world(rider_quote_config=RiderQuoteConfig(accept_probability=1.0))
    rider = quoted(sim)
    sim.handle(EventKind.QUOTE_DECISION, rider, at_ms=5_000)
    assert kinds(sim) == [(5_000, EventKind.QUOTE_ACCEPTED)]


def test_accept_probability_zero_rejects_stochastically():
    sim = empty_world(rider_quote_config=RiderQuoteConfig(accept_probability=0.0))
    rider = quoted(sim)
    sim.handle(EventKind.QUOTE_DECISION, rider, at_ms=5_000)
    assert kinds(sim) == [(5_000, EventKind.QUOTE_REJECTED)]
    assert rider.last_reason == 3  # stochastic


def test_price_is_checked_before_eta():
    config = RiderQuoteConfig(accept_probability=1.0, max_willingness_to_pay=10.0)
    sim = empty_world(rider_quote_config=config)
    rider = quoted(sim, fare=11.0, eta_ms=10_000_000)
    sim.handle(EventKind.QUOTE_DECISION, rider)
    assert rider.last_reason == 1  # price too high, although the ETA is too long too
    rider2 = quoted(sim, fare=9.0, eta_ms=600_001)
    sim.handle(EventKind.QUOTE_DECISION, rider2)
    assert rider2.last_reason == 2  # ETA too long


def test_rejection_below_the_limit_requotes_after_the_delay():
    sim = empty_world()
    rider = quoted(sim)
    rider.quote_rejections = 1
    sim.handle(EventKind.QUOTE_REJECTED, rider, at_ms=40_000)
    assert rider.quote_rejections == 2
    assert kinds(sim) == [(50_000, EventKind.SHOW_QUOTE)]
    assert rider.alive


def test_the_rejection_after_the_maximum_abandons():
    sim = empty_world(rider_quote_config=RiderQuoteConfig(max_quote_rejections=2))
    rider = quoted(sim)
    rider.quote_rejections = 2
    rider.last_reason = 2
    sim.handle(EventKind.QUOTE_REJECTED, rider)
    assert not rider.alive
    assert sim.riders_abandoned_quote == 1
    assert sim.abandoned_eta == 1
    assert sim.rider_counts == [0, 0, 0]
    assert queued(sim) == []


def test_default_rider_gets_four_quotes_before_giving_up():
    sim = empty_world(rider_quote_config=RiderQuoteConfig(accept_probability=0.0))
    rider = browsing_rider(sim, ORIGIN, DEST)
    sim.schedule(1_000, EventKind.SHOW_QUOTE, rider)
    shows = []
    while sim.step():
        if sim.last_kind == EventKind.SHOW_QUOTE:
            shows.append(sim.now)
    assert shows == [1_000, 12_000, 23_000, 34_000]
    assert not rider.alive and sim.abandoned_stochastic == 1


def test_quote_accepted_with_per_rider_matching_schedules_trymatch_and_cancel():
    sim = empty_world(batch_matching_enabled=False)
    rider = quoted(sim, fare=17.5)
    sim.handle(EventKind.QUOTE_ACCEPTED, rider, at_ms=100_000)
    assert rider.state == RIDER_WAITING
    assert rider.accepted_fare == 17.5
    assert rider.quote_fare is None  # the quote component is removed
    events = kinds(sim)
    assert events[0] == (101_000, EventKind.TRY_MATCH)
    (cancel_at, cancel_kind) = events[1]
    assert cancel_kind == EventKind.RIDER_CANCEL
    assert 100_000 + 120_000 <= cancel_at <= 100_000 + 2_400_000
    assert cancel_at % 1_000 == 0  # whole seconds


def test_quote_accepted_in_batch_mode_only_schedules_the_cancel_timer():
    sim = empty_world()
    rider = quoted(sim)
    sim.handle(EventKind.QUOTE_ACCEPTED, rider, at_ms=0)
    assert [kind for _, kind in kinds(sim)] == [EventKind.RIDER_CANCEL]


def test_cancel_wait_depends_only_on_the_rider_index():
    """A rider reusing an index inherits its predecessor's cancel draw (§7.4)."""
    sim = empty_world()
    first = quoted(sim)
    sim.handle(EventKind.QUOTE_ACCEPTED, first, at_ms=0)
    first_wait = kinds(sim)[0][0]
    sim.queue.clear()
    sim.handle(EventKind.RIDER_CANCEL, first)  # despawn: frees the index
    second = quoted(sim)
    assert second.index == first.index and second.entity != first.entity
    sim.handle(EventKind.QUOTE_ACCEPTED, second, at_ms=0)
    assert kinds(sim)[0][0] == first_wait


def test_a_browsing_rider_ignores_late_handlers_once_despawned():
    sim = empty_world()
    rider = quoted(sim)
    sim.handle(EventKind.RIDER_CANCEL, rider)  # not Waiting: no-op
    assert rider.alive and rider.state == RIDER_BROWSING
