"""The contract's formats: valid lines parse, malformed ones say which field."""

from __future__ import annotations

import json

import pytest

from eventfilter.core.events import AddressData, IncomeData, NoData
from eventfilter.errors import Malformed
from eventfilter.formats import parse_case, parse_event, parse_person
from tests.helpers import case, event, income, move, person


def malformed(line: str) -> str:
    with pytest.raises(Malformed) as exc:
        parse_event(line)
    return str(exc.value)


def test_a_valid_event_parses_into_typed_data() -> None:
    e, digest = parse_event(json.dumps(move("X", "A", "561")))
    assert e.type == "address_change"
    assert e.data == AddressData("A", "561", "DK")
    assert len(digest) == 32


def test_unknown_fields_are_ignored_at_the_top_and_in_data() -> None:
    e = move("X", "A")
    e["source_system"] = "CPR"
    e["data"]["door"] = "st. tv."
    parsed, digest = parse_event(json.dumps(e))
    assert parsed.data == AddressData("A", "561", "DK")
    assert digest == parse_event(json.dumps(move("X", "A", event_id=e["event_id"])))[1]


def test_the_same_event_with_keys_in_another_order_has_the_same_hash() -> None:
    e = income("X", 100)
    reordered = json.dumps(dict(reversed(list(e.items()))))
    assert parse_event(json.dumps(e))[1] == parse_event(reordered)[1]


def test_an_unknown_type_is_valid_input() -> None:
    e, _ = parse_event(json.dumps(event("custody_change", "X", {"whatever": [1, 2]})))
    assert (e.type, e.data) == ("custody_change", NoData())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("not json at all", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('"a string"', "not a JSON object"),
    ],
)
def test_lines_that_are_not_json_objects(line: str, expected: str) -> None:
    assert expected in malformed(line)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda e: e.pop("event_id"), "event_id", "missing"),
        (lambda e: e.pop("person_id"), "person_id", "missing"),
        (lambda e: e.pop("effective_date"), "effective_date", "missing"),
        (lambda e: e.update(effective_date="2026-13-01"), "effective_date", "not a real date"),
        (lambda e: e.update(effective_date="2026-02-30"), "effective_date", "not a real date"),
        (lambda e: e.update(effective_date=20260301), "effective_date", "must be a date"),
        (lambda e: e.update(person_id=12345), "person_id", "must be a string"),
        (lambda e: e.update(person_id="has space"), "person_id", "wrong form"),
        (lambda e: e["data"].pop("country"), "data.country", "missing"),
        (lambda e: e["data"].update(country=None), "data.country", "must be a string"),
        (lambda e: e.update(data="nope"), "data", "must be an object"),
        (lambda e: e.update(recorded_at="yesterday"), "recorded_at", "not a real date and time"),
    ],
)
def test_malformed_address_changes_name_the_field(change, field: str, words: str) -> None:  # type: ignore[no-untyped-def]
    e = move("X", "A")
    change(e)
    message = malformed(json.dumps(e))
    assert f"'{field}'" in message
    assert words in message
    assert message.endswith(".")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("1e400", "is a number beyond the range of a double (1e400)"),
        ("-1e400", "is a number beyond the range of a double (-1e400)"),
        ("NaN", "must be a number (NaN is not a JSON number)"),
        ("Infinity", "must be a number (Infinity is not a JSON number)"),
        ("-Infinity", "must be a number (-Infinity is not a JSON number)"),
        # integers written out: 400 digits, and more than Python turns into an int
        ("9" * 400, f"is a number beyond the range of a double ({'9' * 36}...)"),
        ("-1" + "0" * 400, f"is a number beyond the range of a double (-1{'0' * 34}...)"),
        ("7" * 5000, f"is a number beyond the range of a double ({'7' * 36}...)"),
    ],
)
def test_a_number_json_cannot_hold_names_its_field(number: str, words: str) -> None:
    line = json.dumps(income("X", 5)).replace('"amount": 5', f'"amount": {number}')
    assert number in line
    message = malformed(line)
    assert message == f"Field 'data.amount' {words}."
    with pytest.raises(Malformed) as exc:
        parse_person(json.dumps(person("X", monthly_income=5)).replace(": 5", f": {number}"))
    assert str(exc.value) == f"Field 'monthly_income' {words}."


def test_an_unrepresentable_number_in_a_hostile_key_or_beside_other_errors() -> None:
    # the key is shown as a dead letter shows text, and shortened
    escaped = malformed('{"\\u001b[31m": NaN}')
    assert escaped == "Field '\\x1b[31m' must be a number (NaN is not a JSON number)."
    assert malformed('{"' + "k" * 100 + '": NaN}').startswith("Field '" + "k" * 36 + "...' must")
    nested = malformed('{"a": [1, {"b": 1e999}]}')
    assert nested == "Field 'a.1.b' is a number beyond the range of a double (1e999)."
    # a line that is not JSON for another reason too, or not an object, says so
    assert malformed('{"a": 1e400, "b": tru}').startswith("The line is not valid JSON (")
    assert malformed("[1e400]").startswith("The line is not valid JSON (")


def test_a_negative_amount_is_malformed() -> None:
    message = malformed(json.dumps(income("X", -5)))
    assert "'data.amount'" in message and "negative" in message


def test_an_income_period_must_be_a_real_month() -> None:
    assert "'data.period'" in malformed(json.dumps(income("X", 5, period="2026-13")))


def test_an_income_amount_as_text_is_malformed() -> None:
    e = income("X", 5)
    e["data"]["amount"] = "5000"
    assert "'data.amount'" in malformed(json.dumps(e))


def test_a_marital_status_outside_the_list_is_malformed() -> None:
    message = malformed(json.dumps(event("marital_status_change", "X", {"status": "complicated"})))
    assert "'data.status'" in message


def test_a_correction_must_name_the_event() -> None:
    assert "'data.corrects_event_id'" in malformed(json.dumps(event("correction", "X", {})))


def test_income_data_keeps_the_source() -> None:
    e, _ = parse_event(
        json.dumps(event("income_change", "X", {"period": "2026-02", "amount": 1, "source": "eindkomst"}))
    )
    assert e.data == IncomeData("2026-02", 1.0, "eindkomst")


def test_persons_take_the_contract_defaults() -> None:
    p = parse_person(json.dumps({"person_id": "X", "birth_date": "1990-01-01", "country": "DK"}))
    assert (p.alive, p.marital_status, p.parent_ids, p.protected_address) == (True, "unmarried", (), False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.pop("person_id"), "person_id"),
        (lambda p: p.pop("country"), "country"),
        (lambda p: p.update(birth_date="1990-02-31"), "birth_date"),
        (lambda p: p.update(monthly_income=-1), "monthly_income"),
    ],
)
def test_bad_person_lines_name_the_field(change, field: str) -> None:  # type: ignore[no-untyped-def]
    p = person("X")
    change(p)
    with pytest.raises(Malformed, match=f"'{field}'"):
        parse_person(json.dumps(p))


def test_bad_case_lines_name_the_field() -> None:
    c = case("C", "kontanthjaelp", "X")
    c.pop("case_id")
    with pytest.raises(Malformed, match="'case_id'"):
        parse_case(json.dumps(c))
