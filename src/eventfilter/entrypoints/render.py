"""Output for people: short tables and pages, no codes without words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from eventfilter.core.comparison import NaiveComparison
from eventfilter.core.pack import RulePack
from eventfilter.core.reasons import fmt_amount
from eventfilter.core.vocabulary import OUTCOMES, ItemStatus, Outcome
from eventfilter.records import CaseView, Caseworker, DeadLetterView, HoldView, ItemView
from eventfilter.service import wording
from eventfilter.service.replay import Summary
from eventfilter.service.review_actions import ItemPage
from eventfilter.service.ticks import TickSummary
from eventfilter.service.whatif import WhatIf


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers).rstrip(), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row).rstrip() for row in rows]
    return "\n".join(lines)


def summary(s: Summary, out: str | None, open_items: int, appended: int = 0) -> str:
    d = s.as_dict()["decisions"]
    made = sum(d.values())
    read = (
        []
        if s.snapshots is None
        else [f"  persons read          {_n(s.snapshots):>9}   (snapshots: what changed is the events)"]
    )
    lines = [
        f"Replayed {s.source}: {_n(s.events_read)} events in {s.elapsed:.2f} s"
        f" ({_n(round(s.rate))} events/s)",
        "",
        *read,
        f"  events read           {_n(s.events_read):>9}",
        f"  events decided        {_n(s.decided):>9}",
        f"  duplicates skipped    {_n(s.duplicates):>9}",
        f"  dead letters          {_n(s.dead_letters):>9}"
        + ("   (see: eventfilter deadletters)" if s.dead_letters else ""),
        "",
        f"  decisions             {_n(made):>9}   (one per case and its events decided together)",
        f"    suspend             {_n(d['suspend']):>9}   payment stops now",
        f"    review              {_n(d['review']):>9}   payment goes on, a caseworker looks",
        f"    pass                {_n(d['pass']):>9}   nothing to do",
        "",
        f"  holds placed          {_n(s.holds_placed):>9}   (see: eventfilter holds)",
    ]
    if s.holds_lifted:
        lines.append(f"  holds lifted          {_n(s.holds_lifted):>9}   (a correction restored eligibility)")
    lines.append(f"  review items open     {_n(open_items):>9}   (see: eventfilter review list)")
    if s.not_in_force:
        many = "s" if s.not_in_force != 1 else ""
        lines.append(
            f"\n  WARNING: {_n(s.not_in_force)} decision{many} dated before the rule pack's parameters "
            "are in force, decided with its first values (reason parameters_not_in_force)"
        )
    if out:
        lines.append(
            f"\n  {_n(appended)} decision line{'s' if appended != 1 else ''} appended to {out}"
            if appended
            else f"\n  nothing new for {out} (every event was decided before)"
        )
    return "\n".join(lines)


def whatif(w: WhatIf) -> str:
    r = w.as_dict()
    lines = [
        f"What if: {w.new_pack} instead of {w.old_pack}",
        f"  {_n(w.decisions)} decisions on cases compared, {_n(w.changed)} decided differently",
        "",
        f"  {'benefit':<18} {'suspend':>15} {'review':>15} {'pass':>17}   paid after (monthly sum)",
    ]
    for b, v in r["benefits"].items():
        o, n = v["old"], v["new"]
        cells = "".join(f" {_n(o[k]):>7} → {_n(n[k]):<7}" for k in OUTCOMES)
        diff = v["paid_difference"]
        lines.append(
            f"  {b:<18}{cells}  {fmt_amount(v['paid_after_old'])} → {fmt_amount(v['paid_after_new'])}"
            f" ({'+' if diff >= 0 else '−'}{fmt_amount(abs(diff))})"
        )
    if r["changes"]:
        lines += ["", "  Decided differently (old → new), with example cases:"]
    for c in r["changes"]:
        diff = c["paid_difference"]
        lines.append(f"  {_n(c['cases']):>7}  {c['benefit']}: {c['old']}  →  {c['new']}")
        lines.append(
            f"           e.g. {', '.join(c['examples'])}; paid after "
            f"{'+' if diff >= 0 else '−'}{fmt_amount(abs(diff))} a month"
        )
    if not r["changes"]:
        lines += ["", "  No decision changes."]
    return "\n".join(lines)


def tick_summary(s: TickSummary) -> str:
    d = s.as_dict()["decisions"]
    if s.since is not None and s.through <= s.since:
        return f"Nothing to tick: the register is ticked through {s.since.isoformat()} already."
    since = s.since.isoformat() if s.since else "?"
    lines = [
        f"Ticked {since} → {s.through.isoformat()} in {s.elapsed:.2f} s: what time alone changes",
        "",
        f"  cases examined        {_n(s.cases):>9}   (someone may reach an age, or a parameter changes)",
        f"  decisions             {_n(s.decided):>9}",
        f"    suspend             {_n(d['suspend']):>9}   payment stops now",
        f"    review              {_n(d['review']):>9}   payment goes on, a caseworker looks",
        f"    pass                {_n(d['pass']):>9}   nothing to do",
    ]
    for code, n in sorted(s.kinds.items()):
        lines.append(f"  {code:<22}{_n(n):>9}")
    lines.append(f"  holds placed          {_n(s.holds_placed):>9}   (see: eventfilter holds)")
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


def naive_comparison(c: NaiveComparison) -> str:
    """The product figure: payments paused by a stop-on-every-event filter against eventfilter."""
    header = ("benefit", "payments", "naive pauses", "stops", "suspended", "to review", "passed")
    rows: list[tuple[str, ...]] = []
    for name in sorted(c.benefits):
        b = c.benefits[name]
        rows.append(
            (
                name,
                _n(b.cases),
                _n(len(b.naive_cases)),
                _n(b.naive_stops),
                _n(len(b.suspended)),
                _n(len(b.reviewed_only)),
                _n(b.passed_only),
            )
        )
    t = c.totals()
    rows.append(
        (
            "total",
            *(
                _n(t[k])
                for k in ("active_cases", "naive_paused", "naive_stops", "suspended", "reviewed", "passed")
            ),
        )
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "  " + "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))
        )

    out = [
        "Against a filter that stops the payment on every event (cases, each counted once):",
        "",
        line(header),
        *(line(r) for r in rows),
        "",
        "  naive pauses = cases an event touched; stops = decisions a caseworker would clear;",
        "  suspended / to review / passed = what eventfilter did with the same cases.",
        "",
        "Why, by benefit (cases; a case can count under several):",
    ]
    for name in sorted(c.benefits):
        report = c.as_dict()[name]
        assert isinstance(report, dict)
        out.append(f"  {name}")
        out.append("    naive pause on  " + _counts(report["naive_paused_by_event_type"]))
        reasons = report["eventfilter_by_reason"]
        for outcome in (Outcome.SUSPEND, Outcome.REVIEW):
            mine = {k.split(":", 1)[1]: v for k, v in reasons.items() if k.startswith(outcome + ":")}
            label = "suspended for" if outcome == Outcome.SUSPEND else "reviewed for"
            out.append(f"    {label:<15} " + (_counts(mine) if mine else "-"))
    return "\n".join(out)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {_n(v)}" for k, v in counts.items()) or "-"
