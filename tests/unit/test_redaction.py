"""Protected addresses are redacted from raw text shown to people."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from eventfilter.service.redaction import Redactor, redact_raw


def test_json_values_equal_to_a_protected_address_are_hidden() -> None:
    raw = json.dumps({"person_id": "X", "data": {"address_id": "SECRET-9", "note": "near SECRET-9"}})
    out = redact_raw(raw, {"SECRET-9"}, set())
    assert '"address_id":"***"' in out
    assert "near SECRET-9" in out  # a value merely containing it is not an address


def test_every_address_field_of_a_protected_person_is_hidden() -> None:
    raw = json.dumps({"person_id": "P", "data": {"address_id": "NEW-ONE", "municipality_code": "561"}})
    out = redact_raw(raw, set(), {"P"})
    assert "NEW-ONE" not in out
    assert "561" in out


def test_text_that_is_not_json_is_redacted_word_by_word() -> None:
    out = redact_raw('{"broken": "SECRET-9", "x": SECRET-91', {"SECRET-9"}, set())
    assert out == '{"broken": "***", "x": SECRET-91'


def test_nothing_to_hide_leaves_the_text_alone() -> None:
    raw = '{"a": 1}'
    assert json.loads(redact_raw(raw, set(), set())) == {"a": 1}


@dataclass(frozen=True, slots=True)
class Shown:
    message: str
    values: tuple[dict[str, object], ...]
    count: int


class Lookup:
    def __init__(self, protected: set[str]) -> None:
        self.protected = protected
        self.asked: set[str] = set()

    def protected_among(self, candidates: Iterable[str]) -> set[str]:
        self.asked |= set(candidates)
        return self.protected & set(candidates)


def test_the_redactor_asks_only_about_the_words_shown_and_hides_them_everywhere() -> None:
    shown = Shown(
        "The beneficiary no longer lives at the dwelling (561-A1 → 561-A12).",
        ({"before": "561-A1", "after": "561-A12"},),
        3,
    )
    lookup = Lookup({"561-A12"})
    hide = Redactor.for_values(lookup, shown)
    assert {"561-A1", "561-A12", "beneficiary"} <= lookup.asked
    hidden = hide.value(shown)
    assert hidden == Shown(
        "The beneficiary no longer lives at the dwelling (561-A1 → ***).",
        ({"before": "561-A1", "after": "***"},),
        3,
    )


def test_nothing_protected_changes_nothing() -> None:
    shown = Shown("moved 561-A1 → 561-A2", (), 1)
    assert Redactor.for_values(Lookup(set()), shown).value(shown) is shown
