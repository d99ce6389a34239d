"""The engine: decided together, holds, corrections, redaction, stable ids."""

from __future__ import annotations

import json

from eventfilter.core.decision import decision_id
from eventfilter.core.pack import RulePack
from eventfilter.core.window import Window
from tests.helpers import World, case, codes, event, income, move, person, to_event

KY, BS, FS = "kontanthjaelp", "boligstoette", "forsorjningsstod"


def family(pack: RulePack) -> World:
    return World(
        pack,
        [
            person("B", "1983-03-03", address_id="A", marital_status="married", partner_id="P"),
            person(
                "P",
                "1984-04-04",
                address_id="A",
                marital_status="married",
                partner_id="B",
                monthly_income=2500,
            ),
            person("K", "2016-06-06", address_id="A", parent_ids=["B", "P"]),
        ],
        [case("C", KY, "B")],
    )


def test_a_family_moving_together_is_one_decision_and_passes(pack: RulePack) -> None:
    w = family(pack)
    out = w.run(
        move("B", "NEW", event_id="1"), move("P", "NEW", event_id="2"), move("K", "NEW", event_id="3")
    )
    assert len(out) == 1
    assert out[0].event_ids == ("1", "2", "3")
    assert (out[0].outcome, codes(out[0])) == ("pass", ["no_effect"])


def test_the_same_family_move_decided_one_event_at_a_time_would_raise_a_false_review(pack: RulePack) -> None:
    """Why the window exists: B alone at the new address has no child at home."""
    w = family(pack)
    out = w.engine.process(to_event(move("B", "NEW")))
    assert out == []  # nothing decided yet: the window waits for the rest of the family
    first = w.engine.close_all()[0]
    assert first.outcome == "review"  # had it been decided alone


def test_an_event_with_another_date_closes_the_open_window_first(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B")])
    out = w.run(
        income("B", 12000, period="2026-02", event_id="a", effective_date="2026-03-01"),
        income("B", 14000, period="2026-03", event_id="b", effective_date="2026-04-01"),
    )
    assert [(d.event_ids, d.outcome) for d in out] == [(("a",), "pass"), (("b",), "suspend")]
    assert out[0].after is not None and out[0].after.amount == 800


def test_a_suspend_places_a_hold_and_a_later_suspend_does_not_place_another(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B")])
    out = w.run(
        move("B", "X", country="DE", municipality=None, effective_date="2026-03-01"),
        event("death", "B", effective_date="2026-03-05"),
    )
    assert [(d.outcome, d.hold) for d in out] == [("suspend", "place"), ("suspend", None)]
    assert w.book.cases["C"].hold_event_ids == (out[0].event_ids[0],)


def test_a_correction_lifts_the_hold_it_caused_and_sends_the_case_to_review(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B")])
    out = w.run(
        event("death", "B", event_id="d", effective_date="2026-03-01"),
        event("correction", "B", {"corrects_event_id": "d"}, effective_date="2026-03-02"),
    )
    assert [(d.outcome, d.hold) for d in out] == [("suspend", "place"), ("review", "lift")]
    assert codes(out[1]) == ["eligibility_changed"]
    assert w.book.cases["C"].hold_event_ids is None


def test_a_correction_does_not_lift_a_hold_when_eligibility_is_still_lost(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B")])
    out = w.run(
        move("B", "X", country="DE", municipality=None, event_id="m", effective_date="2026-03-01"),
        event("death", "B", event_id="d", effective_date="2026-03-02"),
        event("correction", "B", {"corrects_event_id": "m"}, effective_date="2026-03-03"),
    )
    assert out[-1].hold is None
    assert w.book.cases["C"].hold_event_ids == ("m",)


def test_a_correction_filed_under_another_person_touches_the_cases_of_the_facts_it_restores(
    pack: RulePack,
) -> None:
    # M moves into B's dwelling; the register then withdraws that move in an event
    # filed under X, who is in no case: the withdrawal moves M out of the dwelling again
    persons = [
        person("B", address_id="D", monthly_income=0),
        person("M", address_id="E", monthly_income=30000),
        person("X", address_id="Q"),
    ]
    w = World(pack, persons, [case("H", BS, "B", dwelling_address_id="D")])
    moved_in, withdrawn = w.run(
        move("M", "D", event_id="in", effective_date="2026-03-01"),
        event("correction", "X", {"corrects_event_id": "in"}, event_id="out", effective_date="2026-03-02"),
    )
    assert moved_in.case_id == "H" and moved_in.after is not None and moved_in.after.eligible is False
    assert withdrawn.case_id == "H" and withdrawn.event_ids == ("out",)
    assert withdrawn.after is not None and withdrawn.after.eligible is True
    assert w.state.persons["M"].address_id == "E"


def test_a_correction_of_an_event_nobody_saw(pack: RulePack) -> None:
    w = World(pack, [person("B"), person("X")], [case("C", KY, "B")])
    on_case = w.run(event("correction", "B", {"corrects_event_id": "ghost"}))[0]
    assert (on_case.outcome, codes(on_case)) == ("pass", ["correction_of_unknown_event"])
    no_case = w.run(event("correction", "X", {"corrects_event_id": "ghost"}))[0]
    assert no_case.case_id is None
    assert "correction_of_unknown_event" in codes(no_case)


def test_an_event_touching_no_case_is_its_own_pass_line(pack: RulePack) -> None:
    w = World(pack, [person("B"), person("X")], [case("C", KY, "B")])
    [d] = w.run(move("X", "Y", event_id="u"))
    assert (d.case_id, d.benefit, d.outcome, codes(d), d.before) == (
        None,
        None,
        "pass",
        ["no_active_case"],
        None,
    )
    assert d.event_ids == ("u",)


def test_a_suspended_case_stays_suspended_and_still_gets_decisions(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B", status="suspended")])
    d = w.decision(event("name_change", "B"))
    assert (d.outcome, d.hold) == ("pass", None)


def test_a_case_that_left_the_active_set_is_not_touched(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B")])
    w.book.leave_active_set("C")
    assert w.decision(event("death", "B")).case_id is None


def test_protected_addresses_never_appear_in_reasons(pack: RulePack) -> None:
    w = World(
        pack,
        [person("B", address_id="SECRET-1", protected_address=True)],
        [case("H", BS, "B", dwelling_address_id="SECRET-1")],
    )
    d = w.decision(move("B", "SECRET-2"))
    assert d.before is not None and d.after is not None
    text = json.dumps(
        [d.to_record(), d.before.to_dict(), d.after.to_dict()]
    )  # the full evaluations are stored
    assert d.outcome == "suspend"
    assert "SECRET" not in text
    assert "***" in text


def test_the_address_of_a_protected_resident_is_hidden_in_another_persons_case(pack: RulePack) -> None:
    w = World(
        pack,
        [person("B", address_id="D"), person("S", address_id="HIDDEN", protected_address=True)],
        [case("H", BS, "B", dwelling_address_id="D")],
    )
    d = w.decision(move("B", "HIDDEN"))
    assert "HIDDEN" not in json.dumps(d.to_record())


def test_an_address_stays_hidden_after_the_protected_resident_moves_away(pack: RulePack) -> None:
    """A child at home becomes protected; later the family moves. The old
    dwelling was the child's protected address: the parent's case must not
    name it, though nobody protected lives there any more (regression)."""
    w = World(
        pack,
        [
            person("B", address_id="FLAT-1"),
            person("K", "2012-01-01", address_id="FLAT-1", parent_ids=["B"]),
        ],
        [case("H", BS, "B", dwelling_address_id="FLAT-1")],
    )
    w.run(event("protected_address", "K", {"protected": True}, effective_date="2026-03-01"))
    d = w.decision(
        move("K", "FLAT-2", effective_date="2026-03-05"), move("B", "FLAT-2", effective_date="2026-03-05")
    )
    assert d.outcome == "suspend" and "left_dwelling" in codes(d)
    text = json.dumps([d.to_record(), d.before.to_dict() if d.before else None])
    assert "FLAT-1" not in text and "FLAT-2" not in text


def test_decision_ids_are_stable_and_distinct() -> None:
    assert decision_id("C", ["a", "b"]) == decision_id("C", ["a", "b"])
    assert decision_id("C", ["a", "b"]) != decision_id("C", ["a"])
    assert decision_id(None, ["a"]) != decision_id("C", ["a"])


def test_every_decision_names_the_rule_pack_and_parameter_values(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B")])
    rec = w.decision(income("B", 1000)).to_record()
    assert rec["rule_pack"] == "default 2026.1"
    # each parameter: the value used and the date it took effect (no reference of its own here)
    assert rec["parameters"]["rate_30plus_no_provider"] == {"value": 12800, "valid_from": "2026-01-01"}


def test_a_window_survives_serialisation(pack: RulePack) -> None:
    w = family(pack)
    w.run(move("B", "NEW"), close=False)
    [window] = w.engine.windows.values()
    again = Window.from_dict(json.loads(json.dumps(window.to_dict())))
    assert again == window


def test_a_window_keeps_the_facts_after_it_through_serialisation_and_the_streams_body_stays_as_it_was(
    pack: RulePack,
) -> None:
    w = family(pack)
    w.run(move("B", "NEW"), close=False)
    [window] = w.engine.windows.values()
    assert "after" not in window.to_dict()  # the stream's windows: as they were stored before
    w.engine.settle_open()
    assert window.after is not None and window.after != window.before  # K is no longer at home
    again = Window.from_dict(json.loads(json.dumps(window.to_dict())))
    assert again == window and again.after == window.after


def test_a_settled_window_is_decided_on_the_facts_after_its_last_event_without_its_household(
    pack: RulePack,
) -> None:
    """Replay settles each open window as a batch ends; at the end of input it is
    decided on those facts, though the household is no longer in memory."""
    expected = family(pack).run(move("B", "NEW", event_id="1"), move("P", "NEW", event_id="2"))
    w = family(pack)
    w.run(move("B", "NEW", event_id="1"), close=False)
    w.engine.settle_open()
    assert w.engine.windows["C"].after is not None
    w.run(move("P", "NEW", event_id="2"), close=False)
    assert w.engine.windows["C"].after is None  # it grew: made again as the next batch ends
    w.engine.settle_open()
    w.engine.changed_windows.clear()
    for pid in ("B", "P", "K"):  # let go, as a national run does between batches
        w.state.drop(pid)
    assert [d.to_record() for d in w.engine.close_all()] == [d.to_record() for d in expected]
    assert expected[0].outcome == "review"  # K stayed behind: the facts after both moves decided


def test_the_stream_closes_windows_after_the_settle_time(pack: RulePack) -> None:
    w = World(pack, [person("B")], [case("C", KY, "B")])
    w.engine.process(to_event(income("B", 100)), now=1000.0)
    assert w.engine.close_due(now=1059.0, settle_seconds=60) == []
    [d] = w.engine.close_due(now=1060.0, settle_seconds=60)
    assert d.case_id == "C"


def test_housing_benefit_someone_moves_in_and_the_income_ends_support(pack: RulePack) -> None:
    w = World(
        pack,
        [person("B", address_id="D", monthly_income=9000), person("X", address_id="E", monthly_income=25000)],
        [case("H", BS, "B", dwelling_address_id="D")],
    )
    d = w.decision(move("X", "D"))
    assert d.outcome == "suspend"
    assert codes(d)[:2] == ["income_above_limit", "household_changed"]


def test_a_decisions_id_does_not_depend_on_the_order_its_events_arrived_in(pack: RulePack) -> None:
    """The stream may meet a family's events in another order than a file lists them."""
    from eventfilter.core.decision import decision_id

    assert decision_id("C", ["m1", "m2", "m3"]) == decision_id("C", ["m3", "m1", "m2"])
    assert decision_id("C", ["m1"]) != decision_id("D", ["m1"])


def test_an_event_dated_before_the_pack_is_in_force_is_decided_and_says_so(pack: RulePack) -> None:
    from tests.helpers import World, case, event, person

    w = World(pack, [person("B")], [case("C", "kontanthjaelp", "B")])
    [early] = w.run(event("death", "B", effective_date="2025-11-30"))
    assert early.outcome == "suspend"
    codes = [r.code for r in early.reasons]
    assert codes[0] == "deceased" and codes[-1] == "parameters_not_in_force"
    note = early.reasons[-1]
    assert "2025-11-30" in note.message and "2026-01-01" in note.message
    [ok] = World(pack, [person("B")], [case("C", "kontanthjaelp", "B")]).run(event("death", "B"))
    assert "parameters_not_in_force" not in [r.code for r in ok.reasons]


def test_closing_named_windows_decides_those_in_memory_in_order_of_date_and_case(pack: RulePack) -> None:
    """The end of a replay closes the windows the store lists first; others stay open."""
    w = World(
        pack,
        [person("B1"), person("B2"), person("B3")],
        [case("C1", KY, "B1"), case("C2", KY, "B2"), case("C3", KY, "B3")],
    )
    for pid, day in (("B3", "2026-03-01"), ("B1", "2026-03-02"), ("B2", "2026-03-01")):
        assert w.engine.process(to_event(income(pid, 9000, effective_date=day))) == []
    out = w.engine.close(["C1", "C3", "GONE"])
    assert [d.case_id for d in out] == ["C3", "C1"]  # 1 March before 2 March; a case not open is skipped
    assert list(w.engine.windows) == ["C2"]
    assert [d.case_id for d in w.engine.close_all()] == ["C2"]
