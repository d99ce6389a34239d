"""The case book's hold: placed on a suspend, lifted only when the caller says so."""

from __future__ import annotations

import pytest

from eventfilter.core.cases import CaseBook
from eventfilter.core.facts import Case
from eventfilter.core.vocabulary import HoldChange, Outcome


def book_with(held: tuple[str, ...] | None = None) -> tuple[CaseBook, Case]:
    case = Case("C", "kontanthjaelp", "B", "561", hold_event_ids=held)
    return CaseBook([case]), case


def test_a_suspend_places_the_hold_and_names_what_placed_it() -> None:
    book, case = book_with()
    assert book.settle_hold(case, Outcome.SUSPEND, ("e1", "e2"), lift=False) is HoldChange.PLACE
    assert case.hold_event_ids == ("e1", "e2")
    assert book.dirty == {"C"}


def test_a_second_suspend_keeps_the_first_hold() -> None:
    book, case = book_with(("e1",))
    assert book.settle_hold(case, Outcome.SUSPEND, ("e9",), lift=True) is None
    assert case.hold_event_ids == ("e1",)
    assert book.dirty == set()


@pytest.mark.parametrize("outcome", [Outcome.REVIEW, Outcome.PASS])
def test_a_lift_needs_a_hold_and_the_callers_word(outcome: Outcome) -> None:
    book, case = book_with(("e1",))
    assert book.settle_hold(case, outcome, ("e2",), lift=False) is None
    assert case.hold_event_ids == ("e1",)
    assert book.settle_hold(case, outcome, ("e2",), lift=True) is HoldChange.LIFT
    assert case.hold_event_ids is None
    assert book.dirty == {"C"}
    assert book.settle_hold(case, outcome, ("e3",), lift=True) is None, "nothing left to lift"


def test_no_hold_and_no_suspend_changes_nothing() -> None:
    book, case = book_with()
    assert book.settle_hold(case, Outcome.REVIEW, ("e1",), lift=True) is None
    assert case.hold_event_ids is None
    assert book.dirty == set()


def test_a_case_forgotten_is_no_longer_found_by_beneficiary_or_dwelling() -> None:
    other = Case("D", "boligstoette", "B", "561", dwelling_address_id="A")
    book = CaseBook([Case("C", "boligstoette", "B", "561", dwelling_address_id="A"), other])
    book.dirty.add("C")
    book.forget("C")
    book.forget("nobody")  # a case not held: nothing to do
    assert "C" not in book.cases and "C" not in book.dirty
    assert book.by_beneficiary == {"B": (other,)} and book.by_dwelling == {"A": (other,)}
