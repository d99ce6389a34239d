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
from array import array
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from eventfilter.generate.profiles import (
    ABROAD,
    DIVORCED,
    MARITAL,
    MARRIED,
    OTHER_TYPES,
    SAMPLE,
    UNMARRIED,
    WITHDRAWABLE,
    Places,
    Profile,
)


class World:
    """The simulated register, in arrays indexed by person (and by address)."""

    def __init__(
        self,
        persons: int,
        *,
        seed: int = 1,
        start: date = date(2026, 1, 1),
        days: int = 90,
        profile: Profile = SAMPLE,
    ) -> None:
        self.rng = random.Random(seed)
        self.target = persons
        self.start = start
        self.days = days
        self.profile = profile
        self.places = Places()
        dk = [self.places.add(c, "DK") for c, _ in profile.dk_municipalities]
        se = [self.places.add(c, "SE") for c, _ in profile.se_municipalities]
        self.abroad = [self.places.add(None, c) for c in ABROAD]
        self.home_places = {
            "DK": (dk, [w for _, w in profile.dk_municipalities]),
            "SE": (se, [w for _, w in profile.se_municipalities]),
        }
        # per person
        self.born = array("i")
        self.alive = bytearray()
        self.protected = bytearray()
        self.related = bytearray()  # related to a case: gets monthly income reports
        self.origin = bytearray()  # 0: DK-, 1: SE- ids
        self.marital = bytearray()
        self.addr = array("i")  # -1: no fixed address
        self.place = array("H")  # where the person is registered (municipality or country)
        self.partner = array("i")
        self.parent1 = array("i")
        self.parent2 = array("i")
        self.income = array("i")  # whole DKK/SEK a month; -1: unknown
        self.period = array("h")  # the income's month as year*12+month-1; -1: none
        self.next_at_home = array("i")
        # per address
        self.home_head = array("i")
        self.addr_place = array("H")
        self.next_event = 0
        self.next_case = 0
        self.moves_ahead = 0
        self.withdrawable: list[tuple[str, str]] = []  # (event_id, person_id), recent
        self.counts: dict[str, int] = {}
        self.case_counts: dict[str, int] = {}

    @property
    def size(self) -> int:
        return len(self.born)

    # -- ids ----------------------------------------------------------------------------------
    def pid(self, i: int) -> str:
        return f"{'SE' if self.origin[i] else 'DK'}-{i + 1:07d}"

    def address_id(self, a: int) -> str | None:
        """A dwelling's id as the register's own files give it: in Denmark the
        CPR extract's municipality, road code and house number (`573-0001-870`),
        in Sweden the municipality and the property (`1480-A0000870`); abroad
        the register holds no dwelling (None)."""
        if a < 0:
            return None
        place = self.addr_place[a]
        code = self.places.codes[place]
        if code is None:
            return None
        if self.places.countries[place] == "DK":
            return f"{code}-{a // 999 + 1:04d}-{a % 999 + 1}"
        return f"{code}-A{a + 1:07d}"

    # -- building ---------------------------------------------------------------------------------
    def _new_address(self, place: int) -> int:
        self.home_head.append(-1)
        self.addr_place.append(place)
        return len(self.home_head) - 1

    def _person(self, origin: int, born: date, a: int, place: int) -> int:
        i = self.size
        self.born.append(born.toordinal())
        self.alive.append(1)
        self.protected.append(0)
        self.related.append(0)
        self.origin.append(origin)
        self.marital.append(UNMARRIED)
        self.addr.append(-1)
        self.place.append(place)
        self.partner.append(-1)
        self.parent1.append(-1)
        self.parent2.append(-1)
        self.income.append(-1)
        self.period.append(-1)
        self.next_at_home.append(-1)
        if a >= 0:
            self._move_in(i, a)
        return i

    def _move_in(self, i: int, a: int) -> None:
        self.addr[i] = a
        self.place[i] = self.addr_place[a]
        self.next_at_home[i] = self.home_head[a]
        self.home_head[a] = i

    def _move_out(self, i: int) -> None:
        a = self.addr[i]
        if a < 0:
            return
        prev, j = -1, self.home_head[a]
        while j >= 0 and j != i:
            prev, j = j, self.next_at_home[j]
        if j == i:
            if prev < 0:
                self.home_head[a] = self.next_at_home[i]
            else:
                self.next_at_home[prev] = self.next_at_home[i]
        self.next_at_home[i] = -1
        self.addr[i] = -1

    def at_home(self, a: int) -> list[int]:
        out = []
        j = self.home_head[a] if a >= 0 else -1
        while j >= 0:
            out.append(j)
            j = self.next_at_home[j]
        return out

    def _birthday(self, age_from: int, age_to: int) -> date:
        return self.start - timedelta(days=self.rng.randint(age_from * 365, age_to * 365))

    def _child_birthday(self, age_to: int) -> date:
        """Under `age_to` + 1 at the start, any day of that last year included, so that
        some children come of age while the events run (a date-triggered decision).
        The same draw as `_birthday(0, age_to)`, stretched: the rest of the world is
        generated exactly as before."""
        days = self.rng.randint(0, age_to * 365)
        return self.start - timedelta(days=days * ((age_to + 1) * 365 - 1) // max(1, age_to * 365))

    def _age(self, i: int, day: date) -> int:
        return (day.toordinal() - self.born[i]) // 365

    def _wage(self) -> int:
        r = self.rng.random()
        if r < 0.25:
            return 0
        if r < 0.45:
            return self.rng.randrange(2000, 12000, 100)
        return self.rng.randrange(14000, 45000, 100)

    def _home_place(self, country: str) -> int:
        places, weights = self.home_places[country]
        return self.rng.choices(places, weights)[0]

    def build(self, persons_out: TextIO, cases_out: TextIO) -> None:
        """Make the register and the caseload, writing both as they are made."""
        rng = self.rng
        prof = self.profile
        period = _month_index(self.start - timedelta(days=1))
        # Per household: the chance of each case, from the rates per person
        # (households below hold 2.3 persons on average; Swedish cases among
        # Swedish households).
        size = 2.3
        p_bs = min(1.0, prof.case_rate("boligstoette") * size / max(1e-9, 1 - prof.se_share))
        p_ky = min(1.0, prof.case_rate("kontanthjaelp") * size / max(1e-9, 1 - prof.se_share))
        p_fs = min(1.0, prof.case_rate("forsorjningsstod") * size / max(1e-9, prof.se_share))
        while self.size < self.target:
            country = "SE" if rng.random() < prof.se_share else "DK"
            origin = 1 if country == "SE" else 0
            place = self._home_place(country)
            a = self._new_address(place)
            first = self._person(origin, self._birthday(19, 80), a, place)
            adults = [first]
            if rng.random() >= 0.45:
                second = self._person(origin, self._birthday(19, 80), a, place)
                self.partner[first], self.partner[second] = second, first
                status = MARRIED if rng.random() < 0.7 else UNMARRIED
                self.marital[first] = self.marital[second] = status
                adults.append(second)
            for adult in adults:
                self.income[adult] = self._wage()
                self.period[adult] = period
            parent_age = min(self._age(m, self.start) for m in adults)
            children = []
            if parent_age < 50:
                for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                    age_to = min(17, parent_age - 18)
                    if age_to < 0:
                        break
                    child = self._person(origin, self._child_birthday(age_to), a, place)
                    self.parent1[child] = adults[0]
                    if len(adults) > 1:
                        self.parent2[child] = adults[1]
                    children.append(child)
            members = adults + children
            if rng.random() < prof.protected_households:
                for m in members:
                    self.protected[m] = 1
            cases = []
            if country == "DK":
                if rng.random() < p_bs:
                    cases.append(self._housing_benefit(adults, a))
                if rng.random() < p_ky:
                    cases.append(self._cash_assistance(adults))
            elif rng.random() < p_fs:
                cases.append(self._financial_assistance(adults, a))
            if cases:
                for m in members:
                    self.related[m] = 1
            for m in members:
                persons_out.write(_line(self.person_record(m)))
            for c in cases:
                cases_out.write(_line(c))

    def _case(self, prefix: str, benefit: str, beneficiary: int, **fields: Any) -> dict[str, Any]:
        self.next_case += 1
        self.case_counts[benefit] = self.case_counts.get(benefit, 0) + 1
        return {
            "case_id": f"{prefix}-{self.next_case:07d}",
            "benefit": benefit,
            "beneficiary_id": self.pid(beneficiary),
            "municipality_code": self.places.codes[self.place[beneficiary]],
            "status": "active",
            **fields,
        }

    def _housing_benefit(self, adults: list[int], a: int) -> dict[str, Any]:
        for m in adults:  # a modest household: the benefit is worth something
            self.income[m] = self.rng.choice((0, 0, 1200, 3000, 6000, 9000, 11000))
        return self._case("BS", "boligstoette", adults[0], dwelling_address_id=self.address_id(a))

    def _cash_assistance(self, adults: list[int]) -> dict[str, Any]:
        rng = self.rng
        b = rng.choice(adults)
        self.income[b] = rng.choice((0, 0, 0, 0, 0, 1200, 3000))
        p = self.partner[b]
        if p >= 0 and self.marital[b] == MARRIED:
            # a spouse's income counts: recipients' spouses earn little or nothing
            self.income[p] = rng.choice((0, 0, 0, 1500, 4000))
        return self._case("KY", "kontanthjaelp", b, status="suspended" if rng.random() < 0.01 else "active")

    def _financial_assistance(self, adults: list[int], a: int) -> dict[str, Any]:
        rng = self.rng
        for m in adults:
            self.income[m] = rng.choice((0, 0, 0, 500, 1500))
        return self._case(
            "FS",
            "forsorjningsstod",
            adults[0],
            dwelling_address_id=self.address_id(a),
            housing_cost=float(rng.randrange(3500, 8500, 50)),
        )

    def person_record(self, i: int) -> dict[str, Any]:
        place = self.place[i]
        partner, p1, p2 = self.partner[i], self.parent1[i], self.parent2[i]
        income, period = self.income[i], self.period[i]
        return {
            "person_id": self.pid(i),
            "birth_date": date.fromordinal(self.born[i]).isoformat(),
            "alive": bool(self.alive[i]),
            "address_id": self.address_id(self.addr[i]),
            "municipality_code": self.places.codes[place],
            "country": self.places.countries[place],
            "marital_status": MARITAL[self.marital[i]],
            "partner_id": self.pid(partner) if partner >= 0 else None,
            "parent_ids": [self.pid(x) for x in (p1, p2) if x >= 0],
            "monthly_income": float(income) if income >= 0 else None,
            "income_period": _period_text(period) if period >= 0 else None,
            "protected_address": bool(self.protected[i]),
        }

    # -- events ---------------------------------------------------------------------------------
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
        period_index = _month_index(day.replace(day=1) - timedelta(days=1))
        period = _period_text(period_index)
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


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _period_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"


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
