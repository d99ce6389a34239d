"""Two writers at once on one database: the second is refused with one
sentence, and nothing is lost (trust issue, finding 3)."""

from __future__ import annotations

import pytest

from eventfilter.bootstrap import bootstrap
from eventfilter.errors import Busy
from eventfilter.service.imports import import_persons
from tests.helpers import case, event, extract, fixed_clock, lines, person
from tests.integration.conftest import real_database_only
from tests.integration.test_replay_store import app_for, replay

KY = "kontanthjaelp"


def test_a_second_replay_is_refused_while_one_runs(db_url: str) -> None:
    real_database_only(db_url, "the lease keeps processes apart")
    first = app_for(db_url, person("B"), cases=(case("C", KY, "B"),))
    second = bootstrap(db_url, clock=fixed_clock)
    with first.store.exclusive("replay events.jsonl"):
        with pytest.raises(Busy) as refused:
            replay(second, lines(event("death", "B")))
        assert "\n" not in str(refused.value) and "using this database" in str(refused.value)
        with pytest.raises(Busy):
            import_persons(second.store, extract(person("Q")), "persons.jsonl", second.clock)
    # once the first has finished, the second goes ahead
    _, decisions = replay(second, lines(event("death", "B")))
    assert [d.outcome for d in decisions] == ["suspend"]


def test_consumers_share_the_database_but_not_with_a_replay(db_url: str) -> None:
    real_database_only(db_url, "the lease keeps processes apart")
    one = bootstrap(db_url, clock=fixed_clock)
    two = bootstrap(db_url, clock=fixed_clock)
    with one.store.shared("consume events"):
        with two.store.shared("consume events"):
            pass  # two consumers at once are fine
        with pytest.raises(Busy):
            replay(two, lines(event("death", "B")))


def test_a_replay_importing_its_extracts_holds_the_database_once(db_url: str) -> None:
    app = bootstrap(db_url, clock=fixed_clock)
    with app.store.exclusive("replay events.jsonl"):
        import_persons(app.store, extract(person("B")), "persons.jsonl", app.clock)
        replay(app, lines(event("death", "B")))


def test_a_caseworker_cannot_resolve_an_item_while_a_replay_holds_the_database(db_url: str) -> None:
    real_database_only(db_url, "the lease keeps processes apart")
    from eventfilter.service.review_actions import ReviewService
    from tests.integration.test_review import MONDAY, Clock, item_of, world

    app = world(db_url, Clock(MONDAY))
    item = item_of(app, "KY-A")
    replaying = bootstrap(db_url, clock=fixed_clock)
    with replaying.store.exclusive("replay events.jsonl"), pytest.raises(Busy):
        ReviewService(app).resolve(item, "release", "anna")
    assert ReviewService(app).resolve(item, "release", "anna").hold_lifted
