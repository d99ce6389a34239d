"""`eventfilter tick --through DATE`: decide what time alone changes, for every
active case, from the register's last tick up to DATE (`core.ticks`).

Only the cases something can happen to are loaded: those of a benefit one of
whose parameters takes a new value in the period, and those of a household
where someone reaches an age the rules read (persons found by birth date,
then the cases they touch as an event of theirs would). Each batch of cases
is one unit of work through the pipeline's recording (decision log, holds,
review queue, audit, outbox), and each ticked case keeps its own tick date,
so a crash and the same command again decides nothing twice; the register's
tick date moves on once every case is through.

A replay or the stream decides the same dates in their place in time when an
event of a later date touches a case (the engine ticks the case first), so
replay, stream and tick agree.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import structlog

from eventfilter.core.decision import PLACE, Decision
from eventfilter.core.pack import RulePack
from eventfilter.core.rules import MODELS
from eventfilter.core.ticks import ONE_DAY
from eventfilter.core.vocabulary import OUTCOMES
from eventfilter.ports import Store, UnitOfWork
from eventfilter.records import BatchChanges
from eventfilter.service.pipeline import finish
from eventfilter.service.recording import Recording
from eventfilter.service.world import FreshWorld
from eventfilter.settings import Settings

log = structlog.get_logger("eventfilter.tick")
Clock = Callable[[], datetime]
BATCH = 2000  # cases per unit of work


def origin(uow: UnitOfWork, pack: RulePack) -> date:
    """The date the whole register is ticked through: the last tick, or the day
    before the pack is in force (nothing before it is the pack's to decide)."""
    return uow.tick_origin() or pack.in_force_from - ONE_DAY


@dataclass
class TickSummary:
    through: date
    since: date | None = None
    cases: int = 0  # cases examined (something may cross in the period)
    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    holds_placed: int = 0
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0

    @property
    def decided(self) -> int:
        return sum(self.outcomes.values())

    def count(self, decisions: Iterable[Decision]) -> None:
        for d in decisions:
            self.outcomes[d.outcome] += 1
            for r in d.reasons:
                if r.code in ("came_of_age", "age_band_changed", "parameters_changed"):
                    self.kinds[r.code] += 1
            if d.hold == PLACE:
                self.holds_placed += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "through": self.through.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "cases_examined": self.cases,
            "decisions": {k.value: self.outcomes.get(k, 0) for k in OUTCOMES},
            "reasons": dict(sorted(self.kinds.items())),
            "holds_placed": self.holds_placed,
            "seconds": round(self.elapsed, 3),
        }


class Ticker:
    def __init__(
        self,
        store: Store,
        pack: RulePack,
        settings: Settings,
        clock: Clock,
        sink: Any = None,
        outbox: bool = True,
    ) -> None:
        self.store, self.pack, self.settings, self.clock, self.sink = store, pack, settings, clock, sink
        self.how = Recording(settings.deadlines, outbox=outbox)

    def run(self, through: date) -> TickSummary:
        summary = TickSummary(through)
        with self.store.shared(f"tick through {through}"):
            with self.store.unit_of_work() as uow:
                since = origin(uow, self.pack)
                summary.since = since
                cases = self._candidates(uow, since, through) if through > since else []
            summary.cases = len(cases)
            for i in range(0, len(cases), BATCH):
                self._batch(cases[i : i + BATCH], through, since, summary)
            if through > since:
                with self.store.unit_of_work() as uow:
                    uow.write(BatchChanges(at=self.clock(), ticked_through=through))
        summary.elapsed = time.perf_counter() - summary.started
        log.info("tick finished", **summary.as_dict())
        return summary

    def _candidates(self, uow: UnitOfWork, since: date, through: date) -> list[str]:
        """The cases something can change for with time alone in (since, through]."""
        found: set[str] = set()
        changing = [b.name for b in self.pack.benefits.values() if b.change_dates(since, through)]
        found.update(uow.benefit_cases(changing))
        ages: set[int] = set()
        for spec in self.pack.benefits.values():
            model = MODELS[spec.model]
            for name in model.member_ages | model.beneficiary_ages:
                for d in (since + ONE_DAY, through):
                    ages.add(int(spec.params_on(d).num(name)))
        born: set[str] = set()
        for age in sorted(ages):
            # born so that they reach `age` in (since, through]
            # (a day wider each side: 29 February reaches its ages on 1 March; the engine
            # decides only the exact dates)
            first, last = _born_for(age, since + ONE_DAY) - ONE_DAY, _born_for(age, through) + ONE_DAY
            born.update(uow.born_between(first, last))
        if born:
            persons = uow.persons(sorted(born))
            beneficiaries = {p.person_id for p in persons}
            for p in persons:
                beneficiaries.update(p.parent_ids)
                if p.partner_id:
                    beneficiaries.add(p.partner_id)
            addresses = {p.address_id for p in persons if p.address_id}
            found.update(uow.candidate_cases(beneficiaries, addresses, beneficiaries))
        return sorted(found)

    def _batch(self, case_ids: Sequence[str], through: date, since: date, summary: TickSummary) -> None:
        at = self.clock()
        changes = BatchChanges(at=at)
        with self.store.unit_of_work() as uow:
            world = FreshWorld(self.pack, uow)
            loaded = world.load_cases(case_ids)
            engine = world.engine
            engine.tick_origin = since
            decisions: list[Decision] = []
            for case_id in loaded:
                decisions.extend(engine.tick(case_id, through, remember=True))
            finish(uow, world, decisions, changes, self.how)
            if self.sink is not None:
                self.sink.write(decisions)
                self.sink.flush()  # durable before the commit: a crash repeats, never loses
        summary.count(decisions)


def _born_for(age: int, day: date) -> date:
    """The birth date of someone who reaches `age` on `day` (29 February: see `reaches`)."""
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February: born on 29 February, reaching the age on 1 March
        return date(day.year - age, 2, 28)
