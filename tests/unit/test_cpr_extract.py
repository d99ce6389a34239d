"""The CPR change extract: every record type and code the rules need, and every
way a line can break (a dead letter naming the line and the field)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from eventfilter.adapters.cpr import CprExtract, CprPerson, extract_text, person_records, status_of
from eventfilter.core.facts import Group, Person
from eventfilter.errors import InputError
from eventfilter.records import SnapshotRead

PRODUCED = date(2026, 3, 2)


def resident(pid: str = "0101801234", **kw: object) -> Person:
    base: dict[str, object] = {
        "birth_date": date(1980, 1, 1),
        "address_id": "101-0123-12B",
        "municipality_code": "101",
        "country": "DK",
        "marital_status": "unmarried",
    }
    base.update(kw)
    return Person(pid, **base)  # type: ignore[arg-type]


def write(tmp_path: Path, body: list[str], previous: date | None = None, name: str = "x.txt") -> Path:
    path = tmp_path / name
    head = extract_text(PRODUCED, previous, []).decode("iso-8859-1").splitlines()[0]
    lines = [head, *body, f"999{len(body):08d}"]
    path.write_bytes(("\n".join(lines) + "\n").encode("iso-8859-1"))
    return path


def read(tmp_path: Path, body: list[str], **kw: object) -> list[SnapshotRead]:
    return list(CprExtract(str(write(tmp_path, body)), **kw))  # type: ignore[arg-type]


def one(tmp_path: Path, c: CprPerson, **kw: object) -> SnapshotRead:
    reads = read(tmp_path, person_records(c), **kw)
    assert len(reads) == 1
    return reads[0]


def test_the_header_gives_the_production_and_previous_dates(tmp_path: Path) -> None:
    x = CprExtract(str(write(tmp_path, [], previous=date(2026, 3, 1))))
    assert (x.header.production, x.header.previous, x.header.source) == (PRODUCED, date(2026, 3, 1), "cpr")
    assert list(x) == [] and x.complete


def test_a_file_that_is_not_an_extract_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"event_id": "e1"}\n')
    with pytest.raises(InputError, match="not a CPR extract"):
        CprExtract(str(path))
    with pytest.raises(InputError, match="does not exist"):
        CprExtract(str(tmp_path / "nope.txt"))


def test_status_01_a_resident_with_the_dwelling_of_the_address_record(tmp_path: Path) -> None:
    r = one(tmp_path, CprPerson(resident(), moved=date(2026, 2, 1)))
    assert r.error is None and r.snapshot is not None
    p = r.snapshot.person
    assert (p.address_id, p.municipality_code, p.country) == ("101-0123-12B", "101", "DK")
    assert r.snapshot.dates[Group.ADDRESS] == date(2026, 2, 1)
    assert r.snapshot.effective_date == PRODUCED


def test_floor_and_door_are_part_of_the_dwelling(tmp_path: Path) -> None:
    r = one(tmp_path, CprPerson(resident(address_id="101-0123-12B-2-tv")))
    assert r.snapshot is not None and r.snapshot.person.address_id == "101-0123-12B-2-tv"


def test_status_03_with_road_code_9900_or_above_is_no_fixed_address_in_the_municipality(
    tmp_path: Path,
) -> None:
    r = one(tmp_path, CprPerson(resident(address_id=None), status="03"))
    assert r.snapshot is not None
    p = r.snapshot.person
    assert (p.address_id, p.municipality_code, p.country, p.alive) == (None, "101", "DK", True)


def test_status_05_and_07_are_residents_of_greenland(tmp_path: Path) -> None:
    r = one(tmp_path, CprPerson(resident(address_id="955-0001-1", municipality_code="955"), status="05"))
    assert r.snapshot is not None and r.snapshot.person.country == "GL"


@pytest.mark.parametrize("status", ["80", "20"])
def test_abroad_takes_the_country_of_record_005(tmp_path: Path, status: str) -> None:
    c = CprPerson(resident(address_id=None, municipality_code=None, country="SE"), status=status)
    c.moved = date(2026, 2, 10)
    r = one(tmp_path, c)
    assert r.snapshot is not None
    p = r.snapshot.person
    assert (p.address_id, p.municipality_code, p.country) == (None, None, "SE")
    assert r.snapshot.dates[Group.ADDRESS] == date(2026, 2, 10)


def test_a_numeric_country_code_is_looked_up_and_an_unknown_one_is_zz(tmp_path: Path) -> None:
    lines = person_records(CprPerson(resident(country="SE"), status="80"))
    lines = [line if not line.startswith("005") else line[:13] + "5110" + line[17:] for line in lines]
    known = read(tmp_path, lines, countries={"5110": "NO"})[0]
    unknown = read(tmp_path, lines)[0]
    assert known.snapshot is not None and known.snapshot.person.country == "NO"
    assert unknown.snapshot is not None and unknown.snapshot.person.country == "ZZ"


def test_status_90_dead_carries_the_death_alone(tmp_path: Path) -> None:
    r = one(tmp_path, CprPerson(resident(alive=False), status="90", status_date=date(2026, 2, 27)))
    assert r.snapshot is not None
    assert r.snapshot.person.alive is False
    assert r.snapshot.carried == frozenset({Group.ALIVE})
    assert r.snapshot.dates[Group.ALIVE] == date(2026, 2, 27)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("70", "disappeared"),
        ("30", "cpr_number_annulled"),
        ("50", "cpr_number_deleted"),
        ("60", "cpr_number_changed"),
    ],
)
def test_statuses_the_rules_do_not_read_become_events_of_their_own_type(
    tmp_path: Path, status: str, kind: str
) -> None:
    r = one(tmp_path, CprPerson(resident(), status=status, status_date=date(2026, 2, 20)))
    assert r.snapshot is not None
    assert (r.snapshot.status, r.snapshot.status_date, r.snapshot.carried) == (
        kind,
        date(2026, 2, 20),
        frozenset(),
    )


def test_an_unknown_status_is_a_dead_letter_naming_the_field(tmp_path: Path) -> None:
    r = one(tmp_path, CprPerson(resident(), status="42"))
    assert r.snapshot is None and r.error is not None
    assert "'status'" in r.error and "'42'" in r.error


@pytest.mark.parametrize(
    ("code", "status", "partner"),
    [
        ("U", "unmarried", None),
        ("G", "married", "0202802345"),
        ("F", "divorced", None),
        ("E", "widowed", None),
        ("P", "registered_partnership", "0202802345"),
        ("O", "divorced", None),
        ("L", "widowed", None),
    ],
)
def test_civil_status_codes(tmp_path: Path, code: str, status: str, partner: str | None) -> None:
    lines = person_records(CprPerson(resident(marital_status="married", partner_id="0202802345")))
    lines = [line if not line.startswith("012") else line[:13] + code + line[14:] for line in lines]
    r = read(tmp_path, lines)[0]
    assert r.snapshot is not None
    assert (r.snapshot.person.marital_status, r.snapshot.person.partner_id) == (status, partner)


def test_civil_status_d_is_a_death(tmp_path: Path) -> None:
    lines = person_records(CprPerson(resident()))
    lines = [line if not line.startswith("012") else line[:13] + "D" + line[14:] for line in lines]
    r = read(tmp_path, lines)[0]
    assert r.snapshot is not None
    assert r.snapshot.person.alive is False and Group.ALIVE in r.snapshot.carried
    assert Group.MARITAL not in r.snapshot.carried


def test_without_a_civil_status_record_nothing_is_said_of_it(tmp_path: Path) -> None:
    lines = [line for line in person_records(CprPerson(resident())) if not line.startswith("012")]
    r = read(tmp_path, lines)[0]
    assert r.snapshot is not None and Group.MARITAL not in r.snapshot.carried


def test_protection_in_force_ended_and_of_another_kind(tmp_path: Path) -> None:
    on = one(tmp_path, CprPerson(resident(protected_address=True), protected_since=date(2026, 1, 5)))
    assert on.snapshot is not None and on.snapshot.person.protected_address
    assert on.snapshot.dates[Group.PROTECTED] == date(2026, 1, 5)
    ended = one(tmp_path, CprPerson(resident(), protection_ended=date(2026, 2, 1)))
    assert ended.snapshot is not None and not ended.snapshot.person.protected_address
    assert ended.snapshot.dates[Group.PROTECTED] == date(2026, 2, 1)
    lines = person_records(CprPerson(resident(protected_address=True)))
    lines = [line if not line.startswith("004") else line[:13] + "0003" + line[17:] for line in lines]
    other = read(tmp_path, lines)[0]
    assert other.snapshot is not None and not other.snapshot.person.protected_address


def test_record_015_gives_the_parents(tmp_path: Path) -> None:
    r = one(tmp_path, CprPerson(resident(parent_ids=("0202802345", "0303803456"))))
    assert r.snapshot is not None and r.snapshot.person.parent_ids == ("0202802345", "0303803456")


def test_persons_follow_one_another_and_status_of_matches_the_person() -> None:
    assert status_of(resident()) == "01"
    assert status_of(resident(address_id=None)) == "03"
    assert status_of(resident(country="DE")) == "80"
    assert status_of(resident(alive=False)) == "90"


def test_several_persons_each_a_snapshot_with_its_first_line(tmp_path: Path) -> None:
    body = person_records(CprPerson(resident("0101801234"))) + person_records(
        CprPerson(resident("0202802345"))
    )
    reads = read(tmp_path, body)
    assert [r.snapshot.person.person_id for r in reads if r.snapshot] == ["0101801234", "0202802345"]
    assert reads[0].position == "2" and reads[1].position == str(2 + len(body) // 2)
    assert reads[0].file is not None and reads[0].file.endswith("x.txt")


# -- broken lines ----------------------------------------------------------------------------
def test_a_line_cut_short_is_a_dead_letter_naming_the_field_and_its_line(tmp_path: Path) -> None:
    lines = person_records(CprPerson(resident()))
    lines[1] = lines[1][:20]  # the address record, cut inside the road code
    good = person_records(CprPerson(resident("0202802345")))
    reads = read(tmp_path, lines + good)
    assert reads[0].snapshot is None and reads[0].error is not None
    assert "'road code'" in reads[0].error and "line 3" in reads[0].error and "cut short" in reads[0].error
    assert "'012'" in reads[0].error
    assert reads[1].snapshot is not None  # the next person is read


def test_a_bad_date_is_named(tmp_path: Path) -> None:
    lines = person_records(CprPerson(resident()))
    lines[0] = lines[0][:39] + "1980-02-30" + lines[0][49:]
    r = read(tmp_path, lines)[0]
    assert r.error is not None and "'birth date'" in r.error and "'1980-02-30'" in r.error


def test_a_line_in_utf8_is_refused_not_read_shifted(tmp_path: Path) -> None:
    path = write(tmp_path, person_records(CprPerson(resident())))
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][:35] + "Søren".encode() + lines[2][40:]
    path.write_bytes(b"\n".join(lines))
    r = next(iter(CprExtract(str(path))))
    assert r.error is not None and "UTF-8" in r.error


def test_a_record_of_another_person_inside_a_person_is_refused(tmp_path: Path) -> None:
    lines = person_records(CprPerson(resident()))
    lines[1] = lines[1][:3] + "0909809999" + lines[1][13:]
    r = read(tmp_path, lines)[0]
    assert r.error is not None and "another person" in r.error


def test_a_record_before_any_person_is_a_dead_letter(tmp_path: Path) -> None:
    lines = person_records(CprPerson(resident()))
    reads = read(tmp_path, [lines[1], *lines])
    assert reads[0].error is not None and "before any person record" in reads[0].error
    assert reads[1].snapshot is not None


def test_a_resident_without_an_address_record_is_refused(tmp_path: Path) -> None:
    lines = [line for line in person_records(CprPerson(resident())) if not line.startswith("002")]
    r = read(tmp_path, lines)[0]
    assert r.error is not None and "no address record" in r.error


def test_a_file_without_its_end_record_leaves_its_last_person_undecided(tmp_path: Path) -> None:
    path = write(
        tmp_path, person_records(CprPerson(resident())) + person_records(CprPerson(resident("0202802345")))
    )
    path.write_bytes(b"\n".join(path.read_bytes().split(b"\n")[:-2]) + b"\n")  # the end record gone
    x = CprExtract(str(path))
    reads = list(x)
    assert reads[0].snapshot is not None
    assert reads[1].snapshot is None and reads[1].error is not None and "end record" in reads[1].error
    assert not x.complete


def test_an_end_record_with_the_wrong_count_marks_the_file_incomplete(tmp_path: Path) -> None:
    path = write(tmp_path, person_records(CprPerson(resident())))
    path.write_bytes(path.read_bytes().replace(b"99900000", b"99900009"))
    x = CprExtract(str(path))
    reads = list(x)
    assert not x.complete and any(r.error and "'record count'" in r.error for r in reads)


def test_a_dead_letter_never_shows_an_address_or_a_name(tmp_path: Path) -> None:
    lines = person_records(CprPerson(resident(protected_address=True, address_id="101-0777-99Z")))
    lines[0] = lines[0][:23] + "42" + lines[0][25:]
    r = read(tmp_path, lines)[0]
    assert r.error is not None
    assert "0777" not in r.shown and "99Z" not in r.shown
    assert "002" in r.shown  # the record is named, its content is not


# -- hostile lines ------------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=120), max_size=8), st.integers(0, 6))
def test_property_no_line_stops_the_reading_of_a_file(tmp_path: Path, junk: list[bytes], at: int) -> None:
    good = [line.encode("iso-8859-1") for line in person_records(CprPerson(resident()))]
    body = [*good[:1], *junk[:at], *good[1:], *junk[at:]]
    body = [b.replace(b"\n", b" ").replace(b"\r", b" ") for b in body]
    path = tmp_path / "h.txt"
    head = extract_text(PRODUCED, None, []).split(b"\n")[0]
    path.write_bytes(b"\n".join([head, *body, b"999%08d" % len(body)]) + b"\n")
    for r in CprExtract(str(path)):
        assert (r.snapshot is None) != (r.error is None)
        assert r.error is None or r.error.endswith(".")
