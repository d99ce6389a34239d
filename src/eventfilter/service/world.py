"""What a batch reads: the engine, with the persons, cases, windows and
review items its events touch, loaded through the unit of work.

Two ways to hold it, one way to fill it:

- `FreshWorld` (the stream, a caseworker's redecide, `windows close`): made
  for one unit of work and thrown away. Several consumers decide at once, so
  every batch locks its cases and reads what their rules need fresh.
- `RunWorld` (replay and import-time runs): kept from batch to batch of one
  run, which holds the database exclusively (`Store.exclusive`), so what was
  loaded stays true; each batch loads only what is new to it. Nothing is
  loaded before the first event: a national register costs nothing to open.

Both find what to load with the same functions (`named`, `candidates`, in
`service/naming.py`), so replay and the stream read the same facts for the
same events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

import structlog

from eventfilter.core import routing
from eventfilter.core.cases import CaseBook
from eventfilter.core.engine import Engine
from eventfilter.core.evaluation import shown_addresses
from eventfilter.core.events import Event
from eventfilter.core.facts import Person
from eventfilter.core.pack import RulePack
from eventfilter.core.relevance import evict_irrelevant
from eventfilter.core.state import RegisterState
from eventfilter.core.ticks import ONE_DAY
from eventfilter.ports import UnitOfWork
from eventfilter.records import OpenItem
from eventfilter.service.naming import candidates, corrected, moving_to, named

log = structlog.get_logger("eventfilter.replay")


class FreshWorld:
    """Everything one unit of work reads, loaded fresh and locked."""

    def __init__(
        self, pack: RulePack, uow: UnitOfWork, on_locked: Callable[[float], None] | None = None
    ) -> None:
        self.uow = uow
        self.on_locked = on_locked  # told how long locking the cases took (the stream's metrics)
        self.engine = Engine(pack, RegisterState(), CaseBook())
        self.engine.tick_origin = uow.tick_origin() or pack.in_force_from - ONE_DAY
        self.items: dict[str, OpenItem] = {}
        self.stored_windows: set[str] = set()  # cases whose open window is in the store

    def prepare(self, events: Sequence[Event]) -> Engine:
        """Load what these events read: the persons they name, the cases they
        may touch (locked) and what those cases' rules read."""
        uow, engine = self.uow, self.engine
        withdrawn = uow.effects(corrected(events, engine.effects))
        engine.effects.update(withdrawn)
        state = engine.state
        for p in uow.persons(i for i in named(events, engine.effects) if i not in state.persons):
            state.add(p)
        beneficiaries, addresses, partners = candidates(events, state, engine.effects)
        self._take(uow.candidate_cases(beneficiaries, addresses, partners), addresses)
        return engine

    def know(self, person_ids: Iterable[str]) -> RegisterState:
        """The register state, holding these persons if the store does (a snapshot's diff)."""
        state = self.engine.state
        for p in self.uow.persons(sorted({i for i in person_ids if i not in state.persons})):
            state.add(p)
        return state

    def first_seen(self, person: Person) -> None:
        """A person the register did not know, as a snapshot gives them: written with the batch."""
        add_new(self.engine.state, person)

    def load_cases(self, case_ids: Sequence[str], skip_locked: bool = False) -> list[str]:
        """These cases (for closing their windows), with what their rules read;
        the ids of those loaded (another consumer may hold some locked)."""
        return self._take(case_ids, (), skip_locked)

    def load(self, case_ids: Sequence[str], moving_to: Iterable[str] = ()) -> list[str]:
        """These cases, with what their rules read and whoever lives at `moving_to`."""
        return self._take(case_ids, moving_to)

    def _take(
        self, case_ids: Sequence[str], moving_to: Iterable[str], skip_locked: bool = False
    ) -> list[str]:
        uow, engine = self.uow, self.engine
        state, book = engine.state, engine.book
        asked = time.perf_counter()
        cases = uow.lock_cases([c for c in case_ids if c not in book.cases], skip_locked)
        if self.on_locked is not None:  # waited for while another consumer holds one of them
            self.on_locked(time.perf_counter() - asked)
        for case in cases:
            book.add(case)
        for p in uow.case_persons(cases, state.persons, [a for a in moving_to if a]):
            state.add(p)
        # every address in memory, and where the events move people to: an address a
        # protected person left is known protected only to the store (rules.md: even after a move)
        places = {p.address_id for p in state.persons.values() if p.address_id}
        places.update(c.dwelling_address_id for c in cases if c.dwelling_address_id)
        places.update(a for a in moving_to if a)
        state.protected_places.update(uow.protected_among(places - state.protected_places))
        windows = uow.windows([c.case_id for c in cases])
        self.stored_windows.update(w.case_id for w in windows)
        engine.unspill(windows)
        return [c.case_id for c in cases]

    def open_items(self, case_ids: Iterable[str]) -> dict[str, OpenItem]:
        wanted = sorted({c for c in case_ids if c not in self.items})
        if wanted:
            self.items.update(self.uow.open_items(wanted))
        return self.items


class RunWorld:
    """What a run keeps from batch to batch (it holds the database alone)."""

    def __init__(self, pack: RulePack, windows_in_memory: int, persons_in_memory: int) -> None:
        self.pack = pack
        self.engine = Engine(pack, RegisterState(), CaseBook())
        self.windows_in_memory = windows_in_memory
        self.persons_in_memory = persons_in_memory
        self._start()

    def _start(self) -> None:
        """Hold nothing yet: every person, case, window and review item is loaded
        when a batch first needs it."""
        self.items: dict[str, OpenItem] = {}
        self._items_asked: set[str] = set()
        # what has been asked of the store already (the answers are in memory)
        self._persons_asked: set[str] = set()
        self._beneficiaries_asked: set[str] = set()
        self._addresses_asked: set[str] = set()
        self._partners_asked: set[str] = set()
        self._places_asked: set[str] = set()  # addresses whose protection the store was asked about
        self._visitors: set[str] = set()  # persons loaded for one batch only
        self._closing: set[str] = set()  # cases loaded to close their windows only (end of input)
        self.stored_windows: set[str] = set()  # cases whose open window is in the store
        self.uow: UnitOfWork | None = None

    def bind(self, uow: UnitOfWork) -> RunWorld:
        """Use this unit of work for the batch at hand."""
        self.uow = uow
        if self.engine.tick_origin is None:  # a run holds the database alone: read once
            self.engine.tick_origin = uow.tick_origin() or self.pack.in_force_from - ONE_DAY
        return self

    def prepare(self, events: Sequence[Event]) -> Engine:
        uow, engine = self._uow(), self.engine
        state = engine.state
        wanted = corrected(events, engine.effects)
        if wanted:
            engine.effects.update(uow.effects(wanted))
        missing = [i for i in named(events, engine.effects) if i not in self._persons_asked]
        self._persons_asked.update(missing)
        places: set[str | None] = set()
        for p in uow.persons(missing):
            if p.person_id not in state.persons:
                state.add(p)
                places.add(p.address_id)
        self._visitors.update(missing)
        beneficiaries, addresses, partners = candidates(events, state, engine.effects)
        beneficiaries -= self._beneficiaries_asked
        addresses -= self._addresses_asked
        partners -= self._partners_asked
        if beneficiaries or addresses or partners:
            self._beneficiaries_asked |= beneficiaries
            self._addresses_asked |= addresses
            self._partners_asked |= partners
            self._take(uow.candidate_cases(beneficiaries, addresses, partners), ())
        # whoever lives where these events move people to (a parent joining a child
        # who moved there before): asked every time, they may have been forgotten since
        destinations = moving_to(events, engine.effects)
        arriving = uow.case_persons([], state.persons, sorted(destinations))
        for p in arriving:
            state.add(p)
            self._visitors.add(p.person_id)
            self._persons_asked.add(p.person_id)
        # where the events move people to: an address a protected person left is
        # known protected only to the store (rules.md: redacted even after a move)
        self._ask_places(places | destinations)
        self._unspill(events)
        return engine

    def know(self, person_ids: Iterable[str]) -> RegisterState:
        state = self.engine.state
        missing = sorted({i for i in person_ids if i not in self._persons_asked})
        self._persons_asked.update(missing)
        self._visitors.update(missing)
        places: set[str | None] = set()
        for p in self._uow().persons(missing):
            if p.person_id not in state.persons:
                state.add(p)
                places.add(p.address_id)
        self._ask_places(places)
        return state

    def first_seen(self, person: Person) -> None:
        add_new(self.engine.state, person)
        self._persons_asked.add(person.person_id)
        self._visitors.add(person.person_id)
        self._ask_places((person.address_id,))

    def load_cases(self, case_ids: Sequence[str], skip_locked: bool = False) -> list[str]:
        self._take(case_ids, ())
        self._load_windows([c for c in case_ids if c in self.engine.spilled])
        return list(case_ids)

    def load_to_close(self, case_ids: Sequence[str]) -> None:
        """End of input: what deciding these cases' open windows reads. A window that
        knows the facts after it (`Engine.settle_open`) needs only its case and which
        of the addresses its evaluations show are protected, not the household: on a
        national month that was half the time of the end of input. Those cases are let
        go after the commit (`committed`): no later event reads them."""
        engine = self.engine
        windows, book = engine.windows, engine.book
        self._load_windows([c for c in case_ids if c not in windows])  # spilled, or let go with the rest
        settled = [w for c in case_ids if (w := windows.get(c)) is not None and w.after is not None]
        if len(settled) < len(case_ids):  # a window stored before its `after` was (or none)
            known = {w.case_id for w in settled}
            self.load_cases([c for c in case_ids if c not in known])
        cases = self._uow().lock_cases([w.case_id for w in settled if w.case_id not in book.cases])
        for case in cases:
            book.add(case)
        self._closing.update(case.case_id for case in cases)
        self._ask_places(
            a for w in settled for ev in (w.before, w.after) if ev is not None for a in shown_addresses(ev)
        )

    def _load_windows(self, case_ids: Sequence[str]) -> None:
        windows = self._uow().windows(case_ids)
        self.stored_windows.update(w.case_id for w in windows)
        self.engine.unspill(windows)

    def _take(self, case_ids: Sequence[str], moving_to: Iterable[str]) -> None:
        uow, engine = self._uow(), self.engine
        state, book = engine.state, engine.book
        cases = uow.lock_cases([c for c in case_ids if c not in book.cases])
        for case in cases:
            book.add(case)
        places: set[str | None] = {c.dwelling_address_id for c in cases}
        places.update(moving_to)
        for p in uow.case_persons(cases, state.persons, [a for a in moving_to if a]):
            state.add(p)
            self._persons_asked.add(p.person_id)
            places.add(p.address_id)
        self._ask_places(places)
        self._load_windows([c.case_id for c in cases])

    def _ask_places(self, places: Iterable[str | None]) -> None:
        """Which of these addresses are protected, for those not asked yet. Every
        address in memory comes through here: of each person loaded, of each case's
        dwelling, and where the events move people. Each is asked once a run: the run
        holds the database alone, and an address that becomes protected during it is
        marked in memory (`RegisterState`)."""
        new_places = {a for a in places if a and a not in self._places_asked}
        if new_places:
            self._places_asked |= new_places
            self.engine.state.protected_places.update(self._uow().protected_among(new_places))

    def _unspill(self, events: Sequence[Event]) -> None:
        """The stored open windows of loaded cases these events may touch."""
        engine = self.engine
        if not engine.spilled:
            return
        need: set[str] = set()
        for e in events:
            routing.candidates(engine.book, engine.state, e, engine.effects, need)
        need &= engine.spilled
        if need:
            self._load_windows(sorted(need))

    def open_items(self, case_ids: Iterable[str]) -> dict[str, OpenItem]:
        wanted = sorted({c for c in case_ids if c not in self._items_asked})
        if wanted:
            self._items_asked.update(wanted)
            self.items.update(self._uow().open_items(wanted))
        return self.items

    def committed(self) -> None:
        """After the batch's commit: forget the visitors no case needs, and keep
        the open windows in memory within bounds (the rest stay in the store)."""
        engine = self.engine
        self._visitors.update(engine.state.dirty)
        evict_irrelevant(engine.state, engine.book, self._visitors)
        for pid in self._visitors:
            if pid not in engine.state.persons:
                self._persons_asked.discard(pid)  # asked again when named again
        self._visitors.clear()
        for case_id in self._closing:
            engine.book.forget(case_id)
        self._closing.clear()
        if len(engine.windows) > self.windows_in_memory:
            engine.spill()
        self.uow = None
        if len(engine.state.persons) > self.persons_in_memory:
            self._forget_everything()

    def _forget_everything(self) -> None:
        """Let go of all that was loaded, as a run starts (everything is in the store:
        this is called after a commit). The batches after it load what they read
        again, as the first batches did, so memory stays bounded on a national
        register while the decisions stay the same (a `FreshWorld` holds nothing
        from one batch to the next and decides alike)."""
        engine = self.engine
        log.info(
            "more persons in memory than persons_in_memory: let go, loaded again as read",
            persons=len(engine.state.persons),
            persons_in_memory=self.persons_in_memory,
        )
        engine.forget_loaded()
        self._start()

    def _uow(self) -> UnitOfWork:
        assert self.uow is not None, "bind() the run's world to the batch's unit of work first"
        return self.uow


World = FreshWorld | RunWorld


def add_new(state: RegisterState, person: Person) -> None:
    """Into the state as a person first seen (written with the batch, if still absent)."""
    if person.person_id in state.persons:
        return
    state.add(person)
    state.dirty.add(person.person_id)
    state.created.add(person.person_id)
