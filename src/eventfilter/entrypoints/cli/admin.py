"""The rules and the database: `rules show`, `db upgrade`, `generate`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from eventfilter.bootstrap import upgrade_database
from eventfilter.entrypoints import render
from eventfilter.entrypoints.cli.base import (
    _parse_date,
    _print_json,
    _progress_line,
    cli,
    db_option,
    json_option,
)
from eventfilter.entrypoints.exitcodes import ExitCode
from eventfilter.errors import UsageError


# -- rules and database -------------------------------------------------------------
@cli.group()
def rules() -> None:
    """The rule pack."""


@rules.command("show")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="Evaluation date (default: today).")
@json_option
@click.pass_context
def rules_show(ctx: click.Context, on: str | None, as_json: bool) -> int:
    """The parameters in force on a date, with their legal references."""
    from eventfilter.rulepack import load_pack

    pack = load_pack(ctx.find_root().params.get("rules"))
    day = _parse_date(on, "--date") if on else date.today()
    if as_json:
        _print_json(
            {
                "rule_pack": pack.label,
                "date": day.isoformat(),
                "in_force_from": pack.in_force_from.isoformat(),
                "in_force": day >= pack.in_force_from,
                "benefits": {
                    b.name: {
                        "title": b.title,
                        "legal_ref": b.legal_ref,
                        "criteria": {
                            c.name: {"consequence": c.consequence, "legal_ref": c.legal_ref}
                            for c in b.criteria.values()
                        },
                        "parameters": {
                            p.name: {
                                "value": render.plain_number(p.at(day).value),
                                "valid_from": p.at(day).valid_from,
                                "reference": p.reference,
                            }
                            for p in b.parameters.values()
                        },
                    }
                    for b in pack.benefits.values()
                },
            }
        )
    else:
        click.echo(render.rules(pack, day))
    return ExitCode.OK


@cli.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@db_option
@click.pass_context
def db_upgrade(ctx: click.Context, db: str | None) -> int:
    """Create the schema, or upgrade an existing database in place."""
    before, after = upgrade_database(db or ctx.find_root().params.get("db"))
    if before == after:
        click.echo(f"The database is at revision {after}, the newest; nothing to do.")
    else:
        click.echo(f"Upgraded the database from revision {before or 'none (empty)'} to {after}.")
    return ExitCode.OK


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the world into (refused if it holds a world already, unless --force).",
)
@click.option("--force", is_flag=True, help="Write over a world already in --out.")
@click.option(
    "--scale",
    type=click.Choice(["national"]),
    default=None,
    help="A whole country (Denmark: 5.9 million persons, 700,000 cases) at the national rates;"
    " with --fraction, a part of it.",
)
@click.option(
    "--fraction",
    type=click.FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    help="With --scale: this share of the country (0.01: a 1 % sample).",
)
@click.option(
    "--persons", type=click.IntRange(1), default=None, help="Persons in the register (default 2000)."
)
@click.option(
    "--days",
    type=click.IntRange(0),
    default=None,
    help="Days of events from --start (default 90; 365 with --scale).",
)
@click.option("--start", default="2026-01-01", show_default=True, metavar="YYYY-MM-DD")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--profile",
    type=click.Choice(["sample", "national", "register"]),
    default=None,
    help="sample (default): a busy small municipality; national: the national per-person rates"
    " (the default with --scale); register: national rates without income reports.",
)
@click.option(
    "--registers/--no-registers",
    default=None,
    help="Also write the register's own files: a CPR change extract a day (cpr/) and a Navet "
    "notification a day (navet/), each with the event lines that say the same (default: on, "
    "except with --scale).",
)
def generate(
    out_dir: Path,
    force: bool,
    scale: str | None,
    fraction: float,
    persons: int | None,
    days: int | None,
    start: str,
    seed: int,
    profile: str | None,
    registers: bool | None,
) -> int:
    """Write a synthetic world: persons.jsonl, cases.jsonl, events.jsonl (streamed, any size)."""
    from eventfilter.generate import NATIONAL_PERSONS, PROFILES, write_world
    from eventfilter.generate.registers import write_registers

    if scale is not None and persons is not None:
        raise UsageError("Give either --scale (with --fraction) or --persons, not both.")
    there = [n for n in ("persons.jsonl", "cases.jsonl", "events.jsonl") if (out_dir / n).exists()]
    if there and not force:
        raise UsageError(
            f"{out_dir}/ holds a world already ({', '.join(there)}); give another --out, or --force to "
            "write over it."
        )
    if scale is not None:
        persons, days, profile = round(NATIONAL_PERSONS * fraction), days or 365, profile or "national"
    tell = _progress_line(sys.stderr.isatty())
    counts = write_world(
        out_dir,
        persons or 2000,
        seed=seed,
        days=90 if days is None else days,
        start=_parse_date(start, "--start"),
        profile=PROFILES[profile or "sample"],
        progress=lambda what, n: tell(f"generate: {n:,} {what} written"),
    )
    tell(None)
    click.echo(f"Wrote {out_dir}/: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if registers if registers is not None else scale is None:
        made = write_registers(out_dir, out_dir)
        click.echo(
            f"Wrote {out_dir}/cpr/ and {out_dir}/navet/: " + ", ".join(f"{k} {v}" for k, v in made.items())
        )
    return ExitCode.OK
