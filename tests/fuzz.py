"""A fuzz target for the line parsers, to run by hand for longer than the
suite does:

    .venv/bin/python -m tests.fuzz --seconds 600          # hypothesis, hostile lines
    .venv/bin/python -m tests.fuzz --seconds 600 --atheris  # coverage-guided (pip install atheris)

Every input must come out as an event (or a person, or a case) or as
`Malformed` with one sentence naming a field; anything else is a bug, and
the input that found it is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from eventfilter.errors import Malformed
from eventfilter.formats import parse_case, parse_event, parse_person, raw_text
from eventfilter.plausibility import Horizon, check_event, check_person
from eventfilter.service.redaction import redact_raw

HORIZON = Horizon(date(2026, 3, 2), 366)


def one_input(data: bytes) -> None:
    """The property: a line is a value or a sentence; its dead letter can be stored and shown."""
    for parse in (parse_event, parse_person, parse_case):
        try:
            found = parse(data)
            if parse is parse_event:
                check_event(found[0], HORIZON)  # type: ignore[index]
            elif parse is parse_person:
                check_person(found, HORIZON)  # type: ignore[arg-type]
        except Malformed as exc:
            text = str(exc)
            if not text.endswith(".") or "\n" in text:
                raise AssertionError(f"not one sentence: {text!r}") from None
            stored = raw_text(data)
            if "\x00" in stored:
                raise AssertionError("a dead letter would hold NUL") from None
            redact_raw(stored, {"SECRET"}, {"B"})


def with_hypothesis(seconds: float) -> int:
    from hypothesis import HealthCheck, given, settings

    from tests.hostile import hostile_events, hostile_persons

    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline:

        @settings(max_examples=2000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(hostile_events | hostile_persons)
        def run(data: bytes) -> None:
            one_input(data)

        run()
        rounds += 1
    return rounds * 2000


def with_atheris(seconds: float) -> None:
    import atheris

    atheris.instrument_all()
    sys.argv = [sys.argv[0], f"-max_total_time={int(seconds)}"]
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--atheris", action="store_true", help="coverage-guided, with atheris")
    a = parser.parse_args()
    if a.atheris:
        with_atheris(a.seconds)
    else:
        n = with_hypothesis(a.seconds)
        print(f"{n} hostile lines, no crash", file=sys.stderr)


if __name__ == "__main__":
    main()
