"""Small builders so tests read like the situations they describe."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from eventfilter.adapters.sql.store import SqlStore
from eventfilter.application import App
from eventfilter.core.cases import CaseBook
from eventfilter.core.decision import Decision
from eventfilter.core.engine import Engine
from eventfilter.core.events import Event
from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import RulePack
from eventfilter.core.reasons import Reason
from eventfilter.core.state import RegisterState
from eventfilter.formats import parse_case, parse_event, parse_person
from eventfilter.settings import default_settings_path

DAY = "2026-03-01"

PERSON_DEFAULTS: dict[str, Any] = {
    "alive": True,
    "municipality_code": "561",
    "country": "DK",
    "marital_status": "unmarried",
    "partner_id": None,
    "parent_ids": [],
    "monthly_income": 0,
    "income_period": "2026-01",
}


def person(person_id: str, birth_date: str = "1975-01-01", **facts: Any) -> dict[str, Any]:
    return {"person_id": person_id, "birth_date": birth_date, **PERSON_DEFAULTS, **facts}


def case(case_id: str, benefit: str, beneficiary_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "benefit": benefit,
        "beneficiary_id": beneficiary_id,
        "municipality_code": fields.pop("municipality_code", "561"),
        "status": "active",
        **fields,
    }


_seq = iter(range(1, 10**9))


def event(kind: str, person_id: str, data: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    e = {
        "event_id": top.pop("event_id", f"e{next(_seq)}"),
        "type": kind,
        "person_id": person_id,
        "effective_date": top.pop("effective_date", DAY),
        "recorded_at": top.pop("recorded_at", f"{DAY}T06:00:00Z"),
        "data": data if data is not None else {},
    }
    e.update(top)
    return e


def move(
    person_id: str, address: str | None, municipality: str | None = "561", country: str = "DK", **top: Any
) -> dict[str, Any]:
    return event(
        "address_change",
        person_id,
        {"address_id": address, "municipality_code": municipality, "country": country},
        **top,
    )


def income(person_id: str, amount: float, period: str = "2026-02", **top: Any) -> dict[str, Any]:
    return event("income_change", person_id, {"period": period, "amount": amount}, **top)


def to_person(d: dict[str, Any]) -> Person:
    return parse_person(json.dumps(d))


def to_case(d: dict[str, Any]) -> Case:
    return parse_case(json.dumps(d))


def to_event(d: dict[str, Any]) -> Event:
    return parse_event(json.dumps(d))[0]


class World:
    """An in-memory engine over a small world, for core tests."""

    def __init__(self, pack: RulePack, persons: list[dict[str, Any]], cases: list[dict[str, Any]]) -> None:
        self.state = RegisterState(to_person(p) for p in persons)
        self.book = CaseBook(to_case(c) for c in cases)
        self.engine = Engine(pack, self.state, self.book)

    def run(self, *events: dict[str, Any], close: bool = True) -> list[Decision]:
        out: list[Decision] = []
        for e in events:
            out.extend(self.engine.process(to_event(e)))
        if close:
            out.extend(self.engine.close_all())
        return out

    def decision(self, *events: dict[str, Any], case_id: str | None = None) -> Decision:
        """The one decision on `case_id` (or the only decision) these events lead to."""
        found = [d for d in self.run(*events) if case_id is None or d.case_id == case_id]
        assert len(found) == 1, f"expected one decision, got {[(d.case_id, d.outcome) for d in found]}"
        return found[0]


def bare_decision(
    case_id: str | None,
    outcome: str,
    reasons: tuple[Reason, ...],
    *,
    benefit: str | None = None,
    event_types: tuple[str, ...] = ("income_change",),
    hold: str | None = None,
) -> Decision:
    """A decision as the engine hands it out, without evaluations: for what counts them."""
    return Decision(
        decision_id=f"d-{case_id}-{outcome}-{len(event_types)}",
        event_ids=tuple(f"e{i}" for i in range(len(event_types))),
        person_id="P",
        case_id=case_id,
        benefit=benefit,
        outcome=outcome,
        reasons=reasons,
        before=None,
        after=None,
        rule_pack="default@1",
        effective_date=date(2026, 1, 5),
        hold=hold,
        event_types=event_types,
    )


def codes(d: Decision) -> list[str]:
    return [r.code for r in d.reasons]


def on(day: str = DAY) -> date:
    return date.fromisoformat(day)


# -- running the service on a real store ----------------------------------------
class ListSink:
    """Collects decisions as a sink; `flush` marks what a crash cannot take back."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def write(self, decisions: Any) -> None:
        self.decisions.extend(decisions)

    def flush(self) -> None:
        return None


def lines(*events: dict[str, Any] | str) -> list[tuple[int, bytes]]:
    return [(n, (e if isinstance(e, str) else json.dumps(e)).encode()) for n, e in enumerate(events, start=1)]


def extract(*records: dict[str, Any]) -> list[tuple[int, str]]:
    return [(n, json.dumps(r)) for n, r in enumerate(records, start=1)]


FIXED_NOW = "2026-03-02T08:00:00+00:00"


def fixed_clock() -> Any:
    from datetime import datetime

    return datetime.fromisoformat(FIXED_NOW)


def sql_store(app: App) -> SqlStore:
    """The app's store as the SQL adapter, for a test that reaches below the store port."""
    assert isinstance(app.store, SqlStore), "this test needs a database"
    return app.store


def own_decisions_exchange(path: Path, exchange: str) -> Path:
    """A settings file, the default's but for the decisions exchange: a consumer
    started with it (`EVENTFILTER_SETTINGS`) publishes to the test's own
    exchange, never to the machine's `eventfilter.decisions`."""
    default = default_settings_path().read_text(encoding="utf-8")
    line = 'decisions_exchange = "eventfilter.decisions"'
    ours = default.replace(line, f'decisions_exchange = "{exchange}"')
    assert ours != default
    path.write_text(ours, encoding="utf-8")
    return path
