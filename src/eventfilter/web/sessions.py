"""Sessions kept on the server, and the headers every response carries.

The cookie holds a random token and nothing else (no caseworker id, no CSRF
token to read); the session's data lives in the store under the token's
hash. A page works with `request.session` as before. Signing in issues a new
token (`rotate`), signing out deletes the session, and a password change
deletes every session of that caseworker (`SqlSessions.revoke`).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from eventfilter.ports import Sessions

ROTATE = "_rotate"  # set by sign-in: the session continues under a new token
PURGE_EVERY = 500  # new sessions between purges of idle ones

# A strict policy: everything from the app itself, nothing inline, no frames.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class ServerSessions(BaseHTTPMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        sessions: Sessions,
        clock: Callable[[], datetime],
        *,
        cookie: str,
        max_age: int,
        secure: bool,
    ) -> None:
        super().__init__(app)
        self.sessions = sessions
        self.clock = clock
        self.cookie = cookie
        self.max_age = max_age
        self.secure = secure
        self._created = 0

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = request.cookies.get(self.cookie)
        loaded = self.sessions.load(token) if token else None
        if loaded is None:
            token = None
        data: dict[str, Any] = dict(loaded or {})
        request.scope["session"] = data
        response = await call_next(request)
        self._persist(response, token, loaded, data)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages hold personal data
        return response

    def _persist(
        self, response: Response, token: str | None, loaded: dict[str, Any] | None, data: dict[str, Any]
    ) -> None:
        now = self.clock()
        rotate = bool(data.pop(ROTATE, False))
        if token is not None and (rotate or not data):
            self.sessions.drop(token)  # signed out, or signed in under a new token
            token, loaded = None, None
            if not data:
                response.delete_cookie(
                    self.cookie, path="/", secure=self.secure, httponly=True, samesite="strict"
                )
                return
        if token is None:
            if not data:
                return
            token = secrets.token_urlsafe(32)
            self.sessions.save(token, data, now, new=True)
            self._created += 1
            if self._created % PURGE_EVERY == 0:
                self.sessions.purge(now - timedelta(seconds=self.max_age))
        elif data != loaded or "seen" in data:
            self.sessions.save(token, data, now, new=False)
        response.set_cookie(
            self.cookie,
            token,
            max_age=self.max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
