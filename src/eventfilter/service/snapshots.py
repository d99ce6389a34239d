"""Register snapshots into the pipeline's inputs: each snapshot diffed against
what the register holds for its person (`core.snapshots.diff`), its events
rendered as the contract's lines and decided like any other line.

A batch's snapshots are diffed in order against a scratch copy of the state,
so a second snapshot of a person in one batch sees the first; the events
themselves change the register only as the pipeline decides them. The first
event of a message carries the message's own id (Beskedfordeler's
`BeskedId`), so a message delivered again is known by it as well as by its
events' ids.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TypeVar

from eventfilter.core.snapshots import CHILD, diff
from eventfilter.core.state import RegisterState
from eventfilter.formats import event_line
from eventfilter.records import SnapshotRead
from eventfilter.service.pipeline import Input
from eventfilter.service.world import World

P = TypeVar("P")


def derive(world: World, reads: Sequence[SnapshotRead]) -> list[Input[SnapshotRead]]:
    """The inputs these snapshots make, in order: their events, or their refusals."""
    return derive_from(world, [(r, r) for r in reads])


def derive_from(world: World, reads: Sequence[tuple[SnapshotRead, P]]) -> list[Input[P]]:
    """The same, each input keeping the origin given with its snapshot (a delivery)."""
    wanted: set[str] = set()
    for r, _ in reads:
        if r.snapshot is not None:
            wanted.add(r.snapshot.person.person_id)
            wanted.update(w.other for w in r.snapshot.withdrawn if w.kind == CHILD)
    held = world.know(wanted)
    scratch = RegisterState(copy.copy(p) for i in sorted(wanted) if (p := held.get(i)) is not None)
    inputs: list[Input[P]] = []
    for r, origin in reads:
        snap = r.snapshot
        if snap is None:
            inputs.append(
                Input(r.shown.encode(), origin, r.message_id, refused=r.error or "It cannot be read.")
            )
            continue
        pid = snap.person.person_id
        found = diff(scratch.get(pid), snap, scratch.persons)
        if found.first_seen is not None:
            world.first_seen(copy.copy(found.first_seen))
            scratch.add(copy.copy(found.first_seen))
        message_id = r.message_id
        for event in found.events:
            scratch.apply(event, scratch.plan(event, {}))
            inputs.append(Input(event_line(event), origin, message_id))
            message_id = None
    return inputs
