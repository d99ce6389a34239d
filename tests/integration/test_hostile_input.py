"""Hypothesis feeds the parsers and the importers hostile lines: nothing
crashes, every bad line is a dead letter with a sentence naming a field (or
the line), and no bad line changes another line's decision (trust issue:
"a hostile-input test module"). `python -m tests.fuzz` runs the same for
longer, by hand."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventfilter.bootstrap import bootstrap
from eventfilter.errors import Malformed
from eventfilter.formats import parse_case, parse_event, parse_person, raw_text
from eventfilter.plausibility import Horizon, check_event, check_person
from eventfilter.service import queries
from eventfilter.service.imports import import_persons
from eventfilter.service.replay import Replayer
from tests.helpers import ListSink, case, event, extract, fixed_clock, person
from tests.hostile import hostile_events, hostile_persons

pytestmark = pytest.mark.slow
HORIZON = Horizon(date(2026, 3, 2), 366)


def refusal_is_a_sentence(exc: Malformed) -> None:
    text = str(exc)
    assert text and text.endswith(".") and "\n" not in text, text
    assert "Field '" in text or text.startswith("The line"), text


@settings(max_examples=400, deadline=None)
@given(hostile_events)
def test_an_event_line_is_an_event_or_a_sentence_never_a_crash(raw: bytes) -> None:
    try:
        found, digest = parse_event(raw)
        check_event(found, HORIZON)
    except Malformed as exc:
        refusal_is_a_sentence(exc)
        assert "\x00" not in raw_text(raw)
        return
    assert len(digest) == 32


@settings(max_examples=300, deadline=None)
@given(hostile_persons)
def test_an_extract_line_is_a_person_or_a_sentence_never_a_crash(raw: bytes) -> None:
    for parse in (parse_person, parse_case):
        try:
            found = parse(raw)
            if parse is parse_person:
                check_person(found, HORIZON)  # type: ignore[arg-type]
        except Malformed as exc:
            refusal_is_a_sentence(exc)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "template.db"
    app = bootstrap(f"sqlite:///{path}", clock=fixed_clock)
    import_persons(
        app.store,
        extract(person("B", "1980-01-01", address_id="A", monthly_income=0), person("P", address_id="A")),
        "persons.jsonl",
        app.clock,
    )
    from eventfilter.service.imports import import_cases

    import_cases(app.store, app.pack, extract(case("C", "kontanthjaelp", "B")), "cases.jsonl", app.clock)
    app.store.dispose()
    return path


DEATH = json.dumps(event("death", "B", event_id="the-death", effective_date="2026-03-01")).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_events, min_size=1, max_size=8), st.integers(1, 4))
def test_a_replay_of_hostile_lines_completes_and_the_real_death_still_stops_payment(
    template: Path, tmp_path: Path, bad: list[bytes], batch: int
) -> None:
    db = tmp_path / f"run-{uuid.uuid4().hex}.db"  # hypothesis runs an example more than once
    shutil.copy(template, db)
    app = bootstrap(f"sqlite:///{db}", clock=fixed_clock)
    from dataclasses import replace

    app.settings = replace(app.settings, batch_size=batch)
    lines = [(n, raw) for n, raw in enumerate([*bad, DEATH], start=1) if raw.strip()]
    sink = ListSink()
    summary = Replayer(app.store, app.pack, app.settings, app.clock, sink).run(lines, "events.jsonl")
    assert summary.events_read == len(lines)
    assert summary.decided + summary.duplicates + summary.dead_letters == summary.events_read
    death = [d for d in sink.decisions if "the-death" in d.event_ids and d.case_id == "C"]
    # the death is decided on case C, and stops the payment unless a hostile line already had
    # (a valid death or income line among them may come first: then it is held already)
    assert death and (
        death[0].outcome == "suspend" or any(h.case_id == "C" for h in queries.holds(app.review))
    )
    assert [h.case_id for h in queries.holds(app.review)] == ["C"]
    for letter in queries.dead_letters(app.store):  # readable, whatever they hold
        assert letter.error.startswith("Line ") and "\x00" not in letter.raw
    app.store.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_persons, min_size=1, max_size=8))
def test_an_import_of_hostile_lines_completes_and_keeps_the_good_ones(
    template: Path, tmp_path: Path, bad: list[bytes]
) -> None:
    db = tmp_path / f"import-{uuid.uuid4().hex}.db"
    shutil.copy(template, db)
    app = bootstrap(f"sqlite:///{db}", clock=fixed_clock)
    good = json.dumps(person("G", address_id="GA")).encode()
    lines: list[tuple[int, Any]] = list(enumerate([*bad, good], start=1))
    result = import_persons(app.store, lines, "persons.jsonl", app.clock)
    assert result.read == len(lines)
    assert result.rejected_count + result.imported >= 1 and result.rejected_count <= len(bad)
    assert [p.person_id for p in app.store.load_persons(["G"])] == ["G"]
    app.store.dispose()
