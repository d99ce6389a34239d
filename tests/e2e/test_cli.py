"""The command line as people and scripts use it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.e2e.conftest import Cli
from tests.helpers import case, event, income, move, person


def write(path: Path, *records: object) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path.name


def world(tmp_path: Path) -> tuple[str, str]:
    persons = write(
        tmp_path / "persons.jsonl",
        person("B", address_id="DW-1", monthly_income=5000),
        person("S", address_id="HIDDEN-9", protected_address=True),
    )
    cases = write(
        tmp_path / "cases.jsonl",
        case("KY-1", "kontanthjaelp", "B"),
        case("BS-1", "boligstoette", "B", dwelling_address_id="DW-1"),
        case("BS-2", "boligstoette", "S", dwelling_address_id="HIDDEN-9"),
    )
    return persons, cases


def one_sentence(text: str) -> None:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    assert lines[0].endswith(".")


def test_replay_summary_for_people(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(tmp_path / "events.jsonl", move("B", "DW-2"), income("B", 6000), "{oops")
    r = cli("replay", events, "--persons", persons, "--cases", cases)
    assert r.returncode == 3
    for words in (
        "events read",
        "duplicates skipped",
        "dead letters",
        "suspend",
        "review",
        "pass",
        "events/s",
    ):
        assert words in r.stdout
    assert "Line 3" in cli("deadletters").stdout


def test_a_file_of_broken_lines_says_so_instead_of_decided_before(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(tmp_path / "events.jsonl", "{oops", '{"event_id": "e1"}')
    r = cli("replay", events, "--persons", persons, "--cases", cases, "--out", "d.jsonl")
    assert r.returncode == 3
    assert "nothing new for d.jsonl (no line could be decided: every one is a dead letter)" in r.stdout
    again = cli("replay", events, "--out", "d.jsonl")  # the same lines again: dead letters again, said so
    assert again.returncode == 3
    assert "decided before" not in again.stdout


def test_replay_reads_stdin_and_writes_decisions_to_stdout(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    stdin = json.dumps(event("death", "B", event_id="d")) + "\n\n"
    r = cli("replay", "-", "--persons", persons, "--cases", cases, "--out", "-", stdin=stdin)
    assert r.returncode == 0, r.stderr
    decisions = [json.loads(line) for line in r.stdout.splitlines()]
    assert {(d["case_id"], d["decision"]) for d in decisions} == {("KY-1", "suspend"), ("BS-1", "suspend")}
    assert "events read" in r.stderr  # the summary keeps out of the data


def test_replay_can_write_decisions_to_a_device_or_pipe(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(tmp_path / "e.jsonl", income("B", 100))
    r = cli("replay", events, "--persons", persons, "--cases", cases, "--out", "/dev/null", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["events_read"] == 1


def test_replay_summary_as_json(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(tmp_path / "e.jsonl", income("B", 100))
    summary = json.loads(cli("replay", events, "--persons", persons, "--cases", cases, "--json").stdout)
    assert summary["events_read"] == 1
    assert summary["decisions"] == {"suspend": 0, "review": 0, "pass": 2}


def test_a_protected_address_appears_in_no_output(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    bad = move("S", "HIDDEN-10")
    del bad["data"]["country"]
    events = write(
        tmp_path / "events.jsonl",
        move("S", "HIDDEN-10"),
        event("protected_address", "B", {"protected": True}),
        move("B", "HIDDEN-9"),
        bad,
    )
    outputs = [
        cli(
            "--log-level",
            "debug",
            "replay",
            events,
            "--persons",
            persons,
            "--cases",
            cases,
            "--out",
            "d.jsonl",
        )
    ]
    for args in (
        ["holds"],
        ["holds", "--json"],
        ["review", "list"],
        ["review", "list", "--json"],
        ["deadletters"],
        ["deadletters", "--json"],
    ):
        outputs.append(cli(*args))
    shown = "".join(o.stdout + o.stderr for o in outputs) + (tmp_path / "d.jsonl").read_text()
    assert '"event": "decided"' in outputs[0].stderr  # debug logs name each case decision
    assert "HIDDEN" not in shown
    assert "***" in shown


def test_a_missing_file_is_a_usage_error_in_one_sentence(cli: Cli) -> None:
    r = cli("replay", "nowhere.jsonl")
    assert r.returncode == 2
    one_sentence(r.stderr)
    assert "nowhere.jsonl" in r.stderr


def test_an_unknown_option_is_a_usage_error(cli: Cli) -> None:
    assert cli("replay", "--frobnicate").returncode == 2
    assert cli("no-such-command").returncode == 2


def test_an_unreachable_database_fails_in_one_sentence(cli: Cli) -> None:
    r = cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "holds")
    assert r.returncode == 1
    one_sentence(r.stderr)


def test_a_malformed_rule_pack_is_refused_in_one_sentence(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "pack.toml").write_text("[pack]\nname = 'x'\n")
    r = cli("--rules", "pack.toml", "holds")
    assert r.returncode == 1
    one_sentence(r.stderr)
    assert "pack.toml" in r.stderr


def test_import_commands_report_bad_lines_and_exit_3(tmp_path: Path, cli: Cli) -> None:
    write(tmp_path / "p.jsonl", person("A"), {"person_id": "Z"})
    r = cli("import", "persons", "p.jsonl")
    assert r.returncode == 3
    assert "Imported 1 persons" in r.stdout
    assert "p.jsonl:2" in r.stderr and "'birth_date'" in r.stderr
    write(tmp_path / "c.jsonl", case("K", "kontanthjaelp", "A"))
    assert cli("import", "cases", "c.jsonl").returncode == 0


def test_importing_cases_before_their_persons_warns_naming_the_cases_not_the_persons(
    tmp_path: Path, cli: Cli
) -> None:
    write(tmp_path / "c.jsonl", case("KY-9", "kontanthjaelp", "DK-0000042"))
    r = cli("import", "cases", "c.jsonl")
    assert r.returncode == 0  # imported all the same: the register may follow
    assert "warning: 1 case names a beneficiary the register does not hold (KY-9)" in r.stderr
    assert "DK-0000042" not in r.stderr + r.stdout
    write(tmp_path / "p.jsonl", person("DK-0000042"))
    assert cli("import", "persons", "p.jsonl").returncode == 0
    assert "warning" not in cli("import", "cases", "c.jsonl").stderr


def test_rules_show_prints_the_parameters_in_force_with_references(cli: Cli) -> None:
    r = cli("rules", "show", "--date", "2026-06-01")
    assert r.returncode == 0
    assert "rate_30plus_provider" in r.stdout and "17000" in r.stdout and "aktivloven § 25" in r.stdout
    data = json.loads(cli("rules", "show", "--date", "2026-06-01", "--json").stdout)
    assert data["benefits"]["boligstoette"]["criteria"]["left_dwelling"]["consequence"] == "suspend"
    bad = cli("rules", "show", "--date", "2026-02-30")
    assert bad.returncode == 2
    one_sentence(bad.stderr)


def test_db_upgrade_creates_and_then_has_nothing_to_do(cli: Cli) -> None:
    first = cli("db", "upgrade")
    assert first.returncode == 0 and "Upgraded" in first.stdout
    again = cli("db", "upgrade")
    assert "nothing to do" in again.stdout


def test_an_older_release_refuses_a_newer_database_in_one_sentence(tmp_path: Path, cli: Cli) -> None:
    assert cli("db", "upgrade").returncode == 0
    with sqlite3.connect(tmp_path / "eventfilter.db") as conn:  # as a later release leaves it
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    for args in (("review", "list"), ("db", "upgrade")):
        refused = cli(*args)
        assert refused.returncode == 1, refused.stderr
        one_sentence(refused.stderr)
        assert "revision 9999, which this release does not know" in refused.stderr
        assert "unexpectedly" not in refused.stderr


def test_generate_writes_a_world_that_replays(tmp_path: Path, cli: Cli) -> None:
    r = cli("generate", "--out", "w", "--persons", "300", "--days", "20", "--seed", "3")
    assert r.returncode == 0, r.stderr
    rr = cli("replay", "w/events.jsonl", "--persons", "w/persons.jsonl", "--cases", "w/cases.jsonl", "--json")
    assert rr.returncode in (0, 3), rr.stderr
    assert json.loads(rr.stdout)["events_read"] > 100


def test_the_progress_bar_goes_to_stderr_only_when_asked(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(tmp_path / "e.jsonl", *[income("B", n) for n in range(5)])
    r = cli("replay", events, "--persons", persons, "--cases", cases, "--progress", "--out", "-")
    assert "%" in r.stderr and "events" in r.stderr
    for line in r.stdout.splitlines():
        json.loads(line)  # nothing but decisions on stdout


def test_compare_naive_counts_what_a_stop_on_every_event_filter_would_pause(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(
        tmp_path / "e.jsonl",
        income("B", 5100, event_id="i1"),  # touches KY-1 and BS-1: the naive filter stops both
        event("name_change", "B", event_id="n1", effective_date="2026-03-02"),
        move("S", "HIDDEN-10", event_id="m1"),  # the protected tenant leaves her dwelling
    )
    r = cli("replay", events, "--persons", persons, "--cases", cases, "--compare-naive", "--out", "d.jsonl")
    assert r.returncode == 0, r.stderr
    assert "stops the payment on every event" in r.stdout and "HIDDEN" not in r.stdout
    r = cli("replay", events, "--compare-naive", "--json")  # a rerun decides nothing again
    assert all(b["naive_stops"] == 0 for b in json.loads(r.stdout)["compare_naive"].values())
    decided = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    (tmp_path / "again.db").unlink(missing_ok=True)
    r = cli(
        "--db",
        f"sqlite:///{tmp_path}/again.db",
        "replay",
        events,
        "--persons",
        persons,
        "--cases",
        cases,
        "--compare-naive",
        "--json",
    )
    report = json.loads(r.stdout)["compare_naive"]
    touched = {d["case_id"] for d in decided if d["case_id"]}
    assert touched == {"KY-1", "BS-1", "BS-2"}
    assert report["kontanthjaelp"]["naive_paused"] == 1 and report["kontanthjaelp"]["naive_stops"] == 2
    assert report["boligstoette"]["active_cases"] == 2
    assert report["boligstoette"]["naive_paused"] == 2
    suspended = {d["case_id"] for d in decided if d["decision"] == "suspend"}
    assert report["boligstoette"]["suspended"] == len(suspended & {"BS-1", "BS-2"}) == 1
    reasons = report["boligstoette"]["eventfilter_by_reason"]
    assert reasons["suspend:left_dwelling"] == 1 and all(k.startswith("suspend:") for k in reasons)
    assert report["kontanthjaelp"]["suspended"] == report["kontanthjaelp"]["reviewed"] == 0
