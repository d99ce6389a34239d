"""What the web pages say: codes explained, passwords hashed."""

from __future__ import annotations

import pytest

from eventfilter.errors import UsageError
from eventfilter.records import Caseworker
from eventfilter.service.wording import payable
from eventfilter.web.passwords import hash_password, verify_password
from eventfilter.web.views import actor_names, category, money


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("2a1c", "2a1c (2 adults, 1 child)"),
        ("1a0c", "1a0c (1 adult, 0 children)"),
        ("couple_2c", "couple_2c (couple, 2 children at home)"),
        ("single_1c", "single_1c (single, 1 child at home)"),
        (
            "30plus_provider_couple",
            "30plus_provider_couple (aged 30 or over, provides for a child at home,"
            " with a partner who counts)",
        ),
        ("under30_no_provider_single", "under30_no_provider_single (under 30, no child at home, single)"),
        ("something_new", "something_new"),
        (None, "unknown"),
    ],
)
def test_rate_categories_are_explained(code: str | None, words: str) -> None:
    assert category(code) == words


def test_amounts_read_as_money() -> None:
    assert money(3000, "DKK") == "3 000 DKK"
    assert money(None, "DKK") == "unknown"


def test_the_payment_is_nothing_while_not_eligible() -> None:
    assert payable({"eligible": True, "amount": 2500.0}, "DKK") == "2 500 DKK/month"
    assert payable({"eligible": False, "amount": 3000.0}, "DKK") == "none (not eligible)"
    assert payable({"eligible": None, "amount": None}, "DKK") == "unknown"
    assert payable(None, "DKK") == "unknown"


def test_audit_actors_are_named() -> None:
    names = actor_names([Caseworker("anna", "Anna Holm", ("561",))])
    assert names == {"anna": "Anna Holm (anna)"}


def test_passwords_are_salted_scrypt_hashes_that_verify() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("anything at all", None)
    assert not verify_password("anything at all", "md5$nonsense")


def test_a_short_password_is_refused() -> None:
    with pytest.raises(UsageError, match="at least 10 characters"):
        hash_password("short")
