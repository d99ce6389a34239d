"""Deciding again on corrected facts (trust issue, finding 8): only persons
the item's case reads may be corrected; an item whose eligibility is still
unknown is not closed; a correction is written to the audit of every case
it touches, and those cases are decided again."""

from __future__ import annotations

import pytest

from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.errors import NotAllowed, UsageError
from eventfilter.records import Caseworker
from eventfilter.service import queries
from eventfilter.service.corrections import Correction
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.review_actions import ReviewService
from tests.helpers import case, event, extract, income, person
from tests.integration.test_review import MONDAY, Clock, item_of, replay

PERSONS = [
    # M (a 561 case) is married to N, whose own case is paid by 510: N's income counts for M.
    person("M", "1980-01-01", address_id="M1", marital_status="married", partner_id="N", monthly_income=0),
    person(
        "N",
        "1980-01-01",
        address_id="N1",
        municipality_code="510",
        marital_status="married",
        partner_id="M",
        monthly_income=0,
    ),
    person("U", "1980-01-01", address_id="U1", monthly_income=0),
]
CASES = [
    case("KY-M", "kontanthjaelp", "M"),
    case("KY-N", "kontanthjaelp", "N", municipality_code="510"),
    case("KY-U", "kontanthjaelp", "U"),
]


def world(db_url: str) -> App:
    clock = Clock(MONDAY)
    app = bootstrap(db_url, clock=clock)
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
    # M's income rises above the limit (M's and N's payments stop); U's custody change is a type
    # the pack does not know (a review).
    replay(
        app,
        [
            event("name_change", "M", event_id="m-renamed"),
            income("M", 20_000, period="2026-02", event_id="m-earns"),
            event("custody_change", "U", event_id="u-custody"),
        ],
    )
    review = app.review
    review.save_caseworker(Caseworker("cara", "Cara 561", ("561",)), clock())
    return app


def test_a_person_the_case_does_not_read_cannot_be_corrected(db_url: str) -> None:
    app = world(db_url)
    item = item_of(app, "KY-U")
    with pytest.raises(UsageError, match="not one case KY-U reads"):
        ReviewService(app).resolve(
            item, "redecide", "cara", None, [Correction.parse("GHOST.monthly_income=0")]
        )
    assert app.store.load_persons(["GHOST"]) == []  # no fake person
    assert app.review.item(item).status == "open"  # type: ignore[union-attr]


def test_an_item_whose_eligibility_is_still_unknown_is_not_closed_by_redecide(db_url: str) -> None:
    app = world(db_url)
    item = item_of(app, "KY-U")
    fix = Correction.parse("U.monthly_income=unknown")
    ReviewService(app).resolve(item, "release", "cara")  # the custody change is fine
    replay(app, [income("U", 100, period="2026-02", event_id="u-earns")])
    replay(
        app, [event("marital_status_change", "U", {"status": "married", "partner_id": "W"}, event_id="u-w")]
    )
    [open_item] = app.review.items("open", case_id="KY-U")
    with pytest.raises(NotAllowed, match="still unknown"):
        ReviewService(app).resolve(open_item.item_id, "redecide", "cara")
    with pytest.raises(NotAllowed, match="still unknown"):
        ReviewService(app).resolve(open_item.item_id, "redecide", "cara", None, [fix])
    assert app.review.item(open_item.item_id).status == "open"  # type: ignore[union-attr]


def test_a_correction_is_in_the_audit_of_every_case_it_touches_and_decides_them_again(db_url: str) -> None:
    app = world(db_url)
    item = item_of(app, "KY-M")  # M's income above the limit: both M's and N's payments stop
    assert {h.case_id for h in queries.holds(app.review)} == {"KY-M", "KY-N"}
    result = ReviewService(app).resolve(
        item, "redecide", "cara", "income was a typo", [Correction.parse("M.monthly_income=1000")]
    )
    assert result.decision is not None and result.decision.hold == "lift"
    # N's case (510) reads M's income too (a married partner counts): the correction is in its
    # audit, and N's case is decided again on it
    other = [a for a in app.review.audit("KY-N") if a.action == "fact_corrected"]
    assert len(other) == 1 and "review item" in other[0].message
    assert [d.case_id for d in result.also] == ["KY-N"]
    assert [d.decision_id for d in app.review.decisions(case_id="KY-N")][-1] == (result.also[0].decision_id)
    assert result.also[0].hold == "lift" and queries.holds(app.review) == []
