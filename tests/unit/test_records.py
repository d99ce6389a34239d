"""The records the stores hand out: what a review item's decisions add up to."""

from __future__ import annotations

from eventfilter.records import ItemGist


def _reasons(*codes: str) -> list[dict[str, str]]:
    return [{"code": c} for c in codes]


def test_an_item_shows_its_most_severe_outcome_and_the_codes_worth_reading_once_each() -> None:
    gist = ItemGist()
    gist.add("review", _reasons("moved_out_of_municipality", "no_effect"))
    gist.add("suspend", _reasons("died", "died", "moved_out_of_municipality"))
    gist.add("pass", _reasons("not_relevant", "income_adjustment"))
    assert gist.outcome == "suspend"
    assert gist.codes == ["moved_out_of_municipality", "died"]
    assert gist.decisions == 3


def test_an_item_without_decisions_reads_as_nothing_to_do() -> None:
    gist = ItemGist()
    assert (gist.outcome, gist.codes, gist.decisions) == ("pass", [], 0)
