"""What people type, as eventfilter keeps it: a caseworker's correction of a
fact (`Correction.parse`) and a note or a sign-in (`typed_text`)."""

from __future__ import annotations

import pytest

from eventfilter.errors import UsageError
from eventfilter.formats import typed_text
from eventfilter.service.corrections import Correction


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("P1.municipality_code=" + "5" * 21, "'municipality_code' is 21 characters long; at most 20"),
        ("P1.address_id=" + "A" * 201, "'address_id' is 201 characters long; at most 200"),
        ("P1.address_id=A\x1b[2J", "must not hold control characters"),
    ],
)
def test_a_correction_the_store_cannot_keep_is_refused_naming_the_field(text: str, said: str) -> None:
    with pytest.raises(UsageError, match=said):
        Correction.parse(text)


def test_a_correction_as_long_as_the_store_keeps_is_taken() -> None:
    assert Correction.parse("P1.municipality_code=" + "5" * 20).value == "5" * 20
    assert Correction.parse("P1.address_id=" + "A" * 200).value == "A" * 200


def test_typed_text_keeps_lines_and_tabs_and_drops_other_control_characters() -> None:
    assert typed_text("Called\tthe family,\r\nno answer.\n") == "Called\tthe family,\nno answer.\n"
    assert typed_text("a\x00b\x1b[2Jc\x7fd\re") == "ab[2Jcde"
    assert typed_text("Ærø, Göteborg — ok") == "Ærø, Göteborg — ok"
