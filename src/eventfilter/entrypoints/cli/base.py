"""The command line's root: the `eventfilter` group, its shared options, and
the entry point that turns errors into one sentence and an exit status
(contract.md §5). Errors are never a traceback (unless EVENTFILTER_DEBUG=1)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from eventfilter import __version__
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.entrypoints.exitcodes import ExitCode, exit_code_for
from eventfilter.errors import EventFilterError, UsageError
from eventfilter.logs import configure

DB_HELP = "Database URL (default: sqlite:///eventfilter.db; env EVENTFILTER_DB). PostgreSQL: postgresql+psycopg://..."


# Review items are numbered from 1; the database's integer column ends at 2**31 - 1.
ITEM_ID = click.IntRange(1, 2**31 - 1)


def db_option(f: Any) -> Any:
    """--db after the command; before it (or EVENTFILTER_DB) works too."""
    return click.option("--db", default=None, metavar="URL", help=DB_HELP)(f)


def json_option(f: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print a JSON array for machines.")(f)


def _app(ctx: click.Context, db: str | None, *, create: bool = False) -> App:
    """The application on the chosen database. Only the commands that load
    data (`import`, `replay`, `consume`) may create a new database: any other
    command on a database that does not exist (a typo in --db, a forgotten
    --db) is refused, so that an empty answer never looks like a real one."""
    opts = ctx.find_root().params
    return bootstrap(
        db or opts.get("db"), rules=opts.get("rules"), settings=opts.get("settings"), create=create
    )


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eventfilter")
@click.option("--db", envvar="EVENTFILTER_DB", default=None, metavar="URL", help=DB_HELP)
@click.option(
    "--rules", type=click.Path(path_type=Path), envvar="EVENTFILTER_RULES", help="Rule pack (TOML)."
)
@click.option(
    "--settings", type=click.Path(path_type=Path), envvar="EVENTFILTER_SETTINGS", help="Settings (TOML)."
)
@click.option(
    "--log-level",
    envvar="EVENTFILTER_LOG_LEVEL",
    default=None,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Structured logs on stderr (default: warning; info for consume).",
)
def cli(db: str | None, rules: Path | None, settings: Path | None, log_level: str | None) -> None:
    """eventfilter: stop a benefit payment only when eligibility is actually lost."""
    configure(log_level or "warning")


def _parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date that exists (YYYY-MM-DD).") from None


def _progress_line(tty: bool) -> Any:
    """Progress on one line of stderr (only on a terminal)."""

    def tell(text: str | None) -> None:
        if not tty:
            return
        if text is None:
            click.echo("\r\033[K", err=True, nl=False)
        else:
            click.echo(f"\r\033[K{text}", err=True, nl=False)

    return tell


# -- entry point -------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="eventfilter", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(ExitCode.FAILED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except EventFilterError as exc:
        click.echo(_sentence(exc), err=True)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        click.echo("Interrupted; the database is consistent, and a rerun completes the work.", err=True)
        sys.exit(ExitCode.FAILED)
    except Exception as exc:  # the last guard: one sentence, not a traceback
        if os.environ.get("EVENTFILTER_DEBUG"):
            raise
        # The exception's text may hold SQL and its parameters (person ids,
        # addresses, incomes): only its kind is shown, the rest behind the switch.
        click.echo(
            f"eventfilter failed unexpectedly ({type(exc).__name__}); "
            "the database is consistent; set EVENTFILTER_DEBUG=1 for details.",
            err=True,
        )
        sys.exit(ExitCode.FAILED)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _sentence(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if text.endswith((".", "?", "!")) else text + "."
