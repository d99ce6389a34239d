"""Lines of the right shape that cannot be true are refused with a sentence
naming the field (trust issue, findings 4 and 5)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from eventfilter.errors import Malformed
from eventfilter.plausibility import Horizon, check_event, check_person
from tests.helpers import event, income, move, person, to_event, to_person

HORIZON = Horizon(date(2026, 3, 2), 366)


def refused(e: dict[str, Any]) -> str:
    with pytest.raises(Malformed) as exc:
        check_event(to_event(e), HORIZON)
    return str(exc.value)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (move("X", "A", effective_date="2099-01-01"), "'effective_date'"),
        (event("death", "X", recorded_at="9999-12-31T23:00:00Z"), "'recorded_at'"),
        (income("X", 100, period="9999-12", effective_date="9999-12-31"), "'effective_date'"),
        (income("X", 100, period="2027-06"), "'data.period'"),  # within the horizon, after the event
    ],
)
def test_a_date_beyond_the_horizon_or_an_income_ahead_of_its_event_is_refused(
    line: dict[str, Any], field: str
) -> None:
    message = refused(line)
    assert field in message and message.endswith(".")


def test_dates_within_the_horizon_are_taken() -> None:
    check_event(to_event(move("X", "A", effective_date="2027-02-01")), HORIZON)
    check_event(to_event(income("X", 100, period="2026-03")), HORIZON)


def test_nobody_is_their_own_partner_or_parent() -> None:
    assert "'data.partner_id'" in refused(
        event("marital_status_change", "X", {"status": "married", "partner_id": "X"})
    )
    birth = {"birth_date": "2026-03-01", "parent_ids": ["M", "K"], "address_id": "A", "country": "DK"}
    assert "'data.parent_ids'" in refused(event("birth", "K", birth))
    with pytest.raises(Malformed, match="'partner_id'"):
        check_person(to_person(person("X", partner_id="X", marital_status="married")), HORIZON)
    with pytest.raises(Malformed, match="'parent_ids'"):
        check_person(to_person(person("X", parent_ids=["M", "X"])), HORIZON)


def test_a_birth_cannot_lie_after_its_registration_or_in_the_future() -> None:
    birth = {"birth_date": "2026-05-01", "parent_ids": ["M"], "address_id": "A", "country": "DK"}
    assert "'data.birth_date'" in refused(event("birth", "K", birth, effective_date="2026-03-01"))
    with pytest.raises(Malformed, match=r"'birth_date'.*future"):
        check_person(to_person(person("X", "2026-04-01")), HORIZON)
    with pytest.raises(Malformed, match="'income_period'"):
        check_person(to_person(person("X", income_period="9999-12")), HORIZON)


def test_a_correction_cannot_withdraw_itself() -> None:
    assert "'data.corrects_event_id'" in refused(
        event("correction", "X", {"corrects_event_id": "c1"}, event_id="c1")
    )


def test_the_horizon_never_overflows() -> None:
    assert Horizon(date(9999, 12, 1), 366).latest == date.max


def test_a_month_in_year_0000_is_refused_as_not_real_not_a_crash() -> None:
    """The form YYYY-MM lets year 0000 through; no date has it (a date in it is not
    real), and working out the month's first day used to raise ValueError, which
    stopped a replay at the line on every rerun."""
    assert "Field 'data.period' is not a real month ('0000-05')." in refused(
        income("X", 100, period="0000-05")
    )
    with pytest.raises(Malformed, match=r"Field 'income_period' is not a real month \('0000-01'\)\."):
        check_person(to_person(person("X", income_period="0000-01")), HORIZON)
    check_event(to_event(income("X", 100, period="0001-01")), HORIZON)  # long ago, but a month


@pytest.mark.parametrize(("month", "taken"), [("2027-03", True), ("2027-04", False), ("2026-12", True)])
def test_a_month_is_beyond_the_horizon_after_the_month_of_its_last_day(month: str, taken: bool) -> None:
    assert HORIZON.latest == date(2027, 3, 3)
    if taken:
        HORIZON.check_month("income_period", month)
    else:
        with pytest.raises(Malformed, match=r"'income_period' \(2027-04\) lies beyond the horizon"):
            HORIZON.check_month("income_period", month)
