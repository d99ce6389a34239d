"""The RabbitMQ adapter against the local broker (its own exchanges and queues per test)."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pika
import pytest

from eventfilter.adapters.amqp import (
    ERROR_HEADER,
    PUBLISHED_AT,
    QUEUE_HEADER,
    PikaBroker,
    PikaPublisher,
    Topology,
    declare_topology,
    delete_topology,
    publish_events,
)
from eventfilter.errors import BrokerError
from eventfilter.ports import OutMessage
from eventfilter.service.stream import dead_message
from tests.conftest import RABBIT_HOST
from tests.helpers import income, move
from tests.tcpproxy import TcpProxy


@pytest.fixture
def topology(rabbitmq: str) -> Iterator[Topology]:
    name = f"eftest.{uuid.uuid4().hex[:10]}"
    t = Topology(queue=f"{name}.events", partitions=3, delivery_limit=2, decisions=f"{name}.decisions")
    yield t
    delete_topology(rabbitmq, t)


def fetch_all(broker: PikaBroker, n: int, timeout: float = 10) -> list:  # type: ignore[type-arg]
    got: list = []  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        got += broker.fetch(n - len(got), 0.5)
    return got


def get_one(channel: Any, queue: str, timeout: float = 10) -> tuple[Any, Any, bytes]:
    """The next message of `queue`, waiting for it (a quorum queue may take a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, props, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            return method, props, body
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived in {queue} within {timeout} s")


@contextmanager
def listening(rabbitmq: str, topology: Topology, routing_key: str) -> Iterator[tuple[Any, str]]:
    """A channel and a queue of its own, bound to the decisions exchange by `routing_key`."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq))
    try:
        channel = connection.channel()
        mine = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(mine, topology.decisions, routing_key=routing_key)
        yield channel, mine
    finally:
        connection.close()


def test_events_are_partitioned_by_person_and_kept_in_order(rabbitmq: str, topology: Topology) -> None:
    lines = [json.dumps(income(f"P{i % 7}", i, event_id=f"e{i}")).encode() for i in range(60)]
    assert publish_events(rabbitmq, topology, lines) == 60
    broker = PikaBroker(rabbitmq, topology, prefetch=100)
    try:
        got = fetch_all(broker, 60)
        assert len(got) == 60
        per_person: dict[str, list[int]] = {}
        queue_of: dict[str, set[str]] = {}
        for d in got:
            body = json.loads(d.body)
            per_person.setdefault(body["person_id"], []).append(body["data"]["amount"])
            queue_of.setdefault(body["person_id"], set()).add(d.queue)
            assert d.published_at is not None and abs(time.time() - d.published_at) < 60
        assert all(amounts == sorted(amounts) for amounts in per_person.values())  # per-person order
        assert all(len(queues) == 1 for queues in queue_of.values())  # one partition per person
        assert len({q for qs in queue_of.values() for q in qs}) > 1  # spread over partitions
        broker.ack(got)
        assert broker.lag() == 0
    finally:
        broker.close()


def test_a_batch_in_delivery_order_is_acknowledged_in_one_frame(rabbitmq: str, topology: Topology) -> None:
    """Per partition, one acknowledgement with `multiple` for the oldest
    outstanding run, one each only for the tags lying past messages still in hand."""
    lines = [json.dumps(income("P", i, event_id=f"e{i}")).encode() for i in range(30)]
    publish_events(rabbitmq, topology, lines)
    broker = PikaBroker(rabbitmq, topology, prefetch=100)
    sent: list[tuple[int, bool]] = []
    try:
        got = fetch_all(broker, 30)
        [queue] = {d.queue for d in got}  # one person: one partition, one channel
        channel = broker._consumers[queue]
        real = channel.basic_ack

        def spy(delivery_tag: int = 0, multiple: bool = False) -> None:
            sent.append((delivery_tag, multiple))
            real(delivery_tag=delivery_tag, multiple=multiple)

        channel.basic_ack = spy
        tags = [d.tag for d in got]
        assert tags == sorted(tags)
        broker.ack(got[:10])
        assert sent == [(tags[9], True)]
        sent.clear()
        broker.ack([got[12], got[20]])  # past got[10], got[11] that are still in hand
        assert sent == [(tags[12], False), (tags[20], False)]
        sent.clear()
        broker.ack(got[10:12] + got[13:20] + got[21:])
        assert sent == [(tags[29], True)]
        assert broker.lag() == 0
    finally:
        broker.close()
    again = PikaBroker(rabbitmq, topology, prefetch=100)
    try:
        assert again.fetch(10, 0.5) == []  # nothing was left unacknowledged
    finally:
        again.close()


def test_deliveries_come_in_while_the_consumer_is_busy_elsewhere(rabbitmq: str, topology: Topology) -> None:
    """The connection reads on a thread of its own: a fetch that does not wait
    at all finds what arrived while the consumer decided the batch before."""
    lines = [json.dumps(income(f"P{i}", i, event_id=f"e{i}")).encode() for i in range(20)]
    publish_events(rabbitmq, topology, lines)
    broker = PikaBroker(rabbitmq, topology, prefetch=100)
    try:
        got: list = []  # type: ignore[type-arg]
        deadline = time.monotonic() + 10
        while len(got) < 20 and time.monotonic() < deadline:
            got += broker.fetch(100, 0)  # never waits: only what is in hand already
        assert sorted(json.loads(d.body)["event_id"] for d in got) == sorted(f"e{i}" for i in range(20))
        broker.ack(got)
        assert broker.lag() == 0
    finally:
        broker.close()


def test_what_the_consumer_makes_of_each_message_comes_with_it(rabbitmq: str, topology: Topology) -> None:
    """`prepare` runs on each body as it comes in (the stream's parse); one that
    fails leaves `read` empty for the batch to do, and the connection goes on."""
    lines = [json.dumps(income("P", i, event_id=f"e{i}")).encode() for i in range(6)]
    publish_events(rabbitmq, topology, lines)

    def prepare(body: bytes) -> int:
        n = int(json.loads(body)["data"]["amount"])
        if n % 2:
            raise RuntimeError("a bug in the parse")
        return n

    broker = PikaBroker(rabbitmq, topology, prepare=prepare)
    try:
        got = fetch_all(broker, 6)
        assert [d.read for d in got] == [0, None, 2, None, 4, None]
        broker.ack(got)
        assert broker.lag() == 0
    finally:
        broker.close()


def test_a_consumer_busy_past_two_heartbeats_keeps_its_connection(rabbitmq: str, topology: Topology) -> None:
    """A heartbeat of 1 s: RabbitMQ closes a connection that misses two. A
    consumer that does not call its broker for several times that (a long batch
    on a slow database) still acknowledges what it took: nothing comes back."""
    publish_events(rabbitmq, topology, [json.dumps(move("P", "A", event_id="m")).encode()])
    broker = PikaBroker(rabbitmq, topology, heartbeat=1)
    try:
        [got] = fetch_all(broker, 1)
        busy_until = time.monotonic() + 4
        while time.monotonic() < busy_until:  # deciding, without a word to the broker
            sum(range(10_000))
        broker.ack([got])
        assert broker.lag() == 0
    finally:
        broker.close()
    again = PikaBroker(rabbitmq, topology)
    try:
        assert again.fetch(10, 1.0) == []  # acknowledged: not handed back
    finally:
        again.close()


def test_a_consumer_cut_off_from_the_broker_learns_it_at_its_next_call(
    rabbitmq: str, topology: Topology
) -> None:
    """Waiting for deliveries or idling through a database outage, the consumer
    hears of a lost broker connection as one sentence, and closing is harmless."""
    proxy = TcpProxy(RABBIT_HOST, 5672)
    try:
        url = rabbitmq.replace(f"{RABBIT_HOST}:5672", proxy.address, 1)
        for wait in ("fetch", "idle"):
            broker = PikaBroker(url, topology)
            proxy.cut()
            with pytest.raises(BrokerError) as exc:
                if wait == "fetch":
                    broker.fetch(10, 30)  # returns at the failure, not after 30 s
                else:
                    broker.idle(30)
            assert "\n" not in str(exc.value) and "RabbitMQ at" in str(exc.value)
            with pytest.raises(BrokerError):
                broker.ack([])  # every later call says so too
            broker.close()
            broker.close()
            proxy.restore()
    finally:
        proxy.close()


def test_unacknowledged_messages_come_back_after_a_crash(rabbitmq: str, topology: Topology) -> None:
    publish_events(rabbitmq, topology, [json.dumps(move("P", "A", event_id="m")).encode()])
    first = PikaBroker(rabbitmq, topology)
    assert len(fetch_all(first, 1)) == 1
    first.close()  # died without acknowledging
    second = PikaBroker(rabbitmq, topology)
    try:
        [again] = fetch_all(second, 1)
        assert again.redelivered
        second.ack([again])
    finally:
        second.close()


def test_messages_are_taken_in_their_senders_order_even_when_the_broker_mixes_them(
    rabbitmq: str, topology: Topology
) -> None:
    """Quorum queues may hand back a lost connection's messages in another
    order; the stamps put them back. Here the stamps are mixed on purpose."""
    declare_topology(rabbitmq, topology)
    stamps = random.Random(4).sample(range(1_000, 1_040), 40)
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq))
    try:
        channel = connection.channel()
        # one broker transaction, as publish_messages makes: all 40 are queued before
        # the test reads (unconfirmed publishes may still be on their way, or lost)
        channel.tx_select()
        for stamp in stamps:  # one person: one partition
            body = json.dumps(income("P", stamp, event_id=f"e{stamp}")).encode()
            channel.basic_publish(
                topology.events, "P", body, pika.BasicProperties(headers={PUBLISHED_AT: stamp})
            )
        channel.tx_commit()
    finally:
        connection.close()

    def amounts(deliveries: list) -> list[int]:  # type: ignore[type-arg]
        return [json.loads(d.body)["data"]["amount"] for d in deliveries]

    first = PikaBroker(rabbitmq, topology, prefetch=100)
    assert len(fetch_all(first, 40)) == 40  # everything is in hand…
    first.close()  # …and handed back unacknowledged
    second = PikaBroker(rabbitmq, topology, prefetch=100)
    try:
        batch = second.fetch(10, 5)
        assert len(batch) == 10 and all(d.redelivered for d in batch)
        assert amounts(batch) == list(range(1_000, 1_010))
        second.ack(batch)  # only these: the later ones still wait in hand
    finally:
        second.close()
    third = PikaBroker(rabbitmq, topology, prefetch=100)
    try:
        rest = fetch_all(third, 30)
        assert amounts(rest) == list(range(1_010, 1_040))
        third.ack(rest)
        assert third.lag() == 0
    finally:
        third.close()


def test_decisions_and_dead_letters_are_published(rabbitmq: str, topology: Topology) -> None:
    broker = PikaBroker(rabbitmq, topology)
    try:
        with listening(rabbitmq, topology, "hold.#") as (channel, mine):
            broker.publish(
                [
                    OutMessage("decision.suspend.kontanthjaelp", "d-1", b'{"decision":"suspend"}'),
                    OutMessage("hold.placed.kontanthjaelp", "d-1:hold", b'{"type":"hold_placed"}'),
                ]
            )
            method, props, body = channel.basic_get(mine, auto_ack=True)
            assert (
                method is not None
                and props.message_id == "d-1:hold"
                and json.loads(body)["type"] == "hold_placed"
            )
            assert channel.basic_get(mine, auto_ack=True)[0] is None  # only what the binding asked for

            publish_events(rabbitmq, topology, [b"not json"])
            [bad] = fetch_all(broker, 1)
            broker.publish([dead_message(bad, bad.body, "The line is not valid JSON.")])
            broker.ack([bad])
            method, props, body = get_one(channel, topology.dead_queue)
            assert body == b"not json"
            assert props.headers[ERROR_HEADER] == "The line is not valid JSON."
            assert props.headers[QUEUE_HEADER] == bad.queue
    finally:
        broker.close()


def test_the_outbox_publisher_publishes_on_a_connection_of_its_own(rabbitmq: str, topology: Topology) -> None:
    """The publisher thread's connection: it declares where the outbox goes (the
    decisions exchange, the dead-letter exchange and queue; nothing else need
    exist) and publishes as the consumer's broker does: the payment system's
    messages to the decisions exchange, dead letters as they came to the
    dead-letter queue and nowhere else."""
    publisher = PikaPublisher(rabbitmq, topology)
    try:
        with listening(rabbitmq, topology, "#") as (channel, mine):
            sent = [OutMessage("decision.suspend.kontanthjaelp", f"d-{i}", b'{"n":%d}' % i) for i in range(3)]
            dead = [
                OutMessage("", "m-7", b"\xff\x00not json", error="The line is not valid JSON.", queue="q.2"),
                OutMessage("", "", b"{}", error="Field 'type' is missing.", queue="q.0"),
            ]
            publisher.publish([sent[0], dead[0], sent[1], dead[1], sent[2]])
            publisher.publish([])  # nothing to send: no transaction
            got = []
            for _ in sent:
                method, props, body = channel.basic_get(mine, auto_ack=True)
                assert method is not None
                assert props.delivery_mode == 2 and props.content_type == "application/json"
                got.append((method.routing_key, props.message_id, body))
            assert got == [(m.routing_key, m.message_id, m.body) for m in sent]
            assert channel.basic_get(mine, auto_ack=True)[0] is None  # no dead letter for the payment system
            letters = []
            for _ in dead:
                method, props, body = get_one(channel, topology.dead_queue)
                assert props.delivery_mode == 2
                headers = props.headers
                letters.append((body, props.message_id, headers[ERROR_HEADER], headers[QUEUE_HEADER]))
            assert letters == [
                (b"\xff\x00not json", "m-7", "The line is not valid JSON.", "q.2"),
                (b"{}", None, "Field 'type' is missing.", "q.0"),
            ]
    finally:
        publisher.close()
    publisher.close()  # twice is harmless


def test_an_idle_publisher_kept_alive_outlasts_the_heartbeat(rabbitmq: str, topology: Topology) -> None:
    """A heartbeat of 1 s: RabbitMQ closes a connection that misses two. Idle for
    several times that, answering heartbeats only through `keep_alive`, the
    publisher can still publish (without it, this connection is closed)."""
    publisher = PikaPublisher(rabbitmq, topology, heartbeat=1)
    try:
        with listening(rabbitmq, topology, "decision.#") as (channel, mine):
            until = time.monotonic() + 5
            while time.monotonic() < until:
                publisher.keep_alive()
                time.sleep(0.2)
            publisher.publish([OutMessage("decision.pass.x", "d-1", b"{}")])
            method, props, _ = channel.basic_get(mine, auto_ack=True)
            assert method is not None and props.message_id == "d-1"
    finally:
        publisher.close()


def test_a_cut_off_publisher_says_so_in_one_sentence(rabbitmq: str, topology: Topology) -> None:
    proxy = TcpProxy(RABBIT_HOST, 5672)
    try:
        assert f"{RABBIT_HOST}:5672" in rabbitmq
        publisher = PikaPublisher(rabbitmq.replace(f"{RABBIT_HOST}:5672", proxy.address, 1), topology)
        publisher.publish([OutMessage("decision.pass.x", "d-1", b"{}")])
        proxy.cut()
        with pytest.raises(BrokerError) as exc:
            publisher.publish([OutMessage("decision.pass.x", "d-2", b"{}")])
        assert "\n" not in str(exc.value) and "RabbitMQ at" in str(exc.value)
        publisher.close()
    finally:
        proxy.close()


def test_a_large_publication_arrives_whole_and_in_order(rabbitmq: str, topology: Topology) -> None:
    """The messages of one publication go out with its commit, all of them."""
    broker = PikaBroker(rabbitmq, topology)
    try:
        with listening(rabbitmq, topology, "decision.#") as (channel, mine):
            sent = [OutMessage("decision.pass.x", f"d-{i}", b"x" * 2000) for i in range(3000)]
            broker.publish(sent)
            got: list[Any] = []
            deadline = time.monotonic() + 20
            while len(got) < len(sent) and time.monotonic() < deadline:
                method, props, _ = channel.basic_get(mine, auto_ack=True)
                if method is not None:
                    got.append(props.message_id)
            assert got == [m.message_id for m in sent]
    finally:
        broker.close()


def test_a_publication_goes_to_the_socket_in_one_write(
    rabbitmq: str, topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pika wrote every frame on its own: three writes a message (method, header,
    body), 15,001 system calls for a batch of 5,000 decisions. A publication is
    one write, and the commit one more; every message arrives whole, with its
    properties, in order (one larger than a frame too, which pika cuts into
    several body frames). A message published alone is one write."""
    publisher = PikaPublisher(rabbitmq, topology)
    impl = publisher._connection._impl
    writes: list[int] = []
    write = impl._adapter_emit_data

    def counted(data: bytes) -> None:
        writes.append(len(data))
        write(data)

    monkeypatch.setattr(impl, "_adapter_emit_data", counted)
    try:
        with listening(rabbitmq, topology, "#") as (channel, mine):
            sent = [OutMessage("decision.pass.x", f"d-{i}", b'{"n":%d}' % i) for i in range(500)]
            sent.insert(250, OutMessage("decision.review.x", "d-big", b"y" * 300_000))
            dead = OutMessage("", "m-1", b"not json", error="The line is not valid JSON.", queue="q.0")
            frames = impl.frames_sent
            publisher.publish([*sent[:100], dead, *sent[100:]])
            assert len(writes) == 2  # the publication, then the commit
            assert writes[0] > sum(len(m.body) for m in sent)
            assert impl.frames_sent - frames > 3 * len(sent) + 3  # the frames are pika's, as before
            got: list[tuple[str, str, bytes]] = []
            while len(got) < len(sent):
                method, props, body = get_one(channel, mine)
                assert props.delivery_mode == 2 and props.content_type == "application/json"
                got.append((method.routing_key, props.message_id, body))
            assert got == [(m.routing_key, m.message_id, m.body) for m in sent]
            assert get_one(channel, topology.dead_queue)[2] == b"not json"

            # outside a publication (the feeder, a blocking channel): a message, one write
            out = publisher._connection.channel()
            writes.clear()
            out.basic_publish(
                topology.decisions, "decision.pass.x", b"{}", pika.BasicProperties(message_id="d-x")
            )
            assert len(writes) == 1
            assert get_one(channel, mine)[1].message_id == "d-x"
    finally:
        publisher.close()


def test_a_message_that_keeps_killing_its_consumer_is_dead_lettered_by_the_broker(
    rabbitmq: str, topology: Topology
) -> None:
    """The delivery limit (2 here): no redelivery storm, whatever the consumer does."""
    publish_events(rabbitmq, topology, [json.dumps(move("P", "A", event_id="poison")).encode()])
    for _ in range(topology.delivery_limit + 1):
        broker = PikaBroker(rabbitmq, topology)
        fetch_all(broker, 1, timeout=3)
        broker.close()  # "crashed" again
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq))
    try:
        channel = connection.channel()
        deadline = time.monotonic() + 15
        method = None
        while method is None and time.monotonic() < deadline:
            method, _, body = channel.basic_get(topology.dead_queue, auto_ack=True)
            time.sleep(0.2)
        assert method is not None and b"poison" in body
    finally:
        connection.close()


def test_an_unreachable_broker_is_one_sentence() -> None:
    with pytest.raises(BrokerError) as exc:
        PikaBroker("amqp://guest:secret@127.0.0.1:1/%2F", Topology(queue="never"))
    assert "\n" not in str(exc.value) and "not reachable" in str(exc.value)
    assert "secret" not in str(exc.value)


def consumer_connects(url: str, topology: Topology) -> int:
    """How often a consumer tried to connect before it stopped on a setup error."""
    import threading

    from eventfilter.errors import BrokerSetupError
    from eventfilter.service.consumer import Consumer, ConsumerSettings

    attempts = []

    def connect() -> PikaBroker:
        attempts.append(1)
        return PikaBroker(url, topology)

    consumer = Consumer(None, connect, ConsumerSettings(backoff_start=0.01), threading.Event())  # type: ignore[arg-type]
    with pytest.raises(BrokerSetupError):
        consumer.run()
    return len(attempts)


def _with(url: str, *, password: str | None = None, vhost: str | None = None) -> str:
    """The broker's URL with another password or virtual host."""
    params = pika.URLParameters(url)
    user = params.credentials.username
    secret = password if password is not None else params.credentials.password
    host = f"{params.host}:{params.port}"
    return f"amqp://{user}:{secret}@{host}/{vhost if vhost is not None else '%2F'}"


def test_a_refused_login_names_the_user_not_the_network_and_is_not_retried(rabbitmq: str) -> None:

    from eventfilter.errors import BrokerSetupError

    wrong = _with(rabbitmq, password="not-the-password")
    topology = Topology(queue=f"eftest.{uuid.uuid4().hex[:10]}")
    with pytest.raises(BrokerSetupError) as exc:
        PikaBroker(wrong, topology)
    said = str(exc.value)
    user = pika.URLParameters(rabbitmq).credentials.username
    assert f"refused to log in user {user}" in said and "--amqp" in said
    assert "not reachable" not in said and "not-the-password" not in said and "\n" not in said
    assert consumer_connects(wrong, topology) == 1  # a password does not mend itself: said once, not retried


def test_an_unknown_virtual_host_is_named_as_a_setup_error(rabbitmq: str) -> None:
    from eventfilter.errors import BrokerSetupError

    vhost = f"eftest-absent-{uuid.uuid4().hex[:8]}"
    user = pika.URLParameters(rabbitmq).credentials.username
    with pytest.raises(BrokerSetupError, match=f"refused user {user} its virtual host .*{vhost}"):
        PikaBroker(_with(rabbitmq, vhost=vhost), Topology(queue=f"eftest.{uuid.uuid4().hex[:10]}"))


def test_a_broker_without_the_hashing_plugin_is_named_not_retried_and_left_as_it_was(rabbitmq: str) -> None:
    """Trust issue, finding 10: an exchange type no broker has stands in for the missing plugin
    (the broker answers exactly as one without rabbitmq_consistent_hash_exchange)."""

    from eventfilter.errors import BrokerSetupError

    name = f"eftest.{uuid.uuid4().hex[:10]}"
    lacking = Topology(queue=name, partitions=2, decisions=f"{name}.decisions", hashing="x-eftest-absent")
    with pytest.raises(BrokerSetupError, match="rabbitmq-plugins enable rabbitmq_consistent_hash_exchange"):
        publish_events(rabbitmq, lacking, [b"{}"])
    assert consumer_connects(rabbitmq, lacking) == 1  # not retried
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq))
    try:
        for queue in lacking.queues():  # nothing half-declared is left behind
            channel = connection.channel()
            with pytest.raises(pika.exceptions.ChannelClosedByBroker):
                channel.queue_declare(queue, passive=True)
        for exchange in (lacking.dead_exchange, lacking.decisions):
            channel = connection.channel()
            with pytest.raises(pika.exceptions.ChannelClosedByBroker):
                channel.exchange_declare(exchange, passive=True)
    finally:
        connection.close()
