"""PostgreSQL's text form of an array of ids (`bulk.text_array`), without a server:
the lookups' semantics on a real server are in tests/integration/test_sql_lookups.py."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from eventfilter.adapters.sql.bulk import text_array


def _each_escaped(values: list[str]) -> str:
    """Every value quoted, its backslashes and double quotes escaped (the form
    PostgreSQL reads back as exactly these values)."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def test_plain_ids_are_quoted_and_joined() -> None:
    assert text_array(["P-1", "P-2"]) == '{"P-1","P-2"}'
    assert text_array(["only"]) == '{"only"}'
    assert text_array([]) == "{}"


def test_quotes_and_backslashes_are_escaped_wherever_they_are() -> None:
    assert text_array(["a", 'b"c']) == '{"a","b\\"c"}'
    assert text_array(["c\\d", "e"]) == '{"c\\\\d","e"}'
    assert text_array(["x,y", "{z}", "NULL", ""]) == '{"x,y","{z}","NULL",""}'


@given(st.lists(st.text(st.characters(blacklist_characters="\x00"), max_size=6), max_size=8))
def test_the_text_is_always_each_value_escaped(values: list[str]) -> None:
    assert text_array(values) == _each_escaped(values)
