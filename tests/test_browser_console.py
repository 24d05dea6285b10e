"""Every console page on the demo data in real headless Chromium (Debian's /usr/bin/chromium):
the page shows handles, links, charts and graph nodes, and never raw JSON, ``null``,
``undefined`` or ``[object Object]``.

One small demo (``openiru demo --scale 0.3``) and one ``openiru serve`` for the module; the
analyst's login comes from the demo's console-logins.txt.  A screenshot of every page is saved
under $OPENIRU_ARTIFACTS (default: <tmp>/openiru-artifacts) whether the test passes or not.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server_support import free_port, wait_listening

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("OPENIRU_ARTIFACTS", Path(tempfile.gettempdir()) / "openiru-artifacts"))
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="Debian's chromium is not installed at /usr/bin/chromium (make chromium)",
)
RAW = re.compile(r'\bnull\b|\bundefined\b|\bNaN\b|\[object Object\]|\{"|":\s*[\[{"\d]')
OPENIRU = str(Path(sys.executable).with_name("openiru"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("console-demo")
    db = f"sqlite:///{out / 'openiru.db'}"
    # Every test logs in from 127.0.0.1: more than the default 20 logins a minute when the suite runs fast.
    env = {**os.environ, "OPENIRU_DATA": str(out / "data"), "OPENIRU_LOGIN_PER_MINUTE": "1000"}
    subprocess.run(
        [OPENIRU, "demo", "--scale", "0.3", "--out", str(out), "--db", db],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    admin_password = "console test admin password"
    subprocess.run(
        [OPENIRU, "user", "add", "t-admin", "--role", "admin", "--db", db],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [OPENIRU, "user", "passwd", "t-admin", "--password-stdin", "--as", "t-admin", "--db", db],
        input=admin_password + "\n",
        text=True,
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    logins = {
        line.split("\t")[1]: line.split("\t")
        for line in (out / "console-logins.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    port = free_port()
    log = (out / "server.log").open("w")
    proc = subprocess.Popen(
        [OPENIRU, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        wait_listening(port, proc, out / "server.log", 60, 0.2)
        yield {
            "base": f"http://127.0.0.1:{port}",
            "out": out,
            "analyst": logins["analyst"],
            "admin": ["t-admin", "admin", admin_password],
            "approver": logins["approver"],
        }
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
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
        yield b
        b.close()


@pytest.fixture
def page(demo: dict[str, Any], browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)  # the first analytics request computes the ranking
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("console", lambda msg: pg.errors.append(msg.text) if msg.type == "error" else None)
    pg.goto(demo["base"] + "/login")
    name, _role, password = demo[getattr(request, "param", "analyst")]
    pg.fill("#login-name", name)
    pg.fill("#login-password", password)
    pg.click("#login-submit")
    pg.wait_for_url(lambda url: "/login" not in url)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(
        path=str(ARTIFACTS / ("console-" + re.sub(r"[^\w-]+", "_", request.node.name).strip("_") + ".png"))
    )
    context.close()


def graph_nodes(pg: Any, other_than: str | None = None) -> int:
    """Nodes the Cytoscape view drew (the page sets data-nodes when it has drawn); no
    wait_for_function: the Content-Security-Policy forbids the eval it uses."""
    from playwright.sync_api import expect

    graph = pg.locator("#graph")
    expect(graph).to_have_attribute("data-nodes", re.compile(r"^\d+$"))
    if other_than is not None:
        expect(graph).not_to_have_attribute("data-nodes", other_than)
    return int(graph.get_attribute("data-nodes"))


def finished(pg: Any) -> str:
    """The main area's text once loaded: no raw JSON or null, no script errors."""
    pg.wait_for_load_state("networkidle")
    text = pg.locator("main").inner_text()
    found = RAW.search(text)
    assert found is None, f"raw data on {pg.url}: …{text[max(0, found.start() - 80) : found.end() + 80]}…"
    assert not pg.errors, f"errors on {pg.url}: {pg.errors}"
    return str(text)


def test_triage_filters_total_paging_names(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/triage")
    expect(page.locator("#queue .item")).to_have_count(50)
    total = int(page.locator("#triage-total").inner_text().split()[0])
    assert total > 50
    assert page.locator("#queue .item a.person").count() == 50
    page.click("#triage-more")
    expect(page.locator("#queue .item")).to_have_count(min(100, total))
    page.select_option("select[name=platform]", "telegram")
    page.select_option("select[name=signal]", "pdq")
    page.click("#triage-apply")
    expect(page.locator("#queue .item").first).to_contain_text("Image matches")
    filtered = int(page.locator("#triage-total").inner_text().split()[0])
    assert 0 < filtered < total
    assert page.locator("#queue .item p[dir=auto]").count() > 0
    # bulk reject two with a reason
    page.locator("#queue .item input.pick").nth(0).check()
    page.locator("#queue .item input.pick").nth(1).check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.click("#bulk-reject")
    page.click("#reject-ok")
    expect(page.locator("#flash")).to_contain_text("2 alerts rejected")
    expect(page.locator("#queue .item.decided")).to_have_count(2)
    finished(page)


def _first(page: Any, demo: dict[str, Any], path: str, selector: str) -> str:
    page.goto(demo["base"] + path)
    page.locator(selector).first.wait_for()
    return str(page.locator(selector).first.get_attribute("href"))


def test_post_page_evidence_decision_referrals(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    href = _first(page, demo, "/console/triage", "#queue .item a.post-link")
    page.goto(demo["base"] + href)
    expect(page.locator("#post a.person")).to_have_count(1)
    expect(page.locator("#evidence-sentences li").first).to_be_visible()
    assert page.locator("#post-text mark").count() >= 1
    assert page.locator("#post-text").get_attribute("dir") == "auto"
    expect(page.locator("#media-body")).not_to_be_empty()
    expect(page.locator("#referrals-body")).not_to_be_empty()
    page.click("#post-confirm")
    expect(page.locator("#decide-state")).to_have_text("Now confirmed.")
    finished(page)
    # a referred post links to its referral's page
    page.goto(demo["base"] + "/console/referral?id=1")
    target = page.locator("#targets a.post-link").first
    target.wait_for()
    page.goto(demo["base"] + str(target.get_attribute("href")))
    expect(page.locator("#referrals-body a.referral-link")).to_have_count(1)
    finished(page)


def test_account_page_links_score_graph(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    href = _first(page, demo, "/console/key-accounts", "#table a.person")
    page.goto(demo["base"] + href)
    expect(page.locator("#account h2")).not_to_be_empty()
    expect(page.locator("#score-breakdown .fill").first).to_be_attached()
    expect(page.locator("#score-why")).to_contain_text("Why:")
    expect(page.locator("#graph canvas").first).to_be_attached()
    assert graph_nodes(page) > 1
    expect(page.locator("#links-coordination")).to_be_visible()
    expect(page.locator("#graph-legend .legend-item").first).to_be_visible()
    assert page.locator("#table a.post-link").count() > 0
    finished(page)


def test_coordination_members_and_timeline(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/coordination")
    groups = page.locator("article.group")
    expect(groups.first).to_be_visible()
    first = groups.first
    assert first.locator(".members a.person").count() >= 3
    assert (
        first.locator(".members a.person").first.inner_text().lstrip("X TGMRCZN").strip()[0]
        in "@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )
    expect(first.locator(".timeline canvas").first).to_be_attached()
    assert int(first.locator(".timeline").get_attribute("data-points") or 0) >= 3
    first.locator("summary").click()
    assert first.locator("table.bursts a.post-link").count() >= 3
    text = finished(page)
    assert ",http" not in text


def test_recreated_side_by_side(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/recreated")
    link = page.locator("article.recreated-link").first
    expect(link.locator(".profile")).to_have_count(2)
    expect(link.locator(".profile a.person")).to_have_count(2)
    expect(link.locator(".bars .fill").first).to_be_attached()
    finished(page)


def test_key_accounts_why_in_words(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/key-accounts")
    expect(page.locator("#table tbody tr").first).to_be_visible()
    assert page.locator("#table a.person").count() > 20
    expect(page.locator("#table .why").first).to_contain_text("strongest parts")
    finished(page)


def test_network_view_nodes_colour_search_export(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/network")
    whole = graph_nodes(page)
    assert whole > 50
    expect(page.locator("#graph canvas").first).to_be_attached()
    expect(page.locator("#graph-legend .legend-item").first).to_contain_text("community")
    page.select_option("#graph-colour", "platform")
    expect(page.locator("#graph-legend")).to_contain_text("Colour: platform")
    page.fill("#graph-search", "a")
    expect(page.locator("#search-count")).to_contain_text("found")
    gexf = page.evaluate("document.querySelector('#graph-gexf') && 1")
    assert gexf == 1
    with page.expect_download() as download:
        page.click("#graph-gexf")
    path = download.value.path()
    assert path is not None and b"<gexf" in Path(path).read_bytes()
    # one community
    page.select_option("select[name=community]", index=1)
    page.click("#network-apply")
    assert 2 < graph_nodes(page, other_than=str(whole)) < whole
    finished(page)


def test_referral_board_and_detail(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/referrals")
    card = page.locator("article.referral").first
    expect(card).to_be_visible()
    box = card.bounding_box()
    for ref in card.locator(".ref-id").all():
        inner = ref.bounding_box()
        assert inner["x"] + inner["width"] <= box["x"] + box["width"] + 1, "an id overflows its card"
    card.locator("a.ref-id").click()
    page.wait_for_url("**/console/referral?id=*")
    expect(page.locator("#history tbody tr").first).to_be_visible()
    assert page.locator("#history tbody tr").count() >= 2
    expect(page.locator("#targets a.post-link").first).to_be_visible()
    expect(page.locator("#targets a.person").first).to_be_visible()
    expect(page.locator("#documents a")).to_have_count(5)
    finished(page)
    # each preserved file of a sent referral downloads, with the SHA-256 the table shows
    page.goto(demo["base"] + "/console/referral?id=1")
    row = page.locator("#evidence-files tbody tr", has=page.locator("a.evidence-file")).first
    expect(row).to_be_visible()
    with page.expect_download() as download:
        row.locator("a.evidence-file").click()
    path = download.value.path()
    assert path is not None
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == row.locator("td.url").inner_text().strip()
    finished(page)


def test_statistics_time_series_and_range(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/stats")
    for chart in (
        "chart-daily",
        "chart-flagged",
        "chart-weekly",
        "chart-migration",
        "chart-domains",
        "chart-removal",
    ):
        expect(page.locator(f"#{chart} canvas").first).to_be_attached()
    assert int(page.locator("#chart-daily").get_attribute("data-series") or 0) == 5
    assert int(page.locator("#chart-weekly").get_attribute("data-series") or 0) >= 3
    alerts = int(page.locator("[data-counter=alerts] .value").inner_text().replace(",", ""))
    assert alerts > 0
    # a range with nothing in it: the charts say so instead of drawing empty axes
    page.fill("input[name=since]", "2001-01-01")
    page.fill("input[name=until]", "2001-02-01")
    page.click("#range-apply")
    expect(page.locator("[data-counter=alerts] .value")).to_have_text("0")
    expect(page.locator("#chart-daily")).to_contain_text("Nothing in this time range")
    # the migration and emerging-domain charts follow the range too
    expect(page.locator("#chart-migration")).to_contain_text("Nothing in this time range")
    expect(page.locator("#chart-domains")).to_contain_text("Nothing in this time range")
    finished(page)


def test_statistics_report_charts(page: Any, demo: dict[str, Any]) -> None:
    """The report's own SVG charts (GET /api/v1/reports/charts) on the statistics page: the same
    charts `openiru report` writes, titled, for the chosen report and range."""
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/stats")
    box = page.locator("#report-charts")
    expect(box).to_have_attribute("data-charts", re.compile(r"^[1-9]\d*$"))
    n = int(box.get_attribute("data-charts") or 0)
    assert page.locator("#report-charts svg").count() == n
    assert (
        page.locator("#report-charts svg rect, #report-charts svg polyline").count() > n
    )  # drawn, not empty
    titles = page.locator("#report-charts svg > text[font-weight=bold]").all_text_contents()
    assert len(titles) == n and all(t.strip() for t in titles)
    expect(page.locator("#report-title")).to_contain_text("report")
    assert page.locator("#report-charts script, #report-charts foreignObject").count() == 0
    page.select_option("#report-form select[name=kind]", "tco-art8")
    page.click("#report-apply")
    expect(page.locator("#report-title")).to_contain_text("Art")
    expect(box).to_have_attribute("data-charts", re.compile(r"^[1-9]\d*$"))
    page.locator("#report-charts").scroll_into_view_if_needed()
    finished(page)


def test_posts_and_accounts_lists(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/posts")
    expect(page.locator("#table tbody tr")).to_have_count(50)
    assert page.locator("#table a.person").count() == 50
    assert page.locator("#table td[dir=auto]").count() == 50
    finished(page)
    page.goto(demo["base"] + "/console/accounts")
    expect(page.locator("#table a.person").first).to_be_visible()
    handle = page.locator("#table a.person").nth(3).inner_text().split("@")[-1].rstrip(")")
    page.fill("input[name=q]", handle[:5].upper())  # any case, part of the handle
    page.click("#accounts-apply")
    expect(page.locator("#table a.person").first).to_contain_text(handle[:5], ignore_case=True)
    page.fill("input[name=q]", "no-such-account-anywhere")
    page.click("#accounts-apply")
    expect(page.locator("#table td.empty")).to_contain_text("No account matches")
    finished(page)


@pytest.mark.parametrize(
    "path",
    [
        "/console/triage",
        "/console/posts",
        "/console/accounts",
        "/console/network",
        "/console/key-accounts",
        "/console/coordination",
        "/console/recreated",
        "/console/referrals",
        "/console/deconfliction",
        "/console/action-days",
        "/console/stats",
    ],
)
def test_every_menu_page_is_finished(page: Any, demo: dict[str, Any], path: str) -> None:
    page.goto(demo["base"] + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    text = finished(page)
    assert len(text) > 100


@pytest.mark.parametrize("page", ["admin"], indirect=True)
def test_audit_and_users_pages_in_words(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/audit")
    expect(page.locator("#verify")).to_contain_text("Hash chain intact")
    expect(page.locator("#table tbody tr").first).to_be_visible()
    finished(page)
    page.goto(demo["base"] + "/console/users")
    expect(page.locator("#table tbody tr").first).to_be_visible()
    finished(page)


def test_post_with_matched_image_shows_it_blurred(page: Any, demo: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/triage")
    page.select_option("select[name=signal]", "pdq")
    page.click("#triage-apply")
    expect(page.locator("#queue .item").first).to_contain_text("Image matches")
    page.goto(demo["base"] + str(page.locator("#queue .item a.post-link").first.get_attribute("href")))
    image = page.locator("#media-body img").first
    expect(image).to_have_class(re.compile("blurred"))
    expect(image).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.locator("#media-body .media-missing").count() == 0
    expect(page.locator("#evidence-sentences")).to_contain_text("PDQ distance")
    image.click()
    expect(image).not_to_have_class(re.compile("blurred"))
    finished(page)


def test_triage_assignment(page: Any, demo: dict[str, Any]) -> None:
    """Claim one alert, assign two selected ones to me, then filter the queue to mine."""
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/console/triage")
    first = page.locator("#queue .item").first
    expect(first).to_contain_text("unassigned")
    first.locator("button.claim").click()
    expect(page.locator("#flash")).to_contain_text("1 alert assigned to you")
    expect(page.locator("#queue .item").first).to_contain_text("assigned to me")
    page.locator("#queue .item input.pick").nth(1).check()
    page.locator("#queue .item input.pick").nth(2).check()
    page.click("#bulk-assign")
    expect(page.locator("#flash")).to_contain_text("2 alerts assigned to you")
    page.select_option("select[name=assigned]", "me")
    page.click("#triage-apply")
    expect(page.locator("#triage-total")).to_contain_text("3 alerts match")
    expect(page.locator("#queue .item")).to_have_count(3)
    assert page.locator("#queue .item .assigned", has_text="assigned to me").count() == 3
    page.locator("#queue .item button.unassign").first.click()
    expect(page.locator("#flash")).to_contain_text("assigned to no one")
    finished(page)
    # the post page says whose the alert is, and releases it
    page.goto(
        demo["base"]
        + str(
            page.locator("#queue .item", has_text="assigned to me")
            .first.locator("a.post-link")
            .get_attribute("href")
        )
    )
    expect(page.locator("#assignment")).to_contain_text("Assigned to you by")
    page.click("#post-assign")
    expect(page.locator("#assignment")).to_contain_text("Not assigned to anyone")
    page.click("#post-assign")
    expect(page.locator("#assignment")).to_contain_text("Assigned to you by")
    finished(page)


def test_audit_page_says_when_nothing_vouches_for_the_log(demo: dict[str, Any], browser: Any) -> None:
    """With anchoring off the chain still holds together, but its end is unverifiable: the page
    says so as a warning with the reason and the remedy, not as a broken log."""
    from playwright.sync_api import expect

    port = free_port()
    env = {
        **os.environ,
        "OPENIRU_DATA": str(demo["out"] / "data"),
        "OPENIRU_LOGIN_PER_MINUTE": "1000",
        "OPENIRU_AUDIT_ANCHOR": "off",
    }
    log_path = demo["out"] / "server-unanchored.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                OPENIRU,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--db",
                f"sqlite:///{demo['out'] / 'openiru.db'}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        context = browser.new_context(viewport={"width": 1360, "height": 1000})
        try:
            wait_listening(port, proc, log_path, 60, 0.2)
            pg = context.new_page()
            pg.errors = []
            pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
            name, _role, password = demo["admin"]
            pg.goto(f"http://127.0.0.1:{port}/login")
            pg.fill("#login-name", name)
            pg.fill("#login-password", password)
            pg.click("#login-submit")
            pg.wait_for_url(lambda url: "/login" not in url)
            pg.goto(f"http://127.0.0.1:{port}/console/audit")
            state = pg.locator("#verify-state")
            expect(state).to_have_attribute("data-status", "unverifiable")
            expect(state).to_have_class(re.compile(r"\bwarn\b"))
            expect(state).to_contain_text("holds together")
            expect(state).to_contain_text("OPENIRU_AUDIT_ANCHOR=off")
            expect(state).to_contain_text("openiru audit anchor --restart")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(ARTIFACTS / "console-audit-unanchored.png"))
            finished(pg)
        finally:
            context.close()
            proc.terminate()
            proc.wait(10)
