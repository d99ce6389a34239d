"""What the pages show, prepared for the templates: plain words, codes explained."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates

from eventfilter.application import App
from eventfilter.core.pack import RulePack
from eventfilter.core.reasons import fmt_amount
from eventfilter.records import CaseView, Caseworker, ItemView
from eventfilter.service import wording
from eventfilter.service.review_actions import ItemPage, Resolution

ELIGIBILITY = {True: "eligible", False: "not eligible", None: "eligibility unknown"}
FIELD_WORDS = {
    "monthly_income": "monthly income",
    "income_period": "income period (YYYY-MM)",
    "address_id": "address",
    "municipality_code": "municipality",
    "country": "country",
    "marital_status": "marital status",
    "partner_id": "partner",
    "birth_date": "birth date",
    "alive": "alive (true/false)",
}


def install_filters(templates: Jinja2Templates, app: App) -> None:
    env = templates.env
    env.filters["category"] = category
    env.filters["people"] = lambda v: ", ".join(v) if v else "nobody"
    env.filters["money"] = money
    env.filters["payable"] = wording.payable
    env.filters["eligibility"] = lambda v: ELIGIBILITY.get(v, "eligibility unknown")
    env.filters["when"] = when
    env.filters["outcome_words"] = lambda v: wording.OUTCOME_WORDS.get(v, v)
    env.globals["benefit_title"] = lambda b: app.pack.benefits[b].title if b in app.pack.benefits else b
    env.globals["field_words"] = FIELD_WORDS


def money(value: Any, currency: str = "") -> str:
    if value is None:
        return "unknown"
    return f"{fmt_amount(float(value))} {currency}".strip()


def when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


_KH_PARTS = {
    "30plus": "aged 30 or over",
    "under30": "under 30",
    "provider": "provides for a child at home",
    "no_provider": "no child at home",
    "couple": "with a partner who counts",
    "single": "single",
}


def category(code: Any) -> str:
    """A rate category code with its meaning: `2a1c (2 adults, 1 child)`."""
    if code is None:
        return "unknown"
    text = str(code)
    if m := re.fullmatch(r"(\d+)a(\d+)c", text):
        return f"{text} ({_n(int(m[1]), 'adult')}, {_n(int(m[2]), 'child', 'children')})"
    if m := re.fullmatch(r"(couple|single)_(\d+)c", text):
        return f"{text} ({m[1]}, {_n(int(m[2]), 'child', 'children')} at home)"
    if m := re.fullmatch(r"(30plus|under30)_(provider|no_provider)_(couple|single)", text):
        return f"{text} ({', '.join(_KH_PARTS[g] for g in m.groups())})"
    return text


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def actor_names(cws: Sequence[Caseworker]) -> dict[str, str]:
    """Audit actors are ids; pages name the caseworker too."""
    return {c.caseworker_id: f"{c.name} ({c.caseworker_id})" for c in cws}


def counts(items: Sequence[ItemView], today: date) -> dict[str, int]:
    return {
        "open": len(items),
        "overdue": sum(1 for i in items if i.overdue(today)),
        "due_today": sum(1 for i in items if i.due_date == today),
        "held": sum(1 for i in items if i.held),
    }


def paging(page: int, pages: int, count: int, size: int, query: dict[str, Any]) -> dict[str, Any]:
    """Which items this page shows, and links to the pages before and after."""

    def link(n: int) -> str:
        return "/?" + urlencode({**query, "page": n})

    return {
        "page": page,
        "pages": pages,
        "first": (page - 1) * size + 1 if count else 0,
        "last": min(page * size, count),
        "count": count,
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }


def filter_options(items: Sequence[ItemView], cw: Caseworker, pack: RulePack) -> dict[str, Any]:
    return {
        "municipalities": list(cw.municipalities),
        "benefits": [(b.name, b.title) for b in pack.benefits.values()],
        "reasons": sorted({r for i in items for r in i.reasons}),
    }


def item_view(page: ItemPage, pack: RulePack) -> dict[str, Any]:
    spec = pack.benefits.get(page.case.benefit)
    return {
        "title": spec.title if spec else page.case.benefit,
        "currency": spec.currency if spec else "",
        "rows": wording.fold_quiet(page.decisions),
        "members_changed": _members(page.first_before) != _members(page.last_after),
        "before_members": _members(page.first_before),
        "after_members": _members(page.last_after),
    }


def _members(ev: dict[str, Any] | None) -> list[str] | None:
    return None if ev is None or "members" not in ev else list(ev["members"])


def history(case: CaseView, entries: Sequence[Any]) -> list[wording.Line]:
    return wording.history_lines(entries, case.status == "suspended")


def resolved_message(result: Resolution) -> str:
    done = wording.resolved(result.action, result.hold_lifted)
    d = result.decision
    if d is not None:
        done += f" — {wording.OUTCOME_WORDS[d.outcome].lower()} ({', '.join(r.code for r in d.reasons)})"
    if result.new_item is not None:
        done += f"; a new review item {result.new_item.item_id} is open"
    for other in result.also:
        done += f"; case {other.case_id}, which reads a corrected person, decided again ({other.outcome})"
    return f"Review item {result.item_id} {done}."
