"""Which of a batch's parsed events are new, for replay and the stream alike.

- the same message id again (the stream), or the same event id with the
  same content: a duplicate, skipped and counted;
- an event id seen before with different content: refused (contract.md §3);
- a correction of an event about another person: refused (it would restore
  facts of someone the register did not correct).

Refused events become dead letters; the rest are decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from eventfilter.core.events import CorrectionData, Event

P = TypeVar("P")  # where an event came from: a line number, a delivery


@dataclass(slots=True)
class Candidate(Generic[P]):
    event: Event
    digest: str  # the content hash
    origin: P
    message_id: str | None = None
    raw: bytes = b""  # the line as it came (for its dead letter)


@dataclass
class Accepted(Generic[P]):
    fresh: list[Candidate[P]] = field(default_factory=list)
    duplicates: int = 0
    refused: list[tuple[Candidate[P], str]] = field(default_factory=list)


def accept(
    candidates: Sequence[Candidate[P]],
    known: Mapping[str, str],
    taken: set[str],
    owners: Callable[[Sequence[str]], Mapping[str, str]],
) -> Accepted[P]:
    """`known`: stored event id -> content hash; `taken`: stored message ids;
    `owners(event_ids)`: the person of each stored event among those ids."""
    out: Accepted[P] = Accepted()
    digests = dict(known)
    messages = set(taken)
    targets = [c.event.data.corrects_event_id for c in candidates if isinstance(c.event.data, CorrectionData)]
    persons: dict[str, str] = dict(owners(targets)) if targets else {}
    for c in candidates:
        e = c.event
        if c.message_id is not None and c.message_id in messages:
            out.duplicates += 1
            continue
        held = digests.get(e.event_id)
        if held is not None:
            if held == c.digest:
                out.duplicates += 1
            else:
                out.refused.append(
                    (c, f"Field 'event_id' {e.event_id!r} was used before for a different event.")
                )
            continue
        if isinstance(e.data, CorrectionData):
            target = e.data.corrects_event_id
            owner = persons.get(target)
            if owner is not None and owner != e.person_id:
                out.refused.append(
                    (
                        c,
                        f"Field 'person_id' differs from the person of the corrected event {target!r}; "
                        "a correction withdraws an event about the same person.",
                    )
                )
                continue
        digests[e.event_id] = c.digest
        persons[e.event_id] = e.person_id
        if c.message_id is not None:
            messages.add(c.message_id)
        out.fresh.append(c)
    return out
