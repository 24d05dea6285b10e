"""The console's watchlist page in real headless Chromium: an analyst adds a Mastodon target
(a refused one shows the API's one-line error inline), sees it listed, pauses and removes it,
and watches a suggested re-created successor with one click; an approver sees the list without
the buttons.  "Watch" on the key-accounts and re-created pages takes one click too.  No raw JSON, ``null`` or script errors on screen; a screenshot is saved under
$OPENIRU_ARTIFACTS (default: <tmp>/openiru-artifacts).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from server_support import free_port, wait_listening
from test_browser_console import ARTIFACTS, CHROMIUM, OPENIRU, RAW

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="Debian's chromium is not installed at /usr/bin/chromium (make chromium)",
)
PASSWORD = "watch page test password"


@pytest.fixture
def server(sqlite_engine: sa.Engine, sqlite_url: str, tmp_path: Any) -> Iterator[str]:
    from openiru.services.collect import watchlist
    from test_collect_suggest import seed

    seed(sqlite_engine)  # harbor_light (suspended) and its successor harbor_light_2
    watchlist.add(sqlite_engine, "x", "user:harbor_light", every="1h", label="circle")
    sqlite_engine.dispose()
    env = {**os.environ, "OPENIRU_DATA": str(tmp_path / "data"), "OPENIRU_LOGIN_PER_MINUTE": "1000"}
    env.pop("OPENIRU_FETCH_ALLOW", None)
    for name, role in (("w-admin", "admin"), ("w-analyst", "analyst"), ("w-approver", "approver")):
        subprocess.run(
            [OPENIRU, "user", "add", name, "--role", role, "--db", sqlite_url],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        subprocess.run(
            [OPENIRU, "user", "passwd", name, "--password-stdin", "--as", "w-admin", "--db", sqlite_url],
            input=PASSWORD + "\n",
            text=True,
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [OPENIRU, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", sqlite_url],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        wait_listening(port, proc, tmp_path / "server.log", 60, 0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-sync"]
        )
        yield b
        b.close()


def _login(browser: Any, base: str, name: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("console", lambda msg: pg.errors.append(msg.text) if msg.type == "error" else None)
    pg.goto(base + "/login")
    pg.fill("#login-name", name)
    pg.fill("#login-password", PASSWORD)
    pg.click("#login-submit")
    pg.wait_for_url(lambda url: "/login" not in url)
    return pg


def _clean(pg: Any) -> str:
    pg.wait_for_load_state("networkidle")
    text = str(pg.locator("main").inner_text())
    found = RAW.search(text)
    assert found is None, f"raw data on {pg.url}: …{text[max(0, found.start() - 80) : found.end() + 80]}…"
    return text


def test_watch_page_add_pause_remove_and_suggestion(server: str, browser: Any) -> None:
    from playwright.sync_api import expect

    pg = _login(browser, server, "w-analyst")
    # one click on the key-accounts page and the re-created page
    pg.goto(server + "/console/key-accounts")
    row = pg.locator("#table tbody tr", has_text="reader_seven")
    row.locator("button.watch-account").click()
    expect(row).to_contain_text("Watched")
    pg.goto(server + "/console/recreated")
    expect(pg.locator("article.recreated-link button.watch-account")).to_have_text("Watch the new account")
    _clean(pg)
    pg.goto(server + "/console/watch")
    expect(pg.locator("nav a[aria-current=page]")).to_have_text("Watchlist")
    rows = pg.locator("#table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("user:harbor_light")
    expect(rows.nth(1)).to_contain_text("user:reader_seven")
    expect(rows.first).to_contain_text("1h")
    # the suggestion: the suspended watched account's successor, watched with one click
    suggestion = pg.locator("#suggestion-table tr.suggestion", has_text="user:harbor_light_2")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("Re-created")
    suggestion.locator("button.watch-suggestion").click()
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("user:harbor_light_2")
    expect(pg.locator("#suggestion-table tr.suggestion", has_text="user:harbor_light_2")).to_have_count(0)
    # an internal server is refused: the API's one line, inline
    pg.select_option("#watch-connector", "mastodon")
    pg.fill("#watch-target", "tag:harbour")
    pg.fill("#watch-server", "http://127.0.0.1:9")
    pg.click("#watch-add")
    expect(pg.locator("#watch-error")).to_contain_text("OPENIRU_FETCH_ALLOW")
    expect(rows).to_have_count(3)
    # the browser logs the refused request itself; nothing else went wrong
    assert [e for e in pg.errors if "status of 400" not in e] == [], pg.errors
    pg.errors.clear()
    # a public server is accepted and listed
    pg.fill("#watch-server", "https://social.example")
    pg.fill("#watch-every", "2h")
    pg.fill("#watch-label", "harbour tag")
    pg.click("#watch-add")
    expect(pg.locator("#watch-error")).to_be_hidden()
    expect(rows).to_have_count(4)
    added = rows.filter(has_text="tag:harbour")
    expect(added).to_contain_text("https://social.example")
    expect(added).to_contain_text("2h")
    expect(added).to_contain_text("active")
    expect(added.locator("td[dir=auto]").first).to_have_text("tag:harbour")
    added.locator("button[data-action=pause]").click()
    expect(rows.filter(has_text="tag:harbour")).to_contain_text("paused")
    expect(rows.filter(has_text="tag:harbour").locator("button[data-action=resume]")).to_have_count(1)
    _clean(pg)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "console-watch.png"), full_page=True)
    rows.filter(has_text="tag:harbour").locator("button[data-action=remove]").click()
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="tag:harbour")).to_have_count(0)
    _clean(pg)
    assert not pg.errors, pg.errors
    pg.context.close()

    # an approver reads the list: no form, no buttons
    viewer = _login(browser, server, "w-approver")
    viewer.goto(server + "/console/watch")
    expect(viewer.locator("#table tbody tr")).to_have_count(3)
    expect(viewer.locator("#watch-form")).to_be_hidden()
    assert viewer.locator("#table button").count() == 0
    _clean(viewer)
    assert viewer.locator("button.watch-suggestion").count() == 0
    assert not viewer.errors, viewer.errors
    viewer.context.close()
