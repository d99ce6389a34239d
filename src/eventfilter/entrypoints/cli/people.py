"""Who may act, and where: `caseworkers`, the web queue (`serve`), `deadletters`."""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from eventfilter.entrypoints import render
from eventfilter.entrypoints.cli.base import (
    _app,
    _print_json,
    cli,
    db_option,
    json_option,
)
from eventfilter.entrypoints.exitcodes import ExitCode
from eventfilter.errors import NotFound, UsageError
from eventfilter.formats.patterns import CASEWORKER_ID_MAX, CONTROL, MUNICIPALITY_MAX, TEXT_MAX
from eventfilter.records import Caseworker
from eventfilter.service import queries


# -- caseworkers ---------------------------------------------------------------------
def _fits(what: str, value: str, longest: int) -> None:
    """A usage error naming `what`, before the store refuses it halfway."""
    if not value.strip():
        raise UsageError(f"{what} is empty.")
    if len(value) > longest:
        raise UsageError(f"{what} is {len(value)} characters long; at most {longest} are kept.")
    if CONTROL.search(value):
        raise UsageError(f"{what} holds control characters.")


@cli.group("caseworkers")
def caseworkers_group() -> None:
    """Caseworkers and the municipalities whose cases they may see and act on."""


@caseworkers_group.command("add")
@click.argument("caseworker_id")
@click.option("--name", required=True)
@click.option("--municipality", "municipalities", multiple=True, required=True, metavar="CODE")
@db_option
@click.pass_context
def caseworkers_add(
    ctx: click.Context, caseworker_id: str, name: str, municipalities: tuple[str, ...], db: str | None
) -> int:
    """Register a caseworker (or change their name and municipalities)."""
    _fits("CASEWORKER_ID", caseworker_id, CASEWORKER_ID_MAX)
    _fits("--name", name, TEXT_MAX)
    for code in municipalities:
        _fits("--municipality", code, MUNICIPALITY_MAX)
    app = _app(ctx, db)
    cw = Caseworker(caseworker_id, name, tuple(dict.fromkeys(municipalities)), True)
    app.review.save_caseworker(cw, app.clock())
    click.echo(
        f"Caseworker {caseworker_id} ({name}) may act in municipalities {', '.join(cw.municipalities)}."
    )
    return ExitCode.OK


@caseworkers_group.command("deactivate")
@click.argument("caseworker_id")
@db_option
@click.pass_context
def caseworkers_deactivate(ctx: click.Context, caseworker_id: str, db: str | None) -> int:
    """Withdraw a caseworker's rights (kept for the audit trail)."""
    app = _app(ctx, db)
    review_store = app.review
    cw = review_store.caseworker(caseworker_id)
    if cw is None:
        raise NotFound(f"There is no caseworker {caseworker_id!r}.")
    review_store.save_caseworker(replace(cw, active=False), app.clock())
    click.echo(f"Caseworker {caseworker_id} is no longer active.")
    return ExitCode.OK


@caseworkers_group.command("list")
@json_option
@db_option
@click.pass_context
def caseworkers_list(ctx: click.Context, as_json: bool, db: str | None) -> int:
    """The registered caseworkers."""
    app = _app(ctx, db)
    rows = app.review.caseworkers()
    if as_json:
        _print_json([c.to_dict() for c in rows])
    else:
        click.echo(render.caseworkers(rows))
    return ExitCode.OK


@caseworkers_group.command("password")
@click.argument("caseworker_id")
@click.option(
    "--password-stdin", "from_stdin", is_flag=True, help="Read the password from stdin (for scripts)."
)
@db_option
@click.pass_context
def caseworkers_password(ctx: click.Context, caseworker_id: str, from_stdin: bool, db: str | None) -> int:
    """Set a caseworker's password for signing in to the web review queue."""
    from eventfilter.web.passwords import hash_password

    app = _app(ctx, db)
    review_store = app.review
    if review_store.caseworker(caseworker_id) is None:
        raise NotFound(f"There is no caseworker {caseworker_id!r}; add them with `caseworkers add` first.")
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    review_store.set_password_hash(caseworker_id, hash_password(password))
    click.echo(f"Caseworker {caseworker_id} can now sign in to the web review queue.")
    return ExitCode.OK


@cli.command()
@click.option("--host", default=None, help="Address to listen on (settings [web] host, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default 8080).")
@click.option(
    "--auth",
    type=click.Choice(["local", "header"]),
    default=None,
    help="local: caseworker id and password; header: behind an OIDC proxy that names the caseworker.",
)
@click.option(
    "--auth-header", default=None, help="With --auth header: the header (default X-Forwarded-Email)."
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="With --auth header: the sign-in proxy's address, the only one whose header is believed "
    "(repeatable; default loopback only).",
)
@click.option("--idle-minutes", type=click.IntRange(1), default=None, help="Sign out after this long idle.")
@db_option
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    auth: str | None,
    auth_header: str | None,
    trusted_proxies: tuple[str, ...],
    idle_minutes: int | None,
    db: str | None,
) -> int:
    """The review queue in the browser, for caseworkers (needs the extra eventfilter[web])."""
    try:
        from eventfilter.web import server
    except ImportError as exc:
        raise UsageError(
            f"The web review queue needs the web extra (pip install 'eventfilter[web]'): {exc}."
        ) from None

    app = _app(ctx, db)
    web = app.settings.web
    options = server.ServeOptions(
        host=host or web.host,
        port=port or web.port,
        auth=auth or web.auth,
        auth_header=auth_header or web.auth_header,
        idle_minutes=idle_minutes or web.idle_minutes,
        secure_cookies=web.secure_cookies,
        trusted_proxies=trusted_proxies or tuple(web.trusted_proxies),
    )
    server.check(options)
    sock = server.bind(options.host, options.port)  # a busy port is refused before anything is said
    click.echo(server.describe(options), err=True)
    server.serve(app, options, sock)
    return ExitCode.OK


@cli.command()
@json_option
@db_option
@click.pass_context
def deadletters(ctx: click.Context, as_json: bool, db: str | None) -> int:
    """Rejected input, with position and error."""
    app = _app(ctx, db)
    views = queries.dead_letters(app.store)
    if as_json:
        _print_json([d.to_dict() for d in views])
    else:
        click.echo(render.dead_letters(views))
    return ExitCode.OK
