"""Output for people: short tables and pages, no codes without words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from eventfilter.core.pack import RulePack
from eventfilter.core.vocabulary import ItemStatus
from eventfilter.records import CaseView, Caseworker, DeadLetterView, HoldView, ItemView
from eventfilter.service import wording
from eventfilter.service.review_actions import ItemPage


def spaced(value: int) -> str:
    """A count with its thousands spaced (12 800), as the summaries print it."""
    return f"{value:,}".replace(",", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers).rstrip(), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row).rstrip() for row in rows]
    return "\n".join(lines)


def review_items(items: Sequence[ItemView], today: date) -> str:
    if not items:
        return "No open review items."
    rows = [
        (
            str(i.item_id),
            i.case_id,
            i.benefit,
            i.municipality_code,
            i.due_date.isoformat() + (" OVERDUE" if i.overdue(today) else ""),
            i.outcome + (" (held)" if i.held else ""),
            ", ".join(i.reasons),
        )
        for i in items
    ]
    overdue = sum(1 for i in items if i.overdue(today))
    head = f"{len(items)} open review item{'s' if len(items) != 1 else ''}" + (
        f", {overdue} overdue" if overdue else ""
    )
    return head + "\n\n" + table(("ITEM", "CASE", "BENEFIT", "MUNI", "DUE", "DECISION", "REASONS"), rows)


def holds(views: Sequence[HoldView]) -> str:
    if not views:
        return "No payments are held."
    rows = [
        (
            h.case_id,
            h.benefit,
            h.municipality_code,
            h.status,
            h.placed_at.date().isoformat() if h.placed_at else "-",
            h.effective_date.isoformat() if h.effective_date else "-",
            h.source,
            ", ".join(h.reasons) or "-",
        )
        for h in views
    ]
    return (
        f"{len(views)} held payment{'s' if len(views) != 1 else ''}"
        " (KNOWN SINCE: when eventfilter placed the hold; EFFECTIVE: when the register says it took effect)"
        "\n\n"
        + table(("CASE", "BENEFIT", "MUNI", "STATUS", "KNOWN SINCE", "EFFECTIVE", "HELD BY", "REASONS"), rows)
    )


def dead_letters(views: Sequence[DeadLetterView]) -> str:
    if not views:
        return "No dead letters."
    out = [f"{len(views)} dead letter{'s' if len(views) != 1 else ''}", ""]
    for d in views:
        raw = d.raw if len(d.raw) <= 160 else d.raw[:157] + "..."
        out.append(f"{d.source}:{d.position}  {d.error}")
        out.append(f"    {raw}")
    return "\n".join(out)


def rules(pack: RulePack, on: date) -> str:
    out = [f"Rule pack {pack.label}, parameters in force on {on.isoformat()}", ""]
    if on < pack.in_force_from:
        out[-1:] = [
            f"NOTE: {on.isoformat()} is before this pack's parameters are in force "
            f"({pack.in_force_from.isoformat()}); shown are its first values, which an event of "
            "that date is decided with (and marked parameters_not_in_force).",
            "",
        ]
    for b in pack.benefits.values():
        out.append(f"{b.name} — {b.title} ({b.legal_ref})")
        out.append("  criteria")
        for c in b.criteria.values():
            out.append(f"    {c.name:<24} {c.consequence:<8} {c.legal_ref}")
        out.append("  parameters")
        for p in b.parameters.values():
            v = p.at(on)
            value = ", ".join(v.value) if isinstance(v.value, tuple) else plain_number(v.value)
            out.append(f"    {p.name:<28} {value!s:<32} since {v.valid_from}  ({p.reference})")
        out.append("")
    out.append("Event types the pack knows and never reads: " + ", ".join(sorted(pack.not_read_types)))
    out += ["", "Reason codes"]
    out += [f"  {code:<28} {text}" for code, text in pack.reason_texts.items()]
    return "\n".join(out)


def plain_number(value: Any) -> Any:
    """17000, not 17000.0; 0.25 stays 0.25 (ages and rates are read by people)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# -- caseworkers ----------------------------------------------------------------
def _yes(value: Any) -> str:
    return {True: "eligible", False: "NOT eligible", None: "eligibility unknown"}[value]


def _state(ev: dict[str, Any] | None, currency: str) -> str:
    if not ev:
        return "-"
    paid = wording.payable(ev, currency)  # says "not eligible" itself when it is not
    if ev.get("eligible") is False:
        return f"{paid}, category {ev.get('category')}"
    return f"{_yes(ev.get('eligible'))}, {paid}, category {ev.get('category')}"


def review_page(page: ItemPage, pack: RulePack, today: date) -> str:
    item, case = page.item, page.case
    spec = pack.benefits.get(case.benefit)
    currency = spec.currency if spec else ""
    title = spec.title if spec else case.benefit
    if item.status == ItemStatus.OPEN:
        due = f"due {item.due_date.isoformat()}" + (" — OVERDUE" if item.overdue(today) else "")
    else:
        when = item.resolved_at.date().isoformat() if item.resolved_at else ""
        due = f"resolved {when}: {item.action} by {item.resolved_by}"
    payment = "HELD (suspended)" if case.held else "being paid"
    if case.confirmed:
        payment = "stopped (stop confirmed)"
    out = [
        f"Review item {item.item_id} · {due}",
        f"  most urgent reason: {item.urgent_code} — {page.reason_texts.get(item.urgent_code, '')}".rstrip(
            " —"
        ),
        "",
        f"Case {case.case_id} · {title} · municipality {case.municipality_code}",
        f"  beneficiary {case.beneficiary_id} · payment {payment}"
        + (f" since {case.held_since.date().isoformat()}" if case.held and case.held_since else ""),
        "",
        "What changed (before the first event → after the last)",
        f"  before: {_state(page.first_before, currency)}",
        f"  after:  {_state(page.last_after, currency)}",
    ]
    before_members = (page.first_before or {}).get("members")
    after_members = (page.last_after or {}).get("members")
    if before_members is not None and after_members is not None and before_members != after_members:
        out.append(f"  household: {', '.join(before_members) or '-'} → {', '.join(after_members) or '-'}")
    out += ["", "Decisions"]
    for d in wording.fold_quiet(page.decisions):
        if isinstance(d, wording.QuietRun):
            first, last = d.decisions[0], d.decisions[-1]
            out.append(
                f"  {first.decided_at:%Y-%m-%d %H:%M}  PASS     {len(d.events)} later event"
                f"{'s' if len(d.events) != 1 else ''} changed nothing the rules read"
                f" (effective {first.effective_date} to {last.effective_date})"
            )
            continue
        events = (
            ", ".join(
                f"{e} ({page.events[e].type}, {page.events[e].person_id}, {page.events[e].effective_date})"
                if e in page.events
                else e
                for e in d.event_ids
            )
            or "decided again by a caseworker"
        )
        out.append(
            f"  {d.decided_at:%Y-%m-%d %H:%M}  {d.outcome.upper():<7}  effective {d.effective_date}"
            f"  {d.decision_id}"
        )
        out.append(f"    events: {events}")
        for r in d.reasons:
            out.append(f"    • {r['code']}: {r['message']}")
            values = ""
            if r.get("before") is not None or r.get("after") is not None:
                values = f" · compared {r.get('before')} → {r.get('after')}"
            out.append(f"      rule {r['rule']} · {r.get('legal_ref') or 'no legal reference'}{values}")
        out.append(
            f"    payment: {wording.payable(d.before, currency)} → {wording.payable(d.after, currency)}"
        )
    out += ["", "History"]
    for h in page.history:
        out.append(f"  {h.at:%Y-%m-%d %H:%M}  {h.actor:<12} {h.message}")
    offered = {
        "release": "--action release  --by YOU [--note TEXT]   "
        + ("lift the hold, payment resumes" if case.held else "close the item, payment goes on"),
        "confirm": "--action confirm  --by YOU [--note TEXT]   "
        "the stop stands, the case leaves the active set",
        "redecide": "--action redecide --by YOU [--set PERSON.FIELD=VALUE ...]   "
        "decide again on corrected facts",
    }
    if page.actions:
        out += ["", "Actions"]
        out += [f"  eventfilter review resolve {item.item_id} {offered[a]}" for a in page.actions]
    return "\n".join(out)


def audit_trail(case: CaseView, entries: Sequence[Any], pack: RulePack) -> str:
    spec = pack.benefits.get(case.benefit)
    title = spec.title if spec else case.benefit
    out = [
        f"Case {case.case_id} · {title} · municipality {case.municipality_code}"
        f" · beneficiary {case.beneficiary_id}",
        "Why was this paid, why was this stopped — everything that happened, in order:",
        "",
    ]
    for line in wording.history_lines(entries, case.status == "suspended"):
        out.append(f"{line.at:%Y-%m-%d %H:%M}  {line.actor:<12} {line.text}")
    now = "stopped (confirmed)" if case.confirmed else "HELD" if case.held else "being paid"
    out += ["", f"Now: payment {now}."]
    return "\n".join(out)


def caseworkers(rows: Sequence[Caseworker]) -> str:
    if not rows:
        return "No caseworkers are registered."
    return table(
        ("CASEWORKER", "NAME", "MUNICIPALITIES", "ACTIVE"),
        [(c.caseworker_id, c.name, ", ".join(c.municipalities), "yes" if c.active else "no") for c in rows],
    )
