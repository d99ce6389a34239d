"""The what-if comparison: two packs' decisions on the same events, side by side."""

from __future__ import annotations

from eventfilter.service.whatif import Seen, compare

BS = "boligstoette"


def s(
    did: str, case: str, outcome: str, *codes: str, paid: float = 100.0, benefit: str = "boligstoette"
) -> Seen:
    return Seen(did, case, benefit, outcome, codes, paid)


def test_identical_sides_report_no_change() -> None:
    side = [s("d1", "C1", "pass", "no_effect"), s("d2", "C2", "suspend", "left_dwelling", paid=0)]
    result = compare(side, list(side), "old 1", "new 1")
    assert result.changed == 0 and result.changes == {} and result.decisions == 2
    report = result.as_dict()
    assert report["benefits"]["boligstoette"]["paid_difference"] == 0


def test_a_changed_decision_is_grouped_with_examples_and_money() -> None:
    old = [s(f"d{i}", f"C{i}", "suspend", "left_dwelling", paid=0) for i in range(5)]
    new = [s(f"d{i}", f"C{i}", "review", "housing_changed", paid=3000) for i in range(5)]
    result = compare(
        [*old, s("k", "K", "pass", "no_effect", benefit="kontanthjaelp")],
        [*new, s("k", "K", "pass", "no_effect", benefit="kontanthjaelp")],
        "a",
        "b",
    )
    assert result.changed == 5
    [change] = result.changes.values()
    assert (change.old, change.new, change.count) == (
        "suspend / left_dwelling",
        "review / housing_changed",
        5,
    )
    assert change.examples == ["C0", "C1", "C2"]
    report = result.as_dict()
    assert report["benefits"]["boligstoette"]["old"]["suspend"] == 5
    assert report["benefits"]["boligstoette"]["new"]["review"] == 5
    assert report["benefits"]["boligstoette"]["paid_difference"] == 15000
    assert report["benefits"]["kontanthjaelp"]["paid_difference"] == 0
    assert report["changes"][0]["paid_difference"] == 15000


def test_a_decision_on_one_side_only_is_a_change_from_or_to_nothing() -> None:
    result = compare([], [s("t", "C", "pass", "income_adjustment", "parameters_changed")], "a", "b")
    [change] = result.changes.values()
    assert change.old == "—" and change.new.startswith("pass")
