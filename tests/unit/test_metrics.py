"""The consumer's Prometheus metrics: each reading lands in its own series."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from eventfilter.adapters.metrics import PrometheusMetrics


def test_each_reading_lands_in_its_series() -> None:
    registry = CollectorRegistry()
    m = PrometheusMetrics(registry)
    m.consumed(5, redelivered=2)
    m.decided("suspend", "kontanthjaelp")
    m.decided("pass", None)
    m.dead_lettered(1)
    m.latency(0.03)
    m.locked(0.002)
    m.locked(0.3)
    m.open_windows(7)
    m.queue_lag(11)
    m.outbox_published(4)
    m.outbox_published(2)
    m.outbox_waiting(9)
    m.outbox_waiting(3)  # a gauge: the last reading
    value = registry.get_sample_value
    assert value("eventfilter_events_consumed_total") == 5
    assert value("eventfilter_redeliveries_total") == 2
    assert value("eventfilter_decisions_total", {"outcome": "suspend", "benefit": "kontanthjaelp"}) == 1
    assert value("eventfilter_decisions_total", {"outcome": "pass", "benefit": "none"}) == 1
    assert value("eventfilter_dead_letters_total") == 1
    assert value("eventfilter_processing_seconds_count") == 1
    assert value("eventfilter_case_lock_seconds_count") == 2
    assert value("eventfilter_case_lock_seconds_bucket", {"le": "0.005"}) == 1
    assert value("eventfilter_open_windows") == 7
    assert value("eventfilter_queue_lag") == 11
    assert value("eventfilter_outbox_published_total") == 6
    assert value("eventfilter_outbox_waiting") == 3
