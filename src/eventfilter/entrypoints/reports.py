"""What a run says when it ends: a replay's summary, a tick's, a what-if's
comparison of two rule packs, and the comparison with a stop-on-every-event
filter. (The tables and pages of the review queue are in `render`.)"""

from __future__ import annotations

from collections.abc import Sequence

from eventfilter.core.comparison import NaiveComparison
from eventfilter.core.reasons import fmt_amount
from eventfilter.core.vocabulary import OUTCOMES, Outcome
from eventfilter.entrypoints.render import spaced
from eventfilter.service.replay import Summary
from eventfilter.service.ticks import TickSummary
from eventfilter.service.whatif import WhatIf


def summary(s: Summary, out: str | None, open_items: int, appended: int = 0) -> str:
    d = s.as_dict()["decisions"]
    made = sum(d.values())
    read = (
        []
        if s.snapshots is None
        else [f"  persons read          {spaced(s.snapshots):>9}   (snapshots: what changed is the events)"]
    )
    lines = [
        f"Replayed {s.source}: {spaced(s.events_read)} events in {s.elapsed:.2f} s"
        f" ({spaced(round(s.rate))} events/s)",
        "",
        *read,
        f"  events read           {spaced(s.events_read):>9}",
        f"  events decided        {spaced(s.decided):>9}",
        f"  duplicates skipped    {spaced(s.duplicates):>9}",
        f"  dead letters          {spaced(s.dead_letters):>9}"
        + ("   (see: eventfilter deadletters)" if s.dead_letters else ""),
        "",
        f"  decisions             {spaced(made):>9}   (one per case and its events decided together)",
        f"    suspend             {spaced(d['suspend']):>9}   payment stops now",
        f"    review              {spaced(d['review']):>9}   payment goes on, a caseworker looks",
        f"    pass                {spaced(d['pass']):>9}   nothing to do",
        "",
        f"  holds placed          {spaced(s.holds_placed):>9}   (see: eventfilter holds)",
    ]
    if s.holds_lifted:
        lines.append(
            f"  holds lifted          {spaced(s.holds_lifted):>9}   (a correction restored eligibility)"
        )
    lines.append(f"  review items open     {spaced(open_items):>9}   (see: eventfilter review list)")
    if s.not_in_force:
        many = "s" if s.not_in_force != 1 else ""
        lines.append(
            f"\n  WARNING: {spaced(s.not_in_force)} decision{many} dated before the rule pack's parameters "
            "are in force, decided with its first values (reason parameters_not_in_force)"
        )
    if out:
        lines.append(
            f"\n  {spaced(appended)} decision line{'s' if appended != 1 else ''} appended to {out}"
            if appended
            else f"\n  nothing new for {out} ({why_nothing_new(s)})"
        )
    return "\n".join(lines)


def why_nothing_new(s: Summary) -> str:
    """Why a replay appended no decision line, from what it counted: an operator
    told "decided before" about a file of broken lines would look in the wrong place."""
    if s.events_read == 0:
        return "the snapshots changed nothing" if s.snapshots else "the input held no events"
    if s.decided:
        return "no decision was made"
    if s.dead_letters == 0:
        return "every event was decided before"
    if s.duplicates == 0:
        return "no line could be decided: every one is a dead letter"
    return "every event was decided before or is a dead letter"


def whatif(w: WhatIf) -> str:
    r = w.as_dict()
    lines = [
        f"What if: {w.new_pack} instead of {w.old_pack}",
        f"  {spaced(w.decisions)} decisions on cases compared, {spaced(w.changed)} decided differently",
        "",
        f"  {'benefit':<18} {'suspend':>15} {'review':>15} {'pass':>17}   paid after (monthly sum)",
    ]
    for b, v in r["benefits"].items():
        o, n = v["old"], v["new"]
        cells = "".join(f" {spaced(o[k]):>7} → {spaced(n[k]):<7}" for k in OUTCOMES)
        diff = v["paid_difference"]
        lines.append(
            f"  {b:<18}{cells}  {fmt_amount(v['paid_after_old'])} → {fmt_amount(v['paid_after_new'])}"
            f" ({'+' if diff >= 0 else '−'}{fmt_amount(abs(diff))})"
        )
    if r["changes"]:
        lines += ["", "  Decided differently (old → new), with example cases:"]
    for c in r["changes"]:
        diff = c["paid_difference"]
        lines.append(f"  {spaced(c['cases']):>7}  {c['benefit']}: {c['old']}  →  {c['new']}")
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
        f"  cases examined        {spaced(s.cases):>9}   (someone may reach an age, or a parameter changes)",
        f"  decisions             {spaced(s.decided):>9}",
        f"    suspend             {spaced(d['suspend']):>9}   payment stops now",
        f"    review              {spaced(d['review']):>9}   payment goes on, a caseworker looks",
        f"    pass                {spaced(d['pass']):>9}   nothing to do",
    ]
    for code, n in sorted(s.kinds.items()):
        lines.append(f"  {code:<22}{spaced(n):>9}")
    lines.append(f"  holds placed          {spaced(s.holds_placed):>9}   (see: eventfilter holds)")
    return "\n".join(lines)


def naive_comparison(c: NaiveComparison) -> str:
    """The product figure: payments paused by a stop-on-every-event filter against eventfilter."""
    header = ("benefit", "payments", "naive pauses", "stops", "suspended", "to review", "passed")
    rows: list[tuple[str, ...]] = []
    for name in sorted(c.benefits):
        b = c.benefits[name]
        rows.append(
            (
                name,
                spaced(b.cases),
                spaced(len(b.naive_cases)),
                spaced(b.naive_stops),
                spaced(len(b.suspended)),
                spaced(len(b.reviewed_only)),
                spaced(b.passed_only),
            )
        )
    t = c.totals()
    rows.append(
        (
            "total",
            *(
                spaced(t[k])
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
    return ", ".join(f"{k} {spaced(v)}" for k, v in counts.items()) or "-"
