"""Real register feeds through the pipeline: CPR change extracts, Navet
notifications and Beskedfordeler envelopes, diffed against the register and
decided like event lines, on every store."""

from __future__ import annotations

import collections
import json
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from eventfilter.adapters.beskedfordeler import envelope, read_message
from eventfilter.adapters.cpr import CprExtract, CprPerson, extract_text, person_records
from eventfilter.adapters.jsonl import JsonlSource
from eventfilter.adapters.memory_broker import MemoryBroker
from eventfilter.adapters.navet import NavetFile, notification, post_element
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.core.decision import Decision
from eventfilter.core.facts import Person
from eventfilter.core.snapshots import PARTNER, Withdrawn
from eventfilter.formats import parse_person
from eventfilter.ports import Delivery
from eventfilter.service import extracts, queries
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer, Summary
from eventfilter.service.stream import StreamProcessor
from tests.helpers import ListSink, case, extract, fixed_clock, lines, person

B, P, K1, K2 = "0101831234", "0202842345", "0303163456", "0404184567"
HOME, NEW = "561-0001-7", "561-0002-15"
MOVED = date(2026, 3, 1)
PRODUCED = date(2026, 3, 2)
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def app_with(db_url: str, persons: list[dict[str, Any]], cases: list[dict[str, Any]]) -> App:
    app = bootstrap(db_url, clock=fixed_clock)
    app.settings = replace(app.settings, batch_size=2)
    import_persons(app.store, extract(*persons), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*cases), "cases.jsonl", app.clock)
    return app


def family(db_url: str) -> App:
    return app_with(
        db_url,
        [
            person(B, "1983-03-03", address_id=HOME, marital_status="married", partner_id=P),
            person(P, "1984-04-04", address_id=HOME, marital_status="married", partner_id=B),
            person(K1, "2016-06-06", address_id=HOME, parent_ids=[B, P]),
            person(K2, "2018-08-08", address_id=HOME, parent_ids=[B, P]),
        ],
        [case("C", "kontanthjaelp", B), case("H", "boligstoette", B, dwelling_address_id=HOME)],
    )


def held(app: App, pid: str) -> Person:
    [p] = app.store.load_persons([pid])
    return p


def cpr_file(tmp_path: Path, persons: list[CprPerson], name: str = "D1.txt", **kw: Any) -> str:
    path = tmp_path / name
    path.write_bytes(extract_text(kw.pop("produced", PRODUCED), kw.pop("previous", None), persons))
    return str(path)


def replay_cpr(app: App, *paths: str) -> tuple[Summary, list[Decision]]:
    sink = ListSink()
    files = [CprExtract(p) for p in paths]
    summary = Replayer(app.store, app.pack, app.settings, app.clock, sink).run_snapshots(
        (r for f in files for r in f), "cpr"
    )
    return summary, sink.decisions


def replay_navet(app: App, *paths: str) -> tuple[Summary, list[Decision]]:
    sink = ListSink()
    files = [NavetFile(p) for p in paths]
    summary = Replayer(app.store, app.pack, app.settings, app.clock, sink).run_snapshots(
        (r for f in files for r in f), "navet"
    )
    return summary, sink.decisions


def moved(pid: str, app: App, address: str | None = NEW, status: str = "01") -> CprPerson:
    p = held(app, pid)
    p.address_id = address
    return CprPerson(p, status, moved=MOVED)


# -- the case that started the project ---------------------------------------------------------
def test_a_familys_move_as_four_snapshots_is_decided_as_one_group(db_url: str, tmp_path: Path) -> None:
    app = family(db_url)
    path = cpr_file(tmp_path, [moved(pid, app) for pid in (B, P, K1, K2)])
    summary, decisions = replay_cpr(app, path)
    assert summary.snapshots == 4 and summary.events_read == 4 and summary.dead_letters == 0
    by_case = collections.defaultdict(list)
    for d in decisions:
        by_case[d.case_id].append(d)
    [c] = by_case["C"]
    assert len(c.event_ids) == 4 and c.outcome == "pass" and c.hold is None
    [h] = by_case["H"]
    assert len(h.event_ids) == 4  # one decision of the household's move, not four
    # the same as the event lines that say it
    other = family("memory:")  # the store does not change what is decided
    contract = [
        {
            "event_id": f"m{n}",
            "type": "address_change",
            "person_id": pid,
            "effective_date": MOVED.isoformat(),
            "data": {"address_id": NEW, "municipality_code": "561", "country": "DK"},
        }
        for n, pid in enumerate((B, P, K1, K2))
    ]
    if "postgresql" not in db_url:
        sink = ListSink()
        Replayer(other.store, other.pack, other.settings, other.clock, sink).run(lines(*contract), "x")
        assert sorted(
            (d.case_id, d.outcome, tuple(r.code for r in d.reasons)) for d in sink.decisions
        ) == sorted((d.case_id, d.outcome, tuple(r.code for r in d.reasons)) for d in decisions)


def test_registered_without_fixed_address_keeps_being_paid(db_url: str, tmp_path: Path) -> None:
    app = app_with(db_url, [person(B, "1983-03-03", address_id=HOME)], [case("C", "kontanthjaelp", B)])
    _, decisions = replay_cpr(app, cpr_file(tmp_path, [moved(B, app, address=None, status="03")]))
    [d] = decisions
    assert d.outcome != "suspend" and d.hold is None
    p = held(app, B)
    assert (p.address_id, p.municipality_code, p.country) == (None, "561", "DK")
    assert queries.holds(app.review) == []


def test_a_death_by_cpr_status_suspends_and_a_repeat_of_the_file_changes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    app = app_with(db_url, [person(B, "1983-03-03", address_id=HOME)], [case("C", "kontanthjaelp", B)])
    p = held(app, B)
    p.alive = False
    path = cpr_file(tmp_path, [CprPerson(p, "90", status_date=date(2026, 2, 27))])
    _, first = replay_cpr(app, path)
    assert [(d.outcome, d.hold) for d in first] == [("suspend", "place")]
    again, second = replay_cpr(app, path)  # re-delivered: diffed against what it built
    assert again.events_read == 0 and second == []
    assert len(queries.holds(app.review)) == 1


def test_a_broken_person_is_a_dead_letter_and_the_others_are_decided(db_url: str, tmp_path: Path) -> None:
    app = family(db_url)
    path = Path(cpr_file(tmp_path, [moved(B, app), moved(P, app), moved(K1, app)]))
    text = path.read_bytes().decode("iso-8859-1").split("\n")
    broken = next(i for i, line in enumerate(text) if line.startswith("002") and P in line)
    text[broken] = text[broken][:15]
    path.write_bytes("\n".join(text).encode("iso-8859-1"))
    summary, decisions = replay_cpr(app, str(path))
    assert summary.dead_letters == 1 and summary.events_read == 3
    [letter] = app.store.dead_letters()
    assert "record 002 on line" in letter.error and "cut short" in letter.error
    assert letter.source.endswith("D1.txt")
    assert "561-" not in letter.raw  # no address in a dead letter
    assert held(app, P).address_id == HOME and held(app, B).address_id == NEW
    assert {d.case_id for d in decisions} == {"C", "H"}


# -- Navet -----------------------------------------------------------------------------------
A, S = "198301011234", "198402021234"
SE_HOME = "1480-A0000001"


def swedes(db_url: str) -> App:
    return app_with(
        db_url,
        [
            person(A, "1983-01-01", address_id=SE_HOME, municipality_code="1480", country="SE"),
            person(S, "1984-02-02", address_id=SE_HOME, municipality_code="1480", country="SE"),
        ],
        [
            case(
                "F",
                "forsorjningsstod",
                A,
                municipality_code="1480",
                dwelling_address_id=SE_HOME,
                housing_cost=5500,
            )
        ],
    )


def navet_file(tmp_path: Path, name: str, posts: list[Any]) -> str:
    path = tmp_path / name
    path.write_bytes(notification(posts, PRODUCED))
    return str(path)


@pytest.mark.parametrize("status", ["AN", "RD"])
def test_an_annulled_or_corrected_navet_relation_withdraws_what_it_set(
    db_url: str, tmp_path: Path, status: str
) -> None:
    app = swedes(db_url)
    wed = date(2026, 2, 14)
    married = [
        post_element(replace(held(app, A), marital_status="married", partner_id=S), civil_since=wed),
        post_element(replace(held(app, S), marital_status="married", partner_id=A), civil_since=wed),
    ]
    _, first = replay_navet(app, navet_file(tmp_path, "n1.xml", married))
    assert held(app, A).partner_id == S and first
    single: dict[str, Any] = {"marital_status": "unmarried", "partner_id": None}
    gone = [
        post_element(replace(held(app, A), **single), withdrawn=(Withdrawn(PARTNER, S, wed),)),
        post_element(replace(held(app, S), **single), withdrawn=(Withdrawn(PARTNER, A, wed),)),
    ]
    path = Path(navet_file(tmp_path, "n2.xml", gone))
    path.write_bytes(path.read_bytes().replace(b">AN<", f">{status}<".encode()))
    _, second = replay_navet(app, str(path))
    restored = held(app, A)
    assert (restored.marital_status, restored.partner_id) == ("unmarried", None)
    first_ids = {e for d in first for e in d.event_ids}
    second_ids = sorted({e for d in second for e in d.event_ids})
    kinds = {v.type for v in app.review.events(second_ids).values()}
    assert "correction" in kinds, "the withdrawn relation became a correction"
    with app.store.unit_of_work() as uow:
        owners = uow.event_owners(sorted(first_ids))
    assert owners and set(owners.values()) <= {A, S}  # the marriages it withdrew were decided before
    assert any(d.case_id == "F" for d in second)


def test_a_redelivered_navet_file_changes_nothing(db_url: str, tmp_path: Path) -> None:
    app = swedes(db_url)
    path = navet_file(tmp_path, "n1.xml", [post_element(replace(held(app, A), address_id="1480-A0000009"))])
    first, _ = replay_navet(app, path)
    again, decisions = replay_navet(app, path)
    assert first.events_read == 1 and again.events_read == 0 and decisions == []


def test_truncated_xml_and_an_entity_bomb_are_dead_letters_and_never_stop_a_run(
    db_url: str, tmp_path: Path
) -> None:
    app = swedes(db_url)
    data = notification(
        [post_element(replace(held(app, A), address_id="1480-A0000009")), post_element(held(app, S))],
        PRODUCED,
    )
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: data.index(S.encode()) + 3])
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<Navetavisering>&b;</Navetavisering>"
    )
    summary, _ = replay_navet(app, str(bomb), str(cut))
    assert summary.dead_letters == 2 and summary.events_read == 1 + 2  # the move, and the two refusals
    assert held(app, A).address_id == "1480-A0000009"
    errors = sorted(d.error for d in app.store.dead_letters())
    assert any("entities" in e for e in errors) and any("not well-formed" in e for e in errors)


# -- the chain of extracts ---------------------------------------------------------------------
def test_the_chain_refuses_a_skipped_extract_and_skips_one_read_before(db_url: str, tmp_path: Path) -> None:
    app = family(db_url)
    first = CprExtract(cpr_file(tmp_path, [], "D1.txt", produced=date(2026, 3, 1)))
    assert extracts.plan(app.store, [first.header]).read == [first.header]
    app.store.extract_read(first.header, app.clock())
    assert extracts.plan(app.store, [first.header]).skipped == [first.header]
    gap = CprExtract(cpr_file(tmp_path, [], "D3.txt", produced=date(2026, 3, 3), previous=date(2026, 3, 2)))
    with pytest.raises(Exception, match="read the extracts in between first"):
        extracts.plan(app.store, [gap.header])
    nxt = CprExtract(cpr_file(tmp_path, [], "D2.txt", produced=date(2026, 3, 2), previous=date(2026, 3, 1)))
    assert [e.name for e in extracts.plan(app.store, [gap.header, nxt.header]).read] == [
        nxt.header.name,
        gap.header.name,
    ]
    other = CprExtract(cpr_file(tmp_path, [moved(B, app)], "D1b.txt", produced=date(2026, 3, 1)))
    with pytest.raises(Exception, match="other content"):
        extracts.plan(app.store, [other.header])


# -- Beskedfordeler through the stream ------------------------------------------------------
def test_beskedfordeler_envelopes_are_decided_deduped_and_dead_lettered(db_url: str) -> None:
    app = family(db_url)
    processor = StreamProcessor(
        app.store, app.pack, app.settings, app.clock, reader=lambda d: read_message(d.body, d.message_id)
    )
    broker = MemoryBroker()
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for besked, pid in zip(ids, (B, P, K1), strict=True):
        p = held(app, pid)
        p.address_id = NEW
        broker.send(envelope(besked, pid, MOVED, person_records(CprPerson(p, moved=MOVED))), None)
    broker.send(envelope(ids[0], B, MOVED, person_records(CprPerson(held(app, B), moved=MOVED))), None)
    broker.send(envelope(str(uuid.uuid4()), K2, MOVED, None), None)  # names a change, carries no facts
    results = []
    while deliveries := broker.fetch(2, 0):
        results.append(processor.process(deliveries))
        broker.ack(deliveries)
    processor.flush()
    dead = [reason for r in results for _, reason in r.dead]
    assert len(dead) == 1 and "carries no facts" in dead[0]
    assert sum(r.decided_events for r in results) == 3
    assert held(app, B).address_id == NEW and held(app, K2).address_id == HOME
    with app.store.unit_of_work() as uow:
        _, taken = uow.seen([], ids)
    assert taken == set(ids)  # each envelope's BeskedId is a dedupe key from now on


def _delivery(body: bytes, tag: int) -> Delivery:
    return Delivery(body, None, tag, False, "q")


# -- the samples, by both routes ---------------------------------------------------------------
def _key(d: dict[str, Any]) -> tuple[Any, ...]:
    return (
        d["case_id"],
        d["benefit"],
        d["person_id"] if d["case_id"] is None else None,
        d["effective_date"],
        d["decision"],
        tuple(r["code"] for r in d["reasons"]),
        d["hold"],
    )


@pytest.mark.parametrize("store", ["sqlite", "memory"])
@pytest.mark.parametrize("folder", ["cpr", "navet"])
def test_the_samples_in_the_registers_formats_decide_as_their_event_lines(
    store: str, tmp_path: Path, folder: str
) -> None:
    def run(snapshots: bool) -> list[dict[str, Any]]:
        url = "memory:" if store == "memory" else f"sqlite:///{tmp_path}/{folder}{snapshots}.db"
        app = bootstrap(url, clock=fixed_clock)
        import_persons(app.store, JsonlSource(str(SAMPLES / "persons.jsonl")), "persons.jsonl", app.clock)
        import_cases(app.store, app.pack, JsonlSource(str(SAMPLES / "cases.jsonl")), "cases.jsonl", app.clock)
        sink = ListSink()
        replayer = Replayer(app.store, app.pack, app.settings, app.clock, sink)
        if snapshots:
            files = sorted((SAMPLES / folder).glob("*.txt" if folder == "cpr" else "*.xml"))
            reader = CprExtract if folder == "cpr" else NavetFile
            replayer.run_snapshots((r for f in files for r in reader(str(f))), folder)
        else:
            replayer.run(JsonlSource(str(SAMPLES / folder / "events.jsonl")), "events.jsonl")
        return [d.to_record() for d in sink.decisions]

    by_lines, by_files = run(False), run(True)
    on_cases = collections.Counter(_key(d) for d in by_lines if d["case_id"])
    assert on_cases and on_cases == collections.Counter(_key(d) for d in by_files if d["case_id"])
    # events that touch no case: a person's changes of one day arrive as one snapshot, so
    # where the event lines had one change touch a case and another touch none, the
    # snapshot's events are decided together and the "no active case" line is not needed
    untouched = {_key(d) for d in by_files if not d["case_id"]}
    assert untouched and untouched <= {_key(d) for d in by_lines if not d["case_id"]}
    assert any(d["decision"] == "suspend" for d in by_files) and any(
        d["decision"] == "review" for d in by_files
    )


def test_the_sample_persons_are_readable_by_the_register_formats() -> None:
    """Every Danish dwelling of the samples has the CPR extract's form; the others are Swedish or abroad."""
    for raw in (SAMPLES / "persons.jsonl").read_bytes().splitlines():
        p = parse_person(raw)
        if p.country == "DK" and p.address_id is not None:
            parts = p.address_id.split("-")
            assert len(parts) == 3 and parts[1].isdigit() and len(parts[1]) == 4, p.address_id
        if p.country not in ("DK", "SE"):
            assert p.address_id is None
    assert json.loads((SAMPLES / "cpr" / "events.jsonl").read_text().splitlines()[0])["event_id"]
