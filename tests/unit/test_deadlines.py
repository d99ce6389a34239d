"""Due dates: working days per reason, or before the next payment run."""

from __future__ import annotations

from datetime import date

from eventfilter.core.deadlines import Calendar
from eventfilter.settings import Settings

FRIDAY = date(2026, 3, 6)


def test_working_days_skip_weekends_and_holidays(settings: Settings) -> None:
    dk = settings.deadlines.calendar("kontanthjaelp")
    assert dk.add_working_days(FRIDAY, 2) == date(2026, 3, 10)  # Mon, Tue
    # Maundy Thursday, Good Friday and Easter Monday 2026 are Danish holidays
    assert dk.add_working_days(date(2026, 4, 1), 2) == date(2026, 4, 8)


def test_the_most_urgent_reason_sets_the_due_date(settings: Settings) -> None:
    due, code = settings.deadlines.due("kontanthjaelp", ["household_changed", "deceased"], FRIDAY)
    assert (due, code) == (date(2026, 3, 10), "deceased")
    due, code = settings.deadlines.due("kontanthjaelp", ["household_changed"], FRIDAY)
    assert (due, code) == (date(2026, 3, 20), "household_changed")


def test_a_municipality_handover_is_due_before_the_next_payment_run(settings: Settings) -> None:
    due, code = settings.deadlines.due("kontanthjaelp", ["municipality_handover"], FRIDAY)
    assert (due, code) == (date(2026, 3, 30), "municipality_handover")  # DK run on 2026-03-31
    due, _ = settings.deadlines.due("forsorjningsstod", ["municipality_handover"], FRIDAY)
    assert due == date(2026, 3, 24)  # SE run on 2026-03-25


def test_a_run_on_monday_is_due_the_friday_before() -> None:
    cal = Calendar(frozenset(), (date(2026, 3, 9),))
    assert cal.before_next_run(date(2026, 3, 2)) == FRIDAY


def test_past_the_last_known_run_the_default_applies(settings: Settings) -> None:
    due, _ = settings.deadlines.due("kontanthjaelp", ["municipality_handover"], date(2030, 1, 7))
    assert due == date(2030, 1, 21)  # ten working days


def test_unknown_codes_get_the_default(settings: Settings) -> None:
    due, code = settings.deadlines.due("kontanthjaelp", ["something_new"], FRIDAY)
    assert (due, code) == (date(2026, 3, 20), "something_new")
