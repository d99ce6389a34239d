"""The web review queue's views, without a browser (FastAPI's TestClient over the real store)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.core.reasons import REDACTED
from eventfilter.records import Caseworker
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.web import app as web_app
from eventfilter.web.auth import LocalAccounts, TrustedHeader
from eventfilter.web.passwords import hash_password
from tests.helpers import case, event, extract, move, person
from tests.integration.test_review import Clock, replay

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PASSWORD = "a long enough password"

PERSONS = [
    person("A", address_id="A1"),
    person("B", address_id="B1", municipality_code="510"),
    person("D", address_id="D1", monthly_income=9000),
    person("S", address_id="HIDDEN-1", protected_address=True, monthly_income=8000),
    person("S2", address_id="HIDDEN-1", monthly_income=0),
    person("E", address_id="E1", country="SE", municipality_code="1480"),
]
CASES = [
    case("KY-A", "kontanthjaelp", "A"),
    case("KY-B", "kontanthjaelp", "B", municipality_code="510"),
    case("BS-D", "boligstoette", "D", dwelling_address_id="D1"),
    case("BS-S", "boligstoette", "S", dwelling_address_id="HIDDEN-1"),
    case(
        "FS-E", "forsorjningsstod", "E", municipality_code="1480", dwelling_address_id="E1", housing_cost=5000
    ),
]
EVENTS = [
    event("death", "A", event_id="a-dies"),
    move("B", "B2", "101", event_id="b-moves"),
    move("D", "D2", event_id="d-moves"),
    move("S", "HIDDEN-2", event_id="s-moves"),
    move("E", "E2", "1480", "SE", event_id="e-moves"),
]
HIDDEN = re.compile("HIDDEN-[0-9]")


def build_world(db_url: str, clock: Clock) -> App:
    app = bootstrap(db_url, clock=clock)
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
    replay(app, EVENTS)
    review = app.review
    for cw in (
        Caseworker("anna", "Anna Holm", ("561", "510")),
        Caseworker("cecilie", "Cecilie Dahl", ("561",)),
        Caseworker("bo", "Bo Berg", ("1480",)),
    ):
        review.save_caseworker(cw, clock())
        review.set_password_hash(cw.caseworker_id, hash_password(PASSWORD))
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def app(db_url: str, clock: Clock) -> App:
    """The same pages on SQLite and on PostgreSQL."""
    return build_world(db_url, clock)


Browser = Callable[..., TestClient]


@pytest.fixture
def browser(app: App) -> Browser:
    """A new browser (its own cookie jar) on the same server, optionally signed in."""
    web = web_app.create_app(app, LocalAccounts(app.review), idle_minutes=30)

    def open_browser(signed_in_as: str | None = None) -> TestClient:
        client = TestClient(web, follow_redirects=False)
        if signed_in_as:
            sign_in(client, signed_in_as)
        return client

    return open_browser


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m, "every page carries a CSRF token"
    return m[1]


def sign_in(client: TestClient, who: str, password: str = PASSWORD, target: str = "/") -> TestClient:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": who, "password": password, "csrf": token, "next": target})
    assert r.status_code == 303
    return client


def item_of(app: App, case_id: str) -> int:
    [item] = app.review.items("open", case_id=case_id)
    return item.item_id


def resolve(client: TestClient, item_id: int, action: str, note: str = "", **extra: object) -> str:
    token = csrf_of(client.get(f"/items/{item_id}").text)
    r = client.post(
        f"/items/{item_id}/resolve", data={"csrf": token, "action": action, "note": note, **extra}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/items/{item_id}"
    return client.get(f"/items/{item_id}").text


# -- signing in ---------------------------------------------------------------------------------
def test_every_page_needs_a_signed_in_caseworker(browser: Browser, app: App) -> None:
    client = browser()
    for path in ("/", f"/items/{item_of(app, 'KY-A')}", "/cases/KY-A", "/holds", "/holds.csv"):
        r = client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=/"), path
    assert client.post("/items/1/draft", data={"note": "x"}).status_code == 401


def test_sign_in_checks_the_hashed_password_and_returns_to_the_page_asked_for(
    browser: Browser, app: App
) -> None:
    stored = app.review.password_hash("anna")
    assert stored is not None and stored.startswith("scrypt$") and PASSWORD not in stored

    client = browser()
    token = csrf_of(client.get("/login").text)
    wrong = client.post("/login", data={"username": "anna", "password": "not the password", "csrf": token})
    assert wrong.headers["location"].startswith("/login")
    assert "do not match an active caseworker" in client.get(wrong.headers["location"]).text
    assert client.get("/").status_code == 303

    right = client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf": token, "next": "/holds"}
    )
    assert right.headers["location"] == "/holds"
    page = client.get("/holds")
    assert page.status_code == 200 and "Anna Holm" in page.text


def test_sign_in_never_redirects_off_site(browser: Browser) -> None:
    client = browser()
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf": token, "next": "//evil.example/"}
    )
    assert r.headers["location"] == "/"


def test_a_sign_in_form_without_its_csrf_token_is_refused(browser: Browser) -> None:
    client = browser()
    client.get("/login")
    r = client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf": "forged"})
    assert r.headers["location"] == "/login"
    assert client.get("/").status_code == 303  # not signed in


def test_a_deactivated_caseworker_is_signed_out(browser: Browser, app: App, clock: Clock) -> None:
    client = browser("anna")
    assert client.get("/").status_code == 200
    app.review.save_caseworker(Caseworker("anna", "Anna Holm", ("561",), active=False), clock())
    assert client.get("/").status_code == 303


def test_signing_out_needs_the_token_and_ends_the_session(browser: Browser) -> None:
    client = browser("anna")
    client.post("/logout", data={"csrf": "forged"})
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    assert client.get("/").status_code == 303


# -- sessions last while the caseworker works ------------------------------------------------
def test_the_session_slides_with_activity_and_ends_after_idle_time(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr("eventfilter.web.app.time.time", lambda: now[0])
    client = browser("anna")

    page = client.get("/")
    assert (
        f"Max-Age={1800 + web_app.COOKIE_GRACE}" in page.headers["set-cookie"]
    )  # the cookie is renewed with every response
    for _ in range(6):  # three hours of work, a request every 29 minutes: never signed out
        now[0] += 29 * 60
        assert client.get("/ping").json()["signed_in"] is True
    assert client.get("/").status_code == 200

    now[0] += 31 * 60  # then a long lunch
    r = client.get("/")
    assert r.status_code == 303
    assert "long time without activity" in client.get(r.headers["location"]).text


# -- the queue ----------------------------------------------------------------------------------
def test_the_queue_shows_my_municipalities_sorted_by_due_date_with_counts(browser: Browser) -> None:
    html = browser("anna").get("/").text
    cases = re.findall(r'href="/cases/([A-Z-]+)"', html)
    assert set(cases) == {"KY-A", "KY-B", "BS-D", "BS-S"}  # not FS-E of municipality 1480
    dues = re.findall(r'<td class="date">(\d{4}-\d\d-\d\d)', html)
    assert dues == sorted(dues) and len(dues) == 4
    assert re.search(r"<strong>4</strong> open", html)
    assert re.search(r"<strong>0</strong> overdue", html)
    # codes are shown with their explanation
    assert "left_dwelling" in html and "belongs to the dwelling" in html


def test_the_queue_filters_by_municipality_benefit_reason_and_overdue(browser: Browser, clock: Clock) -> None:
    client = browser("anna")

    def cases(query: str) -> set[str]:
        return set(re.findall(r'href="/cases/([A-Z-]+)"', client.get("/?" + query).text))

    assert cases("municipality=510") == {"KY-B"}
    assert cases("benefit=boligstoette") == {"BS-D", "BS-S"}
    assert cases("reason=deceased") == {"KY-A"}
    # not hers: filtering cannot widen what she sees; the page says why it shows her own queue
    assert "FS-E" not in cases("municipality=1480")
    assert "not one of anna" in client.get("/?municipality=1480").text.replace("&#39;", "'")
    assert "no benefit" in client.get("/?benefit=nonsense").text  # a typo is named, never "nothing"
    assert cases("overdue=1") == set()
    assert cases("q=KY-B") == {"KY-B"}  # search by case

    clock.now = MONDAY + timedelta(days=9)  # deaths and moves are due in 2 working days
    html = client.get("/?overdue=1").text
    assert set(re.findall(r'href="/cases/([A-Z-]+)"', html)) == {"KY-A", "BS-D", "BS-S"}
    assert html.count('class="overdue"') == 3 and "pill alarm" in html


# -- an item -------------------------------------------------------------------------------------
def test_an_item_page_explains_the_decision(browser: Browser, app: App) -> None:
    html = browser("anna").get(f"/items/{item_of(app, 'BS-D')}").text
    for words in (
        "What changed",
        "eligible",
        "not eligible",
        "Payment stopped",
        "left_dwelling",
        "lov om individuel boligstøtte",
        "D1 → D2",  # the values the rule compared
        "Payment per month",
        "none (not eligible)",
        "1 adult, 0 children",  # the category code, explained
        "History",
        "Hold placed",
        'value="release"',
        'value="confirm"',
        'value="redecide"',
    ):
        assert words in html, words


def test_a_caseworker_of_another_municipality_is_refused_and_it_is_recorded(
    browser: Browser, app: App
) -> None:
    item = item_of(app, "KY-A")
    client = browser("bo")
    r = client.get(f"/items/{item}")
    assert r.status_code == 403
    assert "may not read review item" in r.text and "municipality 561" in r.text
    assert client.get("/cases/KY-A").status_code == 403
    token = csrf_of(client.get("/").text)
    assert client.post(f"/items/{item}/resolve", data={"csrf": token, "action": "release"}).status_code == 403
    assert (
        client.post(f"/items/{item}/draft", data={"note": "x"}, headers={"X-CSRF-Token": token}).status_code
        == 403
    )

    refusals = [e for e in app.review.audit("KY-A") if e.action == "access_refused"]
    assert len(refusals) >= 3 and {e.actor for e in refusals} == {"bo"}
    assert app.review.items("open", case_id="KY-A")  # nothing was resolved


def test_an_unknown_item_is_a_plain_not_found(browser: Browser) -> None:
    r = browser("anna").get("/items/9999")
    assert r.status_code == 404 and "There is no review item 9999" in r.text


def test_releasing_lifts_the_hold_and_the_audit_names_the_caseworker(browser: Browser, app: App) -> None:
    client = browser("anna")
    assert "BS-D" in client.get("/holds").text
    item = item_of(app, "BS-D")

    html = resolve(client, item, "release", note="Moved within the town; new lease seen.")
    assert "released: the hold is lifted and payment resumes" in html
    assert "Resolved" in html and "Anna Holm (anna)" in html
    assert 'value="release"' not in html  # no actions on a resolved item

    assert "/cases/BS-D" not in client.get("/holds").text
    assert "BS-D" not in client.get("/").text
    case_page = client.get("/cases/BS-D").text
    assert "Anna Holm (anna)" in case_page and "Hold lifted" in case_page
    entries = app.review.audit("BS-D")
    assert any(e.action == "hold_lifted" and e.actor == "anna" for e in entries)
    assert any(
        e.action == "item_resolved" and e.actor == "anna" and "new lease" in e.message for e in entries
    )


def test_confirming_keeps_the_stop(browser: Browser, app: App) -> None:
    client = browser("anna")
    html = resolve(client, item_of(app, "KY-A"), "confirm", note="Death certificate seen.")
    assert "the stop stands" in html
    assert "/cases/KY-A" in client.get("/holds").text


def test_redeciding_on_a_corrected_fact_records_the_new_decision(browser: Browser, app: App) -> None:
    client = browser("anna")
    item = item_of(app, "BS-D")
    html = resolve(
        client,
        item,
        "redecide",
        note="The move was registered by mistake.",
        fact_person=["D", ""],
        fact_field=["address_id", "monthly_income"],
        fact_value=["D1", ""],
    )
    assert "decided again" in html
    assert "the hold is lifted and payment resumes" in html
    assert "/cases/BS-D" not in client.get("/holds").text
    assert any(e.action == "fact_corrected" and e.actor == "anna" for e in app.review.audit("BS-D"))


def test_a_wrong_correction_is_explained_and_nothing_changes(browser: Browser, app: App) -> None:
    client = browser("anna")
    item = item_of(app, "BS-D")
    html = resolve(
        client, item, "redecide", fact_person=["D"], fact_field=["monthly_income"], fact_value=["lots"]
    )
    assert "monthly_income" in html and 'value="redecide"' in html  # still open, with the reason shown
    assert app.review.items("open", case_id="BS-D")


def test_a_form_without_a_valid_csrf_token_does_nothing(browser: Browser, app: App) -> None:
    client = browser("anna")
    item = item_of(app, "KY-A")
    r = client.post(f"/items/{item}/resolve", data={"csrf": "forged", "action": "release"})
    assert r.status_code == 303
    assert "nothing was done" in client.get(f"/items/{item}").text
    assert app.review.items("open", case_id="KY-A")


def test_two_caseworkers_on_one_item_one_wins_the_other_sees_why_and_the_state(
    browser: Browser, app: App
) -> None:
    item = item_of(app, "BS-D")
    anna, cecilie = browser("anna"), browser("cecilie")
    anna_token = csrf_of(anna.get(f"/items/{item}").text)
    cecilie_token = csrf_of(cecilie.get(f"/items/{item}").text)  # both have the page open

    anna.post(f"/items/{item}/resolve", data={"csrf": anna_token, "action": "release"})
    cecilie.post(f"/items/{item}/resolve", data={"csrf": cecilie_token, "action": "confirm"})
    html = cecilie.get(f"/items/{item}").text
    assert "already resolved (release by anna" in html and "nothing was changed" in html
    assert "Resolved" in html and "Anna Holm (anna)" in html  # the state as it is now
    resolved = [e for e in app.review.audit("BS-D") if e.action == "item_resolved"]
    assert [e.actor for e in resolved] == ["anna"]


# -- drafts ----------------------------------------------------------------------------------------
def test_a_note_being_typed_is_kept_as_a_draft_until_the_item_is_resolved(browser: Browser, app: App) -> None:
    client = browser("anna")
    item = item_of(app, "KY-A")
    token = csrf_of(client.get(f"/items/{item}").text)
    r = client.post(
        f"/items/{item}/draft",
        data={"note": "Called the family, & waiting <for> papers"},
        headers={"X-CSRF-Token": token},
    )
    assert r.json() == {"saved": True}
    assert (
        "Called the family, &amp; waiting &lt;for&gt; papers</textarea>" in client.get(f"/items/{item}").text
    )
    # signed in again later (a new browser): still there
    assert "Called the family" in browser("anna").get(f"/items/{item}").text
    # someone else's draft is theirs alone
    assert "Called the family" not in browser("cecilie").get(f"/items/{item}").text

    resolve(client, item, "confirm", note="Called the family")
    assert app.review.draft("anna", item) is None


def test_control_characters_typed_into_the_forms_are_dropped(browser: Browser, app: App) -> None:
    """NUL in a sign-in, a draft or a note failed the request on PostgreSQL (an
    error page, the failed sign-in not counted); an escape sequence in a note
    reached the terminal of whoever read the audit trail."""
    client = browser()
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "nobody\x00", "password": "x", "csrf": token, "next": "/"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")  # refused, as any
    client = browser("anna")
    item = item_of(app, "KY-A")
    token = csrf_of(client.get(f"/items/{item}").text)
    r = client.post(f"/items/{item}/draft", data={"note": "a\x00b\r\nc"}, headers={"X-CSRF-Token": token})
    assert r.json() == {"saved": True}
    assert app.review.draft("anna", item) is not None
    assert app.review.draft("anna", item)[0] == "ab\nc"  # type: ignore[index]
    page = resolve(client, item, "confirm", note="Called\x1b[2J the \x00family\n\tagain")
    assert "Called[2J the family" in page  # the escape gone, the rest as typed
    [entry] = [a for a in app.review.audit("KY-A") if "family" in a.message]
    assert "\x1b" not in entry.message and "\x00" not in entry.message and "family\n\tagain" in entry.message


def test_a_draft_needs_the_pages_token(browser: Browser, app: App) -> None:
    client = browser("anna")
    item = item_of(app, "KY-A")
    r = client.post(f"/items/{item}/draft", data={"note": "x"}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert app.review.draft("anna", item) is None


# -- holds for the payment run ---------------------------------------------------------------------
def test_the_holds_download_is_the_payment_runs_csv_for_my_municipalities(browser: Browser) -> None:
    client = browser("anna")
    r = client.get("/holds.csv?as_of=2026-03-02")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="holds-2026-03-02.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["case_id"] for row in rows} == {"KY-A", "BS-D", "BS-S"}
    assert "held" in {row["status"] for row in rows}
    assert list(csv.DictReader(io.StringIO(client.get("/holds.csv?as_of=2026-03-01").text))) == []


def test_a_date_that_does_not_exist_is_explained(browser: Browser) -> None:
    html = browser("anna").get("/holds?as_of=2026-02-30").text
    assert "is not a date that exists" in html


# -- protected addresses ------------------------------------------------------------------------------
def test_a_protected_address_is_never_rendered(browser: Browser, app: App) -> None:
    client = browser("anna")
    pages = ["/", "/holds", "/holds.csv", "/cases/BS-S", f"/items/{item_of(app, 'BS-S')}"]
    pages += [f"/items/{i.item_id}" for i in app.review.items("all")]
    for path in pages:
        r = client.get(path)
        if r.status_code == 200:
            assert not HIDDEN.search(r.text), path
    item_page = client.get(f"/items/{item_of(app, 'BS-S')}").text
    assert REDACTED in item_page and "left_dwelling" in item_page
    assert REDACTED in client.get("/cases/BS-S").text


def test_an_address_protected_after_the_decision_is_redacted_in_older_decisions_too(
    browser: Browser, app: App
) -> None:
    client = browser("anna")
    item = item_of(app, "BS-D")
    assert "D2" in client.get(f"/items/{item}").text  # the move's decision names the new address
    replay(app, [event("protected_address", "D", {"protected": True}, event_id="d-protected")])
    for path in (f"/items/{item}", "/cases/BS-D"):
        html = client.get(path).text
        assert not re.search(r"\bD2\b", html), path
        assert "D1" in html  # the dwelling D left is not a protected address
    # and it stays protected after D moves on
    replay(app, [move("D", "D3", event_id="d-moves-again")])
    assert not re.search(r"\bD[23]\b", client.get("/cases/BS-D").text)


# -- sign-in through an OIDC proxy ----------------------------------------------------------------------
def header_app(app: App, proxies: frozenset[str]) -> TestClient:
    web = web_app.create_app(app, TrustedHeader(app.review, "X-Forwarded-Email"), trusted_proxies=proxies)
    return TestClient(web, follow_redirects=False)


def test_behind_an_oidc_proxy_the_trusted_header_names_the_caseworker(app: App) -> None:
    client = header_app(app, frozenset({"testclient"}))  # the test client's address is "testclient"
    r = client.get("/", headers={"X-Forwarded-Email": "bo"})
    assert r.status_code == 200 and "Bo Berg" in r.text and "FS-E" in r.text and "KY-A" not in r.text
    assert client.get("/", headers={"X-Forwarded-Email": "nobody"}).status_code == 303
    login = client.get("/login").text
    assert "organisation's login page" in login and 'name="password"' not in login


def test_the_sign_in_header_is_believed_only_from_a_trusted_proxy(app: App) -> None:
    """Trust issue, finding 12: anyone reaching the port could otherwise act as anyone."""
    client = header_app(app, frozenset({"10.0.0.5"}))
    r = client.get("/", headers={"X-Forwarded-Email": "bo"})
    assert r.status_code == 303 and "Bo Berg" not in r.text


def test_serve_refuses_a_trusted_header_on_an_open_address_without_a_proxy() -> None:
    from eventfilter.errors import UsageError
    from eventfilter.web.server import ServeOptions, check, describe

    def options(host: str, proxies: tuple[str, ...] = ()) -> ServeOptions:
        return ServeOptions(host, 8080, "header", "X-Forwarded-Email", 30, None, proxies)

    with pytest.raises(UsageError, match="--trusted-proxy"):
        check(options("0.0.0.0"))
    check(options("0.0.0.0", ("10.0.0.5",)))
    check(options("127.0.0.1"))
    assert "believed only from 10.0.0.5" in describe(options("0.0.0.0", ("10.0.0.5",)))
    assert options("0.0.0.0").secure and not options("127.0.0.1").secure  # Secure cookies off loopback


# -- sessions on the server, the brute-force limit, headers (trust issue, findings 13 and 14) ----------
def test_the_cookie_holds_only_an_opaque_token(browser: Browser) -> None:
    client = browser("anna")
    [cookie] = [c for c in client.cookies.jar if c.name == web_app.SESSION]
    assert cookie.value is not None and "anna" not in cookie.value and "." not in cookie.value
    import base64

    with pytest.raises(ValueError):
        json_text = base64.urlsafe_b64decode(cookie.value + "==").decode()
        json.loads(json_text)


def test_signing_out_ends_the_session_on_the_server(browser: Browser) -> None:
    client = browser("anna")
    stolen = dict(client.cookies)
    csrf = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    thief = browser()
    thief.cookies.update(stolen)
    assert thief.get("/").status_code == 303  # the copied cookie is worth nothing now


def test_a_new_password_ends_every_session(browser: Browser, app: App) -> None:
    client = browser("anna")
    assert client.get("/").status_code == 200
    app.review.set_password_hash("anna", hash_password("another long password"))
    assert client.get("/").status_code == 303
    deactivated = browser("bo")
    app.review.save_caseworker(Caseworker("bo", "Bo Berg", ("1480",), active=False), app.clock())
    assert deactivated.get("/").status_code == 303


def test_signing_in_issues_a_new_token(browser: Browser) -> None:
    client = browser()
    client.get("/login")
    before = client.cookies.get(web_app.SESSION)
    sign_in(client, "anna")
    assert client.cookies.get(web_app.SESSION) not in (None, before)  # no session fixation


def test_failed_sign_ins_lock_the_account_for_a_while(browser: Browser, clock: Clock) -> None:
    client = browser()
    for _ in range(web_app.MAX_FAILURES_ACCOUNT):
        sign_in(client, "anna", password="wrong guess")
    sign_in(client, "anna")  # the right password, but locked: not even checked
    page = client.get("/login").text
    assert "Too many failed sign-ins" in page
    assert client.get("/").status_code == 303
    other = browser("cecilie")  # another account from elsewhere is not locked
    assert other.get("/").status_code == 200
    clock.now += timedelta(minutes=16)
    sign_in(client, "anna")
    assert client.get("/").status_code == 200


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(browser: Browser) -> None:
    client = browser()
    for n in range(web_app.MAX_FAILURES_ADDRESS):
        sign_in(client, f"guess{n}", password="wrong")
    sign_in(client, "anna")
    assert client.get("/").status_code == 303


def test_every_page_carries_strict_security_headers(browser: Browser, app: App) -> None:
    client = browser("anna")
    for path in ("/", f"/items/{item_of(app, 'KY-A')}", "/cases/KY-A", "/holds", "/holds.csv", "/login"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


# -- the queue at size, and odd case ids (trust issue, findings 16 and 17) -------------------------------
def test_the_queue_pages_and_its_counters_follow_the_filter(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_app, "PAGE_SIZE", 2)
    client = browser("anna")
    first = client.get("/").text
    assert "Items 1–2 of 4" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/?page=2").text
    assert "Items 3–4 of 4" in second and 'rel="prev"' in second
    seen = set(re.findall(r'href="/cases/([A-Z-]+)"', first)) | set(
        re.findall(r'href="/cases/([A-Z-]+)"', second)
    )
    assert seen == {"KY-A", "KY-B", "BS-D", "BS-S"}
    housing = client.get("/?benefit=boligstoette").text
    assert re.search(r"<strong>2</strong> open", housing)  # the counters count what the filter shows
    assert "(of 4 open in your municipalities)" in housing
    assert "Page 2 of 2" in client.get("/?page=999").text  # past the end: the last page


def test_a_case_id_with_a_slash_opens(app: App, browser: Browser) -> None:
    import_persons(app.store, extract(person("Z", address_id="Z1")), "p.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(case("KY/Z 1", "kontanthjaelp", "Z")), "c.jsonl", app.clock)
    replay(app, [event("death", "Z", event_id="z-dies")])
    client = browser("anna")
    assert 'href="/cases/KY/Z%201"' in client.get("/").text
    page = client.get("/cases/KY/Z%201")
    assert page.status_code == 200 and "KY/Z 1" in page.text


def test_the_item_page_offers_only_the_actions_the_item_allows(browser: Browser, app: App) -> None:
    client = browser("anna")
    held = client.get(f"/items/{item_of(app, 'KY-A')}").text
    assert 'value="confirm"' in held and 'value="release"' in held
    moving = client.get(f"/items/{item_of(app, 'KY-B')}").text  # a handover: nothing is held
    assert 'value="confirm"' not in moving and 'value="release"' in moving


def test_extreme_ids_and_dates_are_pages_never_server_errors(browser: Browser) -> None:
    client = browser("anna")
    for path in ("/items/99999999999999999999", "/items/2147483648", "/items/0", "/items/-5"):
        assert client.get(path).status_code in (404, 422), path
    assert client.get("/holds?as_of=9999-12-31").status_code == 200
    assert client.get("/holds.csv?as_of=9999-12-31").status_code == 200
    assert client.get("/holds?as_of=0000-00-00").status_code == 200  # said on the page, not a crash
