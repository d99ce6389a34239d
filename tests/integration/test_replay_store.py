"""Replay on a real store (SQLite and PostgreSQL): recorded, idempotent, crash-safe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from eventfilter.application import App
from eventfilter.bootstrap import bootstrap, upgrade_database
from eventfilter.core.decision import Decision
from eventfilter.core.pack import RulePack
from eventfilter.errors import SchemaNewer, SchemaOutdated, StoreError
from eventfilter.service import queries
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer, Summary
from tests.helpers import (
    ListSink,
    World,
    case,
    event,
    extract,
    fixed_clock,
    income,
    lines,
    move,
    person,
    sql_store,
)
from tests.integration.conftest import real_database_only

KY, BS = "kontanthjaelp", "boligstoette"


def app_for(
    db_url: str, *persons: dict[str, Any], cases: tuple[dict[str, Any], ...] = (), batch_size: int = 2
) -> App:
    app = bootstrap(db_url, clock=fixed_clock)
    app.settings = replace(app.settings, batch_size=batch_size)
    import_persons(app.store, extract(*persons), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*cases), "cases.jsonl", app.clock)
    return app


def replay(app: App, data: list[tuple[int, bytes]]) -> tuple[Summary, list[Decision]]:
    sink = ListSink()
    summary = Replayer(app.store, app.pack, app.settings, app.clock, sink).run(data, "events.jsonl")
    return summary, sink.decisions


def family(db_url: str, batch_size: int = 2) -> App:
    return app_for(
        db_url,
        person("B", "1983-03-03", address_id="A", marital_status="married", partner_id="P"),
        person("P", "1984-04-04", address_id="A", marital_status="married", partner_id="B"),
        person("K", "2016-06-06", address_id="A", parent_ids=["B", "P"]),
        person("X", address_id="Z"),
        cases=(case("C", KY, "B"), case("H", BS, "B", dwelling_address_id="A")),
        batch_size=batch_size,
    )


FAMILY_MOVE = [
    move("B", "NEW", event_id="m1"),
    move("X", "Q", event_id="u1"),
    move("P", "NEW", event_id="m2"),
    move("K", "NEW", event_id="m3"),
    event("death", "X", event_id="u2"),
]


def test_replay_records_decisions_holds_review_items_and_dead_letters(db_url: str) -> None:
    app = family(db_url)
    data = lines(*FAMILY_MOVE, "not json", move("B", "NEW", event_id="m1"))
    summary, decisions = replay(app, data)
    assert summary.events_read == 7
    assert (summary.duplicates, summary.dead_letters) == (1, 1)
    by_case = {d.case_id: d for d in decisions}
    assert by_case["C"].outcome == "pass" and by_case["C"].event_ids == ("m1", "m2", "m3")
    assert by_case["H"].outcome == "suspend"
    assert [h.case_id for h in queries.holds(app.review)] == ["H"]
    assert [i.case_id for i in queries.review_list(app.review)] == ["H"]
    [dead] = queries.dead_letters(app.store)
    assert (dead.source, dead.position) == ("events.jsonl", "6")
    assert "not valid JSON" in dead.error


def test_a_second_replay_decides_nothing(db_url: str) -> None:
    app = family(db_url)
    data = lines(*FAMILY_MOVE, "not json")
    replay(app, data)
    summary, decisions = replay(app, data)
    assert decisions == []
    assert summary.duplicates == 5
    assert len(queries.dead_letters(app.store)) == 1  # the same bad line is not stored twice


class Crash(Exception):
    pass


def crash_on_batch(app: App, n: int) -> None:
    """Make the n-th batch's write fail before its commit, as if the process died there."""
    name = "write_changes"  # SQL and in memory alike
    real = getattr(app.store, name)
    calls = {"n": 0}

    def dying(*args):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == n:
            raise Crash()
        return real(*args)

    setattr(app.store, name, dying)


FAMILY = (
    [
        person("B", "1983-03-03", address_id="A", marital_status="married", partner_id="P"),
        person("P", "1984-04-04", address_id="A", marital_status="married", partner_id="B"),
        person("K", "2016-06-06", address_id="A", parent_ids=["B", "P"]),
        person("X", address_id="Z"),
    ],
    [case("C", KY, "B"), case("H", BS, "B", dwelling_address_id="A")],
)


@pytest.mark.parametrize("crash_at", [1, 2, 3, 4])
def test_a_crash_at_any_batch_and_a_rerun_decide_everything_exactly_once(
    db_url: str, crash_at: int, pack: RulePack
) -> None:
    expected = {d.decision_id: d.outcome for d in World(pack, *FAMILY).run(*FAMILY_MOVE) if d.case_id}
    app = family(db_url)
    crash_on_batch(app, crash_at)
    with pytest.raises(Crash):
        replay(app, lines(*FAMILY_MOVE))
    replay(family_again(app), lines(*FAMILY_MOVE))
    rows = stored_decisions(family_again(app))
    assert len(rows) == len(set(rows)) == 2  # C and H, each decided once
    assert dict(rows) == expected


def family_again(app: App) -> App:
    """A new process on the same database (in memory: the same store, as a new run)."""
    if app.store.url == "memory:":
        return replace(app)
    again = bootstrap(app.store.url, clock=fixed_clock)
    again.settings = app.settings
    return again


def stored_decisions(app: App, cases: tuple[str, ...] = ("C", "H")) -> list[tuple[str, str]]:
    return [(d.decision_id, d.outcome) for c in cases for d in app.review.decisions(case_id=c)]


def test_an_open_window_survives_a_crash_and_the_family_is_still_decided_together(db_url: str) -> None:
    app = family(db_url, batch_size=1)
    crash_on_batch(app, 3)  # m1 and u1 committed, with C's window open in the store
    with pytest.raises(Crash):
        replay(app, lines(*FAMILY_MOVE))
    rerun = family_again(app)
    _, decisions = replay(rerun, lines(*FAMILY_MOVE))
    [c] = [d for d in decisions if d.case_id == "C"]
    assert (c.event_ids, c.outcome) == (("m1", "m2", "m3"), "pass")


def test_a_correction_in_a_later_run_lifts_the_hold_an_earlier_run_placed(db_url: str) -> None:
    app = app_for(db_url, person("B"), cases=(case("C", KY, "B"),))
    replay(app, lines(event("death", "B", event_id="d1")))
    assert [h.case_id for h in queries.holds(app.review)] == ["C"]
    _, decisions = replay(
        app,
        lines(
            event("correction", "B", {"corrects_event_id": "d1"}, event_id="c1", effective_date="2026-03-05")
        ),
    )
    assert [(d.outcome, d.hold) for d in decisions] == [("review", "lift")]
    assert queries.holds(app.review) == []
    [item] = queries.review_list(app.review)
    assert item.case_id == "C" and item.decisions == 2


def test_a_conflicting_reuse_of_an_event_id_is_a_dead_letter(db_url: str) -> None:
    app = app_for(db_url, person("B"), cases=(case("C", KY, "B"),))
    replay(app, lines(income("B", 100, event_id="same")))
    summary, decisions = replay(app, lines(income("B", 99999, event_id="same")))
    assert decisions == []
    assert summary.dead_letters == 1
    [dead] = queries.dead_letters(app.store)
    assert "'event_id'" in dead.error and "different event" in dead.error


def test_reimporting_the_case_extract_keeps_the_hold_eventfilter_placed(db_url: str) -> None:
    app = app_for(db_url, person("B"), cases=(case("C", KY, "B"),))
    replay(app, lines(event("death", "B")))
    import_cases(
        app.store, app.pack, extract(case("C", KY, "B", municipality_code="561")), "cases.jsonl", app.clock
    )
    assert [h.case_id for h in queries.holds(app.review)] == ["C"]


def test_a_case_import_counts_the_cases_whose_beneficiary_the_register_lacks(db_url: str) -> None:
    """Cases imported before their persons (or with a typo in the beneficiary) are
    decided without the beneficiary's facts: the import says so, naming the cases."""
    app = app_for(db_url, person("B"))
    cases = extract(case("K3", KY, "NOBODY"), case("K1", KY, "B"), case("K2", KY, "GHOST"))
    result = import_cases(app.store, app.pack, cases, "cases.jsonl", app.clock)
    assert (result.imported, result.without_beneficiary, result.without_beneficiary_shown) == (
        3,
        2,
        ["K2", "K3"],
    )
    assert app.store.cases_without_beneficiary(1) == (2, ["K2"])
    import_persons(app.store, extract(person("GHOST"), person("NOBODY")), "persons.jsonl", app.clock)
    assert app.store.cases_without_beneficiary(5) == (0, [])


def test_the_extracts_own_suspensions_are_listed_as_holds(db_url: str) -> None:
    app = app_for(db_url, person("B"), cases=(case("C", KY, "B", status="suspended"),))
    [hold] = queries.holds(app.review)
    assert (hold.case_id, hold.source) == ("C", "case extract")


def test_bad_extract_lines_are_skipped_reported_and_dead_lettered(db_url: str) -> None:
    app = bootstrap(db_url, clock=fixed_clock)
    result = import_cases(
        app.store,
        app.pack,
        extract(case("OK", KY, "B"), case("NO", "housing", "B"), case("BS", BS, "B")),
        "cases.jsonl",
        app.clock,
    )
    assert result.imported == 1
    errors = [d.error for d in result.rejected]
    assert "Line 2" in errors[0] and "'benefit'" in errors[0]
    assert "Line 3" in errors[1] and "'dwelling_address_id'" in errors[1]
    assert len(queries.dead_letters(app.store)) == 2


def test_protected_addresses_are_redacted_in_dead_letters(db_url: str) -> None:
    app = app_for(db_url, person("S", address_id="SECRET-7", protected_address=True))
    bad = move("S", "SECRET-8")
    bad["data"].pop("country")
    replay(app, lines(bad, '{"broken": "SECRET-7"'))
    shown = " ".join(d.raw for d in queries.dead_letters(app.store))
    assert "SECRET" not in shown


def test_an_outdated_schema_is_refused_until_upgraded(db_url: str) -> None:
    real_database_only(db_url, "it has no schema")
    app = bootstrap(db_url, clock=fixed_clock)
    with sql_store(app).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))  # a release before this one
    with pytest.raises(SchemaOutdated, match="eventfilter db upgrade"):
        bootstrap(db_url)


def test_a_schema_newer_than_this_release_is_refused_and_left_alone(db_url: str) -> None:
    """An operator who went back to an older release: it can neither read nor
    upgrade a schema a later release made, and says so (it used to say "run
    `eventfilter db upgrade`", which then failed unexpectedly)."""
    real_database_only(db_url, "it has no schema")
    app = bootstrap(db_url, clock=fixed_clock)
    with sql_store(app).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaNewer, match="revision 9999, which this release does not know") as refused:
        bootstrap(db_url)
    assert "db upgrade" not in str(refused.value)
    with pytest.raises(SchemaNewer):
        upgrade_database(db_url)
    with sql_store(app).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999"


def test_an_unreachable_database_is_one_sentence() -> None:
    with pytest.raises(StoreError) as exc:
        bootstrap("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert "\n" not in str(exc.value)
    assert "127.0.0.1" in str(exc.value)
