"""Navet notifications and Beskedfordeler envelopes: the codes, the relations the
register withdraws, and hostile or broken XML (a dead letter, never expanded)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from eventfilter.adapters.beskedfordeler import envelope, read_message
from eventfilter.adapters.cpr import CprPerson, person_records
from eventfilter.adapters.navet import NavetFile, notification, post_element
from eventfilter.core.facts import Group, Person
from eventfilter.core.snapshots import CHILD, PARENT, PARTNER, Withdrawn
from eventfilter.errors import InputError
from eventfilter.records import SnapshotRead

SENT = date(2026, 3, 2)


def swede(pid: str = "198001011234", **kw: object) -> Person:
    base: dict[str, object] = {
        "birth_date": date(1980, 1, 1),
        "address_id": "1480-VALLGRAVEN 12:3-1101",
        "municipality_code": "1480",
        "country": "SE",
        "marital_status": "unmarried",
    }
    base.update(kw)
    return Person(pid, **base)  # type: ignore[arg-type]


def navet(tmp_path: Path, data: bytes) -> list[SnapshotRead]:
    path = tmp_path / "n.xml"
    path.write_bytes(data)
    return list(NavetFile(str(path)))


def post(tmp_path: Path, p: Person, **kw: object) -> SnapshotRead:
    reads = navet(tmp_path, notification([post_element(p, **kw)], SENT))  # type: ignore[arg-type]
    assert len(reads) == 1
    return reads[0]


def test_a_registered_person_with_a_dwelling(tmp_path: Path) -> None:
    r = post(tmp_path, swede(), registered=date(2026, 2, 1))
    assert r.snapshot is not None
    p = r.snapshot.person
    assert (p.address_id, p.municipality_code, p.country) == ("1480-VALLGRAVEN 12:3-1101", "1480", "SE")
    assert r.snapshot.dates[Group.ADDRESS] == date(2026, 2, 1)
    assert r.snapshot.effective_date == SENT and r.snapshot.source == "navet"


def test_registered_in_the_municipality_without_a_known_dwelling(tmp_path: Path) -> None:
    r = post(tmp_path, swede(address_id=None), registered=date(2026, 2, 1))
    assert r.snapshot is not None
    assert (r.snapshot.person.address_id, r.snapshot.person.municipality_code) == (None, "1480")


def test_av_deceased_and_uv_emigrated(tmp_path: Path) -> None:
    dead = post(tmp_path, swede(alive=False), left=date(2026, 2, 20))
    assert dead.snapshot is not None and not dead.snapshot.person.alive
    assert dead.snapshot.carried == frozenset({Group.ALIVE})
    gone = post(tmp_path, swede(country="NO", address_id=None, municipality_code=None), left=date(2026, 2, 3))
    assert gone.snapshot is not None
    assert (gone.snapshot.person.country, gone.snapshot.person.municipality_code) == ("NO", None)
    assert gone.snapshot.dates[Group.ADDRESS] == date(2026, 2, 3)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("OG", "unmarried"),
        ("G", "married"),
        ("S", "divorced"),
        ("Ä", "widowed"),
        ("RP", "registered_partnership"),
        ("SP", "divorced"),
        ("EP", "widowed"),
    ],
)
def test_civil_status_codes(tmp_path: Path, code: str, status: str) -> None:
    data = notification([post_element(swede(marital_status="married", partner_id="198202021234"))], SENT)
    data = data.replace(
        b"<CivilstandKod>G</CivilstandKod>", f"<CivilstandKod>{code}</CivilstandKod>".encode()
    )
    r = navet(tmp_path, data)[0]
    assert r.snapshot is not None and r.snapshot.person.marital_status == status
    assert r.snapshot.person.partner_id == ("198202021234" if code in ("G", "RP") else None)


def test_other_deregistrations_are_events_the_rules_do_not_read(tmp_path: Path) -> None:
    data = notification([post_element(swede(alive=False), left=date(2026, 2, 1))], SENT)
    data = data.replace(b">AV<", b">OB<")
    r = navet(tmp_path, data)[0]
    assert r.snapshot is not None and r.snapshot.status == "disappeared" and r.snapshot.carried == frozenset()


def test_parents_and_protection(tmp_path: Path) -> None:
    r = post(tmp_path, swede(parent_ids=("196001011111", "196002022222"), protected_address=True))
    assert r.snapshot is not None
    assert r.snapshot.person.parent_ids == ("196001011111", "196002022222")
    assert r.snapshot.person.protected_address


@pytest.mark.parametrize("status", ["RD", "AN"])
def test_corrected_and_annulled_relations_are_withdrawn(tmp_path: Path, status: str) -> None:
    gone = (Withdrawn(PARTNER, "198202021234", date(2026, 2, 14)), Withdrawn(CHILD, "202602011234"))
    data = notification([post_element(swede(), withdrawn=gone)], SENT).replace(
        b">AN<", f">{status}<".encode()
    )
    r = navet(tmp_path, data)[0]
    assert r.snapshot is not None
    assert r.snapshot.withdrawn == (
        Withdrawn(PARTNER, "198202021234", date(2026, 2, 14)),
        Withdrawn(CHILD, "202602011234", None),
    )
    assert r.snapshot.person.partner_id is None  # a withdrawn relation sets nothing


def test_a_withdrawn_parent_relation(tmp_path: Path) -> None:
    r = post(tmp_path, swede(), withdrawn=(Withdrawn(PARENT, "196001011111"),))
    assert r.snapshot is not None and r.snapshot.withdrawn[0].kind == PARENT


def test_a_post_missing_a_field_is_a_dead_letter_and_the_others_are_read(tmp_path: Path) -> None:
    bad = post_element(swede("1"))
    good = post_element(swede("198001019999"))
    data = notification([bad, good], SENT).replace(b"<LanKod>14</LanKod>", b"", 1)
    reads = navet(tmp_path, data)
    assert reads[0].error is not None and "LanKod" in reads[0].error and reads[0].position == "post 1"
    assert reads[1].snapshot is not None


@pytest.mark.parametrize("county", [b"", b"1A", "\u0661\u0664".encode()])  # ١٤: digits, not ASCII ones
def test_a_county_code_that_is_not_a_number_is_a_dead_letter(tmp_path: Path, county: bytes) -> None:
    data = notification([post_element(swede())], SENT).replace(
        b"<LanKod>14</LanKod>", b"<LanKod>" + county + b"</LanKod>"
    )
    [r] = navet(tmp_path, data)
    assert r.snapshot is None and r.error is not None and "LanKod" in r.error


def test_a_dead_letter_shows_no_dwelling(tmp_path: Path) -> None:
    data = notification([post_element(swede(protected_address=True))], SENT).replace(
        b"<LanKod>14</LanKod>", b""
    )
    r = navet(tmp_path, data)[0]
    assert r.error is not None and "VALLGRAVEN" not in r.shown and "***" in r.shown


def test_truncated_xml_reads_the_posts_before_and_dead_letters_the_rest(tmp_path: Path) -> None:
    data = notification([post_element(swede("198001011111")), post_element(swede("198001012222"))], SENT)
    cut = data[: data.index(b"198001012222") + 5]
    reads = navet(tmp_path, cut)
    assert reads[0].snapshot is not None
    assert reads[-1].error is not None and "not well-formed" in reads[-1].error


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Navetavisering><Folkbokforingsposter><Folkbokforingspost><Personpost>&lol3;</Personpost>
</Folkbokforingspost></Folkbokforingsposter></Navetavisering>"""


def test_an_entity_bomb_is_refused_never_expanded(tmp_path: Path) -> None:
    reads = navet(tmp_path, BOMB)
    assert len(reads) == 1 and reads[0].snapshot is None
    assert reads[0].error is not None and "entities" in reads[0].error


def test_external_entities_are_refused(tmp_path: Path) -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<Navetavisering><Folkbokforingsposter><Folkbokforingspost>&e;</Folkbokforingspost></Folkbokforingsposter></Navetavisering>"""
    reads = navet(tmp_path, xxe)
    assert reads[0].error is not None and "root:" not in reads[0].shown


def test_a_file_that_is_not_xml_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "n.xml"
    path.write_text("just text\n")
    with pytest.raises(InputError, match="holds no XML"):
        NavetFile(str(path))


# -- Beskedfordeler -------------------------------------------------------------------------
PNR = "0101801234"


def records(**kw: object) -> list[str]:
    p = Person(
        PNR, birth_date=date(1980, 1, 1), address_id="101-0123-12B", municipality_code="101", country="DK"
    )
    p.marital_status = "unmarried"
    for k, v in kw.items():
        setattr(p, k, v)
    return person_records(CprPerson(p, moved=date(2026, 3, 1)))


def test_an_envelope_with_the_persons_records_is_their_snapshot() -> None:
    mid = str(uuid.uuid4())
    r = read_message(envelope(mid, PNR, date(2026, 3, 1), records()))
    assert r.error is None and r.snapshot is not None
    assert r.message_id == mid and r.position == f"message {mid}"
    assert r.snapshot.person.address_id == "101-0123-12B"
    assert r.snapshot.effective_date == date(2026, 3, 1)
    assert r.snapshot.recorded_at == "2026-03-01T00:00:00Z"
    assert r.snapshot.source == "cpr"  # the facts are CPR's: the same change by file has the same ids


def test_an_envelope_without_facts_is_a_dead_letter_with_the_reason() -> None:
    r = read_message(envelope(str(uuid.uuid4()), PNR, date(2026, 3, 1), None))
    assert r.snapshot is None and r.error is not None
    assert "carries no facts" in r.error and PNR in r.error


def test_an_envelope_naming_another_person_than_its_payload_is_refused() -> None:
    r = read_message(envelope(str(uuid.uuid4()), "0202802345", date(2026, 3, 1), records()))
    assert r.error is not None and "another person" in r.error


def test_a_message_in_another_namespace_or_not_xml_is_refused() -> None:
    body = envelope(str(uuid.uuid4()), PNR, date(2026, 3, 1), records()).replace(
        b"urn:oio:besked:kuvert:1.0", b"urn:example:other"
    )
    assert "namespace" in (read_message(body).error or "")
    assert "not well-formed" in (read_message(b"<Haendelsesbesked>").error or "")
    assert "entities" in (read_message(BOMB).error or "")


def test_the_payload_never_reaches_a_dead_letter() -> None:
    body = envelope(str(uuid.uuid4()), "0202802345", date(2026, 3, 1), records(protected_address=True))
    r = read_message(body)
    assert r.error is not None and "0123" not in r.shown and "12B" not in r.shown


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.binary(max_size=400))
def test_property_any_message_is_a_snapshot_or_a_reason(body: bytes) -> None:
    r = read_message(body)
    assert (r.snapshot is None) != (r.error is None)


@given(st.integers(0, 2000))
def test_property_an_envelope_cut_anywhere_is_refused_or_read_never_raises(cut: int) -> None:
    body = envelope(str(uuid.uuid4()), PNR, date(2026, 3, 1), records())
    r = read_message(body[:cut])
    assert (r.snapshot is None) != (r.error is None)
