"""The hand-written parser for common lines gives exactly the full parser's
answers (event and content hash), or steps aside."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventfilter.errors import Malformed
from eventfilter.formats import fastparse, parse_event, parse_event_fully


def same_or_aside(line: str | bytes) -> bool:
    """True when the fast path answered (and answered as the full parser)."""
    fast = fastparse.parse(line)
    try:
        full = parse_event_fully(line)
    except Malformed:
        assert fast is None, f"the fast path took a line the contract refuses: {line!r}"
        return False
    if fast is None:
        return False
    assert fast == full, line
    return True


BASE = {
    "event_id": "ev-1",
    "type": "income_change",
    "person_id": "DK-1",
    "effective_date": "2026-01-10",
    "recorded_at": "2026-01-10T06:00:00Z",
    "data": {"period": "2025-12", "amount": 9600.0, "source": "eindkomst"},
}


def line(**changes: Any) -> str:
    record = {**BASE, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not ...})


@pytest.mark.parametrize(
    "text",
    [
        line(),
        line(data={"period": "2025-12", "amount": 9600}),  # an int amount
        line(data={"period": "2025-12", "amount": 0}),
        line(data={"period": "2025-12", "amount": 1234.56, "extra": [1, {"x": 2}]}),
        line(recorded_at=...),  # no recorded_at
        line(recorded_at=None),
        line(
            type="address_change", data={"address_id": "561-A1", "municipality_code": "561", "country": "DK"}
        ),
        line(type="address_change", data={"address_id": None, "country": "SE"}),
        line(type="name_change", data={"changed": True}),
        line(type="death", data=...),
        line(type="death", data={}),
        line(type="custody_change", data={"note": "custody arrangement registered", "n": 3}),
        line(type="some_new_type", data={"a": None, "b": False}),
        line(person_id="SE-0000001", event_id="x" * 200),
        line(type="correction", data={"corrects_event_id": "ev-0"}),
        line(type="correction", data={"corrects_event_id": "ev-0", "note": [1]}),  # extra fields ignored
        line(type="marital_status_change", data={"status": "married", "partner_id": "DK-2"}),
        line(type="marital_status_change", data={"status": "divorced", "partner_id": None}),
        line(type="marital_status_change", data={"status": "widowed"}),
        line(
            type="birth",
            data={
                "birth_date": "2026-01-09",
                "parent_ids": ["DK-1", "DK-2"],
                "address_id": "561-A1",
                "municipality_code": "561",
                "country": "DK",
            },
        ),
        line(type="birth", data={"birth_date": "2026-01-09"}),
        line(type="birth", data={"birth_date": "0999-01-09", "parent_ids": [], "address_id": None}),
        # as long as the store keeps (formats.patterns)
        line(
            type="address_change",
            data={"address_id": "A" * 200, "municipality_code": "5" * 20, "country": "DK"},
        ),
        line(type="t" * 100, data={"n": 1}),
        line(data={"period": "2025-12", "amount": 1, "source": "s" * 200}),
    ],
)
def test_common_lines_take_the_fast_path_with_the_same_answer(text: str) -> None:
    assert same_or_aside(text)


@pytest.mark.parametrize(
    "text",
    [
        line(recorded_at="2026-01-10T06:00:00+01:00"),  # another zone: normalised by the full parser
        line(recorded_at="2026-01-10T06:00:00.5Z"),
        line(data={"period": "2025-12", "amount": 1e-7}),  # written differently by the two serializers
        line(data={"period": "2025-12", "amount": 1e16}),
        line(data={"period": "2025-12", "amount": 100, "source": "e\u00e6\\n"}),
        line(type="correction", data={"corrects_event_id": "ev-\u00e6\\"}),
        line(type="birth", data={"birth_date": "2026-01-09", "address_id": "A\u2028"}),
        line(type="name_change", data={"nested": {"a": 1}}),
        line(type="name_change", data={"f": 1.5}),
    ],
)
def test_unusual_lines_are_left_to_the_full_parser(text: str) -> None:
    assert fastparse.parse(text) is None
    parse_event(text)  # and the full parser takes them


@pytest.mark.parametrize(
    "text",
    [
        "{oops",
        "[]",
        line(effective_date="2026-02-30"),
        line(effective_date="20260210"),
        line(effective_date=20260210),
        line(recorded_at="2026-13-10T06:00:00Z"),
        line(recorded_at=""),
        line(person_id="DK 1"),
        line(person_id=...),
        line(event_id=""),
        line(event_id=7),
        line(data={"period": "2025-13", "amount": 10}),
        line(data={"period": "2025-12", "amount": -10}),
        line(data={"period": "2025-12", "amount": True}),
        line(data={"period": "2025-12", "amount": "10"}),
        line(data={"period": "2025-12"}),
        line(data=...),
        line(type="address_change", data={"address_id": "A"}),  # no country
        line(type="address_change", data={"country": "DK"}),  # no address_id
        line(type="address_change", data={"address_id": "A", "country": "dk"}),
        line(type=""),
        line(type="name_change", data=[1]),
        line(event_id="ev\u0001"),  # control characters (NUL fails PostgreSQL)
        line(event_id="ev\u0000"),
        line(type="address_change", data={"address_id": "A\u0000", "country": "DK"}),
        line().replace("9600.0", "NaN"),  # not JSON, though pydantic's parser takes them
        line().replace("9600.0", "Infinity"),
        line().replace("9600.0", "1e400"),
        line(type="name_change", data={"x": 1}).replace("1}", "-Infinity}"),
        "\ufeff" + line(),  # a byte order mark inside a file
        # digits of other scripts, which int() reads: ٢٠٢٦ (Arabic-Indic), ２０２６ (fullwidth)
        line(effective_date="\u0662\u0660\u0662\u0666-01-10"),
        line(effective_date="\uff12\uff10\uff12\uff16-01-10"),
        line(recorded_at="\u0662\u0660\u0662\u0666-01-10T06:00:00Z"),
        line(type="correction", data={"corrects_event_id": ""}),
        line(type="correction", data={"corrects_event_id": 7}),
        line(type="correction", data={}),
        line(type="marital_status_change", data={"status": "engaged"}),
        line(type="marital_status_change", data={"status": "married", "partner_id": "DK 2"}),
        line(type="marital_status_change", data={"partner_id": "DK-2"}),
        line(type="birth", data={"birth_date": "\u0662\u0660\u0662\u0666-01-09"}),
        line(type="birth", data={"birth_date": "2026-02-30"}),
        line(type="birth", data={}),
        line(type="birth", data={"birth_date": "2026-01-09", "parent_ids": "DK-1"}),
        line(type="birth", data={"birth_date": "2026-01-09", "parent_ids": ["DK 1"]}),
        line(type="birth", data={"birth_date": "2026-01-09", "country": "dk"}),
        # longer than the store keeps: on PostgreSQL each stopped the run
        line(type="address_change", data={"address_id": "A" * 201, "country": "DK"}),
        line(type="address_change", data={"address_id": "A", "municipality_code": "5" * 21, "country": "DK"}),
        line(type="t" * 101),
        line(data={"period": "2025-12", "amount": 1, "source": "s" * 201}),
        line(type="birth", data={"birth_date": "2026-01-09", "municipality_code": "5" * 21}),
        line(type="correction", data={"corrects_event_id": "e" * 201}),
    ],
)
def test_lines_that_break_the_contract_are_never_taken_by_the_fast_path(text: str) -> None:
    assert not same_or_aside(text)
    with pytest.raises(Malformed):
        parse_event(text)


_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
_values = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**60), 2**60), st.floats(allow_nan=False), _text,
    st.lists(st.integers(), max_size=2), st.dictionaries(_text, st.integers(), max_size=2),
)  # fmt: skip
_OTHER_DIGITS = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
_days = st.one_of(
    st.dates().map(str),
    st.dates().map(lambda d: str(d).translate(_OTHER_DIGITS)),
    st.sampled_from(["2026-02-30", "2026-1-5", "2026-01-10T00:00:00Z", ""]),
    _values,
)
_persons = st.one_of(st.from_regex(r"[A-Z]{2}-[0-9]{1,7}", fullmatch=True), _text, _values)
_stamps = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.sampled_from(["2026-01-10T06:00:00Z", "2026-01-10T06:00:00+02:00", "2026-01-10 06:00:00Z", ""]),
    _values,
)
_amounts = st.one_of(st.floats(allow_nan=False), st.integers(-10, 10**17), st.booleans(), _text, st.none())
_datas = st.one_of(
    st.fixed_dictionaries(
        {"period": st.one_of(st.sampled_from(["2025-12", "2026-00", "2026-1"]), _values), "amount": _amounts},
        optional={"source": st.one_of(_text, _values), "x": _values},
    ),
    st.fixed_dictionaries(
        {"address_id": st.one_of(_text, st.none(), _values)},
        optional={
            "municipality_code": st.one_of(_text, st.none(), _values),
            "country": st.one_of(st.sampled_from(["DK", "SE", "dk", "DKK"]), _values),
        },
    ),
    st.fixed_dictionaries({"corrects_event_id": st.one_of(_text, _values)}, optional={"x": _values}),
    st.fixed_dictionaries(
        {"status": st.one_of(st.sampled_from(["married", "divorced", "engaged", ""]), _values)},
        optional={"partner_id": st.one_of(_persons, st.none())},
    ),
    st.fixed_dictionaries(
        {"birth_date": _days},
        optional={
            "parent_ids": st.one_of(st.lists(_persons, max_size=3), _values),
            "address_id": st.one_of(_text, st.none(), _values),
            "municipality_code": st.one_of(_text, st.none()),
            "country": st.one_of(st.sampled_from(["DK", "SE", "dk"]), st.none(), _values),
        },
    ),
    st.dictionaries(_text, _values, max_size=3),
    _values,
)
_events = st.fixed_dictionaries(
    {
        "event_id": st.one_of(st.text(min_size=0, max_size=5), _values),
        "type": st.one_of(
            st.sampled_from(
                [
                    "income_change",
                    "address_change",
                    "death",
                    "name_change",
                    "correction",
                    "marital_status_change",
                    "birth",
                    "",
                ]
            ),
            _text,
            _values,
        ),
        "person_id": _persons,
        "effective_date": _days,
    },
    optional={"recorded_at": _stamps, "data": _datas, "extra": _values},
)


@settings(max_examples=1000, deadline=None)
@given(_events)
def test_any_line_gets_the_full_parsers_answer(record: dict[str, Any]) -> None:
    same_or_aside(json.dumps(record, ensure_ascii=False))


@settings(max_examples=200, deadline=None)
@given(_events, st.sampled_from(["event_id", "type", "person_id", "effective_date", "data"]), _values)
def test_a_repeated_key_is_read_as_the_full_parser_reads_it(
    record: dict[str, Any], key: str, first: Any
) -> None:
    text = json.dumps(record, ensure_ascii=False)
    repeated = "{" + json.dumps(key) + ":" + json.dumps(first) + "," + text[1:] if text != "{}" else text
    same_or_aside(repeated)


def test_the_samples_take_the_fast_path_with_the_same_answers() -> None:
    from pathlib import Path

    lines = (Path(__file__).resolve().parents[2] / "samples" / "events.jsonl").read_bytes().splitlines()
    taken = sum(same_or_aside(raw) for raw in lines)
    assert taken > 0.8 * len(lines)
