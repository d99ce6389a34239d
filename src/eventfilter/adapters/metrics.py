"""Prometheus metrics for the consumer (`--metrics-port`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events = Counter("eventfilter_events_consumed", "Register event messages consumed.", registry=r)
        self.redeliveries = Counter(
            "eventfilter_redeliveries",
            "Messages the broker delivered again (after a crash or outage).",
            registry=r,
        )
        self.decisions = Counter(
            "eventfilter_decisions",
            "Decisions made, by outcome and benefit.",
            ["outcome", "benefit"],
            registry=r,
        )
        self.dead = Counter("eventfilter_dead_letters", "Messages rejected to the dead letters.", registry=r)
        self.windows = Gauge(
            "eventfilter_open_windows", "Cases whose events wait to be decided together.", registry=r
        )
        self.lag = Gauge("eventfilter_queue_lag", "Messages waiting in the event partitions.", registry=r)
        self.published = Counter(
            "eventfilter_outbox_published",
            "Messages published to the payment system (decisions, holds placed and lifted).",
            registry=r,
        )
        self.waiting = Gauge(
            "eventfilter_outbox_waiting",
            "Messages for the payment system committed and not yet published.",
            registry=r,
        )
        self.seconds = Histogram(
            "eventfilter_processing_seconds",
            "From publication of an event to the commit of its effects (window not included).",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=r,
        )
        self.lock_seconds = Histogram(
            "eventfilter_case_lock_seconds",
            "How long a batch took to lock the cases its events may touch: it waits"
            " while another consumer's batch holds one of them.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )

    def serve(self, port: int) -> None:
        start_http_server(port, registry=self.registry)

    # the StreamMetrics protocol
    def consumed(self, n: int, redelivered: int) -> None:
        self.events.inc(n)
        self.redeliveries.inc(redelivered)

    def decided(self, outcome: str, benefit: str | None) -> None:
        self.decisions.labels(outcome, benefit or "none").inc()

    def dead_lettered(self, n: int) -> None:
        self.dead.inc(n)

    def latency(self, seconds: float) -> None:
        self.seconds.observe(seconds)

    def locked(self, seconds: float) -> None:
        self.lock_seconds.observe(seconds)

    # the consumer's periodic readings
    def open_windows(self, n: int) -> None:
        self.windows.set(n)

    def queue_lag(self, n: int) -> None:
        self.lag.set(n)

    # the outbox's publisher
    def outbox_published(self, n: int) -> None:
        self.published.inc(n)

    def outbox_waiting(self, n: int) -> None:
        self.waiting.set(n)
