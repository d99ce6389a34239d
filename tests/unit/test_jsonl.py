"""The decision lines written to --out."""

from __future__ import annotations

import json

from eventfilter.core.pack import RulePack
from eventfilter.formats import decision_line
from tests.helpers import World, case, event, move, person


def test_the_fast_no_case_line_equals_the_general_one(pack: RulePack) -> None:
    w = World(pack, [person("B"), person("X")], [case("C", "kontanthjaelp", "B")])
    [d] = w.run(move("X", "Y", event_id='odd "id" ø'))
    assert d.case_id is None
    assert json.loads(decision_line(d)) == json.loads(json.dumps(d.to_record()))


def test_case_decisions_are_whole_records(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", "kontanthjaelp", "B")])
    [d] = w.run(event("death", "B"))
    line = json.loads(decision_line(d))
    assert line == json.loads(json.dumps(d.to_record()))
    assert set(line) >= {
        "decision_id",
        "event_ids",
        "person_id",
        "case_id",
        "benefit",
        "decision",
        "reasons",
        "before",
        "after",
        "rule_pack",
    }
