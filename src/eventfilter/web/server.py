"""Wiring the web app for `eventfilter serve`: sign-in method, session secret, uvicorn."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from eventfilter.adapters.sql.review import SqlReview
from eventfilter.bootstrap import App
from eventfilter.errors import ConfigError
from eventfilter.web.app import create_app
from eventfilter.web.auth import Authenticator, LocalAccounts, TrustedHeader


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    auth: str  # "local" | "header"
    auth_header: str
    secret: str
    idle_minutes: int
    secure_cookies: bool


def session_secret(env_value: str | None, path: Path) -> str:
    """The key that signs session cookies: from the environment, else a file made once.

    Kept across restarts so that a restart does not sign everyone out."""
    if env_value:
        if len(env_value) < 32:
            raise ConfigError("EVENTFILTER_WEB_SECRET must have at least 32 characters.")
        return env_value
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        text = _create_secret(path)
    except OSError as exc:
        raise ConfigError(f"The web secret file {path} cannot be read: {exc.strerror}.") from None
    if len(text) < 32:
        raise ConfigError(f"The web secret file {path} holds fewer than 32 characters.")
    return text


def _create_secret(path: Path) -> str:
    text = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another server made it just now
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"The web secret file {path} cannot be created: {exc.strerror}.") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return text


def authenticator(app: App, kind: str, header: str) -> Authenticator:
    review = SqlReview(app.store)
    if kind == "header":
        return TrustedHeader(review, header)
    return LocalAccounts(review)


def build(app: App, options: ServeOptions) -> FastAPI:
    return create_app(
        app,
        authenticator(app, options.auth, options.auth_header),
        secret=options.secret,
        idle_minutes=options.idle_minutes,
        secure_cookies=options.secure_cookies,
    )


def serve(app: App, options: ServeOptions) -> None:
    import uvicorn

    uvicorn.run(
        build(app, options),
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,  # URLs hold case ids; the audit trail records what matters
        proxy_headers=options.auth == "header",
    )
