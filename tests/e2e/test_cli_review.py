"""Caseworkers and the payment run at the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import EXE, Cli
from tests.helpers import case, event, move, person


def write(path: Path, *records: object) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path.name


@pytest.fixture
def world(tmp_path: Path, cli: Cli) -> Cli:
    persons = write(
        tmp_path / "persons.jsonl",
        person("A", address_id="A1"),
        person("S", address_id="HIDDEN-1", protected_address=True, monthly_income=8000),
        person("E", address_id="E1", country="SE", municipality_code="1480"),
    )
    cases = write(
        tmp_path / "cases.jsonl",
        case("KY-A", "kontanthjaelp", "A"),
        case("BS-S", "boligstoette", "S", dwelling_address_id="HIDDEN-1"),
        case(
            "FS-E",
            "forsorjningsstod",
            "E",
            municipality_code="1480",
            dwelling_address_id="E1",
            housing_cost=5000,
        ),
    )
    events = write(
        tmp_path / "events.jsonl",
        event("death", "A", event_id="a-dies"),
        move("S", "HIDDEN-2", event_id="s-moves"),
        move("E", "E2", "1480", "SE", event_id="e-moves"),
    )
    r = cli("replay", events, "--persons", persons, "--cases", cases)
    assert r.returncode == 0, r.stderr
    assert cli("caseworkers", "add", "anna", "--name", "Anna Holm", "--municipality", "561").returncode == 0
    assert cli("caseworkers", "add", "bo", "--name", "Bo Berg", "--municipality", "1480").returncode == 0
    return cli


def item_of(cli: Cli, case_id: str) -> int:
    items = json.loads(cli("review", "list", "--json").stdout)
    return int(next(i["item_id"] for i in items if i["case_id"] == case_id))


def test_a_caseworker_sees_only_their_municipalities(world: Cli) -> None:
    mine = json.loads(world("review", "list", "--as", "bo", "--json").stdout)
    assert [i["case_id"] for i in mine] == ["FS-E"]
    assert "FS-E" in world("review", "list", "--benefit", "forsorjningsstod").stdout
    assert "KY-A" not in world("review", "list", "--reason", "housing_changed").stdout


def test_review_show_is_a_readable_page_without_protected_addresses(world: Cli) -> None:
    page = world("review", "show", str(item_of(world, "BS-S")))
    assert page.returncode == 0
    for words in (
        "Review item",
        "What changed",
        "before:",
        "after:",
        "Decisions",
        "left_dwelling",
        "lov om individuel boligstøtte",
        "History",
        "Actions",
    ):
        assert words in page.stdout
    assert "HIDDEN" not in page.stdout
    data = json.loads(world("review", "show", str(item_of(world, "BS-S")), "--json").stdout)
    assert data["case"]["case_id"] == "BS-S" and "HIDDEN" not in json.dumps(data)


def test_resolving_and_the_refusals(world: Cli) -> None:
    item = str(item_of(world, "KY-A"))
    refused = world("review", "resolve", item, "--action", "release", "--by", "bo")
    assert refused.returncode == 4 and "municipality 561" in refused.stderr
    done = world(
        "review", "resolve", item, "--action", "release", "--by", "anna", "--note", "registered in error"
    )
    assert done.returncode == 0 and "payment resumes" in done.stdout
    again = world("review", "resolve", item, "--action", "release", "--by", "anna")
    assert again.returncode == 2 and "already resolved" in again.stderr
    assert world("review", "resolve", "999", "--action", "release", "--by", "anna").returncode == 2
    bad = world(
        "review", "resolve", item, "--action", "redecide", "--by", "anna", "--set", "A.birth_date=2026-02-30"
    )
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    for r in (refused, again, bad):
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_the_audit_answers_why_in_plain_words(world: Cli) -> None:
    world(
        "review",
        "resolve",
        str(item_of(world, "KY-A")),
        "--action",
        "release",
        "--by",
        "anna",
        "--note",
        "error",
    )
    trail = world("audit", "KY-A")
    assert trail.returncode == 0
    text = trail.stdout
    assert text.index("Payment stopped") < text.index("Hold placed") < text.index("Hold lifted by anna")
    assert 'Note: "error"' in text and "Now: payment being paid." in text
    entries = json.loads(world("audit", "KY-A", "--json").stdout)
    assert [e["action"] for e in entries] == [
        "decision_made",
        "hold_placed",
        "item_opened",
        "hold_lifted",
        "item_resolved",
    ]


def test_holds_for_the_payment_run_as_csv_and_as_of_a_date(world: Cli) -> None:
    rows = list(csv.DictReader(io.StringIO(world("holds", "--csv").stdout)))
    assert {r["case_id"] for r in rows} == {"KY-A", "BS-S"}
    assert set(rows[0]) == {
        "case_id",
        "benefit",
        "municipality_code",
        "status",
        "held_since",
        "effective_date",
        "held_by",
        "decision_id",
        "reasons",
    }
    assert {r["effective_date"] for r in rows} == {"2026-03-01"}  # the register's date, beside held_since
    assert "HIDDEN" not in world("holds", "--csv").stdout
    past = world("holds", "--as-of", "2020-01-01", "--json")
    assert json.loads(past.stdout) == []
    bad = world("holds", "--as-of", "2026-02-30")
    assert bad.returncode == 2 and "not a date that exists" in bad.stderr


def test_two_processes_resolving_one_item_one_wins_one_is_told(world: Cli, tmp_path: Path) -> None:
    assert world("caseworkers", "add", "cai", "--name", "Cai", "--municipality", "561").returncode == 0
    item = str(item_of(world, "KY-A"))
    procs = [
        subprocess.Popen(
            [str(EXE), "review", "resolve", item, "--action", "release", "--by", who],
            cwd=tmp_path,
            env=world.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("anna", "cai")
    ]
    codes = sorted(p.wait(timeout=60) for p in procs)
    errors = "".join(p.stderr.read() for p in procs if p.stderr)
    # the loser either lost the race (5) or arrived after the winner committed (2)
    assert codes in ([0, 5], [0, 2]), errors
    assert "someone else" in errors or "already resolved" in errors
    assert world("audit", "KY-A").stdout.count("Review item released") == 1


def test_caseworkers_are_listed(world: Cli) -> None:
    listed = json.loads(world("caseworkers", "list", "--json").stdout)
    assert {c["caseworker_id"]: c["municipalities"] for c in listed} == {"anna": ["561"], "bo": ["1480"]}
    assert world("caseworkers", "deactivate", "bo").returncode == 0
    assert world("review", "list", "--as", "bo").returncode == 4


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["c" * 101, "--name", "C", "--municipality", "561"],
            "CASEWORKER_ID is 101 characters long; at most 100",
        ),
        (["cai", "--name", "N" * 201, "--municipality", "561"], "--name is 201 characters long; at most 200"),
        (
            ["cai", "--name", "Cai", "--municipality", "5" * 21],
            "--municipality is 21 characters long; at most 20",
        ),
        (["cai", "--name", " ", "--municipality", "561"], "--name is empty."),
        (["cai\x1b[2J", "--name", "Cai", "--municipality", "561"], "CASEWORKER_ID holds control characters."),
    ],
)
def test_a_caseworker_the_store_cannot_keep_is_a_usage_error(world: Cli, args: list[str], said: str) -> None:
    """Each went to the store and, on PostgreSQL, failed there (a value too long)."""
    r = world("caseworkers", "add", *args)
    assert r.returncode == 2 and said in r.stderr
    listed = json.loads(world("caseworkers", "list", "--json").stdout)
    assert {c["caseworker_id"] for c in listed} == {"anna", "bo"}  # nothing stored


def test_a_caseworker_password_is_set_from_stdin_and_stored_hashed(world: Cli) -> None:
    r = world("caseworkers", "password", "anna", "--password-stdin", stdin="correct horse battery\n")
    assert r.returncode == 0 and "can now sign in" in r.stdout
    short = world("caseworkers", "password", "anna", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and short.stderr.strip() == "A password must have at least 10 characters."
    nobody = world("caseworkers", "password", "nobody", "--password-stdin", stdin="correct horse battery\n")
    assert nobody.returncode == 2 and "There is no caseworker 'nobody'" in nobody.stderr
    db = world.env["EVENTFILTER_DB"].removeprefix("sqlite:///")
    import sqlite3

    with sqlite3.connect(db) as conn:
        [(stored,)] = conn.execute("SELECT password_hash FROM caseworkers WHERE caseworker_id = 'anna'")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
