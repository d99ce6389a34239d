"""Poison and typo lines, in replay, in the stream and in the extracts: each
is a dead letter naming the field, no run stops, and no other line's
decision changes (trust issue, findings 4, 5, 6, 9 and 11)."""

from __future__ import annotations

import json
from typing import Any

from eventfilter.adapters.memory_broker import MemoryBroker
from eventfilter.service import queries
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.stream import StreamProcessor
from tests.helpers import case, event, income, lines, move, person
from tests.integration.test_replay_store import app_for, replay
from tests.integration.test_stream import Clock

KY = "kontanthjaelp"
BENEFICIARY = person("B", "1980-01-01", address_id="A", monthly_income=0, income_period="2026-01")


def good(kind: str = "death", **top: Any) -> dict[str, Any]:
    return event(kind, "B", **top)


POISON: list[str | bytes] = [
    json.dumps(income("B", 100, event_id="inf")).replace("100", "Infinity"),
    json.dumps(income("B", 100, event_id="nan")).replace("100", "NaN"),
    json.dumps(income("B", 100, event_id="big")).replace("100", "1e400"),
    json.dumps(event("name_change", "B", event_id="nul\u0000")),
    json.dumps(move("B", "A\u0000X", event_id="nul-address")),
    json.dumps(event("death", "B", event_id="far", recorded_at="9999-12-31T23:00:00-05:00")),
    json.dumps(income("B", 100, period="0000-05", event_id="year-zero")),  # stopped replay (ValueError)
    "[" * 1500 + "]" * 1500,
    # longer than the store's columns: on PostgreSQL each stopped the run (a value too long)
    json.dumps(event("t" * 150, "B", event_id="long-type")),
    json.dumps(move("B", "A", "M" * 30, event_id="long-municipality")),
    json.dumps(move("B", "A" * 300, event_id="long-address")),  # the fast parser took it
    json.dumps(event("income_change", "B", {"period": "2026-02", "amount": 1, "source": "s" * 300})),
    # a death dated in Arabic-Indic digits (٢٠٢٦): the fast parser read it as 2026 and decided it
    json.dumps(event("death", "B", event_id="digits", effective_date="\u0662\u0660\u0662\u0666-03-01")),
    b'{"event_id": "bad-utf8", "type": "death", "person_id": "B", '
    b'"effective_date": "2026-03-01", "x": "\xff"}',
]


def raw_lines(*items: str | bytes | dict[str, Any]) -> list[tuple[int, bytes]]:
    out = []
    for n, item in enumerate(items, start=1):
        text = json.dumps(item) if isinstance(item, dict) else item
        out.append((n, text if isinstance(text, bytes) else text.encode()))
    return out


def test_poison_lines_are_dead_letters_and_the_death_after_them_still_stops_payment(db_url: str) -> None:
    app = app_for(db_url, BENEFICIARY, cases=(case("C", KY, "B"),), batch_size=3)
    data = raw_lines(*POISON, good(event_id="d1"))
    summary, decisions = replay(app, data)
    assert summary.dead_letters == len(POISON)
    assert [(d.case_id, d.outcome) for d in decisions] == [("C", "suspend")]
    # a rerun of the same file neither crashes nor decides anything again
    again, more = replay(app, data)
    assert more == [] and again.duplicates == 1
    letters = queries.dead_letters(app.store)  # readable, however deep the nesting was
    assert len(letters) == len(POISON)
    assert all("\x00" not in d.raw for d in letters)
    errors = " ".join(d.error for d in letters)
    for field in (
        "not valid JSON",
        "control characters",
        "'recorded_at'",
        "not valid UTF-8",
        "not a real month",
        "'effective_date'",
        "Field 'type' is too long",
        "Field 'data.municipality_code' is too long",
        "Field 'data.address_id' is too long",
        "Field 'data.source' is too long",
    ):
        assert field in errors


def test_a_far_future_date_never_freezes_the_person(db_url: str) -> None:
    app = app_for(db_url, BENEFICIARY, cases=(case("C", KY, "B"),), batch_size=2)
    typo = income("B", 100, period="9999-12", effective_date="2026-03-01", event_id="typo")
    ahead = move("B", "A", effective_date="2090-03-01", event_id="ahead")
    real = income("B", 99_000, period="2026-03", effective_date="2026-03-05", event_id="real")
    leaves = move("B", None, None, "DE", effective_date="2026-03-09", event_id="leaves")
    summary, decisions = replay(app, lines(typo, ahead, real, leaves))
    assert summary.dead_letters == 2
    assert [(d.outcome, d.reasons[0].code) for d in decisions] == [
        ("suspend", "income_above_limit"),
        ("suspend", "left_country"),
    ]
    [stored] = app.store.load_persons(["B"])
    assert (stored.income_period, stored.country) == ("2026-03", "DE")


def test_in_the_stream_poison_messages_take_no_innocent_event_with_them(db_url: str) -> None:
    clock = Clock()
    app = app_for(db_url, BENEFICIARY, cases=(case("C", KY, "B"),))
    app.clock = clock
    broker = MemoryBroker()
    for n, body in enumerate(POISON):
        broker.send(body if isinstance(body, bytes) else body.encode(), f"poison-{n}")
    broker.send(json.dumps(good(event_id="d1")).encode(), "d1")
    processor = StreamProcessor(app.store, app.pack, app.settings, clock)
    result = processor.process(broker.fetch(100, 0))
    assert len(result.dead) == len(POISON)
    assert all(d.message_id and d.message_id.startswith("poison") for d, _ in result.dead)
    assert [(d.case_id, d.outcome) for d in result.decisions if d.case_id] == []  # the window waits
    assert [d.outcome for d in processor.close_due(everything=True)] == ["suspend"]


def test_a_correction_of_another_persons_event_is_refused(db_url: str) -> None:
    app = app_for(db_url, BENEFICIARY, person("Q"), cases=(case("C", KY, "B"),))
    replay(app, lines(event("death", "B", event_id="d1")))
    wrong = event("correction", "Q", {"corrects_event_id": "d1"}, event_id="c1", effective_date="2026-03-05")
    summary, decisions = replay(app, lines(wrong))
    assert decisions == [] and summary.dead_letters == 1
    assert "'person_id'" in queries.dead_letters(app.store)[-1].error
    assert [h.case_id for h in queries.holds(app.review)] == ["C"]  # the hold stands


def test_an_extract_with_bad_utf8_is_refused_like_an_event_line(db_url: str) -> None:
    app = app_for(db_url)
    good_line = json.dumps(person("G", address_id="A"))
    bad = json.dumps(person("U", address_id="AB")).replace("AB", "A\\u00e6").encode()
    bad = bad.replace(b"A\\u00e6", b"A\xe6")  # Latin-1 bytes in a UTF-8 file
    self_partner = json.dumps(person("S", partner_id="S", marital_status="married"))
    year_zero = json.dumps(
        person("Z", monthly_income=100, income_period="0000-01")
    )  # used to stop the import
    result = import_persons(
        app.store,
        [(1, good_line.encode()), (2, bad), (3, self_partner), (4, year_zero.encode())],
        "persons.jsonl",
        app.clock,
    )
    assert result.imported == 1
    errors = [d.error for d in result.rejected]
    assert "Line 2" in errors[0] and "not valid UTF-8" in errors[0]
    assert "Line 3" in errors[1] and "'partner_id'" in errors[1]
    assert "Line 4" in errors[2] and "'income_period' is not a real month" in errors[2]
    replay(app, [(1, bad.replace(b'"person_id"', b'"event_id": "x", "type": "death", "person_id"'))])
    [event_error] = [d.error for d in queries.dead_letters(app.store) if d.source == "events.jsonl"]
    # the same sentence for both (but for the line and the byte's place)
    assert event_error.split("(")[0] == errors[0].split("(")[0].replace("Line 2", "Line 1")


def test_a_protected_address_in_a_broken_line_is_never_shown(db_url: str) -> None:
    app = app_for(db_url, person("S", address_id="SECRET-7", protected_address=True), batch_size=5)
    broken_move = json.dumps(move("S", "SECRET-8", event_id="m1"))[:-3]  # cut short: not JSON
    declared = json.dumps(event("protected_address", "Q", {"protected": True, "address_id": "SECRET-9"}))
    declared = declared.replace('"effective_date"', '"effective_date": 7, "x"')  # malformed, but JSON
    deep = "[" * 1500 + '"SECRET-7"' + "]" * 1500
    replay(app, lines(broken_move, declared, deep))
    shown = " ".join(d.raw for d in queries.dead_letters(app.store))
    assert len(queries.dead_letters(app.store)) == 3
    assert "SECRET" not in shown


def test_a_message_id_longer_than_the_store_keeps_is_still_a_dedupe_key(db_url: str) -> None:
    """AMQP allows message ids of 255 characters; the store keeps 200. A longer
    one is kept as its hash: the message is decided, its resending is a
    duplicate, and a refused one is a dead letter (each stopped the stream on
    PostgreSQL)."""
    clock = Clock()
    app = app_for(db_url, BENEFICIARY, cases=(case("C", KY, "B"),))
    processor = StreamProcessor(app.store, app.pack, app.settings, clock)
    broker = MemoryBroker()
    broker.send(json.dumps(good(event_id="d1")).encode(), "m" * 250)
    broker.send(json.dumps(good(event_id="d2")).encode(), "m" * 250)  # the same message, sent again
    broker.send(b"not json", "x" * 255)
    result = processor.process(broker.fetch(10, 0))
    assert result.duplicates == 1 and len(result.dead) == 1
    assert [d.outcome for d in processor.close_due(everything=True)] == ["suspend"]
    [letter] = queries.dead_letters(app.store)
    assert letter.position.startswith("message blake2b:") and len(letter.position) < 100
    broker.send(b"not json", "x" * 255)  # redelivered: the same dead letter, kept once
    processor.process(broker.fetch(10, 0))
    assert len(queries.dead_letters(app.store)) == 1
    assert processor.publish_outbox(broker) >= 1 and len(broker.dead) == 2


def test_a_message_id_with_control_characters_is_kept_as_its_hash(db_url: str) -> None:
    """NUL stopped the stream on PostgreSQL; an escape sequence reached the
    dead letters' positions, and the operator's terminal through `deadletters`."""
    clock = Clock()
    app = app_for(db_url, BENEFICIARY, cases=(case("C", KY, "B"),))
    processor = StreamProcessor(app.store, app.pack, app.settings, clock)
    broker = MemoryBroker()
    broker.send(json.dumps(good(event_id="d1")).encode(), "a\x00b")
    broker.send(json.dumps(good(event_id="d2")).encode(), "a\x00b")  # the same message, sent again
    broker.send(b"not json", "e\x1b[2Jf")
    result = processor.process(broker.fetch(10, 0))
    assert result.duplicates == 1 and len(result.dead) == 1
    assert [d.outcome for d in processor.close_due(everything=True)] == ["suspend"]
    [letter] = queries.dead_letters(app.store)
    assert letter.position.startswith("message blake2b:") and "\x1b" not in letter.position


def test_extract_lines_longer_than_the_store_keeps_are_refused_naming_the_field(db_url: str) -> None:
    app = app_for(db_url)
    persons = import_persons(
        app.store,
        [(1, json.dumps(person("G", address_id="A", municipality_code="M" * 21)).encode())],
        "persons.jsonl",
        app.clock,
    )
    cases = import_cases(
        app.store,
        app.pack,
        [(1, json.dumps(case("C", KY, "G", municipality_code="5" * 21)).encode())],
        "cases.jsonl",
        app.clock,
    )
    assert persons.imported == 0 and cases.imported == 0
    assert "Field 'municipality_code' is too long" in persons.rejected[0].error
    assert "Field 'municipality_code' is too long" in cases.rejected[0].error
