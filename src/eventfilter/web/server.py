"""Wiring the web app for `eventfilter serve`: sign-in method, trusted
proxies, the listening socket, uvicorn."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from fastapi import FastAPI

from eventfilter.application import App
from eventfilter.errors import UsageError
from eventfilter.web.app import LOOPBACK, create_app
from eventfilter.web.auth import Authenticator, LocalAccounts, TrustedHeader


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    auth: str  # "local" | "header"
    auth_header: str
    idle_minutes: int
    secure_cookies: bool | None  # None: on, except when listening on loopback only
    trusted_proxies: tuple[str, ...] = ()  # empty: loopback only

    @property
    def trusted(self) -> frozenset[str]:
        return frozenset(self.trusted_proxies) or LOOPBACK

    @property
    def secure(self) -> bool:
        return self.secure_cookies if self.secure_cookies is not None else not is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check(options: ServeOptions) -> None:
    """Refuse a setup that would let anyone in: a trusted sign-in header on an
    address others can reach, with no proxy named to trust it from."""
    if options.auth == "header" and not options.trusted_proxies and not is_loopback(options.host):
        raise UsageError(
            f"With --auth header on {options.host}, name the sign-in proxy with --trusted-proxy ADDRESS: "
            "otherwise anyone who can reach the port could send the header and act as any caseworker."
        )


def describe(options: ServeOptions) -> str:
    """What the operator should know at start-up, in a sentence or two."""
    if options.auth == "header":
        proxies = ", ".join(sorted(options.trusted))
        who = f"signing in by the {options.auth_header} header, believed only from {proxies}"
    else:
        who = "signing in with caseworker id and password (5 failures in 15 minutes lock an account)"
    cookies = (
        "secure cookies (HTTPS only)" if options.secure else "cookies without the Secure flag (loopback)"
    )
    return f"The review queue is at http://{options.host}:{options.port}/: {who}; {cookies}. Ctrl-C stops it."


def authenticator(app: App, kind: str, header: str) -> Authenticator:
    review = app.review
    if kind == "header":
        return TrustedHeader(review, header)
    return LocalAccounts(review)


def build(app: App, options: ServeOptions) -> FastAPI:
    return create_app(
        app,
        authenticator(app, options.auth, options.auth_header),
        idle_minutes=options.idle_minutes,
        secure_cookies=options.secure,
        trusted_proxies=options.trusted,
    )


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, before anything is said about it: a busy port is
    refused with one sentence."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port or --host."
        ) from None
    sock.listen(128)
    return sock


def serve(app: App, options: ServeOptions, sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(
        build(app, options),
        log_level="warning",
        access_log=False,  # URLs hold case ids; the audit trail records what matters
        proxy_headers=False,  # the app reads X-Forwarded-For itself, and only from trusted proxies
    )
    uvicorn.Server(config).run(sockets=[sock])
