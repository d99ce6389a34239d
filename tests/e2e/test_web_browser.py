"""The review queue in a real browser: Playwright driving Debian's chromium
against `eventfilter serve` on the bundled samples.

Screenshots of the queue and an item page go to a temporary directory, or
to docs/screenshots/ when EVENTFILTER_SCREENSHOTS is set (`make screenshots`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventfilter.core.reasons import REDACTED
from tests.conftest import fail_or_skip
from tests.e2e.conftest import EXE, Cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
CHROMIUM = Path(os.environ.get("EVENTFILTER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests may run as root in a container
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long enough password"
# Who signs in: Mette works in the two big Danish municipalities of the samples,
# Lars only in Swedish ones, Inge (the auditor) everywhere.
CASEWORKERS = {
    "mette": ("Mette Hansen", ["101", "561"]),
    "lars": ("Lars Ek", ["1480", "1481"]),
    "inge": ("Inge Lund", ["101", "510", "561", "573", "1280", "1480", "1481"]),
}


def chromium() -> Path:
    """Debian's chromium; installed here when missing and we may (root with apt-get).
    A second test run installing it at the same time waits for the first one's
    lock on the package database (`DPkg::Lock::Timeout`) instead of failing."""
    if not CHROMIUM.exists() and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", "chromium"],
            check=False,
            capture_output=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not CHROMIUM.exists():
        fail_or_skip(f"chromium is not at {CHROMIUM} and could not be installed (apt-get install chromium)")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The samples replayed, three caseworkers, and the server running as an operator would run it."""
    work = tmp_path_factory.mktemp("web")
    cli = Cli(work, f"sqlite:///{work}/eventfilter.db")
    r = cli(
        "replay",
        str(SAMPLES / "events.jsonl"),
        "--persons",
        str(SAMPLES / "persons.jsonl"),
        "--cases",
        str(SAMPLES / "cases.jsonl"),
    )
    assert r.returncode in (0, 3), r.stderr  # 3: the samples hold a few malformed lines on purpose
    for who, (name, municipalities) in CASEWORKERS.items():
        args = [arg for m in municipalities for arg in ("--municipality", m)]
        assert cli("caseworkers", "add", who, "--name", name, *args).returncode == 0
        assert cli("caseworkers", "password", who, "--password-stdin", stdin=PASSWORD + "\n").returncode == 0

    port = free_port()
    server = subprocess.Popen(
        [str(EXE), "serve", "--port", str(port)],
        cwd=work,
        env={**cli.env, "EVENTFILTER_WEB_SECRET": "k" * 48},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/ping", timeout=1) as reply:
                    assert json.load(reply) == {"signed_in": False, "idle_minutes": 480}
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    out = server.stdout.read() if server.stdout else ""
                    pytest.fail(f"eventfilter serve did not come up: {out}")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def sign_in(context: Any, site: str, who: str, start: str = "/") -> Any:
    page = context.new_page()
    page.goto(site + start)
    assert "/login" in page.url
    page.fill("#username", who)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(site + start)
    return page


def test_sign_in_filter_open_release_and_the_hold_is_gone(context: Any, site: str) -> None:
    page = sign_in(context, site, "mette")
    assert page.locator("h1").inner_text() == "Review queue"
    assert "Mette Hansen" in page.locator("header").inner_text()

    page.select_option("select[name=benefit]", "boligstoette")
    page.click("button:has-text('Show')")
    page.wait_for_url(re.compile(r".*benefit=boligstoette.*"))
    benefits = page.locator("table.queue tbody tr td:nth-child(4)").all_inner_texts()
    assert benefits and all("Boligstøtte" in b for b in benefits)
    municipalities = set(page.locator("table.queue tbody tr td:nth-child(5)").all_inner_texts())
    assert municipalities <= {"101", "561"}

    row = page.locator("table.queue tbody tr:has(.pill.held)").first
    case_id = row.locator("a[href^='/cases/']").inner_text()
    row.locator("a[href^='/items/']").click()
    page.wait_for_url(re.compile(r".*/items/\d+$"))
    item_url = page.url
    assert "Decisions and why" in page.content() and "lov om individuel boligstøtte" in page.content()

    holds = context.new_page()
    holds.goto(site + "/holds")
    assert holds.locator(f"a[href='/cases/{case_id}']").count() == 1

    # A note survives a reload: it is kept as a draft.
    page.fill("#note", "Moved within the town with the whole family; new lease seen.")
    page.wait_for_selector(".draft-status:has-text('Draft saved')")
    page.reload()
    assert page.input_value("#note") == "Moved within the town with the whole family; new lease seen."

    page.click("button[value=release]")
    page.wait_for_selector(".banner.success")
    assert "the hold is lifted and payment resumes" in page.locator(".banner.success").inner_text()
    assert "Mette Hansen (mette)" in page.locator(".done").inner_text()
    assert page.url == item_url

    holds.goto(site + "/holds")
    assert holds.locator(f"a[href='/cases/{case_id}']").count() == 0
    case_page = context.new_page()
    case_page.goto(f"{site}/cases/{case_id}")
    history = case_page.locator("ol.history").inner_text()
    assert "Hold lifted" in history and "Mette Hansen (mette)" in history


def test_a_note_typed_while_the_connection_is_lost_is_not_lost(context: Any, site: str) -> None:
    page = sign_in(context, site, "mette")
    page.locator("table.queue a[href^='/items/']").nth(3).click()
    page.wait_for_url(re.compile(r".*/items/\d+$"))
    context.set_offline(True)
    page.fill("#note", "Typed on the train, no network.")
    page.wait_for_selector(".draft-status:has-text('Offline')")
    context.set_offline(False)
    page.reload()
    assert page.input_value("#note") == "Typed on the train, no network."
    assert "restored" in page.locator(".draft-status").inner_text()


def test_a_caseworker_of_another_municipality_is_refused(context: Any, site: str) -> None:
    mette = sign_in(context, site, "mette")
    item_path = mette.locator("table.queue a[href^='/items/']").first.get_attribute("href")
    assert item_path

    other = context.browser.new_context()
    try:
        lars = sign_in(other, site, "lars")
        queue = lars.content()
        assert f'href="{item_path}"' not in queue
        reply = lars.goto(site + item_path)
        assert reply is not None and reply.status == 403
        assert lars.locator("h1").inner_text() == "Not allowed"
        assert "outside 1480, 1481" in lars.content()
        assert lars.locator("button[value=release]").count() == 0
    finally:
        other.close()


def protected_addresses() -> set[str]:
    """Every address a protected person of the samples lives at from their protection on."""
    persons = [json.loads(line) for line in (SAMPLES / "persons.jsonl").read_text().splitlines()]
    address = {p["person_id"]: p.get("address_id") for p in persons}
    protected = {p["person_id"] for p in persons if p.get("protected_address")}
    addresses = {address[p] for p in protected if address[p]}
    for line in (SAMPLES / "events.jsonl").read_text().splitlines():  # in time order
        try:
            e = json.loads(line)
            who, data = e["person_id"], e.get("data") or {}
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # the malformed lines
        if e.get("type") == "protected_address" and data.get("protected") is True:
            protected.add(who)
            if address.get(who):
                addresses.add(address[who])
        elif e.get("type") == "address_change" and isinstance(data.get("address_id"), str):
            address[who] = data["address_id"]
            if who in protected:
                addresses.add(data["address_id"])
    assert addresses, "the samples hold protected persons"
    return addresses


def test_a_protected_address_never_appears_in_any_pages_html(context: Any, site: str) -> None:
    hidden = re.compile("|".join(re.escape(a) + r"(?![0-9])" for a in sorted(protected_addresses())))
    page = sign_in(context, site, "inge")
    paths = {"/", "/holds", "/holds.csv"}
    paths |= set(
        page.locator("a[href^='/items/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    )
    paths |= set(
        page.locator("a[href^='/cases/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    )
    assert len(paths) > 100
    seen_redacted = False
    for path in sorted(paths):
        reply = page.request.get(site + path)
        assert reply.status == 200, path
        body = reply.text()
        found = hidden.search(body)
        assert found is None, f"{path} shows the protected address {found[0] if found else ''}"
        seen_redacted |= REDACTED in body
    assert seen_redacted, "the pages of protected persons' cases say that an address is protected"
    for path in ("/", "/holds"):  # and what the browser renders
        page.goto(site + path)
        assert hidden.search(page.content()) is None


def test_screenshots_of_the_queue_and_an_item_page(context: Any, site: str, tmp_path: Path) -> None:
    out = ROOT / "docs" / "screenshots" if os.environ.get("EVENTFILTER_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    page = sign_in(context, site, "mette")
    page.screenshot(path=str(out / "queue.png"))
    page.locator("table.queue tbody tr:has-text('household_changed') a[href^='/items/']").first.click()
    page.wait_for_url(re.compile(r".*/items/\d+$"))
    page.screenshot(path=str(out / "item.png"), full_page=True)
    for name in ("queue.png", "item.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
