"""What the store keeps of a name and of a message id (formats.patterns, formats.message_key)."""

from __future__ import annotations

from eventfilter.formats import message_key
from eventfilter.formats.patterns import SOURCE_MAX, TEXT_MAX, fitted


def test_a_name_that_fits_is_kept_whole() -> None:
    assert fitted("events.jsonl") == "events.jsonl"
    assert fitted("x" * SOURCE_MAX) == "x" * SOURCE_MAX


def test_a_longer_name_keeps_its_start_and_its_end() -> None:
    path = "/data/" + "d" * 600 + "/events-2026-03.jsonl"
    cut = fitted(path)
    assert len(cut) == SOURCE_MAX and "…" in cut
    assert cut.startswith("/data/ddd") and cut.endswith("/events-2026-03.jsonl")
    assert fitted(path) == cut  # the same name, the same cut: a rerun's dead letters are the same
    assert fitted(path.replace("2026-03", "2026-04")) != cut


def test_a_message_id_is_kept_as_it_came_or_as_its_hash() -> None:
    assert message_key(None) is None
    assert message_key("m" * TEXT_MAX) == "m" * TEXT_MAX
    long = message_key("m" * 255)
    assert long is not None and long.startswith("blake2b:") and len(long) <= TEXT_MAX
    assert message_key("m" * 255) == long and message_key("n" * 255) != long


def test_a_message_id_with_control_characters_is_kept_as_its_hash() -> None:
    for unsafe in ("a\x00b", "e\x1b[2Jf", "line\nbreak"):
        key = message_key(unsafe)
        assert key is not None and key.startswith("blake2b:") and key == message_key(unsafe)
    assert message_key("a\x00b") != message_key("a\x00c")


def test_the_marital_statuses_are_the_same_words_in_the_contract_and_the_core() -> None:
    """The contract's models spell them as a Literal (pydantic's schema), the core as
    the set a caseworker's correction and the fast parser check against: one list."""
    from typing import get_args

    from eventfilter.core.facts import MARITAL_STATUSES
    from eventfilter.formats.models import MaritalStatus

    assert frozenset(get_args(MaritalStatus)) == MARITAL_STATUSES
