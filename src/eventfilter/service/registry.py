"""The register state in memory: what the cases depend on, plus what a batch names.

At start only the persons the active cases depend on are loaded (see
core.relevance). Before a batch is decided, every person its events name is
loaded from the store; after the batch is committed, those no case depends
on are dropped again. Memory follows the caseload, not the population.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eventfilter.adapters.sql.store import SqlStore
from eventfilter.core.cases import CaseBook
from eventfilter.core.events import CORRECTION, STATE_TYPES, CorrectionData, Event
from eventfilter.core.facts import Effect, Group, Write
from eventfilter.core.relevance import evict_irrelevant


def restored_names(w: Write) -> list[str]:
    """Persons the values a withdrawal restores name."""
    if w.group is Group.MARITAL and len(w.old_values) > 1 and isinstance(w.old_values[1], str):
        return [w.old_values[1]]
    if w.group is Group.BIRTH and len(w.old_values) > 1 and isinstance(w.old_values[1], tuple):
        return [x for x in w.old_values[1] if isinstance(x, str)]
    return []


class Registry:
    def __init__(self, store: SqlStore, book: CaseBook) -> None:
        self.store = store
        self.book = book
        self.state = store.load_relevant(book)
        self.state.protected_places.update(store.protected()[1])
        self._visitors: set[str] = set()  # loaded or changed for the current batch

    def prepare(self, events: Iterable[Event], effects: Mapping[str, Effect]) -> None:
        """Load every person these events name (or whose facts a correction restores).

        An event of a type that sets no fact (a name change, a church
        membership) needs nobody loaded: its person matters only if a case
        depends on them, and those are in memory already."""
        persons = self.state.persons
        wanted: set[str] = set()
        for e in events:
            if e.type in STATE_TYPES:
                wanted.add(e.person_id)
            wanted.update(e.named_persons())
            if e.type == CORRECTION:
                assert isinstance(e.data, CorrectionData)
                withdrawn = effects.get(e.data.corrects_event_id)
                if withdrawn is not None:
                    for w in withdrawn.writes:
                        wanted.add(w.person_id)
                        # and whoever the restored facts name again (a partner, parents):
                        # they may have been dropped while nobody named them
                        wanted.update(restored_names(w))
        missing = [pid for pid in wanted if pid not in persons]
        for p in self.store.load_persons(missing):
            self.state.add(p)
        self._visitors.update(missing)

    def note_changed(self) -> None:
        """Call before the commit: the persons the batch changed are candidates too."""
        self._visitors.update(self.state.dirty)

    def evict(self) -> int:
        """After the commit: forget the visitors no case depends on."""
        dropped = evict_irrelevant(self.state, self.book, self._visitors)
        self._visitors.clear()
        return dropped
