"""The stream through the local RabbitMQ onto the local PostgreSQL.

Throughput: the partitions are filled first, then one or two consumer
processes drain them (start-up excluded). Latency: one consumer runs while
another process publishes at a steady rate below capacity; each event's time
from publication to the commit of its effects (windows stay open: the
settle time is not part of it).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.workloads import World, make_world, stream_latency, stream_throughput
from eventfilter.adapters.amqp import PikaPublisher, Topology, delete_topology
from eventfilter.ports import OutMessage
from tests.conftest import RABBIT_URL

# A round's throughput spread by ±15 % within twenty minutes on the same code
# (RESULTS.md, 2026-12-07): the figure is the median of the rounds, each one kept.
THROUGHPUT_ROUNDS = 3


@pytest.fixture(scope="module")
def stream_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from benchmarks.conftest import CACHE

    return make_world(CACHE, profile="national", persons=30_000, days=120, seed=3)


@pytest.mark.parametrize("consumers", [1, 2])
def test_stream_throughput(  # type: ignore[no-untyped-def]
    benchmark,
    stream_world: World,
    rabbitmq: str,
    pg_databases: Callable[[], str],
    consumers: int,
) -> None:
    rates: list[float] = []

    def run() -> Any:
        result = stream_throughput(
            stream_world, pg_databases(), RABBIT_URL, f"efbench.{uuid.uuid4().hex[:8]}", consumers
        )
        rates.append(result.rate)
        return result

    result = benchmark.pedantic(run, rounds=THROUGHPUT_ROUNDS, iterations=1)
    rate = statistics.median(rates)
    benchmark.extra_info.update(
        events=result.events,
        consumers=consumers,
        events_per_second=round(rate),
        per_consumer=round(rate / consumers),
        rounds_events_per_second=[round(r) for r in rates],
    )


def test_stream_latency(  # type: ignore[no-untyped-def]
    benchmark, stream_world: World, rabbitmq: str, pg_databases: Callable[[], str]
) -> None:
    def run() -> Any:
        return stream_latency(
            stream_world, pg_databases(), RABBIT_URL, f"efbench.{uuid.uuid4().hex[:8]}", rate=1000
        )

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(
        events=len(result.latencies),
        publish_rate=1000,
        p50_ms=round(result.percentile(50) * 1000, 1),
        p99_ms=round(result.percentile(99) * 1000, 1),
        max_ms=round(max(result.latencies) * 1000, 1),
    )


def test_publish_a_batch_of_decisions(benchmark, rabbitmq: str) -> None:  # type: ignore[no-untyped-def]
    """What the outbox's publisher thread does: 5,000 decision messages in one
    broker transaction, into a queue bound to the decisions exchange (the payment
    system's). The time is the broker's as much as ours; `cpu_us_per_message` is
    the publishing thread's own CPU."""
    name = f"efbench.{uuid.uuid4().hex[:8]}"
    topology = Topology(queue=f"{name}.events", decisions=f"{name}.decisions")
    body = (
        b'{"decision_id":"d-0123456789abcdef0123","event_ids":["e-1"],"person_id":"P0000001",'
        b'"case_id":"C1","benefit":"kontanthjaelp","decision":"pass","reasons":[{"code":'
        b'"nothing_changed","message":"Nothing the rules read changed."}]}'
    )
    messages = [OutMessage("decision.pass.kontanthjaelp", f"d-{i}", body) for i in range(5000)]
    publisher = PikaPublisher(rabbitmq, topology)
    channel = publisher._connection.channel()
    queue = channel.queue_declare(f"{name}.payments", exclusive=True).method.queue
    channel.queue_bind(queue, topology.decisions, "#")
    cpu: list[float] = []
    try:

        def publish() -> None:
            started = time.thread_time()
            publisher.publish(messages)
            cpu.append(time.thread_time() - started)
            channel.queue_purge(queue)

        benchmark.pedantic(publish, rounds=7, iterations=1)
    finally:
        publisher.close()
        delete_topology(rabbitmq, topology)
    benchmark.extra_info.update(
        messages=len(messages), cpu_us_per_message=round(statistics.median(cpu) / len(messages) * 1e6, 1)
    )
