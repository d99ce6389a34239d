"""What a replay's summary tells an operator when it appended no decision line."""

from __future__ import annotations

import pytest

from eventfilter.entrypoints.reports import summary, why_nothing_new
from eventfilter.service.replay import Summary


def counted(
    read: int, decided: int = 0, duplicates: int = 0, dead: int = 0, snapshots: int | None = None
) -> Summary:
    s = Summary("events.jsonl", snapshots=snapshots)
    s.events_read, s.decided, s.duplicates, s.dead_letters = read, decided, duplicates, dead
    return s


@pytest.mark.parametrize(
    ("s", "words"),
    [
        (counted(3, duplicates=3), "every event was decided before"),
        (counted(3, dead=3), "no line could be decided: every one is a dead letter"),
        (counted(3, duplicates=1, dead=2), "every event was decided before or is a dead letter"),
        (counted(0), "the input held no events"),
        (counted(0, snapshots=5), "the snapshots changed nothing"),
        (counted(0, snapshots=0), "the input held no events"),
        (counted(2, decided=2), "no decision was made"),
    ],
)
def test_nothing_new_says_why_from_what_the_run_counted(s: Summary, words: str) -> None:
    assert why_nothing_new(s) == words


def test_a_file_of_broken_lines_is_not_called_decided_before() -> None:
    text = summary(counted(2, dead=2), "out.jsonl", open_items=0, appended=0)
    assert "nothing new for out.jsonl (no line could be decided: every one is a dead letter)" in text
    assert "decided before" not in text


def test_appended_lines_are_counted_not_explained() -> None:
    text = summary(counted(2, decided=2), "out.jsonl", open_items=0, appended=2)
    assert "2 decision lines appended to out.jsonl" in text
    assert "nothing new" not in text
