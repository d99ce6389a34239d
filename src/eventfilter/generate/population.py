"""The generator's population: persons in households and dwellings, and their
benefit cases, in compact arrays (about 45 bytes a person), written as the
register extract and the case extract as they are made."""

from __future__ import annotations

import json
import random
from array import array
from datetime import date, timedelta
from typing import Any, TextIO

from eventfilter.generate.profiles import (
    ABROAD,
    MARITAL,
    MARRIED,
    SAMPLE,
    UNMARRIED,
    Places,
    Profile,
)


class Population:
    """The simulated register, in arrays indexed by person (and by address): its
    households, dwellings and benefit cases, and the register and case extracts."""

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
        period = month_index(self.start - timedelta(days=1))
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
                persons_out.write(json_line(self.person_record(m)))
            for c in cases:
                cases_out.write(json_line(c))

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
            "income_period": period_text(period) if period >= 0 else None,
            "protected_address": bool(self.protected[i]),
        }

    # -- events ---------------------------------------------------------------------------------


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def period_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"
