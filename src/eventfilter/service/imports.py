"""Load or update the register extract and the case extract (contract.md §§ 1-2).

A line that breaks the tables, or states what cannot be true (see
`eventfilter.plausibility`), is reported with its line number, goes to the
dead-letter store, and is skipped; the rest is imported in batches. Facts
that events have set are never overwritten (`core.facts.extract_over`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import RulePack
from eventfilter.core.rules import MODELS
from eventfilter.errors import Malformed
from eventfilter.formats import parse_case, parse_person, raw_text
from eventfilter.plausibility import Horizon, check_person
from eventfilter.ports import Store
from eventfilter.records import DeadLetter

Clock = Callable[[], datetime]
T = TypeVar("T", Person, Case)
Lines = Iterable[tuple[int, str | bytes]]
BATCH = 5000
HORIZON_DAYS = 366  # settings [input] horizon_days


REPORTED = 100  # rejected lines kept for the report; all go to the dead-letter store
SHOWN = 5  # cases named in the warning about beneficiaries the register lacks


@dataclass
class ImportResult:
    source: str
    imported: int = 0
    read: int = 0
    rejected_count: int = 0
    rejected: list[DeadLetter] = field(default_factory=list)  # the first REPORTED of them
    # cases (all of the store's, after a case import) whose beneficiary the register
    # does not hold: their events are decided without the beneficiary's facts
    without_beneficiary: int = 0
    without_beneficiary_shown: list[str] = field(default_factory=list)

    def reject(self, letter: DeadLetter, pending: list[DeadLetter]) -> None:
        self.rejected_count += 1
        pending.append(letter)
        if len(self.rejected) < REPORTED:
            self.rejected.append(letter)


Progress = Callable[[ImportResult], None]


def import_persons(
    store: Store,
    lines: Lines,
    source: str,
    clock: Clock,
    on_batch: Progress | None = None,
    horizon_days: int = HORIZON_DAYS,
) -> ImportResult:
    """In batches, so memory stays flat however large the extract."""
    horizon = Horizon(clock().date(), horizon_days)

    def parse(raw: str | bytes) -> Person:
        person = parse_person(raw)
        check_person(person, horizon)
        return person

    with store.exclusive(f"import persons from {source}"):
        return _import(store, lines, source, clock, on_batch, parse, store.upsert_persons, "person_id")


def check_case(case: Case, pack: RulePack) -> None:
    spec = pack.benefits.get(case.benefit)
    if spec is None:
        known = ", ".join(sorted(pack.benefits))
        raise Malformed(
            f"Field 'benefit' is {case.benefit!r}, which rule pack {pack.label} does not have ({known})."
        )
    for needed in sorted(MODELS[spec.model].case_requires):
        if getattr(case, needed) is None:
            raise Malformed(f"Field '{needed}' is required for a {case.benefit} case.")


def import_cases(
    store: Store,
    pack: RulePack,
    lines: Lines,
    source: str,
    clock: Clock,
    on_batch: Progress | None = None,
) -> ImportResult:
    def parse(raw: str | bytes) -> Case:
        case = parse_case(raw)
        check_case(case, pack)
        return case

    with store.exclusive(f"import cases from {source}"):
        result = _import(store, lines, source, clock, on_batch, parse, store.upsert_cases, "case_id")
        result.without_beneficiary, result.without_beneficiary_shown = store.cases_without_beneficiary(SHOWN)
        return result


def _import(
    store: Store,
    lines: Lines,
    source: str,
    clock: Clock,
    on_batch: Progress | None,
    parse: Callable[[str | bytes], T],
    write: Callable[[list[T]], None],
    key: str,
) -> ImportResult:
    result = ImportResult(source)
    batch: list[T] = []
    pending: list[DeadLetter] = []

    def flush() -> None:
        unique = list({getattr(x, key): x for x in batch}.values())  # a later line wins
        write(unique)
        result.imported += len(unique)
        batch.clear()
        if pending:
            store.add_dead_letters(pending, clock())
            pending.clear()
        if on_batch is not None:
            on_batch(result)

    for lineno, raw in lines:
        result.read += 1
        try:
            batch.append(parse(raw))
        except Malformed as exc:
            result.reject(DeadLetter(source, str(lineno), raw_text(raw), f"Line {lineno}: {exc}"), pending)
        if len(batch) >= BATCH:
            flush()
    flush()
    return result
