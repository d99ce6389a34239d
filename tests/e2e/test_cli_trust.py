"""The command line tried as a careless operator and as an attacker would
(trust issue): typos in paths, a second run, hostile values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.test_cli import one_sentence, world, write
from tests.helpers import case, move, person


@pytest.mark.parametrize(
    "args",
    [
        ["holds", "--csv"],
        ["holds", "--json"],
        ["review", "list"],
        ["review", "show", "1"],
        ["deadletters"],
        ["audit", "KY-1"],
        ["windows", "close", "--all"],
    ],
)
def test_read_commands_refuse_a_database_that_does_not_exist(
    tmp_path: Path, cli: Cli, args: list[str]
) -> None:
    r = cli("--db", f"sqlite:///{tmp_path}/mistyped.db", *args)
    assert r.returncode == 1, r.stdout
    one_sentence(r.stderr)
    assert "does not exist" in r.stderr and r.stdout == ""
    assert not (tmp_path / "mistyped.db").exists()


def test_forgetting_db_creates_no_empty_database(tmp_path: Path, cli: Cli) -> None:
    env = {k: v for k, v in cli.env.items() if k != "EVENTFILTER_DB"}
    plain = Cli(tmp_path, "")
    plain.env = env
    r = plain("holds")
    assert r.returncode == 1 and "does not exist" in r.stderr
    assert not (tmp_path / "eventfilter.db").exists()


def test_extreme_dates_and_ids_are_answers_or_usage_errors_never_crashes(tmp_path: Path, cli: Cli) -> None:
    persons, _ = world(tmp_path)
    assert cli("import", "persons", persons).returncode == 0
    r = cli("holds", "--as-of", "9999-12-31", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    for item in ("99999999999999999999", "9223372036854775808", "0", "-1"):
        r = cli("review", "show", item)
        assert r.returncode == 2, (item, r.stderr)
        assert "unexpectedly" not in r.stderr
    r = cli("review", "show", "2147483647")
    assert r.returncode == 2 and "no review item" in r.stderr


def test_a_file_opening_with_a_byte_order_mark_is_read_whole(tmp_path: Path, cli: Cli) -> None:
    persons = write(
        tmp_path / "persons.jsonl",
        person("B", "1980-01-01", address_id="A", marital_status="married", partner_id="P"),
        person("P", "1980-01-01", address_id="A", marital_status="married", partner_id="B"),
    )
    cases = write(tmp_path / "cases.jsonl", case("KY", "kontanthjaelp", "B"))
    events = tmp_path / "events.jsonl"
    body = json.dumps(move("B", "NEW", event_id="m1")) + "\n" + json.dumps(move("P", "NEW", event_id="m2"))
    events.write_bytes(b"\xef\xbb\xbf" + body.encode() + b"\n")
    (tmp_path / "persons.jsonl").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "persons.jsonl").read_bytes())
    r = cli("replay", "events.jsonl", "--persons", persons, "--cases", cases, "--out", "d.jsonl", "--json")
    assert r.returncode == 0, r.stderr
    [decision] = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert decision["event_ids"] == ["m1", "m2"] and decision["decision"] == "pass"  # the move, together


def test_rerunning_the_documented_command_appends_and_decides_nothing(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(tmp_path / "events.jsonl", move("B", "DW-2", event_id="m1"))
    command = ["replay", events, "--persons", persons, "--cases", cases, "--out", "d.jsonl"]
    assert cli(*command).returncode == 0
    first = (tmp_path / "d.jsonl").read_text()
    r = cli(*command)
    assert r.returncode == 0
    assert (tmp_path / "d.jsonl").read_text() == first
    assert "appended" not in r.stdout


def test_serve_on_a_busy_port_says_so_and_never_claims_to_listen(tmp_path: Path, cli: Cli) -> None:
    import socket

    persons, _ = world(tmp_path)
    assert cli("import", "persons", persons).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = cli("serve", "--port", str(port), timeout=60)
    assert r.returncode == 2, r.stderr
    one_sentence(r.stderr)
    assert "review queue is at" not in r.stderr and str(port) in r.stderr


def test_serve_refuses_a_trusted_header_open_to_all(tmp_path: Path, cli: Cli) -> None:
    persons, _ = world(tmp_path)
    assert cli("import", "persons", persons).returncode == 0
    r = cli("serve", "--auth", "header", "--host", "0.0.0.0", "--port", "1", timeout=60)
    assert r.returncode == 2 and "--trusted-proxy" in r.stderr
    one_sentence(r.stderr)


def test_filters_naming_nothing_are_refused_not_answered_empty(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    assert cli("replay", write(tmp_path / "e.jsonl", move("B", "DW-2")), "--persons", persons,
               "--cases", cases).returncode == 0  # fmt: skip
    for args, said in (
        (["--benefit", "nonsense"], "no benefit 'nonsense'"),
        (["--reason", "left_dwelingg"], "no reason code"),
        (["--municipality", "999"], "municipality 999"),
    ):
        r = cli("review", "list", *args)
        assert r.returncode == 2 and said in r.stderr, (args, r.stderr)
    assert cli("review", "list", "--benefit", "boligstoette").returncode == 0


def test_review_show_offers_only_what_the_item_allows(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    events = write(tmp_path / "e.jsonl", move("B", "DW-2", "510", event_id="m"))  # suspend BS-1, review KY-1
    assert cli("replay", events, "--persons", persons, "--cases", cases).returncode == 0
    items = {i["case_id"]: i["item_id"] for i in json.loads(cli("review", "list", "--json").stdout)}
    held = cli("review", "show", str(items["BS-1"])).stdout
    paid = cli("review", "show", str(items["KY-1"])).stdout
    assert "--action confirm" in held and "--action confirm" not in paid
    assert "close the item, payment goes on" in paid


def test_rules_show_prints_ages_and_rates_as_people_write_them(cli: Cli) -> None:
    text = cli("rules", "show", "--date", "2026-06-01").stdout
    assert " 17000 " in text and "17000.0" not in text and " 18 " in text and "0.25" in text


def test_generate_never_writes_over_a_world_unasked(tmp_path: Path, cli: Cli) -> None:
    assert cli("generate", "--persons", "50", "--days", "2").returncode == 2  # no --out: no default
    assert cli("generate", "--out", "w", "--persons", "50", "--days", "2").returncode == 0
    before = (tmp_path / "w" / "events.jsonl").read_text()
    r = cli("generate", "--out", "w", "--persons", "60", "--days", "3", "--seed", "9")
    assert r.returncode == 2 and "--force" in r.stderr
    assert (tmp_path / "w" / "events.jsonl").read_text() == before
    assert cli("generate", "--out", "w", "--persons", "60", "--days", "3", "--force").returncode == 0


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_file_at_a_long_path_is_replayed_and_its_name_kept_cut(
    tmp_path: Path, cli: Cli, request: pytest.FixtureRequest, store: str
) -> None:
    """Runs and dead letters keep a file's name in 500 characters: a longer path
    stopped a replay on PostgreSQL before its first line (a value too long)."""
    if store == "postgresql":
        cli.env["EVENTFILTER_DB"] = request.getfixturevalue("pg_databases")()
    persons, cases = world(tmp_path)
    folder = tmp_path.joinpath(*["d" * 60] * 9)
    folder.mkdir(parents=True)
    events = folder / "events.jsonl"
    events.write_text("not json\n" + json.dumps(move("B", "DW-2", event_id="m1")) + "\n")
    assert len(str(events)) > 500
    command = ["replay", str(events), "--persons", persons, "--cases", cases, "--json"]
    first = cli(*command)
    assert first.returncode == 3, first.stderr  # done, with a dead letter
    assert json.loads(first.stdout)["events_decided"] == 1
    assert cli(*command).returncode == 3  # again: the same dead letter, nothing decided twice
    [letter] = json.loads(cli("deadletters", "--json").stdout)
    assert len(letter["source"]) == 500 and letter["source"].endswith("/events.jsonl")
    assert letter["source"].startswith(str(tmp_path)[:100])
