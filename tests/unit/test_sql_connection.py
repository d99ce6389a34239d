"""Which database URLs the store takes, and what it says of those it cannot."""

from __future__ import annotations

import pytest

from eventfilter.adapters.sql.connection import engine_url, make_engine
from eventfilter.errors import StoreError


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@db.example/benefits", "postgresql+psycopg://u@db.example/benefits"),
        ("postgresql://u:pw@db.example:5433/benefits", "postgresql+psycopg://u:pw@db.example:5433/benefits"),
        ("postgresql+psycopg://u@db.example/benefits", "postgresql+psycopg://u@db.example/benefits"),
        ("sqlite:///eventfilter.db", "sqlite:///eventfilter.db"),
    ],
)
def test_libpqs_url_forms_use_the_driver_eventfilter_ships_with(given: str, used: str) -> None:
    assert engine_url(given) == used


def test_an_engine_from_libpqs_form_uses_psycopg() -> None:
    pytest.importorskip("psycopg", reason="eventfilter[postgres] is not installed")
    engine = make_engine("postgres://u@127.0.0.1:1/none")  # no connection is made yet
    try:
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    finally:
        engine.dispose()


@pytest.mark.parametrize(("url", "named"), [("mysql://u:secret@db/x", "mysql"), ("://x", "no database")])
def test_a_database_eventfilter_does_not_store_in_is_named_in_one_sentence(url: str, named: str) -> None:
    with pytest.raises(StoreError) as exc:
        make_engine(url)
    said = str(exc.value)
    assert f"names {named}, which eventfilter does not store in" in said
    assert "postgresql://USER@HOST/DATABASE" in said
    assert "secret" not in said and "\n" not in said
