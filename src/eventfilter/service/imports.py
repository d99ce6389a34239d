"""Load or update the register extract and the case extract (contract.md §§ 1-2).

A line that breaks the tables is reported with its line number, goes to the
dead-letter store, and is skipped; the rest is imported in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from eventfilter.adapters.sql.store import SqlStore
from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import RulePack
from eventfilter.core.rules import MODELS
from eventfilter.formats import Malformed, parse_case, parse_person
from eventfilter.records import DeadLetter

Clock = Callable[[], datetime]
BATCH = 5000


REPORTED = 100  # rejected lines kept for the report; all go to the dead-letter store


@dataclass
class ImportResult:
    source: str
    imported: int = 0
    read: int = 0
    rejected_count: int = 0
    rejected: list[DeadLetter] = field(default_factory=list)  # the first REPORTED of them

    def reject(self, letter: DeadLetter, pending: list[DeadLetter]) -> None:
        self.rejected_count += 1
        pending.append(letter)
        if len(self.rejected) < REPORTED:
            self.rejected.append(letter)


Progress = Callable[[ImportResult], None]


def import_persons(
    store: SqlStore,
    lines: Iterable[tuple[int, str]],
    source: str,
    clock: Clock,
    on_batch: Progress | None = None,
) -> ImportResult:
    """In batches, so memory stays flat however large the extract."""
    result = ImportResult(source)
    batch: list[Person] = []
    pending: list[DeadLetter] = []
    for lineno, raw in lines:
        result.read += 1
        try:
            batch.append(parse_person(raw))
        except Malformed as exc:
            result.reject(DeadLetter(source, str(lineno), raw, f"Line {lineno}: {exc}"), pending)
        if len(batch) >= BATCH:
            result.imported += _flush_persons(store, batch)
            _flush_rejected(store, pending, clock, result, on_batch)
    result.imported += _flush_persons(store, batch)
    _flush_rejected(store, pending, clock, result, on_batch)
    return result


def _flush_rejected(
    store: SqlStore, pending: list[DeadLetter], clock: Clock, result: ImportResult, on_batch: Progress | None
) -> None:
    if pending:
        store.add_dead_letters(pending, clock())
        pending.clear()
    if on_batch is not None:
        on_batch(result)


def _flush_persons(store: SqlStore, batch: list[Person]) -> int:
    unique = list({p.person_id: p for p in batch}.values())  # a later line wins
    store.upsert_persons(unique)
    batch.clear()
    return len(unique)


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
    store: SqlStore,
    pack: RulePack,
    lines: Iterable[tuple[int, str]],
    source: str,
    clock: Clock,
    on_batch: Progress | None = None,
) -> ImportResult:
    result = ImportResult(source)
    batch: list[Case] = []
    pending: list[DeadLetter] = []
    for lineno, raw in lines:
        result.read += 1
        try:
            case = parse_case(raw)
            check_case(case, pack)
            batch.append(case)
        except Malformed as exc:
            result.reject(DeadLetter(source, str(lineno), raw, f"Line {lineno}: {exc}"), pending)
        if len(batch) >= BATCH:
            result.imported += _flush_cases(store, batch)
            _flush_rejected(store, pending, clock, result, on_batch)
    result.imported += _flush_cases(store, batch)
    _flush_rejected(store, pending, clock, result, on_batch)
    return result


def _flush_cases(store: SqlStore, batch: list[Case]) -> int:
    unique = list({c.case_id: c for c in batch}.values())
    store.upsert_cases(unique)
    batch.clear()
    return len(unique)
