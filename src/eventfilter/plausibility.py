"""What a line's form cannot say: facts that cannot be true.

The formats check that a line has the contract's shape. These checks refuse
lines that have the shape but cannot be true, and that would otherwise pay
or stop the wrong person (trust issue, findings 4 and 5):

- a date beyond the horizon (a typo such as `9999-12`): every fact carries
  the version of the event that set it, so one such line would outrank every
  real change after it and freeze the person for good;
- an income reported for a month after the event took effect (the same
  freeze, within the horizon);
- a person who is their own partner (their income would count twice) or
  their own parent; a birth after the event that reports it, or in the
  future; a correction that withdraws itself.

Each refusal is one sentence naming the field; the line is a dead letter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from eventfilter.core import events as ev
from eventfilter.core.facts import Person
from eventfilter.errors import Malformed


@dataclass(frozen=True)
class Horizon:
    """The latest date a line may carry: `days` after `today` (worked out once:
    every line of a batch is checked against it)."""

    today: date
    days: int
    latest: date = field(init=False)
    latest_text: str = field(init=False)  # ISO text compares as the dates do

    def __post_init__(self) -> None:
        try:
            latest = self.today + timedelta(days=self.days)
        except OverflowError:
            latest = date.max
        object.__setattr__(self, "latest", latest)
        object.__setattr__(self, "latest_text", latest.isoformat())

    def check(self, field: str, day: date) -> None:
        if day > self.latest:
            raise Malformed(
                f"Field '{field}' ({day.isoformat()}) lies beyond the horizon of {self.days} days "
                f"(after {self.latest.isoformat()}); a date so far ahead is taken for a typo."
            )

    def check_month(self, field: str, month: str) -> None:
        """`month` has the contract's form (YYYY-MM, checked already) and compares as
        text, as ISO months do. Year 0000 fits the form but no date has it (a date
        in it is refused as not real), so a month in it is refused alike."""
        if month.startswith("0000"):
            raise Malformed(f"Field '{field}' is not a real month ({month!r}).")
        if month > self.latest_text[:7]:
            raise Malformed(
                f"Field '{field}' ({month}) lies beyond the horizon of {self.days} days "
                f"(after {self.latest.isoformat()}); a month so far ahead is taken for a typo."
            )


def check_event(e: ev.Event, horizon: Horizon) -> None:
    """Raise `Malformed` for an event that cannot be true."""
    horizon.check("effective_date", e.effective_date)
    if e.recorded_at is not None and e.recorded_at[:10] > horizon.latest_text:
        horizon.check("recorded_at", date.fromisoformat(e.recorded_at[:10]))
    data = e.data
    if isinstance(data, ev.IncomeData):
        horizon.check_month("data.period", data.period)
        if data.period > e.effective_date.isoformat()[:7]:
            raise Malformed(
                f"Field 'data.period' ({data.period}) is after the month the event took effect "
                f"({e.effective_date.isoformat()[:7]}); income is reported for a month that has begun."
            )
    elif isinstance(data, ev.MaritalData):
        if data.partner_id == e.person_id:
            raise Malformed("Field 'data.partner_id' names the person themself; nobody is their own partner.")
    elif isinstance(data, ev.BirthData):
        if e.person_id in data.parent_ids:
            raise Malformed("Field 'data.parent_ids' names the child itself; nobody is their own parent.")
        if data.birth_date > e.effective_date:
            raise Malformed(
                f"Field 'data.birth_date' ({data.birth_date.isoformat()}) is after the event's "
                f"effective date ({e.effective_date.isoformat()}); a birth is registered once it happened."
            )
    elif isinstance(data, ev.CorrectionData) and data.corrects_event_id == e.event_id:
        raise Malformed("Field 'data.corrects_event_id' names the correction itself.")


def check_person(p: Person, horizon: Horizon) -> None:
    """Raise `Malformed` for an extract line that cannot be true."""
    if p.partner_id is not None and p.partner_id == p.person_id:
        raise Malformed("Field 'partner_id' names the person themself; nobody is their own partner.")
    if p.person_id in p.parent_ids:
        raise Malformed("Field 'parent_ids' names the person themself; nobody is their own parent.")
    if p.birth_date is not None and p.birth_date > horizon.today:
        raise Malformed(
            f"Field 'birth_date' ({p.birth_date.isoformat()}) is in the future "
            f"(today is {horizon.today.isoformat()})."
        )
    if p.income_period is not None:
        horizon.check_month("income_period", p.income_period)
