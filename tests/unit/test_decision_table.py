"""Every row of the decision table (rules.md), first match wins."""

from __future__ import annotations

from eventfilter.core.decide import Trigger, decide
from eventfilter.core.evaluation import Check, Evaluation, Missing, Status
from eventfilter.core.pack import RulePack

H, F, U = Status.HOLDS, Status.FAILS, Status.UNKNOWN
KY = "kontanthjaelp"


def ev(
    *,
    eligible: bool | None = True,
    amount: float | None = 12800,
    category: str | None = "30plus_no_provider_single",
    members: tuple[str, ...] = ("B",),
    deceased: Status = H,
    left_country: Status = H,
    handover: Status = H,
    income: Status = H,
    missing: tuple[Missing, ...] = (),
) -> Evaluation:
    return Evaluation(
        eligible=eligible,
        amount=amount,
        category=category,
        members=members,
        checks=(
            Check("deceased", deceased, "alive" if deceased is H else "deceased"),
            Check("left_country", left_country, "DK" if left_country is H else "DE"),
            Check("municipality_handover", handover, "561" if handover is H else "510"),
            Check("income_above_limit", income, amount),
        ),
        missing=missing,
        counted_income=0,
        base=12800,
    )


def run(pack: RulePack, before: Evaluation, after: Evaluation, **trigger: object) -> tuple[str, list[str]]:
    t = Trigger(types=trigger.pop("types", ("address_change",)), **trigger)  # type: ignore[arg-type]
    outcome, reasons = decide(pack.benefits[KY], before, after, t, lambda a: False)
    return outcome, [r.code for r in reasons]


def test_row1_a_suspend_criterion_fires(pack: RulePack) -> None:
    assert run(pack, ev(), ev(eligible=False, deceased=F)) == ("suspend", ["deceased"])
    assert run(pack, ev(), ev(eligible=False, left_country=F)) == ("suspend", ["left_country"])
    assert run(pack, ev(), ev(eligible=False, amount=0, income=F))[0] == "suspend"


def test_row1_fires_from_unknown_too(pack: RulePack) -> None:
    before = ev(eligible=None, amount=None, income=U)
    assert run(pack, before, ev(eligible=False, amount=0, income=F))[0] == "suspend"


def test_row1_a_criterion_that_failed_already_does_not_fire_again(pack: RulePack) -> None:
    before = ev(eligible=False, deceased=F)
    assert run(pack, before, ev(eligible=False, deceased=F)) == ("pass", ["no_effect"])


def test_row1_several_fired_criteria_are_all_named(pack: RulePack) -> None:
    outcome, codes = run(pack, ev(), ev(eligible=False, deceased=F, left_country=F))
    assert outcome == "suspend"
    assert codes[:2] == ["deceased", "left_country"]


def test_row1_later_rows_add_their_codes_but_never_income_adjustment(pack: RulePack) -> None:
    outcome, codes = run(
        pack, ev(), ev(eligible=False, amount=0, income=F, handover=F, category="x", members=("B", "P"))
    )
    assert outcome == "suspend"
    assert codes == ["income_above_limit", "municipality_handover", "household_changed"]


def test_row2_only_review_criteria_fire(pack: RulePack) -> None:
    assert run(pack, ev(), ev(handover=F)) == ("review", ["municipality_handover"])


def test_row3_eligible_to_unknown_names_what_is_missing(pack: RulePack) -> None:
    after = ev(
        eligible=None,
        amount=None,
        income=U,
        missing=(Missing("partner_income_unknown", "the partner's income"),),
    )
    outcome, codes = run(pack, ev(), after)
    assert outcome == "review"
    assert codes[0] == "partner_income_unknown"


def test_row4_not_eligible_to_eligible_or_unknown(pack: RulePack) -> None:
    before = ev(eligible=False, amount=0, income=F)
    assert run(pack, before, ev())[0:2] == ("review", ["eligibility_changed"])
    assert run(pack, before, ev(eligible=None, amount=None, income=U))[1][0] == "eligibility_changed"


def test_row5_household_changed_when_who_counts_changes(pack: RulePack) -> None:
    after = ev(category="30plus_provider_single", members=("B", "C"), amount=17000)
    outcome, codes = run(pack, ev(), after)
    assert (outcome, codes[0]) == ("review", "household_changed")


def test_row5_rate_category_changed_when_the_same_people_change_category(pack: RulePack) -> None:
    outcome, codes = run(pack, ev(), ev(category="under30_no_provider_single", amount=7500))
    assert (outcome, codes[0]) == ("review", "rate_category_changed")


def test_row6_an_unknown_event_type_goes_to_review(pack: RulePack) -> None:
    outcome, codes = run(pack, ev(), ev(), types=("custody_change",), unknown_types=("custody_change",))
    assert (outcome, codes) == ("review", ["unknown_event_type"])


def test_row6_never_silently_passed_even_beside_a_known_type(pack: RulePack) -> None:
    outcome, _ = run(pack, ev(), ev(), types=("address_change", "x"), unknown_types=("x",))
    assert outcome == "review"


def test_row7_amount_changed_passes_as_income_adjustment(pack: RulePack) -> None:
    assert run(pack, ev(), ev(amount=800)) == ("pass", ["income_adjustment"])


def test_row8_nothing_changed(pack: RulePack) -> None:
    assert run(pack, ev(), ev()) == ("pass", ["no_effect"])


def test_row8_not_relevant_for_types_the_pack_never_reads(pack: RulePack) -> None:
    assert run(pack, ev(), ev(), types=("name_change",), only_not_read=True) == ("pass", ["not_relevant"])


def test_a_correction_of_an_unknown_event_passes(pack: RulePack) -> None:
    outcome, codes = run(pack, ev(), ev(), types=("correction",), unknown_corrections=("gone",))
    assert (outcome, codes) == ("pass", ["correction_of_unknown_event"])


def test_first_row_wins_over_later_rows(pack: RulePack) -> None:
    # review criterion fired AND eligible -> unknown: row 2 decides, row 3 adds
    after = ev(handover=F, eligible=None, amount=None, income=U, missing=(Missing("income_unknown", "x"),))
    assert run(pack, ev(), after) == ("review", ["municipality_handover", "income_unknown"])


def test_every_reason_carries_rule_legal_reference_and_values(pack: RulePack) -> None:
    spec = pack.benefits[KY]
    _, reasons = decide(
        spec, ev(), ev(eligible=False, left_country=F), Trigger(("address_change",)), lambda a: False
    )
    r = reasons[0]
    assert r.rule == "kontanthjaelp.left_country"
    assert r.legal_ref == "aktivloven § 5"
    assert (r.before, r.after) == ("DK", "DE")
    assert "DE" in r.message
