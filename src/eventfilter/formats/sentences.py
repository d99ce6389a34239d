"""The sentences a malformed line gets (one, naming the field), and a line as
a dead letter keeps it."""

from __future__ import annotations

import re

from pydantic_core import ErrorDetails

from eventfilter.formats.patterns import CONTROL

_PHRASES = {
    "missing": "is missing",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "list_type": "must be a list",
    "date_type": "must be a date (YYYY-MM-DD)",
    "datetime_type": "must be a date and time (ISO 8601)",
    "greater_than_equal": "must not be negative",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long",
    "literal_error": "has a value that is not allowed",
}


def describe(errors: list[ErrorDetails], skip_tag: bool = False) -> str:
    """One sentence for the first problem, naming the field."""
    e = errors[0]
    kind = e["type"]
    if kind == "json_invalid":
        return "The line is not valid JSON."
    loc = [str(x) for x in e["loc"]]
    if skip_tag and loc:
        loc = loc[1:]
    if kind in ("model_type", "model_attributes_type", "union_tag_invalid") and not loc:
        return "The line is not a JSON object."
    field = ".".join(loc) or "line"
    value = e.get("input")
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        phrase = f"is not a real date ({value!r})"
    elif kind in ("datetime_parsing", "datetime_from_date_parsing"):
        phrase = f"is not a real date and time ({value!r})"
    elif kind == "string_pattern_mismatch" and isinstance(value, str) and (bad := CONTROL.search(value)):
        phrase = f"must not contain control characters (found U+{ord(bad.group()):04X})"
    elif kind == "string_pattern_mismatch":
        phrase = f"has the wrong form ({value!r})"
    elif kind == "literal_error":
        phrase = f"has a value that is not allowed ({value!r}): {e['msg'].removeprefix('Input should be ')}"
    elif kind == "greater_than_equal":
        phrase = f"must not be negative ({value!r})"
    else:
        phrase = _PHRASES.get(kind, e["msg"].lower())
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"Field '{field}' {phrase}{more}."


def raw_text(raw: str | bytes) -> str:
    """A line as a dead letter keeps it: text, bytes that are not UTF-8 and
    control characters (NUL, escape sequences) written as `\\xNN`, so that it
    can be stored anywhere (PostgreSQL refuses NUL) and shown on a terminal."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_TYPED_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # all but tab and line feed


def typed_text(text: str) -> str:
    """What a person typed (a note, a draft, a sign-in), as eventfilter keeps
    and shows it: line breaks and tabs stay; other control characters (NUL,
    which PostgreSQL refuses; a terminal's escape sequences) are dropped."""
    return _TYPED_CONTROL.sub("", text.replace("\r\n", "\n"))
