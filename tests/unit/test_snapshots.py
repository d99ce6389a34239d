"""The snapshot differ: a register's whole person in, the events that explain the change out."""

from __future__ import annotations

import copy
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from eventfilter.core import events as ev
from eventfilter.core.facts import Group, Person
from eventfilter.core.snapshots import (
    CARRIED,
    CHILD,
    PARTNER,
    Snapshot,
    Withdrawn,
    diff,
    event_id,
    facts,
)
from eventfilter.core.state import RegisterState

DAY = date(2026, 3, 1)


def person(**kw: object) -> Person:
    base: dict[str, object] = {
        "birth_date": date(1980, 1, 1),
        "address_id": "101-0001-1",
        "municipality_code": "101",
        "country": "DK",
        "marital_status": "unmarried",
    }
    base.update(kw)
    return Person("P1", **base)  # type: ignore[arg-type]


def snap(p: Person, **kw: object) -> Snapshot:
    return Snapshot(p, "cpr", DAY, **kw)  # type: ignore[arg-type]


def kinds(events: list[ev.Event]) -> list[str]:
    return [e.type for e in events]


def test_a_snapshot_repeating_known_facts_explains_nothing() -> None:
    held = person(marital_status="married", partner_id="P2", protected_address=True)
    assert diff(held, snap(copy.copy(held))).events == []


def test_a_new_address_is_an_address_change_with_the_snapshots_facts() -> None:
    found = diff(person(), snap(person(address_id="101-0002-7"))).events
    assert kinds(found) == [ev.ADDRESS_CHANGE]
    assert found[0].data == ev.AddressData("101-0002-7", "101", "DK")
    assert found[0].person_id == "P1" and found[0].effective_date == DAY


def test_no_fixed_address_in_the_municipality_is_an_address_change_to_none_kept_in_the_municipality() -> None:
    found = diff(person(), snap(person(address_id=None))).events
    assert found[0].data == ev.AddressData(None, "101", "DK")


def test_a_marriage_names_the_spouse() -> None:
    found = diff(person(), snap(person(marital_status="married", partner_id="P2"))).events
    assert kinds(found) == [ev.MARITAL_STATUS_CHANGE]
    assert found[0].data == ev.MaritalData("married", "P2")


def test_a_divorce_drops_the_spouse() -> None:
    held = person(marital_status="married", partner_id="P2")
    found = diff(held, snap(person(marital_status="divorced"))).events
    assert found[0].data == ev.MaritalData("divorced", None)


def test_a_cohabitant_the_register_holds_stays_when_the_source_does_not_register_cohabitation() -> None:
    held = person(partner_id="P2")  # unmarried, living with P2
    assert diff(held, snap(person())).events == []
    moved = diff(held, snap(person(address_id="101-0002-7"))).events
    assert kinds(moved) == [ev.ADDRESS_CHANGE]
    # a source that does say who cohabits is taken at its word
    said = diff(held, snap(person(), cohabitation_said=True)).events
    assert said[0].data == ev.MaritalData("unmarried", None)


def test_a_death_is_a_death_once() -> None:
    found = diff(person(), snap(person(alive=False), carried=frozenset({Group.ALIVE}))).events
    assert kinds(found) == [ev.DEATH]
    assert diff(person(alive=False), snap(person(alive=False))).events == []


def test_protection_set_and_lifted() -> None:
    on = diff(person(), snap(person(protected_address=True))).events
    off = diff(person(protected_address=True), snap(person())).events
    assert [e.data for e in on] == [ev.ProtectedData(True)]
    assert [e.data for e in off] == [ev.ProtectedData(False)]


def test_a_person_unknown_and_newly_born_with_parents_is_a_birth() -> None:
    child = Person(
        "C1", birth_date=date(2026, 2, 20), address_id="101-0001-1", municipality_code="101", country="DK"
    )
    child.parent_ids = ("P1", "P2")
    found = diff(None, snap(child))
    assert kinds(found.events) == [ev.BIRTH] and found.first_seen is None
    assert found.events[0].data == ev.BirthData(date(2026, 2, 20), ("P1", "P2"), "101-0001-1", "101", "DK")


def test_a_person_unknown_and_born_long_ago_is_first_seen_then_changed() -> None:
    found = diff(None, snap(person(marital_status="married", partner_id="P2")))
    assert found.first_seen is not None and found.first_seen.birth_date == date(1980, 1, 1)
    assert kinds(found.events) == [ev.ADDRESS_CHANGE, ev.MARITAL_STATUS_CHANGE]


def test_a_status_the_rules_do_not_read_is_an_event_of_that_type() -> None:
    found = diff(person(), snap(person(), carried=frozenset(), status="disappeared")).events
    assert kinds(found) == ["disappeared"]


def test_the_events_of_one_snapshot_share_the_latest_date_of_what_changed() -> None:
    s = snap(
        person(address_id="101-0002-7", marital_status="married", partner_id="P2"),
        dates={Group.ADDRESS: date(2026, 2, 1), Group.MARITAL: date(2026, 2, 14)},
    )
    found = diff(person(), s).events
    assert {e.effective_date for e in found} == {date(2026, 2, 14)}


def test_ids_are_stable_whatever_delivers_the_same_change() -> None:
    s = snap(person(address_id="101-0002-7"), dates={Group.ADDRESS: date(2026, 2, 1)})
    assert diff(person(), s).events[0].event_id == diff(person(), copy.copy(s)).events[0].event_id
    other_day = snap(person(address_id="101-0002-7"), dates={Group.ADDRESS: date(2026, 2, 2)})
    assert diff(person(), s).events[0].event_id != diff(person(), other_day).events[0].event_id
    assert event_id("cpr", "x") != event_id("navet", "x")


def test_a_withdrawn_partner_relation_corrects_the_event_that_set_it() -> None:
    since = date(2026, 2, 14)
    married = snap(person(marital_status="married", partner_id="P2"), dates={Group.MARITAL: since})
    marriage = diff(person(), married).events[0]
    held = person(marital_status="married", partner_id="P2")
    withdrawn = snap(person(), withdrawn=(Withdrawn(PARTNER, "P2", since),))
    found = diff(held, withdrawn).events
    corrections = [e for e in found if e.type == ev.CORRECTION]
    assert [e.data for e in corrections] == [ev.CorrectionData(marriage.event_id)]
    assert corrections[0].person_id == "P1"


def test_a_withdrawn_child_corrects_the_childs_birth_about_the_child() -> None:
    child = Person("C1", birth_date=date(2026, 2, 20), address_id="101-0001-1", municipality_code="101")
    child.country, child.parent_ids = "DK", ("P1",)
    birth = diff(None, snap(child)).events[0]
    found = diff(person(), snap(person(), withdrawn=(Withdrawn(CHILD, "C1"),)), {"C1": child}).events
    assert [(e.type, e.person_id, e.data) for e in found] == [
        (ev.CORRECTION, "C1", ev.CorrectionData(birth.event_id))
    ]


def test_a_withdrawn_relation_the_register_does_not_hold_corrects_nothing() -> None:
    found = diff(person(), snap(person(), withdrawn=(Withdrawn(PARTNER, "P9", DAY),))).events
    assert found == []


# -- properties --------------------------------------------------------------------------------
ids = st.sampled_from(["P2", "P3", None])
statuses = st.sampled_from(["unmarried", "married", "divorced", "widowed", "registered_partnership"])
addresses = st.sampled_from(["101-0001-1", "101-0002-7", None])
places = st.sampled_from([("101", "DK"), ("561", "DK"), (None, "SE")])


@st.composite
def persons(draw: st.DrawFn) -> Person:
    municipality, country = draw(places)
    status = draw(statuses)
    spouse = draw(ids) if status in ("married", "registered_partnership") else None
    return Person(
        "P1",
        birth_date=date(1980, 1, 1),
        alive=draw(st.booleans()),
        address_id=draw(addresses) if municipality else None,
        municipality_code=municipality,
        country=country,
        marital_status=status,
        partner_id=spouse,
        protected_address=draw(st.booleans()),
    )


@given(persons())
def test_property_the_diff_of_a_state_against_itself_is_empty(p: Person) -> None:
    assert diff(p, snap(copy.copy(p))).events == []


@given(persons(), persons(), st.dates(date(2026, 1, 1), date(2026, 6, 30)))
def test_property_applying_the_diffed_events_to_the_old_state_gives_the_snapshots_facts(
    old: Person, new: Person, day: date
) -> None:
    if not old.alive:
        new.alive = False  # the register does not raise the dead: no snapshot brings them back
    state = RegisterState([copy.copy(old)])
    s = Snapshot(new, "cpr", day)
    for event in diff(old, s).events:
        state.apply(event, state.plan(event, {}))
    after = state.get("P1")
    assert after is not None
    groups = CARRIED if old.alive else frozenset({Group.ALIVE})
    assert facts(after, groups) == facts(new, groups)
