"""Reading the review pages' forms: a field, the redecide form's corrections,
a date, and where to go after signing in."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventfilter.formats import typed_text
from eventfilter.service.corrections import Correction


def form_field(form: Any, name: str) -> str:
    """A form's text as a person typed it (`typed_text`: no NUL, no escape sequences)."""
    value = form.get(name)
    return typed_text(value) if isinstance(value, str) else ""


def form_corrections(form: Any) -> list[Correction]:
    """The redecide form's rows: person, field, value (empty rows ignored)."""
    people, fields, values = (
        form.getlist("fact_person"),
        form.getlist("fact_field"),
        form.getlist("fact_value"),
    )
    out = []
    for person, field, value in zip(people, fields, values, strict=False):
        if isinstance(person, str) and person.strip():
            out.append(Correction.parse(f"{person.strip()}.{field}={value}"))
    return out


def form_day(text: str) -> tuple[date | None, str | None]:
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, f"{text!r} is not a date that exists (YYYY-MM-DD); showing the holds in force now."


def local_target(target: str) -> str:
    """Only local paths after sign-in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
