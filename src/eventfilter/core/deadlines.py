"""When a review item is due: working days per reason, or before the next
payment run, counted in the calendar of the case's benefit."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date]
    payment_runs: tuple[date, ...]  # sorted

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        day = start
        while days > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def before_next_run(self, on: date) -> date | None:
        """The last working day before the first payment run after `on`
        (never earlier than `on`); None when the calendar has no later run."""
        i = bisect_right(self.payment_runs, on)
        if i == len(self.payment_runs):
            return None
        day = self.payment_runs[i] - timedelta(days=1)
        while day > on and not self.is_working_day(day):
            day -= timedelta(days=1)
        return max(day, on)


@dataclass(frozen=True)
class DeadlinePolicy:
    working_days: Mapping[str, int]
    default_days: int
    before_payment_run: frozenset[str]
    calendars: Mapping[str, Calendar]
    calendar_by_benefit: Mapping[str, str]

    def calendar(self, benefit: str) -> Calendar:
        name = self.calendar_by_benefit.get(benefit)
        if name is not None and name in self.calendars:
            return self.calendars[name]
        return Calendar(frozenset(), ())

    def due(self, benefit: str, codes: Iterable[str], decided_on: date) -> tuple[date, str]:
        """The earliest due date any of the codes sets, with that code."""
        cal = self.calendar(benefit)
        best: tuple[date, str] | None = None
        for code in codes:
            due = cal.before_next_run(decided_on) if code in self.before_payment_run else None
            if due is None:
                due = cal.add_working_days(decided_on, self.working_days.get(code, self.default_days))
            if best is None or due < best[0]:
                best = (due, code)
        if best is None:
            return cal.add_working_days(decided_on, self.default_days), "default"
        return best
