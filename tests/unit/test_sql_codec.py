"""How an event's effect is stored: JSON arrays that give the same writes back."""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from eventfilter.adapters.sql import bulk, codec
from eventfilter.core.facts import Effect, Group, Write

VERSION = ("2026-01-01", "2026-01-01T08:53:00+00:00", "ev-1")


@pytest.mark.parametrize(
    "write",
    [
        Write("P", Group.ADDRESS, ("101-1", "101", "DK"), VERSION, ("101-2", "101", "DK"), None),
        Write("P", Group.INCOME, (12800.5, "2026-01"), VERSION, (), VERSION),
        Write("C", Group.BIRTH, (date(2026, 3, 1), ("M", "F")), VERSION, (None, ()), None),
        Write("C", Group.BIRTH, (None, None), VERSION, (date(2020, 1, 2), ("M",)), VERSION),
    ],
    ids=["address", "income", "birth", "birth-without-parents"],
)
def test_an_effect_comes_back_as_it_was_written(write: Write) -> None:
    text = bulk.js(codec.effect_json(Effect("e", [write])))
    assert text is not None
    [again] = codec.effect_of("e", orjson.loads(text)).writes
    normal = (lambda v: (v[0], tuple(v[1] or ()))) if write.group is Group.BIRTH else tuple
    assert again.values == normal(write.values)
    assert again.old_values == normal(write.old_values)
    assert (again.person_id, again.group, again.version, again.old_version) == (
        write.person_id,
        write.group,
        write.version,
        write.old_version,
    )


def test_the_stored_text_is_plain_arrays_with_iso_dates() -> None:
    w = Write("C", Group.BIRTH, (date(2026, 3, 1), None), VERSION, (None, ()), None)
    assert bulk.js(codec.effect_json(Effect("e", [w]))) == (
        '[["C","birth",["2026-03-01",[]],["2026-01-01","2026-01-01T08:53:00+00:00","ev-1"],[null,[]],null]]'
    )
