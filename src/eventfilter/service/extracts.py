"""The chain of a register subscription's files: each CPR change extract names
the production date of the one before it, so a file skipped or read twice is
seen before anything is decided.

- a file whose production date was read before, with the same content, is
  read already: skipped, said, and a rerun of the same command is a no-op;
- the same date with other content, a file older than the last one read, or
  one whose previous date is not the last one read (a file missing in
  between) is refused with one sentence, and nothing of the run is read;
- the first file a database sees starts the chain, whatever it names;
- a file that was cut short (no end record, or a wrong count) is recorded as
  such: it is read again when given again, and the file after it is refused
  until it has been read whole.

A file is recorded only when the run that read it completed: a crash leaves
it to be read again by the same command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from eventfilter.errors import InputError
from eventfilter.ports import Store
from eventfilter.records import Extract


@dataclass
class Plan:
    read: list[Extract] = field(default_factory=list)  # to read, in order
    skipped: list[Extract] = field(default_factory=list)  # read already, the same content


def plan(store: Store, files: Sequence[Extract]) -> Plan:
    """Which of these files to read, in order of production date; refuses a broken chain."""
    out = Plan()
    if not files:
        return out
    source = files[0].source
    held = {e.production: e for e in store.extracts(source)}
    given: dict[date, Extract] = {}
    for f in sorted(files, key=lambda f: f.production):
        if f.production in given:
            raise InputError(
                f"The files {given[f.production].name} and {f.name} have the same production date "
                f"{f.production}: give each extract once."
            )
        given[f.production] = f
        known = held.get(f.production)
        if known is not None and known.complete:
            if known.digest != f.digest:
                raise InputError(
                    f"The file {f.name} has the production date {f.production} of the extract read from "
                    f"{known.name}, but other content: refused (ask the register for the right file)."
                )
            out.skipped.append(f)
            continue
        chain = sorted({*held, *(e.production for e in out.read)})
        if not chain:
            out.read.append(f)
            continue
        last = chain[-1]
        if last == f.production:  # read before, cut short: read again (whole, we hope)
            out.read.append(f)
            continue
        if f.production < last:
            raise InputError(
                f"The file {f.name} was produced on {f.production}, before the last extract read "
                f"({last}): it is out of order."
            )
        if f.previous != last:
            said = f.previous.isoformat() if f.previous else "no earlier extract"
            raise InputError(
                f"The file {f.name} follows the extract of {said}, but the last one read is of {last}: "
                "read the extracts in between first."
            )
        before = held.get(last)
        if before is not None and not before.complete and all(e.production != last for e in out.read):
            raise InputError(
                f"The file {f.name} follows the extract of {last}, which was cut short ({before.name}): "
                "read that extract whole first."
            )
        out.read.append(f)
    return out
