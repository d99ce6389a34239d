"""The web review queue: server-rendered pages over the same service as the CLI.

Every page needs a signed-in caseworker and shows only their
municipalities; every form carries a CSRF token; a session lasts while the
caseworker works (each request, and a keepalive from open pages, extends it)
and ends after `idle_minutes` without activity. A note being typed is kept
as a draft (in the browser and on the server) until the item is resolved.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from eventfilter.adapters.holdscsv import holds_csv
from eventfilter.application import App
from eventfilter.errors import AccessDenied, Busy, Conflict, NotAllowed, NotFound, UsageError
from eventfilter.records import Caseworker, HoldView
from eventfilter.service import queries
from eventfilter.service.corrections import CORRECTABLE
from eventfilter.service.review_actions import ReviewService
from eventfilter.web import views
from eventfilter.web.auth import Authenticator
from eventfilter.web.forms import form_corrections, form_day, form_field, local_target
from eventfilter.web.sessions import ROTATE, ServerSessions

HERE = Path(__file__).resolve().parent
SESSION = "eventfilter_session"
COOKIE_GRACE = 24 * 3600
PAGE_SIZE = 50  # review items per page of the queue
LOOPBACK = frozenset({"127.0.0.1", "::1"})
# The brute-force limit: failed sign-ins within the window, per account and per address.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_ACCOUNT = 5
MAX_FAILURES_ADDRESS = 20


def create_app(
    app: App,
    auth: Authenticator,
    *,
    idle_minutes: int = 480,
    secure_cookies: bool = False,
    trusted_proxies: frozenset[str] = LOOPBACK,
) -> FastAPI:
    """`trusted_proxies`: the addresses whose requests may carry the sign-in
    header (`--auth header`) and a forwarded client address."""
    web = FastAPI(title="eventfilter review queue", docs_url=None, redoc_url=None, openapi_url=None)
    web.add_middleware(
        ServerSessions,
        sessions=app.sessions,
        clock=app.clock,
        cookie=SESSION,
        # Re-sent with every response, so the cookie slides with activity. The idle limit itself is
        # kept on the server (`seen`); the cookie outlives it by a day so the page can say what happened.
        max_age=idle_minutes * 60 + COOKIE_GRACE,
        secure=secure_cookies,
    )
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages = Pages(app, auth, idle_minutes, trusted_proxies)
    routes: list[tuple[str, str, Callable[..., Any]]] = [
        ("GET", "/login", pages.login_form),
        ("POST", "/login", pages.login),
        ("POST", "/logout", pages.logout),
        ("GET", "/ping", pages.ping),
        ("GET", "/", pages.queue),
        ("GET", "/items/{item_id}", pages.item),
        ("POST", "/items/{item_id}/resolve", pages.resolve),
        ("POST", "/items/{item_id}/draft", pages.save_draft),
        ("GET", "/cases/{case_id:path}", pages.case),  # case ids may hold a "/"
        ("GET", "/holds", pages.holds),
        ("GET", "/holds.csv", pages.holds_csv),
    ]
    for method, path, endpoint in routes:
        web.add_api_route(path, endpoint, methods=[method], response_model=None)
    return web


class Pages:
    def __init__(self, app: App, auth: Authenticator, idle_minutes: int, trusted: frozenset[str]) -> None:
        self.app = app
        self.auth = auth
        self.idle_minutes = idle_minutes
        self.trusted = trusted
        self.review = app.review
        self.sessions = app.sessions
        self.templates = Jinja2Templates(directory=HERE / "templates")
        views.install_filters(self.templates, app)

    # -- sessions, sign-in, CSRF -------------------------------------------------------
    @staticmethod
    def csrf(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(32)
        return str(token)

    @staticmethod
    def csrf_ok(request: Request, given: str | None) -> bool:
        expected = request.session.get("csrf")
        return bool(expected and given and hmac.compare_digest(str(expected), given))

    @staticmethod
    def flash(request: Request, text: str, kind: str = "info") -> None:
        request.session.setdefault("flash", []).append([kind, text])

    def caseworker(self, request: Request) -> Caseworker | None:
        session = request.session
        now = time.time()
        if not self.auth.uses_login_form:
            if not self.from_proxy(request):
                return None  # the header is believed only from the sign-in proxy
            found = self.auth.from_headers(request.headers)
            if found is None:
                return None
            session["cw"] = found.caseworker_id
        cw_id = session.get("cw")
        if not cw_id:
            return None
        if now - float(session.get("seen", now)) > self.idle_minutes * 60:
            session.clear()
            self.flash(
                request, "You were signed out after a long time without activity. Nothing you saved was lost."
            )
            return None
        session["seen"] = now
        cw = self.review.caseworker(str(cw_id))
        if cw is None or not cw.active:
            session.clear()
            return None
        return cw

    def from_proxy(self, request: Request) -> bool:
        """The request came straight from a trusted proxy (the peer, not a header, says so)."""
        return request.client is not None and request.client.host in self.trusted

    def client_address(self, request: Request) -> str:
        """Who is asking: the peer, or behind a trusted proxy the address it forwards."""
        if self.from_proxy(request):
            forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
            if forwarded:
                return forwarded
        return request.client.host if request.client is not None else "unknown"

    def render(
        self, request: Request, name: str, cw: Caseworker | None, status: int = 200, **context: Any
    ) -> Response:
        messages = request.session.pop("flash", [])
        base = {
            "cw": cw,
            "csrf": self.csrf(request),
            "messages": messages,
            "today": self.app.clock().date(),
            "reason_texts": self.app.pack.reason_texts,
            "uses_login_form": self.auth.uses_login_form,
            "names": views.actor_names(self.review.caseworkers())
            if name in ("item.html", "case.html")
            else {},
        }
        return self.templates.TemplateResponse(request, name, {**base, **context}, status_code=status)

    @staticmethod
    def to_login(request: Request) -> Response:
        return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)

    def problem(self, request: Request, cw: Caseworker | None, exc: Exception) -> Response:
        if isinstance(exc, AccessDenied):
            return self.render(request, "error.html", cw, status=403, title="Not allowed", message=str(exc))
        return self.render(request, "error.html", cw, status=404, title="Not found", message=str(exc))

    # -- signing in and out -----------------------------------------------------------------
    def login_form(self, request: Request, next: str = "/") -> Response:
        if self.caseworker(request) is not None:
            return RedirectResponse(local_target(next), status_code=303)
        return self.render(request, "login.html", None, next=local_target(next))

    async def login(self, request: Request) -> Response:
        form = await request.form()
        target = local_target(form_field(form, "next") or "/")
        retry = RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        if not self.csrf_ok(request, form_field(form, "csrf")):
            self.flash(request, "The sign-in form had expired; please sign in again.", "error")
            return RedirectResponse("/login", status_code=303)
        username = form_field(form, "username").strip()[:100]
        now = self.app.clock()
        keys = [f"account:{username.lower()}", f"address:{self.client_address(request)}"]
        locked = self._locked_for(keys, now)
        if locked is not None:
            # no password is checked while locked: the limit is no oracle
            self.flash(request, f"Too many failed sign-ins; try again in {locked} minutes.", "error")
            return retry
        cw = self.auth.from_form(username, form_field(form, "password"))
        if cw is None:
            self.sessions.failed(keys, now)
            self.flash(request, "That caseworker id and password do not match an active caseworker.", "error")
            return retry
        self.sessions.forget_failures(keys[0])
        request.session.clear()
        request.session.update(
            {"cw": cw.caseworker_id, "seen": time.time(), "csrf": secrets.token_urlsafe(32), ROTATE: True}
        )
        return RedirectResponse(target, status_code=303)

    def _locked_for(self, keys: list[str], now: datetime) -> int | None:
        """Minutes until a sign-in may be tried again, or None."""
        since = now - FAILURE_WINDOW
        for key, most in zip(keys, (MAX_FAILURES_ACCOUNT, MAX_FAILURES_ADDRESS), strict=True):
            if self.sessions.failures(key, since) >= most:
                oldest = self.sessions.oldest_failure(key, since) or now
                return max(1, math.ceil((oldest + FAILURE_WINDOW - now).total_seconds() / 60))
        return None

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        if self.csrf_ok(request, form_field(form, "csrf")):
            request.session.clear()  # the session is deleted on the server
        return RedirectResponse("/login", status_code=303)

    def ping(self, request: Request) -> Response:
        """The keepalive open pages send: activity extends the session."""
        cw = self.caseworker(request)
        return JSONResponse({"signed_in": cw is not None, "idle_minutes": self.idle_minutes})

    # -- the queue, an item, a case, the holds --------------------------------------------------
    def queue(
        self,
        request: Request,
        municipality: str = "",
        benefit: str = "",
        reason: str = "",
        overdue: str = "",
        q: str = "",
        page: int = 1,
    ) -> Response:
        cw = self.caseworker(request)
        if cw is None:
            return self.to_login(request)
        service = ReviewService(self.app)
        everything = service.queue(as_caseworker=cw.caseworker_id)
        filters = {
            "municipality": municipality,
            "benefit": benefit,
            "reason": reason,
            "overdue": bool(overdue),
        }
        try:
            items = service.queue(
                as_caseworker=cw.caseworker_id,
                municipalities=[municipality] if municipality else (),
                benefits=[benefit] if benefit else (),
                reasons=[reason] if reason else (),
                overdue=bool(overdue),
                search=q[:200],
            )
        except UsageError as exc:
            self.flash(request, f"{exc} Showing the whole queue.", "error")
            items, filters = everything, {"municipality": "", "benefit": "", "reason": "", "overdue": False}
            q = ""
        today = self.app.clock().date()
        pages = max(1, math.ceil(len(items) / PAGE_SIZE))
        page = min(max(1, page), pages)
        shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        query = {k: v for k, v in {**filters, "q": q}.items() if v}
        return self.render(
            request,
            "queue.html",
            cw,
            items=shown,
            counts=views.counts(items, today),  # what the filter shows, not the whole queue
            total=len(everything),
            filters={**filters, "q": q},
            paging=views.paging(page, pages, len(items), PAGE_SIZE, query),
            options=views.filter_options(everything, cw, self.app.pack),
        )

    def item(self, request: Request, item_id: int) -> Response:
        cw = self.caseworker(request)
        if cw is None:
            return self.to_login(request)
        try:
            found = ReviewService(self.app).page(item_id, as_caseworker=cw.caseworker_id)
        except (AccessDenied, NotFound) as exc:
            return self.problem(request, cw, exc)
        draft = self.review.draft(cw.caseworker_id, item_id)
        return self.render(
            request,
            "item.html",
            cw,
            p=found,
            view=views.item_view(found, self.app.pack),
            draft=draft[0] if draft else "",
            correctable=CORRECTABLE,
        )

    async def resolve(self, request: Request, item_id: int) -> Response:
        cw = self.caseworker(request)
        if cw is None:
            return self.to_login(request)
        form = await request.form()
        back = RedirectResponse(f"/items/{item_id}", status_code=303)
        if not self.csrf_ok(request, form_field(form, "csrf")):
            self.flash(
                request, "The page was out of date; nothing was done. Your note is kept; try again.", "error"
            )
            return back
        note = form_field(form, "note").strip() or None
        try:
            fixes = form_corrections(form)
            result = ReviewService(self.app).resolve(
                item_id, form_field(form, "action"), cw.caseworker_id, note, fixes
            )
        except (AccessDenied, NotFound) as exc:
            return self.problem(request, cw, exc)
        except (Busy, Conflict, NotAllowed, UsageError) as exc:
            self.flash(request, str(exc), "error")  # and the page shows the item as it is now
            return back
        self.review.drop_draft(cw.caseworker_id, item_id)
        self.flash(request, views.resolved_message(result), "success")
        return back

    async def save_draft(self, request: Request, item_id: int) -> Response:
        cw = self.caseworker(request)
        if cw is None:
            return JSONResponse({"saved": False, "signed_in": False}, status_code=401)
        form = await request.form()
        if not self.csrf_ok(request, request.headers.get("x-csrf-token") or form_field(form, "csrf")):
            return JSONResponse({"saved": False, "error": "stale page"}, status_code=403)
        try:
            ReviewService(self.app).page(item_id, as_caseworker=cw.caseworker_id)  # may they see it at all
        except (AccessDenied, NotFound):
            return JSONResponse({"saved": False}, status_code=403)
        self.review.save_draft(cw.caseworker_id, item_id, form_field(form, "note")[:20_000], self.app.clock())
        return JSONResponse({"saved": True})

    def case(self, request: Request, case_id: str) -> Response:
        cw = self.caseworker(request)
        if cw is None:
            return self.to_login(request)
        try:
            case, entries = ReviewService(self.app).case_history(case_id, as_caseworker=cw.caseworker_id)
        except (AccessDenied, NotFound) as exc:
            return self.problem(request, cw, exc)
        return self.render(
            request,
            "case.html",
            cw,
            case=case,
            lines=views.history(case, entries),
            items=self.review.items("all", case_id=case_id),
        )

    def _holds(self, request: Request, cw: Caseworker, as_of: str) -> tuple[list[HoldView], date | None]:
        day, error = form_day(as_of)
        if error:
            self.flash(request, error, "error")
        return [h for h in queries.holds(self.app.review, day) if cw.may_see(h.municipality_code)], day

    def holds(self, request: Request, as_of: str = "") -> Response:
        cw = self.caseworker(request)
        if cw is None:
            return self.to_login(request)
        found, day = self._holds(request, cw, as_of)
        link = f"/holds.csv?{urlencode({'as_of': day.isoformat()})}" if day else "/holds.csv"
        return self.render(
            request, "holds.html", cw, holds=found, as_of=day.isoformat() if day else "", csv_link=link
        )

    def holds_csv(self, request: Request, as_of: str = "") -> Response:
        cw = self.caseworker(request)
        if cw is None:
            return self.to_login(request)
        found, day = self._holds(request, cw, as_of)
        name = f"holds-{(day or self.app.clock().date()).isoformat()}.csv"
        return Response(
            holds_csv(found),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
