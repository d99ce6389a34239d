"""Reasons: what a caseworker reads to know why money was paid or stopped.

Every reason names its code, the rule that produced it, the legal reference
and the before/after values it compared, and says so in a plain sentence.
Addresses that must stay hidden are shown as "***".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventfilter.core.evaluation import Check, Evaluation, Missing, plain
from eventfilter.core.pack import BenefitSpec

REDACTED = "***"
Shown = str | float | bool | None
HideAddress = Callable[[str | None], bool]


def hider(is_protected_address: HideAddress, beneficiary_protected: bool) -> HideAddress:
    """Which addresses one decision must hide: all of them when the beneficiary is
    protected, else those where a protected person lives or lived. Each address is
    asked once a decision (its before, after and reasons name the same few; the
    register does not change while a decision is made)."""
    if beneficiary_protected:
        return _hide_every_address
    asked: dict[str | None, bool] = {}

    def hide(address: str | None) -> bool:
        found = asked.get(address)
        if found is None:
            found = asked[address] = is_protected_address(address)
        return found

    return hide


def _hide_every_address(address: str | None) -> bool:
    return True


@dataclass(slots=True, init=False)
class Reason:
    code: str
    message: str
    rule: str
    legal_ref: str | None
    before: Shown
    after: Shown

    def __init__(
        self,
        code: str,
        message: str,
        rule: str,
        legal_ref: str | None,
        before: Shown = None,
        after: Shown = None,
    ) -> None:  # its own: see core/evaluation.py
        self.code = code
        self.message = message
        self.rule = rule
        self.legal_ref = legal_ref
        self.before = before
        self.after = after

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "rule": self.rule,
            "legal_ref": self.legal_ref,
            "before": plain(self.before),
            "after": plain(self.after),
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Reason:
        return Reason(d["code"], d["message"], d["rule"], d.get("legal_ref"), d.get("before"), d.get("after"))


def fmt_amount(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == int(value):
        return f"{int(value):,}".replace(",", " ")
    return f"{value:,.2f}".replace(",", " ")


def _address(value: Shown, hide: HideAddress) -> str:
    if value is None:
        return "no fixed address"
    return REDACTED if hide(str(value)) else str(value)


def criterion_reason(
    spec: BenefitSpec, before: Check | None, after: Check, hide: HideAddress, ev_after: Evaluation
) -> Reason:
    """A criterion that fired: held (or was unknown) before, fails now."""
    crit = spec.criteria[after.criterion]
    old = before.observed if before is not None else None
    new = after.observed
    code = after.criterion
    if code in ("left_dwelling", "housing_changed"):
        old, new = _address(old, hide), _address(new, hide)
        tail = (
            "support belongs to the dwelling."
            if code == "left_dwelling"
            else "a housing cost for the new address must be assessed."
        )
        message = f"The beneficiary no longer lives at the case's dwelling ({old} → {new}); {tail}"
    elif code == "deceased":
        message = "The beneficiary has died."
    elif code == "left_country":
        message = (
            f"The beneficiary now lives in {new} (was {old or 'unknown'}); the benefit is not paid abroad."
        )
    elif code == "municipality_handover":
        message = (
            f"The beneficiary moved to municipality {new} (was {old or 'unknown'}); "
            "the paying municipality keeps paying until the new one takes over."
        )
    elif code == "income_above_limit":
        message = (
            f"Counted income {fmt_amount(ev_after.counted_income)} leaves nothing of "
            f"{fmt_amount(ev_after.base)} {spec.currency}: the amount falls from "
            f"{fmt_amount(old if isinstance(old, float | int) else None)} to 0."
        )
    else:
        message = f"Criterion {code} no longer holds ({old} → {new})."
    return Reason(code, message, f"{spec.name}.{code}", crit.legal_ref, old, new)


def missing_reason(spec: BenefitSpec, missing: Missing) -> Reason:
    return Reason(
        missing.code,
        f"{missing.fact[0].upper()}{missing.fact[1:]} is unknown, so the amount cannot be worked out; "
        "the payment goes on while a caseworker obtains it.",
        f"{spec.name}.amount",
        spec.legal_ref,
        "known",
        "unknown",
    )


def eligibility_changed(spec: BenefitSpec, before: Evaluation, after: Evaluation) -> Reason:
    now = "eligible" if after.eligible else "unknown"
    return Reason(
        "eligibility_changed",
        f"Eligibility changed from not eligible to {now}; a caseworker checks the case and any back-pay.",
        f"{spec.name}.eligibility",
        spec.legal_ref,
        before.eligible,
        after.eligible,
    )


def category_reason(spec: BenefitSpec, before: Evaluation, after: Evaluation) -> Reason:
    if before.members != after.members:
        diff = len(after.members) - len(before.members)
        who = f"{abs(diff)} {'more' if diff > 0 else 'fewer'}" if diff else "different persons"
        return Reason(
            "household_changed",
            f"Who counts in the household changed ({who}): category {before.category} → {after.category}.",
            f"{spec.name}.category",
            spec.legal_ref,
            before.category,
            after.category,
        )
    return Reason(
        "rate_category_changed",
        f"The rate category changed: {before.category} → {after.category}.",
        f"{spec.name}.category",
        spec.legal_ref,
        before.category,
        after.category,
    )


def unknown_type_reason(spec: BenefitSpec, types: tuple[str, ...]) -> Reason:
    names = ", ".join(types)
    return Reason(
        "unknown_event_type",
        f"The rule pack does not know the event type {names}; a caseworker judges it, "
        "the payment goes on meanwhile.",
        "decision_table.unknown_event_type",
        spec.legal_ref,
        None,
        names,
    )


def income_adjustment(spec: BenefitSpec, before: Evaluation, after: Evaluation) -> Reason:
    return Reason(
        "income_adjustment",
        f"The amount changes from {fmt_amount(before.amount)} to {fmt_amount(after.amount)} {spec.currency}; "
        "the payment system recalculates, no caseworker is needed.",
        f"{spec.name}.amount",
        spec.legal_ref,
        before.amount,
        after.amount,
    )


def unknown_correction(spec_name: str | None, event_ids: tuple[str, ...]) -> Reason:
    return Reason(
        "correction_of_unknown_event",
        f"The correction withdraws event {', '.join(event_ids)}, which eventfilter never received; "
        "nothing changes.",
        "decision_table.correction_of_unknown_event",
        None,
        None,
        None,
    )


def nothing_changed(spec: BenefitSpec, not_read: bool, types: tuple[str, ...]) -> Reason:
    if not_read:
        return Reason(
            "not_relevant",
            f"The rules of {spec.name} never read {', '.join(types)} events.",
            "decision_table.not_relevant",
            spec.legal_ref,
        )
    return Reason(
        "no_effect",
        "Nothing the rules read changed: eligibility, category and amount are the same.",
        "decision_table.no_effect",
        spec.legal_ref,
    )


NO_ACTIVE_CASE = Reason(
    "no_active_case",
    "The event touches no active benefit case.",
    "routing.no_active_case",
    None,
)


def parameters_not_in_force(spec: BenefitSpec, on: date) -> Reason | None:
    """A decision dated before the pack's parameters are in force: decided with the
    first values, and said (never silently)."""
    start = spec.in_force_from
    if on >= start:
        return None
    return Reason(
        "parameters_not_in_force",
        f"The change is dated {on.isoformat()}, before this rule pack's parameters are in force "
        f"({start.isoformat()}): it was decided with the first values; a caseworker should check "
        "it against the rules of its own date.",
        f"{spec.name}.parameters",
        spec.legal_ref,
        on.isoformat(),
        start.isoformat(),
    )
