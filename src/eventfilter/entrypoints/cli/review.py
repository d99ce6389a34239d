"""The caseworkers' views: `review list|show|resolve`, `audit`, `holds`."""

from __future__ import annotations

from typing import Any

import click

from eventfilter.adapters.holdscsv import holds_csv
from eventfilter.core.vocabulary import ACTIONS
from eventfilter.entrypoints import render
from eventfilter.entrypoints.cli.base import (
    ITEM_ID,
    _app,
    _parse_date,
    _print_json,
    cli,
    db_option,
    json_option,
)
from eventfilter.entrypoints.exitcodes import ExitCode
from eventfilter.records import DecisionView
from eventfilter.service import queries, wording
from eventfilter.service.corrections import Correction
from eventfilter.service.review_actions import ReviewService


# -- people's views --------------------------------------------------------------
@cli.group()
def review() -> None:
    """The caseworker queue."""


def as_option(f: Any) -> Any:
    return click.option(
        "--as",
        "as_caseworker",
        metavar="CASEWORKER",
        envvar="EVENTFILTER_CASEWORKER",
        help="See only what this caseworker may see (their municipalities).",
    )(f)


@review.command("list")
@click.option(
    "--municipality", "municipalities", multiple=True, metavar="CODE", help="Only these municipalities."
)
@click.option("--benefit", "benefits", multiple=True, help="Only these benefits.")
@click.option(
    "--reason", "reasons", multiple=True, metavar="CODE", help="Only items with one of these reasons."
)
@click.option("--overdue", is_flag=True, help="Only items past their due date.")
@as_option
@json_option
@db_option
@click.pass_context
def review_list(
    ctx: click.Context,
    municipalities: tuple[str, ...],
    benefits: tuple[str, ...],
    reasons: tuple[str, ...],
    overdue: bool,
    as_caseworker: str | None,
    as_json: bool,
    db: str | None,
) -> int:
    """Open review items (suspend and review decisions), by due date."""
    app = _app(ctx, db)
    items = ReviewService(app).queue(
        as_caseworker=as_caseworker,
        municipalities=municipalities,
        benefits=benefits,
        reasons=reasons,
        overdue=overdue,
    )
    today = app.clock().date()
    if as_json:
        _print_json([i.to_dict(today) for i in items])
    else:
        click.echo(render.review_items(items, today))
    return ExitCode.OK


@review.command("show")
@click.argument("item", type=ITEM_ID)
@as_option
@json_option
@db_option
@click.pass_context
def review_show(
    ctx: click.Context, item: int, as_caseworker: str | None, as_json: bool, db: str | None
) -> int:
    """One review item: the case, the events, what changed, why, and its history."""
    app = _app(ctx, db)
    page = ReviewService(app).page(item, as_caseworker=as_caseworker)
    today = app.clock().date()
    if as_json:
        _print_json(page.to_dict(today))
    else:
        click.echo(render.review_page(page, app.pack, today))
    return ExitCode.OK


@review.command("resolve")
@click.argument("item", type=ITEM_ID)
@click.option("--action", required=True, type=click.Choice(ACTIONS))
@click.option(
    "--by", "by", required=True, metavar="CASEWORKER", help="Who resolves (a registered caseworker)."
)
@click.option("--note", default=None, help="Why, in a sentence (kept in the audit trail).")
@click.option(
    "--set",
    "corrections",
    multiple=True,
    metavar="PERSON.FIELD=VALUE",
    help="With redecide: a corrected fact, e.g. DK-0000042.monthly_income=5200 (repeatable).",
)
@db_option
@click.pass_context
def review_resolve(
    ctx: click.Context,
    item: int,
    action: str,
    by: str,
    note: str | None,
    corrections: tuple[str, ...],
    db: str | None,
) -> int:
    """Resolve a review item: release, confirm or redecide."""
    app = _app(ctx, db)
    fixes = [Correction.parse(c) for c in corrections]
    result = ReviewService(app).resolve(item, action, by, note, fixes)
    click.echo(f"Review item {item} {wording.resolved(action, result.hold_lifted)}.")
    if result.corrected:
        click.echo(f"  corrected: {', '.join(result.corrected)}")
    if result.decision is not None:
        d = result.decision
        click.echo(f"  new decision {d.decision_id}: {d.outcome} ({', '.join(r.code for r in d.reasons)})")
        if result.hold_lifted:
            click.echo("  the hold is lifted: payment resumes")
        if result.new_item is not None:
            click.echo(f"  new review item {result.new_item.item_id}, due {result.new_item.due_date}")
    for d in result.also:
        codes = ", ".join(r.code for r in d.reasons)
        click.echo(
            f"  also decided again, as it reads a corrected person: case {d.case_id}: {d.outcome} ({codes})"
        )
    return ExitCode.OK


@cli.command()
@click.argument("case_id")
@as_option
@json_option
@db_option
@click.pass_context
def audit(ctx: click.Context, case_id: str, as_caseworker: str | None, as_json: bool, db: str | None) -> int:
    """Why was this paid, why was this stopped: a case's history, in order."""
    app = _app(ctx, db)
    case, entries = ReviewService(app).case_history(case_id, as_caseworker=as_caseworker)
    if as_json:
        _print_json(
            [_audit_json(e, held) for e, held in wording.narrate(entries, case.status == "suspended")]
        )
    else:
        click.echo(render.audit_trail(case, entries, app.pack))
    return ExitCode.OK


def _audit_json(e: Any, held: bool) -> dict[str, Any]:
    if isinstance(e, DecisionView):
        return {
            "at": e.decided_at.isoformat(),
            "actor": "eventfilter",
            "action": "decision_made",
            "decision_id": e.decision_id,
            "decision": e.outcome,
            "reasons": list(e.reasons),
            "event_ids": list(e.event_ids),
            "before": e.before,
            "after": e.after,
            "message": wording.decision(e.outcome, e.reasons, e.event_ids, held, e.hold),
        }
    return {
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "item_id": e.item_id,
        "decision_id": e.decision_id,
        "message": e.message,
        "details": e.details,
    }


@cli.command()
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Held at the end of this day.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for the payment run.")
@json_option
@db_option
@click.pass_context
def holds(ctx: click.Context, as_of: str | None, as_csv: bool, as_json: bool, db: str | None) -> int:
    """Cases whose payment is suspended now (or as of a date)."""
    day = _parse_date(as_of, "--as-of") if as_of else None
    app = _app(ctx, db)
    views = queries.holds(app.review, day)
    if as_csv:
        click.echo(holds_csv(views), nl=False)
    elif as_json:
        _print_json([h.to_dict() for h in views])
    else:
        click.echo(render.holds(views))
    return ExitCode.OK
