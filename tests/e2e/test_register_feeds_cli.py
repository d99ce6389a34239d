"""The register's own files and messages through the command line, as an operator runs them."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from eventfilter.adapters.amqp import Topology, delete_topology
from eventfilter.adapters.beskedfordeler import envelope
from eventfilter.adapters.cpr import CprPerson, extract_text, person_records
from eventfilter.core.facts import Person
from tests.e2e.conftest import EXE, Cli
from tests.helpers import own_decisions_exchange

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def _files(folder: str, pattern: str) -> list[str]:
    return [str(p) for p in sorted((SAMPLES / folder).glob(pattern))]


def test_replay_of_the_cpr_samples_and_a_rerun_that_is_a_no_op(cli: Cli, tmp_path: Path) -> None:
    extracts = _files("cpr", "*.txt")
    start = ["replay", "--format", "cpr-extract", *extracts]
    start += ["--persons", str(SAMPLES / "persons.jsonl"), "--cases", str(SAMPLES / "cases.jsonl")]
    first = cli(*start, "--out", "d.jsonl")
    assert first.returncode == 0, first.stderr
    assert "persons read" in first.stdout and "decision lines appended to d.jsonl" in first.stdout
    written = (tmp_path / "d.jsonl").read_text().splitlines()
    assert written and all(json.loads(line)["decision_id"] for line in written)
    again = cli(*start, "--out", "d.jsonl")
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("was read before; skipped") == len(extracts)
    assert "nothing new for d.jsonl" in again.stdout
    assert (tmp_path / "d.jsonl").read_text().splitlines() == written


def test_an_extract_that_skips_one_is_refused_with_one_sentence(cli: Cli, tmp_path: Path) -> None:
    extracts = _files("cpr", "*.txt")
    assert cli("replay", "--format", "cpr-extract", extracts[0]).returncode == 0
    skipped = cli("replay", "--format", "cpr-extract", extracts[2])
    assert skipped.returncode == 2
    assert "read the extracts in between first" in skipped.stderr
    assert len([line for line in skipped.stderr.splitlines() if line.strip()]) == 1
    # given together, they are read in their order whatever the order on the command line
    both = cli("replay", "--format", "cpr-extract", extracts[2], extracts[1])
    assert both.returncode == 0, both.stderr


def test_a_cut_extract_is_read_but_not_marked_so_its_successor_waits(cli: Cli, tmp_path: Path) -> None:
    p = Person("0101801234", birth_date=date(1980, 1, 1), address_id="101-0001-1", municipality_code="101")
    p.country = "DK"
    data = extract_text(date(2026, 3, 1), None, [CprPerson(p)])
    (tmp_path / "cut.txt").write_bytes(data.rsplit(b"999", 1)[0])
    cut = cli("replay", "--format", "cpr-extract", "cut.txt")
    assert cut.returncode == 3 and "not marked read" in cut.stderr
    nxt = tmp_path / "next.txt"
    nxt.write_bytes(extract_text(date(2026, 3, 2), date(2026, 3, 1), []))
    refused = cli("replay", "--format", "cpr-extract", "next.txt")
    assert (
        refused.returncode == 2 and "was cut short (cut.txt): read that extract whole first" in refused.stderr
    )
    (tmp_path / "whole.txt").write_bytes(data)
    assert cli("replay", "--format", "cpr-extract", "whole.txt", "next.txt").returncode == 0


def test_replay_of_the_navet_samples(cli: Cli) -> None:
    r = cli(
        "replay",
        "--format",
        "navet",
        *_files("navet", "*.xml"),
        "--persons",
        str(SAMPLES / "persons.jsonl"),
        "--cases",
        str(SAMPLES / "cases.jsonl"),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["snapshots_read"] > 0 and summary["events_decided"] > 0 and summary["dead_letters"] == 0


def test_careless_arguments_are_refused_plainly(cli: Cli, tmp_path: Path) -> None:
    two = cli("replay", str(SAMPLES / "events.jsonl"), str(SAMPLES / "events.jsonl"))
    assert two.returncode == 2 and "one file" in two.stderr
    missing = cli("replay", "--format", "cpr-extract", "D20990101.txt")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    wrong = cli("replay", "--format", "cpr-extract", str(SAMPLES / "events.jsonl"))
    assert wrong.returncode == 2 and "not a CPR extract" in wrong.stderr
    stdin = cli("replay", "--format", "navet", "-")
    assert stdin.returncode == 2 and "not stdin" in stdin.stderr


# -- Beskedfordeler over RabbitMQ -------------------------------------------------------------
@pytest.fixture
def topology(rabbitmq: str) -> Iterator[Topology]:
    name = f"eftest.{uuid.uuid4().hex[:10]}"
    t = Topology(queue=f"{name}.events", partitions=2, decisions=f"{name}.decisions")
    yield t
    delete_topology(rabbitmq, t)


@pytest.mark.slow
def test_consume_beskedfordeler_envelopes(
    cli: Cli, tmp_path: Path, rabbitmq: str, topology: Topology
) -> None:
    db = f"sqlite:///{tmp_path}/stream.db"
    people = tmp_path / "persons.jsonl"
    base = {"municipality_code": "101", "country": "DK", "marital_status": "unmarried"}
    people.write_text(
        json.dumps(
            {"person_id": "0101801234", "birth_date": "1980-01-01", "address_id": "101-0001-1", **base}
        )
        + "\n"
    )
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps(
            {
                "case_id": "C",
                "benefit": "kontanthjaelp",
                "beneficiary_id": "0101801234",
                "municipality_code": "101",
            }
        )
        + "\n"
    )
    assert cli("--db", db, "import", "persons", str(people)).returncode == 0
    assert cli("--db", db, "import", "cases", str(cases)).returncode == 0
    p = Person("0101801234", birth_date=date(1980, 1, 1), municipality_code="101", country="DK")
    p.marital_status, p.alive = "unmarried", False
    besked = str(uuid.uuid4())
    died = envelope(besked, p.person_id, date(2026, 3, 1), person_records(CprPerson(p, "90")))
    bare = envelope(str(uuid.uuid4()), p.person_id, date(2026, 3, 1), None)
    for name, body in (("died.xml", died), ("again.xml", died), ("bare.xml", bare)):
        (tmp_path / name).write_bytes(body)
    args = ["--amqp", rabbitmq, "--queue", topology.queue, "--partitions", str(topology.partitions)]
    settings = own_decisions_exchange(tmp_path / "settings.toml", topology.decisions)
    files = ("died.xml", "again.xml", "bare.xml")
    sent = cli("--settings", str(settings), "publish", "--format", "beskedfordeler", *files, *args)
    assert sent.returncode == 0, sent.stderr
    log = open(tmp_path / "consumer.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(EXE), "--db", db, "consume", "--format", "beskedfordeler", *args, "--settle-seconds", "0"],
        cwd=tmp_path,
        env={**cli.env, "EVENTFILTER_SETTINGS": str(settings)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    engine = create_engine(db)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                decided = conn.execute(text("SELECT count(*) FROM decisions")).scalar_one()
                dead = conn.execute(text("SELECT count(*) FROM dead_letters")).scalar_one()
            if decided >= 1 and dead >= 1:
                break
            time.sleep(0.3)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT outcome, case_id FROM decisions")).all()
            letters = conn.execute(text("SELECT error FROM dead_letters")).scalars().all()
            taken = conn.execute(text("SELECT message_id FROM processed_events")).scalars().all()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
        engine.dispose()
    assert rows == [("suspend", "C")], (tmp_path / "consumer.log").read_text()[-2000:]
    assert len(letters) == 1 and "carries no facts" in letters[0]
    assert besked in taken


# -- tick --------------------------------------------------------------------------------------
def test_tick_through_a_date_and_again(cli: Cli, tmp_path: Path) -> None:
    people = tmp_path / "p.jsonl"
    base = {"municipality_code": "101", "country": "DK", "marital_status": "unmarried", "monthly_income": 0}
    people.write_text(json.dumps({"person_id": "B", "birth_date": "1996-03-20", **base}) + "\n")
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        json.dumps(
            {"case_id": "C", "benefit": "kontanthjaelp", "beneficiary_id": "B", "municipality_code": "101"}
        )
        + "\n"
    )
    assert cli("import", "persons", str(people)).returncode == 0
    assert cli("import", "cases", str(cases)).returncode == 0
    first = cli("tick", "--through", "2026-06-30", "--out", "t.jsonl")
    assert first.returncode == 0, first.stderr
    assert "age_band_changed" in first.stdout and "review" in first.stdout
    [line] = (tmp_path / "t.jsonl").read_text().splitlines()
    d = json.loads(line)
    assert d["effective_date"] == "2026-03-20" and d["event_ids"] == ["tick:C:2026-03-20:age_band_changed"]
    again = cli("tick", "--through", "2026-06-30", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["decisions"] == {
        "suspend": 0,
        "review": 0,
        "pass": 0,
    }
    bad = cli("tick", "--through", "2026-02-30")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    far = cli("tick", "--through", "9999-12-31")
    assert far.returncode == 2 and "horizon" in far.stderr
    none = cli("--db", f"sqlite:///{tmp_path}/nothing.db", "tick", "--through", "2026-06-30")
    assert none.returncode == 1 and "does not exist" in none.stderr  # a typo in --db decides nothing


# -- whatif ------------------------------------------------------------------------------------
EXAMPLE_PACK = ROOT / "config" / "rulepacks" / "household-moves-together.toml"
DEFAULT_PACK = ROOT / "config" / "rulepacks" / "default.toml"
FROM_SAMPLES = ["--persons", str(SAMPLES / "persons.jsonl"), "--cases", str(SAMPLES / "cases.jsonl")]


def test_whatif_of_two_identical_packs_reports_no_change(cli: Cli) -> None:
    r = cli("whatif", str(SAMPLES / "events.jsonl"), "--rules", str(DEFAULT_PACK), *FROM_SAMPLES, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (
        report["decisions_compared"] > 2000 and report["decisions_changed"] == 0 and report["changes"] == []
    )


def test_whatif_of_the_example_pack_changes_only_what_its_rule_reads(cli: Cli, tmp_path: Path) -> None:
    r = cli("whatif", str(SAMPLES / "events.jsonl"), "--rules", str(EXAMPLE_PACK), *FROM_SAMPLES, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    changes = report["changes"]
    assert changes and {c["benefit"] for c in changes} == {"boligstoette"}
    assert (
        changes[0]["old"].startswith("suspend / left_dwelling")
        and changes[0]["new"] == "review / housing_changed"
    )
    for benefit in ("kontanthjaelp", "forsorjningsstod"):
        b = report["benefits"][benefit]
        assert b["old"] == b["new"] and b["paid_difference"] == 0
    bs = report["benefits"]["boligstoette"]
    assert bs["new"]["suspend"] < bs["old"]["suspend"] and bs["paid_difference"] > 0
    text = cli("whatif", str(SAMPLES / "events.jsonl"), "--rules", str(EXAMPLE_PACK), *FROM_SAMPLES)
    assert "review / housing_changed" in text.stdout and "e.g. BS-" in text.stdout
    table = cli("whatif", str(SAMPLES / "events.jsonl"), "--rules", str(EXAMPLE_PACK), *FROM_SAMPLES, "--csv")
    rows = table.stdout.splitlines()
    assert rows[0] == "benefit,old,new,cases,paid_difference,examples" and len(rows) == len(changes) + 1
    # a database to start from is copied, never written
    assert cli("import", "persons", str(SAMPLES / "persons.jsonl")).returncode == 0
    assert cli("import", "cases", str(SAMPLES / "cases.jsonl")).returncode == 0
    before = (tmp_path / "eventfilter.db").read_bytes()
    from_db = cli("whatif", str(SAMPLES / "events.jsonl"), "--rules", str(EXAMPLE_PACK), "--json")
    assert from_db.returncode == 0, from_db.stderr
    assert json.loads(from_db.stdout)["decisions_changed"] == report["decisions_changed"]
    assert (tmp_path / "eventfilter.db").read_bytes() == before


def test_whatif_decides_the_same_with_its_sides_at_once_or_one_after_the_other(cli: Cli) -> None:
    args = ["whatif", str(SAMPLES / "events.jsonl"), "--rules", str(EXAMPLE_PACK), *FROM_SAMPLES, "--json"]
    at_once, in_turn = cli(*args, "--parallel"), cli(*args, "--sequential")
    assert at_once.returncode == 0 and in_turn.returncode == 0, at_once.stderr + in_turn.stderr
    report = json.loads(at_once.stdout)
    assert report["decisions_changed"] > 0 and report == json.loads(in_turn.stdout)


def test_whatif_refuses_a_broken_pack_and_careless_arguments(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(DEFAULT_PACK.read_text().replace('reference = "aktivloven § 25"', 'reference = ""', 1))
    r = cli("whatif", str(SAMPLES / "events.jsonl"), "--rules", str(broken), *FROM_SAMPLES)
    assert r.returncode != 0 and "broken.toml" in r.stderr
    assert cli("whatif", "-", "--rules", str(EXAMPLE_PACK), *FROM_SAMPLES).returncode == 2
    half = cli("whatif", str(SAMPLES / "events.jsonl"), "--rules", str(EXAMPLE_PACK), "--persons", "x.jsonl")
    assert half.returncode == 2 and "both --persons and --cases" in half.stderr
