"""The stop-on-every-event comparison counts cases, not decisions, and keeps the reasons apart."""

from __future__ import annotations

from eventfilter.core.comparison import NaiveComparison
from eventfilter.core.decision import Decision
from eventfilter.core.reasons import Reason
from tests.helpers import bare_decision


def decision(
    case: str | None, benefit: str | None, outcome: str, types: tuple[str, ...], *codes: str
) -> Decision:
    reasons = tuple(Reason(code, code, "rule", None) for code in codes)
    return bare_decision(case, outcome, reasons, benefit=benefit, event_types=types)


def test_every_touched_case_is_one_naive_pause_however_often_it_is_touched() -> None:
    c = NaiveComparison({"kontanthjaelp": 10, "boligstoette": 4})
    c.observe(
        [
            decision("KY-1", "kontanthjaelp", "pass", ("income_change",), "no_change"),
            decision("KY-1", "kontanthjaelp", "pass", ("name_change",), "not_read"),
            decision("KY-2", "kontanthjaelp", "suspend", ("death",), "deceased"),
            decision(
                "KY-3", "kontanthjaelp", "review", ("address_change", "income_change"), "household_changed"
            ),
            decision("KY-3", "kontanthjaelp", "suspend", ("income_change",), "income_above_limit"),
            decision("BS-1", "boligstoette", "review", ("address_change",), "household_changed"),
            decision(None, None, "pass", ("income_change",), "no_active_case"),  # touches no case
        ]
    )
    ky = c.as_dict()["kontanthjaelp"]
    assert ky == {
        "active_cases": 10,
        "naive_paused": 3,
        "naive_stops": 5,
        "suspended": 2,
        "reviewed": 0,  # KY-3 was reviewed, then suspended: it counts as suspended
        "passed": 1,
        "naive_paused_by_event_type": {
            "income_change": 2,
            "address_change": 1,
            "death": 1,
            "name_change": 1,
        },
        "eventfilter_by_reason": {
            "suspend:deceased": 1,
            "suspend:income_above_limit": 1,
            "review:household_changed": 1,
        },
    }
    assert c.as_dict()["boligstoette"]["reviewed"] == 1  # type: ignore[index]
    t = c.totals()
    assert (t["active_cases"], t["naive_paused"], t["suspended"], t["reviewed"], t["passed"]) == (
        14,
        4,
        2,
        1,
        1,
    )


def test_a_decision_without_events_is_not_a_pause() -> None:
    """A caseworker's redecision is not an event's: the naive filter never saw it."""
    c = NaiveComparison()
    c.observe([decision("KY-1", "kontanthjaelp", "suspend", (), "income_above_limit")])
    assert c.totals()["naive_paused"] == 0 and c.as_dict() == {}
