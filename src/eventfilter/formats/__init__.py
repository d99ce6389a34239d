"""The contract's formats (contract.md §§ 1-4), in one package: the field
`patterns` written once, the pydantic `models` and the hand-written
`fastparse` for the common event lines side by side (the tests hold them to
the same answers), `parse` for one line, the `sentences` a malformed line
gets, and the `lines` eventfilter writes."""

from eventfilter.errors import Malformed
from eventfilter.formats.lines import decision_line, event_line, utc_stamp
from eventfilter.formats.parse import (
    content_hash,
    message_key,
    parse_case,
    parse_event,
    parse_event_fully,
    parse_person,
    strict_json,
    to_event,
)
from eventfilter.formats.patterns import BOM
from eventfilter.formats.sentences import describe, raw_text, typed_text

__all__ = [
    "BOM",
    "Malformed",
    "content_hash",
    "decision_line",
    "describe",
    "event_line",
    "message_key",
    "parse_case",
    "parse_event",
    "parse_event_fully",
    "parse_person",
    "raw_text",
    "strict_json",
    "to_event",
    "typed_text",
    "utc_stamp",
]
