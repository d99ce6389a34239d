"""Plain words for the audit trail: why was this paid, why was this stopped."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eventfilter.core.reasons import fmt_amount
from eventfilter.core.vocabulary import Outcome

OUTCOME_WORDS: dict[str, str] = {
    Outcome.SUSPEND: "Payment stopped",
    Outcome.REVIEW: "Payment goes on; a caseworker must look",
    Outcome.PASS: "Payment goes on; nothing to do",
}
WHILE_HELD: dict[str, str] = {
    Outcome.SUSPEND: "Payment stays stopped",
    Outcome.REVIEW: "Payment stays held; a caseworker must look",
    Outcome.PASS: "Payment stays held; nothing new",
}


def payable(evaluation: dict[str, Any] | None, currency: str = "") -> str:
    """What the month's payment is on these facts, the same words on every
    page and command: nothing while not eligible, whatever the rate says."""
    if not evaluation:
        return "unknown"
    if evaluation.get("eligible") is False:
        return "none (not eligible)"
    amount = evaluation.get("amount")
    if amount is None:
        return "unknown"
    return f"{fmt_amount(float(amount))} {currency}/month".replace(" /month", "/month")


def reason_text(reasons: Sequence[dict[str, Any]]) -> str:
    parts = []
    for r in reasons:
        ref = f" ({r['legal_ref']})" if r.get("legal_ref") else ""
        parts.append(f"{r['message']}{ref}")
    return " ".join(parts)


RESUMED: dict[str, str] = {
    Outcome.REVIEW: "Payment resumes; a caseworker must look",
    Outcome.PASS: "Payment resumes",
}


def decision(
    outcome: str,
    reasons: Sequence[dict[str, Any]],
    event_ids: Sequence[str],
    held: bool = False,
    hold: str | None = None,
) -> str:
    """A decision in words; `held` says whether the payment was already held
    when it was made, `hold` whether the decision itself lifted the hold."""
    on = f" [events {', '.join(event_ids)}]" if event_ids else " [decided again by a caseworker]"
    if hold == "lift":
        words = RESUMED.get(outcome, OUTCOME_WORDS.get(outcome, outcome))
    else:
        words = (WHILE_HELD if held else OUTCOME_WORDS).get(outcome, outcome)
    return f"{words}: {reason_text(reasons)}{on}"


def narrate(entries: Sequence[Any], held: bool) -> Iterator[tuple[Any, bool]]:
    """Each history entry with whether the payment was held just before it:
    `held` is the state before the first entry (the case extract's own status)."""
    for e in entries:
        yield e, held
        action = getattr(e, "action", None)
        if action == "hold_placed":
            held = True
        elif action == "hold_lifted":
            held = False


def hold_placed(first_reason: str) -> str:
    return f"Hold placed for the payment run: {first_reason}"


def hold_lifted_on_corrected_facts(by: str) -> str:
    return f"Hold lifted: on the facts {by} corrected the case is eligible; payment resumes."


def hold_lifted_by_correction(decision_id: str) -> str:
    return (
        "Hold lifted, payment resumes: the register withdrew the event that caused the stop and the case "
        f"is eligible again (decision {decision_id}). Check back-pay."
    )


def item_opened(due: date, code: str) -> str:
    return f"Review item opened, due {due.isoformat()} (most urgent reason: {code})."


def resolved(action: str, hold_lifted: bool) -> str:
    """What resolving an item did, in the words the CLI, the web and the audit share."""
    if action == "release":
        return "released: " + (
            "the hold is lifted and payment resumes" if hold_lifted else "closed, the payment goes on"
        )
    if action == "confirm":
        return "confirmed: the stop stands and the case leaves the active set"
    return "decided again on corrected facts" + (
        "; the hold is lifted and payment resumes" if hold_lifted else ""
    )


def item_resolved(action: str, by: str, note: str | None, hold_lifted: bool) -> str:
    said = f' Note: "{note}"' if note else ""
    return f"Review item {resolved(action, hold_lifted)} (by {by}).{said}"


def fact_corrected(person_id: str, field: str, old: Any, new: Any, by: str) -> str:
    return f"Fact corrected by {by}: {field} of {person_id} {_v(old)} → {_v(new)}."


def access_refused(caseworker: str, what: str, why: str) -> str:
    return f"Access refused to {caseworker}: {what}; {why}"


def _v(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- histories, for every page that tells one -----------------------------------------------
QUIET = frozenset({"no_effect", "not_relevant"})  # pass reasons that need no words each


@dataclass(frozen=True)
class Line:
    at: datetime
    actor: str
    text: str


@dataclass
class QuietRun:
    """Consecutive passes that changed nothing, told as one line."""

    decisions: list[Any] = field(default_factory=list)
    held: bool = False

    @property
    def events(self) -> list[str]:
        return [e for d in self.decisions for e in d.event_ids]

    def text(self) -> str:
        events = self.events
        words = WHILE_HELD[Outcome.PASS] if self.held else OUTCOME_WORDS[Outcome.PASS]
        shown = ", ".join(events[:6]) + (", …" if len(events) > 6 else "")
        plural = "s" if len(events) != 1 else ""
        return f"{words}: {len(events)} event{plural} changed nothing the rules read ({shown})."


def is_quiet(d: Any) -> bool:
    return bool(d.outcome == Outcome.PASS and {r["code"] for r in d.reasons} <= QUIET)


def fold_quiet(decisions: Sequence[Any]) -> list[Any]:
    """The decisions, with each run of quiet passes replaced by one QuietRun."""
    out: list[Any] = []
    for d in decisions:
        if is_quiet(d):
            if not (out and isinstance(out[-1], QuietRun)):
                out.append(QuietRun())
            out[-1].decisions.append(d)
        else:
            out.append(d)
    return out


def history_lines(entries: Sequence[Any], held: bool) -> list[Line]:
    """A case's decisions and audit entries (in order) as plain lines: why
    the payment was made, held, resumed; quiet passes folded."""
    lines: list[Line] = []
    run: QuietRun | None = None
    for entry, held_now in narrate(entries, held):
        decided = getattr(entry, "decided_at", None)
        if decided is not None and is_quiet(entry):
            if run is None or run.held != held_now:
                run = QuietRun(held=held_now)
                lines.append(Line(decided, "eventfilter", ""))
            run.decisions.append(entry)
            lines[-1] = Line(lines[-1].at, "eventfilter", run.text())
            continue
        run = None
        if decided is not None:
            lines.append(
                Line(
                    decided,
                    "eventfilter",
                    decision(entry.outcome, entry.reasons, entry.event_ids, held_now, entry.hold),
                )
            )
        else:
            lines.append(Line(entry.at, entry.actor, entry.message))
    return lines
