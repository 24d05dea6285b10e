"""The whole console flow in real headless Chromium (Playwright driving Debian's /usr/bin/chromium).

An analyst logs in, triages a detection alert, refers the post into a Referral
Action Day; an approver approves and sends it from the referral board; the
provider's user acknowledges it and reports it removed in the provider portal;
the board and the action-day counters change.  The server is the real
``openiru serve`` on a free loopback port.  On failure, screenshots of every
open page go to tests/artifacts/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openiru.services.access import auth
from openiru.services.access.users import add_user
from openiru.services.referral import action_days as operations
from openiru.store import schema
from openiru.store.db import open_database
from server_support import free_port, wait_listening

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "browser test password 1"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="Debian's chromium is not installed at /usr/bin/chromium (make chromium)",
)


def _prepare(db_url: str, tmp: Path) -> None:
    from openiru.services.detect.banks import import_lexicon
    from openiru.services.detect.scan import scan
    from openiru.services.referral.providers import get_provider

    engine = open_database(db_url)
    for name, role, provider in (
        ("ana", "analyst", None),
        ("appro", "approver", None),
        ("prov", "provider", "Telegram"),
    ):
        add_user(
            engine, name, role, provider=provider, provider_lookup=get_provider
        )  # Telegram: a starter provider
        auth.set_password(engine, name, PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            schema.accounts.insert().values(
                platform="telegram", account_id="channel1", handle=None, status="active"
            )
        )
        for i in range(1, 4):
            text = f"Placeholder bulletin {i} of the Ashen Lantern Order" if i < 3 else "Weather report"
            conn.execute(
                schema.posts.insert().values(
                    platform="telegram",
                    post_id=f"-100777/{i}",
                    account_id="channel1",
                    text=text,
                    timestamp=datetime(2026, 3, i, 9, tzinfo=UTC),
                    raw="{}",
                )
            )
    lexicon = tmp / "lexicon.csv"
    lexicon.write_text("term,language,kind,label\nAshen Lantern Order,en,outlet,Fictional Org\n", "utf-8")
    import_lexicon(engine, lexicon, "browser-test")
    assert scan(engine).alerts == 2
    operations.create(engine, "ana", "Action Day Test", ["agency-north"], hours=48)
    engine.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db_url = f"sqlite:///{tmp_path / 'browser.db'}"
    _prepare(db_url, tmp_path)
    port = free_port()
    env = {**os.environ, "OPENIRU_DATA": str(tmp_path / "data")}
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("openiru")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            db_url,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        wait_listening(port, proc, tmp_path / "server.log", 30, 0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _login(browser, base: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.goto(base + "/")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_triage_refer_approve_send_remove(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    pages: dict[str, object] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            # 1. the analyst triages: confirm the first alert with the keyboard, then open it
            analyst = pages["analyst"] = _login(browser, server, "ana")
            assert analyst.url.endswith("/console/triage")
            expect(analyst.locator("#queue .item")).to_have_count(2)
            first = analyst.locator("#queue .item").first
            post_key = first.get_attribute("data-post")
            analyst.keyboard.press("c")
            expect(analyst.locator("#flash")).to_contain_text(f"{post_key}: confirmed")
            expect(first).to_have_class("item decided")
            expect(analyst.locator("#queue .item.selected")).to_have_attribute(
                "data-post", analyst.locator("#queue .item").nth(1).get_attribute("data-post") or ""
            )
            first.get_by_text("Open (o)").click()
            expect(analyst.locator("#post-text mark")).to_have_text("Ashen Lantern Order")
            expect(analyst.locator("#evidence-table")).to_contain_text("browser-test")
            # 2. refer it into the action day
            analyst.select_option("#refer-operation", label="Action Day Test")
            analyst.fill("#refer-reason", "placeholder reason")
            analyst.click("#refer-submit")
            expect(analyst.locator("#refer-result")).to_contain_text("draft to Telegram")
            ref_id = analyst.locator("#refer-result a").first.inner_text().lstrip("#")
            # the author cannot approve their own referral: no button on their board
            analyst.goto(server + "/console/referrals")
            card = analyst.locator(f"#referral-{ref_id}")
            expect(card).to_have_attribute("data-state", "draft")
            expect(card.locator("button.approve")).to_have_count(0)

            # 3. a second user approves and sends it; the countdown runs
            approver = pages["approver"] = _login(browser, server, "appro")
            approver.goto(server + "/console/action-days")
            expect(approver.locator("[data-counter=items_referred] .value")).to_have_text("1")
            expect(approver.locator("[data-counter=items_sent] .value")).to_have_text("0")
            approver.goto(server + "/console/referrals")
            card = approver.locator(f"#referral-{ref_id}")
            card.locator("button.approve").click()
            expect(approver.locator(f"#referral-{ref_id}")).to_have_attribute("data-state", "approved")
            approver.locator(f"#referral-{ref_id} button.send").click()
            card = approver.locator(f"#referral-{ref_id}")
            expect(card).to_have_attribute("data-state", "sent")
            expect(card.locator(".countdown")).to_contain_text("m ")
            text1 = card.locator(".countdown").inner_text()
            approver.wait_for_timeout(2500)
            text2 = card.locator(".countdown").inner_text()
            assert text2 != text1, f"the countdown is not live: {text1} {text2} " + str(
                approver.evaluate("document.visibilityState")
            )
            approver.goto(server + "/console/action-days")
            counters = approver.locator("[data-counter=items_removed] .value")
            expect(approver.locator("[data-counter=items_sent] .value")).to_have_text("1")
            expect(counters).to_have_text("0")

            # 4. the provider acknowledges and reports removal in the portal
            provider = pages["provider"] = _login(browser, server, "prov")
            assert provider.url.endswith("/portal")
            pcard = provider.locator(f"#referral-{ref_id}")
            expect(pcard).to_have_attribute("data-state", "sent")
            expect(pcard).to_contain_text("telegram:-100777/")
            pcard.locator("button.acknowledge").click()
            expect(provider.locator(f"#referral-{ref_id}")).to_have_attribute("data-state", "acknowledged")
            provider.locator(f"#referral-{ref_id} select.outcome").select_option("removed")
            provider.locator(f"#referral-{ref_id} button.send-answer").click()
            expect(provider.locator(f"#referral-{ref_id}")).to_have_attribute("data-state", "removed")
            # the provider portal is the provider's only page
            provider.goto(server + "/console/referrals")
            expect(provider.locator("main")).to_contain_text("does not give access")

            # 5. the action-day counters change live (no reload), and the board shows it removed
            expect(counters).to_have_text("1", timeout=10000)
            expect(approver.locator("[data-counter=removal_rate] .value")).to_have_text("100%")
            approver.goto(server + "/console/referrals")
            expect(approver.locator(f"section[data-state=removed] #referral-{ref_id}")).to_have_count(1)
            for name, page in pages.items():
                assert not page.errors, f"JavaScript errors on the {name}'s page: {page.errors}"  # type: ignore[attr-defined]
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            for name, page in pages.items():
                try:
                    page.screenshot(path=str(ARTIFACTS / f"browser-flow-{name}.png"), full_page=True)  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001 - best effort, the original failure matters
                    pass
            raise
        finally:
            browser.close()
