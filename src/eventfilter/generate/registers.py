"""A world's register changes in the register's own formats: a CPR change
extract a day for the Danish persons (`cpr/`), a Navet notification a day for
the Swedish ones (`navet/`), and beside each the contract's event lines that
say the same (`events.jsonl`), so that replaying either gives the same
decisions.

Read from a written world (persons.jsonl, events.jsonl): each day, every
person a register event changed (address, civil status, birth, death,
protection) is sent whole, as the register sends them. Only what a snapshot
can say is kept on either side: income reports come from another register,
the types the rules never read carry no facts, and a correction has no
snapshot of its own (the register just sends the person again), so a
corrected event and its correction are left out of both; so are the lines
the generator breaks on purpose and its duplicates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

from eventfilter.adapters.cpr import CprPerson, extract_text, status_of
from eventfilter.adapters.navet import notification, post_element
from eventfilter.core import events as ev
from eventfilter.core.facts import Group, Person
from eventfilter.core.state import RegisterState
from eventfilter.errors import Malformed
from eventfilter.formats import event_line, parse_event, parse_person

CARRIED_TYPES = frozenset(
    {ev.ADDRESS_CHANGE, ev.MARITAL_STATUS_CHANGE, ev.BIRTH, ev.DEATH, ev.PROTECTED_ADDRESS}
)
GROUP_OF = {
    ev.ADDRESS_CHANGE: Group.ADDRESS,
    ev.BIRTH: Group.ADDRESS,
    ev.MARITAL_STATUS_CHANGE: Group.MARITAL,
    ev.DEATH: Group.ALIVE,
    ev.PROTECTED_ADDRESS: Group.PROTECTED,
}


@dataclass
class _Dates:
    """When each fact of a person last changed (the dates their records carry)."""

    by_person: dict[str, dict[Group, date]] = field(default_factory=lambda: defaultdict(dict))


def _events(path: Path) -> Iterator[ev.Event]:
    """The events worth a snapshot: readable, first seen, not corrected, carried."""
    lines = path.read_bytes().splitlines()
    parsed: list[ev.Event] = []
    corrected: set[str] = set()
    for raw in lines:
        try:
            event, _ = parse_event(raw)
        except Malformed:
            continue
        if isinstance(event.data, ev.CorrectionData):
            corrected.add(event.data.corrects_event_id)
        parsed.append(event)
    seen: set[str] = set()
    for event in parsed:
        if event.event_id in seen or event.event_id in corrected or event.type not in CARRIED_TYPES:
            continue
        seen.add(event.event_id)
        yield event


def write_registers(world_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write out_dir/cpr/ and out_dir/navet/ from the world in world_dir; the counts."""
    state = RegisterState(
        parse_person(raw) for raw in (world_dir / "persons.jsonl").read_bytes().splitlines() if raw.strip()
    )
    dates = _Dates()
    by_day: dict[date, list[ev.Event]] = defaultdict(list)
    for event in _events(world_dir / "events.jsonl"):
        by_day[_day_of(event)].append(event)
    cpr_dir, navet_dir = out_dir / "cpr", out_dir / "navet"
    for d in (cpr_dir, navet_dir):
        d.mkdir(parents=True, exist_ok=True)
        for old in [*d.glob("*.txt"), *d.glob("*.xml"), *d.glob("events.jsonl")]:
            old.unlink()
    counts = {"cpr_files": 0, "cpr_persons": 0, "navet_files": 0, "navet_persons": 0, "events": 0}
    previous: date | None = None
    with (
        open(cpr_dir / "events.jsonl", "wb") as cpr_events,
        open(navet_dir / "events.jsonl", "wb") as navet_events,
    ):
        for day in sorted(by_day):
            touched: dict[str, None] = {}
            for event in by_day[day]:
                state.apply(event, state.plan(event, {}))
                dates.by_person[event.person_id][GROUP_OF[event.type]] = event.effective_date
                touched[event.person_id] = None
                danish = event.person_id.startswith("DK")
                (cpr_events if danish else navet_events).write(event_line(event) + b"\n")
                counts["events"] += 1
            danes = [p for p in touched if p.startswith("DK")]
            swedes = [p for p in touched if not p.startswith("DK")]
            if danes:
                persons = [_cpr_person(_person(state, p), dates.by_person[p]) for p in danes]
                name = cpr_dir / f"D{day:%Y%m%d}.txt"
                name.write_bytes(extract_text(day, previous, persons, task=f"{counts['cpr_files'] + 1:06d}"))
                counts["cpr_files"] += 1
                counts["cpr_persons"] += len(danes)
                previous = day
            if swedes:
                posts = [_navet_post(_person(state, p), dates.by_person[p]) for p in swedes]
                (navet_dir / f"N{day:%Y%m%d}.xml").write_bytes(notification(posts, day))
                counts["navet_files"] += 1
                counts["navet_persons"] += len(swedes)
    return counts


def _day_of(event: ev.Event) -> date:
    """The day the register sent the change: its recording day, else its date."""
    if event.recorded_at:
        return date.fromisoformat(event.recorded_at[:10])
    return event.effective_date


def _person(state: RegisterState, pid: str) -> Person:
    person = state.get(pid)
    assert person is not None
    return person


def _cpr_person(p: Person, dates: dict[Group, date]) -> CprPerson:
    status = status_of(p)
    return CprPerson(
        p,
        status,
        status_date=dates.get(Group.ALIVE) if not p.alive else dates.get(Group.ADDRESS),
        moved=dates.get(Group.ADDRESS),
        civil_since=dates.get(Group.MARITAL),
        protected_since=dates.get(Group.PROTECTED),
        protection_ended=None if p.protected_address else dates.get(Group.PROTECTED),
    )


def _navet_post(p: Person, dates: dict[Group, date]) -> Element:
    return post_element(
        p,
        registered=dates.get(Group.ADDRESS),
        civil_since=dates.get(Group.MARITAL),
        left=dates.get(Group.ALIVE) if not p.alive else dates.get(Group.ADDRESS),
    )
