"""The review queue, holds for the payment run and the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from eventfilter.adapters.sql.review import SqlReview
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.errors import AccessDenied, Conflict, NotAllowed, NotFound, SchemaOutdated
from eventfilter.records import Caseworker
from eventfilter.service import queries
from eventfilter.service.corrections import Correction
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer
from eventfilter.service.review_actions import ReviewService
from tests.helpers import ListSink, case, event, extract, lines, move, person, sql_store
from tests.integration.conftest import real_database_only

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


PERSONS = [
    person("A", address_id="A1"),
    person("B", address_id="B1", municipality_code="510"),
    person("C", "1990-01-01", address_id="C1"),
    person("D", address_id="D1", monthly_income=9000),
    person("E", address_id="E1", country="SE", municipality_code="1480"),
]
CASES = [
    case("KY-A", "kontanthjaelp", "A"),
    case("KY-B", "kontanthjaelp", "B", municipality_code="510"),
    case("KY-C", "kontanthjaelp", "C"),
    case("BS-D", "boligstoette", "D", dwelling_address_id="D1"),
    case(
        "FS-E", "forsorjningsstod", "E", municipality_code="1480", dwelling_address_id="E1", housing_cost=5000
    ),
]
EVENTS = [
    event("death", "A", event_id="a-dies"),
    move("B", "B2", "101", event_id="b-moves"),
    event("marital_status_change", "C", {"status": "married", "partner_id": "C-NEW"}, event_id="c-marries"),
    move("D", "D2", event_id="d-moves"),
    move("E", "E2", "1480", "SE", event_id="e-moves"),
]


def world(db_url: str, clock: Clock) -> App:
    app = bootstrap(db_url, clock=clock)
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
    replay(app, EVENTS)
    review = app.review
    review.save_caseworker(Caseworker("anna", "Anna Holm", ("561", "510")), clock())
    review.save_caseworker(Caseworker("bo", "Bo Berg", ("1480",)), clock())
    return app


def replay(app: App, events: list[Any]) -> None:
    Replayer(app.store, app.pack, app.settings, app.clock, ListSink()).run(lines(*events), "events.jsonl")


def item_of(app: App, case_id: str) -> int:
    [item] = app.review.items("open", case_id=case_id)
    return item.item_id


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


def test_every_suspend_and_review_opens_one_item_that_gathers_later_decisions(
    db_url: str, clock: Clock
) -> None:
    app = world(db_url, clock)
    items = {i.case_id: i for i in ReviewService(app).queue()}
    assert set(items) == {"KY-A", "KY-B", "KY-C", "BS-D", "FS-E"}
    assert items["KY-A"].held and items["BS-D"].held and not items["KY-B"].held
    replay(app, [event("name_change", "A", event_id="a-renamed", effective_date="2026-03-02")])
    [again] = [i for i in ReviewService(app).queue() if i.case_id == "KY-A"]
    assert again.item_id == items["KY-A"].item_id
    assert again.decisions == 2


def test_the_most_urgent_reason_sets_the_due_date(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    due = {i.case_id: (i.due_date, i.urgent_code) for i in ReviewService(app).queue()}
    assert due["KY-A"] == (date(2026, 3, 4), "deceased")  # 2 working days
    assert due["KY-C"] == (date(2026, 3, 16), "partner_income_unknown")  # 10 working days
    assert due["KY-B"] == (date(2026, 3, 30), "municipality_handover")  # before the March payment run
    assert due["FS-E"][1] == "housing_changed"


def test_the_queue_filters_and_sorts_by_due_date(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    service = ReviewService(app)
    queue = service.queue()
    assert [i.due_date for i in queue] == sorted(i.due_date for i in queue)
    assert {i.case_id for i in service.queue(municipalities=["510"])} == {"KY-B"}
    assert {i.case_id for i in service.queue(benefits=["boligstoette"])} == {"BS-D"}
    assert {i.case_id for i in service.queue(reasons=["deceased", "left_dwelling"])} == {"KY-A", "BS-D"}
    assert {i.case_id for i in service.queue(as_caseworker="bo")} == {"FS-E"}
    assert service.queue(overdue=True) == []
    clock.now = datetime(2026, 3, 5, 9, tzinfo=UTC)
    assert {i.case_id for i in service.queue(overdue=True)} == {"KY-A", "BS-D"}


def test_release_lifts_the_hold_and_says_so_in_the_audit(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    result = ReviewService(app).resolve(
        item_of(app, "KY-A"), "release", "anna", "the death was registered in error"
    )
    assert result.hold_lifted
    assert "KY-A" not in {h.case_id for h in queries.holds(app.review)}
    actions = [(a.actor, a.action) for a in app.review.audit("KY-A")]
    assert ("anna", "hold_lifted") in actions and ("anna", "item_resolved") in actions
    assert app.review.item(result.item_id).status == "resolved"  # type: ignore[union-attr]


def test_release_of_a_review_item_closes_it_and_payment_goes_on(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    result = ReviewService(app).resolve(item_of(app, "KY-B"), "release", "anna", "handover agreed with 101")
    assert not result.hold_lifted
    assert "KY-B" not in {i.case_id for i in ReviewService(app).queue()}


def test_confirm_keeps_the_stop_and_the_case_leaves_the_active_set(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    ReviewService(app).resolve(item_of(app, "BS-D"), "confirm", "anna")
    [hold] = [h for h in queries.holds(app.review) if h.case_id == "BS-D"]
    assert hold.status == "confirmed"
    sink = ListSink()
    Replayer(app.store, app.pack, app.settings, app.clock, sink).run(
        lines(move("D", "D3", event_id="d-moves-again", effective_date="2026-03-03")), "e.jsonl"
    )
    assert [d.case_id for d in sink.decisions] == [None]  # no longer in the active set


def test_confirm_is_refused_when_the_payment_is_not_held(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    with pytest.raises(NotAllowed, match="not held"):
        ReviewService(app).resolve(item_of(app, "KY-B"), "confirm", "anna")


def test_redecide_on_a_corrected_income_records_the_decision_and_the_facts(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    item = item_of(app, "KY-C")
    result = ReviewService(app).resolve(
        item, "redecide", "anna", "income from eIndkomst", [Correction.parse("C-NEW.monthly_income=3000")]
    )
    assert result.decision is not None
    assert (result.decision.outcome, [r.code for r in result.decision.reasons]) == (
        "pass",
        ["income_adjustment"],
    )
    assert result.decision.after is not None and result.decision.after.amount == 12800 - 3000  # C is 36
    assert result.new_item is None
    assert "KY-C" not in {i.case_id for i in ReviewService(app).queue()}
    audit = app.review.audit("KY-C")
    [fact] = [a for a in audit if a.action == "fact_corrected"]
    assert fact.actor == "anna" and fact.details == {
        "person_id": "C-NEW",
        "field": "monthly_income",
        "old": None,
        "new": 3000.0,
        "group": "income",
    }
    decisions = app.review.decisions(case_id="KY-C")
    assert decisions[-1].event_ids == () and decisions[-1].outcome == "pass"


def test_redecide_that_restores_eligibility_lifts_the_hold(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    result = ReviewService(app).resolve(
        item_of(app, "KY-A"), "redecide", "anna", None, [Correction.parse("A.alive=true")]
    )
    assert result.decision is not None and result.decision.hold == "lift"
    assert "KY-A" not in {h.case_id for h in queries.holds(app.review)}


def test_redecide_when_eligibility_is_still_lost_keeps_the_hold_and_opens_a_new_item(
    db_url: str, clock: Clock
) -> None:
    app = world(db_url, clock)
    old = item_of(app, "BS-D")
    result = ReviewService(app).resolve(old, "redecide", "anna")
    assert result.new_item is not None and result.new_item.item_id != old
    assert "BS-D" in {h.case_id for h in queries.holds(app.review)}
    assert item_of(app, "BS-D") == result.new_item.item_id


def test_a_caseworker_outside_the_municipality_is_refused_and_the_attempt_recorded(
    db_url: str, clock: Clock
) -> None:
    app = world(db_url, clock)
    service = ReviewService(app)
    with pytest.raises(AccessDenied, match="municipality 561"):
        service.resolve(item_of(app, "KY-A"), "release", "bo")
    with pytest.raises(AccessDenied):
        service.page(item_of(app, "KY-A"), as_caseworker="bo")
    with pytest.raises(AccessDenied):
        service.case_history("KY-A", as_caseworker="bo")
    refused = [a for a in app.review.audit("KY-A") if a.action == "access_refused"]
    assert [a.actor for a in refused] == ["bo", "bo", "bo"]
    assert "KY-A" in {h.case_id for h in queries.holds(app.review)}  # nothing changed


def test_an_unregistered_or_inactive_caseworker_is_refused(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    with pytest.raises(AccessDenied, match="not registered"):
        ReviewService(app).resolve(item_of(app, "KY-A"), "release", "mallory")
    review = app.review
    anna = review.caseworker("anna")
    assert anna is not None
    review.save_caseworker(replace(anna, active=False), clock())
    with pytest.raises(AccessDenied, match="no longer active"):
        ReviewService(app).resolve(item_of(app, "KY-A"), "release", "anna")


def test_bad_requests_are_refused_clearly(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    service = ReviewService(app)
    with pytest.raises(NotFound, match="no review item 999"):
        service.resolve(999, "release", "anna")
    item = item_of(app, "KY-B")
    service.resolve(item, "release", "anna")
    with pytest.raises(NotAllowed, match="already resolved"):
        service.resolve(item, "release", "anna")
    with pytest.raises(NotFound, match="no case"):
        service.case_history("NOPE")


def test_the_audit_tells_why_the_payment_was_stopped_and_resumed_in_order(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)
    clock.now = datetime(2026, 3, 3, 10, tzinfo=UTC)
    ReviewService(app).resolve(item_of(app, "KY-A"), "release", "anna", "registered in error")
    _, entries = ReviewService(app).case_history("KY-A")
    kinds = [getattr(e, "action", "decision") for e in entries]
    assert kinds == ["decision", "hold_placed", "item_opened", "hold_lifted", "item_resolved"]
    assert "died" in entries[0].reasons[0]["message"]


def test_holds_as_of_a_date_for_the_payment_run(db_url: str, clock: Clock) -> None:
    app = world(db_url, clock)  # holds placed Monday 2 March
    clock.now = datetime(2026, 3, 4, 12, tzinfo=UTC)
    ReviewService(app).resolve(item_of(app, "KY-A"), "release", "anna")  # lifted Wednesday 4 March

    def held(day: date | None) -> set[str]:
        return {h.case_id for h in queries.holds(app.review, day) if h.source == "eventfilter"}

    assert held(date(2026, 3, 1)) == set()
    assert held(date(2026, 3, 3)) == {"KY-A", "BS-D"}
    assert held(date(2026, 3, 4)) == {"BS-D"}
    assert held(None) == {"BS-D"}


def test_decisions_and_the_audit_log_are_append_only(db_url: str, clock: Clock) -> None:
    real_database_only(db_url, "the triggers are the database's")
    app = world(db_url, clock)
    for sql in (
        "UPDATE decisions SET outcome = 'pass'",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET actor = 'x'",
    ):
        with pytest.raises(DBAPIError, match="append-only"), sql_store(app).begin() as conn:
            conn.execute(text(sql))


def _race(item_id: int, contenders: list[tuple[str, App]]) -> list[Any]:
    """Let the contenders resolve the item at the same moment, each on its own connection."""
    start = threading.Barrier(len(contenders))
    results: list[Any] = [None] * len(contenders)

    def act(n: int, who: str, app: App) -> None:
        start.wait()
        try:
            results[n] = ReviewService(app).resolve(item_id, "release", who, f"by {who}")
        except (Conflict, NotAllowed) as exc:  # lost the race, or came after the winner's commit
            results[n] = exc

    threads = [threading.Thread(target=act, args=(n, who, app)) for n, (who, app) in enumerate(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_caseworkers_resolving_at_once_exactly_one_wins(db_url: str, clock: Clock) -> None:
    real_database_only(db_url, "two connections race on one item")
    world(db_url, clock).store.dispose()
    review = SqlReview(sql_store(bootstrap(db_url, clock=clock)))
    review.save_caseworker(Caseworker("cai", "Cai Dahl", ("561", "510")), clock())
    for case_id in ("KY-A", "KY-B", "KY-C", "BS-D"):
        [item] = review.items("open", case_id=case_id)
        # two processes' worth of connections: separate applications, separate pools
        apps = [bootstrap(db_url, clock=clock), bootstrap(db_url, clock=clock)]
        results = _race(item.item_id, [("anna", apps[0]), ("cai", apps[1])])
        wins = [r for r in results if not isinstance(r, Conflict | NotAllowed)]
        losses = [r for r in results if isinstance(r, Conflict | NotAllowed)]
        assert len(wins) == 1 and len(losses) == 1, results
        told = str(losses[0])
        assert ("someone else" in told or "already resolved" in told) and wins[0].by in told
        resolved = [a for a in review.audit(case_id) if a.action == "item_resolved"]
        assert [a.actor for a in resolved] == [wins[0].by]
        for app in apps:
            app.store.dispose()


def test_a_database_of_release_0_1_upgrades_in_place(tmp_path: Path, clock: Clock) -> None:
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "release_0_1.db", db)
    url = f"sqlite:///{db}"
    with pytest.raises(SchemaOutdated):
        bootstrap(url)
    app = bootstrap(url, clock=clock, ensure_schema=False)
    with sql_store(app).connect() as conn:  # what release 0.1 held, read in its own schema
        before_holds = {r[0] for r in conn.execute(text("SELECT case_id FROM holds WHERE lifted_at IS NULL"))}
        before_items = {
            r[0] for r in conn.execute(text("SELECT item_id FROM review_items WHERE status = 'open'"))
        }
        protected = conn.execute(
            text("SELECT person_id, address_id FROM persons WHERE address_id IS NOT NULL")
        ).first()
        assert protected is not None
        conn.execute(
            text("UPDATE persons SET protected_address = 1 WHERE person_id = :p"), {"p": protected[0]}
        )
        conn.commit()
    assert before_holds and before_items
    before, after = sql_store(app).upgrade()
    assert before == "0001" and after == sql_store(app).revisions()[1] and after > "0002"
    app = bootstrap(url, clock=clock)
    assert {h.case_id for h in queries.holds(app.review) if h.source == "eventfilter"} == before_holds
    assert {i.item_id for i in ReviewService(app).queue()} == before_items
    assert app.store.protected_among([protected[1], "no-such-address"]) == {protected[1]}  # remembered
    review = app.review
    review.save_caseworker(
        Caseworker("anna", "Anna", ("561", "510", "573", "101", "1480", "1481", "1280")), clock()
    )
    item = sorted(before_items)[0]
    ReviewService(app).resolve(item, "release", "anna", "after the upgrade")
    assert review.item(item).status == "resolved"  # type: ignore[union-attr]
    with sql_store(app).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM decisions")).scalar_one() == 95


def test_caseworker_actions_reach_the_payment_system(db_url: str, clock: Clock) -> None:
    from eventfilter.adapters.memory_broker import MemoryBroker
    from eventfilter.service.stream import StreamProcessor

    app = world(db_url, clock)
    service = ReviewService(app)
    service.resolve(item_of(app, "KY-A"), "release", "anna")
    service.resolve(item_of(app, "BS-D"), "confirm", "anna")
    service.resolve(
        item_of(app, "KY-C"), "redecide", "anna", None, [Correction.parse("C-NEW.monthly_income=10")]
    )
    broker = MemoryBroker()
    StreamProcessor(app.store, app.pack, app.settings, app.clock).publish_outbox(broker)
    keys = [m.routing_key for m in broker.published]
    assert keys == ["hold.lifted.kontanthjaelp", "hold.confirmed.boligstoette", "decision.pass.kontanthjaelp"]
    lifted = json.loads(broker.published[0].body)
    assert (lifted["case_id"], lifted["by"]) == ("KY-A", "anna")
