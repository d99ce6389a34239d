"""A synthetic population register with benefit cases and its events, at any scale.

Deterministic for a seed. The generator builds households in dwellings,
gives some of them benefit cases the way a caseload looks (housing benefit
for modest households, cash assistance for adults with little income,
Swedish financial assistance), and then walks day by day through the
period, emitting register events that keep the simulated register
consistent: households move together (most within the municipality),
couples marry with one event each, children are born at home, people die,
and everyone related to a case gets a monthly income report. It adds the
noise real feeds carry: types nobody reads, an unmapped type, duplicates,
corrections, and a few malformed lines.

It is built to reach a whole country (Denmark: 5.9 million persons): the
simulated register lives in compact arrays (about 45 bytes a person), and
persons, cases and events are written as they are made, so the output is
never held in memory. Person ids are synthetic ("DK-0000042"), never CPR-
or personnummer-shaped.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from eventfilter.generate.population import Population, month_index, period_text
from eventfilter.generate.profiles import (
    DIVORCED,
    MARRIED,
    OTHER_TYPES,
    WITHDRAWABLE,
    Profile,
)


class World(Population):
    """The population, walked day by day through the period: its register events."""

    def _event(self, kind: str, i: int, day: date, data: dict[str, Any]) -> dict[str, Any]:
        self.next_event += 1
        self.counts[kind] = self.counts.get(kind, 0) + 1
        rng = self.rng
        return {
            "event_id": f"ev-{self.next_event:09d}",
            "type": kind,
            "person_id": self.pid(i),
            "effective_date": day.isoformat(),
            "recorded_at": f"{day.isoformat()}T{rng.randint(5, 22):02d}:{rng.randint(0, 59):02d}:00Z",
            "data": data,
        }

    def _living(self) -> int:
        while True:
            i = self.rng.randrange(self.size)
            if self.alive[i]:
                return i

    def _pick(self, fits: Callable[[int], bool], tries: int = 40) -> int | None:
        """A living person that fits, or None if none turned up."""
        for _ in range(tries):
            i = self._living()
            if fits(i):
                return i
        return None

    def _set_home(self, i: int, a: int, place: int) -> dict[str, Any]:
        self._move_out(i)
        if a >= 0:
            self._move_in(i, a)
        else:
            self.place[i] = place
        return {
            "address_id": self.address_id(a),
            "municipality_code": self.places.codes[place],
            "country": self.places.countries[place],
        }

    def _move(self, day: date) -> list[dict[str, Any]]:
        rng = self.rng
        prof = self.profile
        i = self._living()
        here = self.place[i]
        country = self.places.countries[here]
        if self.addr[i] < 0 or country not in self.home_places:
            return []
        together = [m for m in self.at_home(self.addr[i]) if self.alive[m]]
        if rng.random() < prof.move_alone:
            together = [i]  # one person moves alone (a child leaving home, a separation)
        r = rng.random()
        if r < prof.emigrations:
            place = rng.choice(self.abroad)
            a = self._new_address(place)
        elif r < prof.emigrations + prof.no_fixed_address:
            together, place, a = [i], here, -1
        else:
            place = here if rng.random() < prof.within_municipality else self._home_place(country)
            a = self._new_address(place)
        return [self._event("address_change", m, day, self._set_home(m, a, place)) for m in together]

    def _birth(self, day: date) -> list[dict[str, Any]]:
        found = self._pick(lambda m: self.addr[m] >= 0 and 18 <= self._age(m, day) <= 45)
        if found is None:
            return []
        mother = found
        partner = self.partner[mother]
        parents = [mother] if partner < 0 else [mother, partner]
        a = self.addr[mother]
        child = self._person(self.origin[mother], day, a, self.place[mother])
        self.parent1[child] = mother
        self.parent2[child] = partner
        self.related[child] = self.related[mother]
        place = self.place[mother]
        return [
            self._event(
                "birth",
                child,
                day,
                {
                    "birth_date": day.isoformat(),
                    "parent_ids": [self.pid(x) for x in parents],
                    "address_id": self.address_id(a),
                    "municipality_code": self.places.codes[place],
                    "country": self.places.countries[place],
                },
            )
        ]

    def _death(self, day: date) -> list[dict[str, Any]]:
        old = self.rng.random() < 0.85  # mostly the old
        found = self._pick(lambda p: (self._age(p, day) >= 65) == old)
        if found is None:
            return []
        self.alive[found] = 0
        return [self._event("death", found, day, {})]

    def _marriage(self, day: date) -> list[dict[str, Any]]:
        found = self._pick(lambda p: self.marital[p] != MARRIED and self._age(p, day) >= 18)
        if found is None:
            return []
        i = found
        j = self.partner[i]
        if j >= 0 and self.alive[j]:
            self.marital[i] = self.marital[j] = MARRIED
            return [
                self._event(
                    "marital_status_change", i, day, {"status": "married", "partner_id": self.pid(j)}
                ),
                self._event(
                    "marital_status_change", j, day, {"status": "married", "partner_id": self.pid(i)}
                ),
            ]
        # a partner the register extract does not hold (moved here, or abroad)
        new = self._person(self.origin[i], self._birthday(20, 60), -1, self.place[i])
        self.partner[i], self.marital[i] = new, MARRIED
        self.partner[new], self.marital[new] = i, MARRIED
        return [
            self._event("marital_status_change", i, day, {"status": "married", "partner_id": self.pid(new)})
        ]

    def _divorce(self, day: date) -> list[dict[str, Any]]:
        found = self._pick(lambda p: self.marital[p] == MARRIED and self.partner[p] >= 0)
        if found is None:
            return []
        i = found
        j = self.partner[i]
        self.marital[i], self.partner[i] = DIVORCED, -1
        out = [self._event("marital_status_change", i, day, {"status": "divorced", "partner_id": None})]
        if self.partner[j] == i:
            self.marital[j], self.partner[j] = DIVORCED, -1
            out.append(
                self._event("marital_status_change", j, day, {"status": "divorced", "partner_id": None})
            )
            here = self.place[j]
            if self.alive[j] and self.addr[j] >= 0 and self.places.countries[here] in self.home_places:
                moved = self._set_home(j, self._new_address(here), here)
                out.append(self._event("address_change", j, day, moved))
        return out

    def _income_reports(self, day: date) -> Iterator[dict[str, Any]]:
        period_index = month_index(day.replace(day=1) - timedelta(days=1))
        period = period_text(period_index)
        rng = self.rng
        adult = day.toordinal() - 16 * 365
        job = self.profile.job_found
        related, alive, born, income = self.related, self.alive, self.born, self.income
        for i in range(self.size):
            if not (related[i] and alive[i]):
                continue
            base = max(0, income[i])
            if born[i] > adult or (r := rng.random()) < 0.7:  # a child: reported, with nothing earned
                amount = base
            elif r < 1.0 - job:
                amount = max(0, int(round(base + rng.uniform(-1500, 1500), -2)))
            else:
                amount = rng.randrange(12000, 30000, 100)  # a job: income jumps
            income[i], self.period[i] = amount, period_index
            yield self._event(
                "income_change", i, day, {"period": period, "amount": float(amount), "source": "eindkomst"}
            )

    def _others(self, day: date, kind: str) -> list[dict[str, Any]]:
        i = self._living()
        if kind == "protected_address":
            self.protected[i] = 1
            return [self._event(kind, i, day, {"protected": True})]
        if kind == "custody_change":
            return [self._event(kind, i, day, {"note": "custody arrangement registered"})]
        return [self._event(kind, i, day, {"changed": True})]

    def _daily(self, day: date) -> list[dict[str, Any]]:
        per_day = self.size / 365.0
        prof = self.profile
        rng = self.rng
        out: list[dict[str, Any]] = []
        # Households move together, so a day's moves overshoot its share by a
        # few; the next day makes up for it.
        moves = _count(rng, prof.moves * per_day) - self.moves_ahead
        moved = 0
        for _ in range(max(0, moves) * 3):  # a move may find nobody movable; do not loop forever
            if moved >= moves:
                break
            made = self._move(day)
            moved += len(made)
            out.extend(made)
        self.moves_ahead = max(0, moved - moves)
        plan = [
            (prof.births, self._birth),
            (prof.deaths, self._death),
            (prof.marriages, self._marriage),
            (prof.divorces, self._divorce),
        ]
        for rate, make in plan:
            for _ in range(_count(rng, rate * per_day)):
                out.extend(make(day))
        for _ in range(_count(rng, prof.other_types * per_day)):
            out.extend(self._others(day, rng.choice(OTHER_TYPES)))
        for _ in range(_count(rng, prof.unknown_types * per_day)):
            out.extend(self._others(day, "custody_change"))
        for _ in range(_count(rng, prof.protections * per_day)):
            out.extend(self._others(day, "protected_address"))
        return out

    def events(self) -> Iterator[str]:
        """Event lines in time order, noise included."""
        for offset in range(self.days):
            day = self.start + timedelta(days=offset)
            for e in self._daily(day):
                yield from self._emit(e, day)
            if self.profile.income_reports and day.day == 10:
                for e in self._income_reports(day):
                    yield from self._emit(e, day)

    def _emit(self, e: dict[str, Any], day: date) -> Iterator[str]:
        rng = self.rng
        prof = self.profile
        if rng.random() < prof.malformed:
            self.counts["malformed"] = self.counts.get("malformed", 0) + 1
            yield _break(e, rng)
            return
        line = json.dumps(e, separators=(",", ":"))
        yield line
        if e["type"] in WITHDRAWABLE:
            self.withdrawable.append((e["event_id"], e["person_id"]))
            if len(self.withdrawable) > 4000:
                del self.withdrawable[:2000]
        if rng.random() < prof.duplicates:
            self.counts["duplicate"] = self.counts.get("duplicate", 0) + 1
            yield line
        elif rng.random() < prof.malformed / 3:
            # the same event id again with other content: a conflicting duplicate
            self.counts["conflicting_duplicate"] = self.counts.get("conflicting_duplicate", 0) + 1
            yield json.dumps(
                {**e, "effective_date": (day + timedelta(days=1)).isoformat()}, separators=(",", ":")
            )
        if self.withdrawable and rng.random() < prof.corrections:
            target, person = self.withdrawable.pop(rng.randrange(len(self.withdrawable)))
            self.next_event += 1
            self.counts["correction"] = self.counts.get("correction", 0) + 1
            yield json.dumps(
                {
                    "event_id": f"ev-{self.next_event:09d}",
                    "type": "correction",
                    "person_id": person,
                    "effective_date": day.isoformat(),
                    "recorded_at": f"{day.isoformat()}T23:30:00Z",
                    "data": {"corrects_event_id": target},
                },
                separators=(",", ":"),
            )


def _count(rng: random.Random, expected: float) -> int:
    """A whole number of events with the expected mean."""
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _break(e: dict[str, Any], rng: random.Random) -> str:
    """One of the ways real feeds break a line."""
    kind = rng.randrange(5)
    bad = json.loads(json.dumps(e))
    if kind == 0:
        return json.dumps(bad)[:-7]  # truncated
    if kind == 1:
        bad["effective_date"] = bad["effective_date"][:5] + "02-30"
    elif kind == 2:
        del bad["person_id"]
    elif kind == 3 and bad["type"] == "income_change":
        bad["data"]["amount"] = -abs(bad["data"]["amount"]) - 100
    elif kind == 3 and bad["type"] == "address_change":
        del bad["data"]["country"]
    else:
        bad["effective_date"] = 20260301
    return json.dumps(bad, separators=(",", ":"))


def write_world(
    out_dir: Path,
    persons: int,
    *,
    seed: int,
    days: int,
    profile: Profile,
    start: date = date(2026, 1, 1),
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write persons.jsonl, cases.jsonl and events.jsonl; return the counts.

    `progress(what, lines)` is called now and then while writing."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = World(persons, seed=seed, days=days, profile=profile, start=start)
    with (
        open(out / "persons.jsonl", "w", encoding="utf-8") as persons_out,
        open(out / "cases.jsonl", "w", encoding="utf-8") as cases_out,
    ):
        world.build(persons_out, cases_out)
    made = world.size
    if progress is not None:
        progress("persons", made)
    n_events = 0
    with open(out / "events.jsonl", "w", encoding="utf-8") as events_out:
        for line in world.events():
            events_out.write(line)
            events_out.write("\n")
            n_events += 1
            if progress is not None and n_events % 100_000 == 0:
                progress("events", n_events)
    return {
        "persons": made,
        "cases": world.next_case,
        **{f"cases_{k}": v for k, v in sorted(world.case_counts.items())},
        "event_lines": n_events,
        **world.counts,
    }
