"""No SSRF through the live connectors: Mastodon.py and rocketchat_API fetch through a
``requests`` session that applies the outbound client's address policy (services/outbound.py)
before every request and every redirect hop, and `watch add` refuses an internal server.

Real local servers count the requests they receive: a refused target gets none."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from collect_support import FakeServer, message
from openiru.errors import ConfigError
from openiru.model import Post
from openiru.services.collect import watchlist
from openiru.services.collect.runner import build_connector, collect_target
from openiru.services.outbound import FetchPolicy, url_guard
from openiru.sources.connectors.base import Target
from openiru.sources.connectors.polite import Backoff, ConnectorError, PoliteSession, RequestRefused

RC_ENV = {"OPENIRU_ROCKETCHAT_USER": "collector", "OPENIRU_ROCKETCHAT_PASSWORD": "s3cret-pass-word"}


class Redirector:
    """A server on ``host`` that answers every request with a 302 to ``location`` (and counts them)."""

    def __init__(self, host: str, location: str = "") -> None:
        self.location, self.hits = location, 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                owner.hits += 1
                self.send_response(302)
                self.send_header("Location", owner.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    monkeypatch.delenv("OPENIRU_FETCH_ALLOW", raising=False)
    with FakeServer() as server:
        yield server


def no_retry() -> Backoff:
    return Backoff(sleep=lambda s: None, retries=1)


def test_mastodon_at_loopback_refused_without_allow_list_and_read_with_it(
    fake: FakeServer, sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_statuses(range(1, 6))
    target = Target("mastodon", "public", fake.url)
    result = collect_target(sqlite_engine, build_connector(target, backoff=no_retry()), hooks=[])
    assert result.new_posts == 0 and len(result.errors) == 1
    assert "internal address (127.0.0.1)" in result.errors[0] and "OPENIRU_FETCH_ALLOW" in result.errors[0]
    assert fake.requests == []  # nothing reached the server
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")
    result = collect_target(sqlite_engine, build_connector(target), hooks=[])
    assert result.errors == [] and result.new_posts == 5 and fake.requests


def test_rocketchat_at_loopback_refused_without_allow_list_and_read_with_it(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.messages = [message(n) for n in range(1, 4)]
    target = Target("rocketchat", "channel:general", fake.url)
    with pytest.raises(ConnectorError, match=r"refused: .*internal address \(127\.0\.0\.1\)"):
        list(build_connector(target, env=RC_ENV, backoff=no_retry()).pages(None))
    assert fake.requests == [] and fake.logins == 0
    port = fake.url.rsplit(":", 1)[1]
    pages = list(
        build_connector(target, env={**RC_ENV, "OPENIRU_FETCH_ALLOW": f"127.0.0.1:{port}"}).pages(None)
    )
    posts = [r for p in pages for r in p.records if isinstance(r, Post)]
    assert len(posts) == 3 and fake.logins == 1


@pytest.mark.parametrize(
    "location", ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/"]
)
def test_redirect_from_an_allowed_server_to_an_internal_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, location: str
) -> None:
    redirector = Redirector("127.0.0.1", location)
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", redirector.url.removeprefix("http://"))
    try:
        connector = build_connector(Target("mastodon", "public", redirector.url), backoff=no_retry())
        with pytest.raises(ConnectorError, match="refused: .*internal address"):
            list(connector.pages(None))
        # the allowed first hops were sent (Mastodon.py asks /api/v2/instance, then the timeline),
        # the redirects to the internal address were not followed
        assert 1 <= redirector.hits <= 2
    finally:
        redirector.close()


def test_redirect_to_another_loopback_server_never_reaches_it(monkeypatch: pytest.MonkeyPatch) -> None:
    inner = Redirector("127.0.0.2")  # a real server on 127.0.0.2: counts what reaches it
    outer = Redirector("127.0.0.1", inner.url + "/api/v1/channels.info")
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")
    try:
        connector = build_connector(
            Target("rocketchat", "channel:general", outer.url), env=RC_ENV, backoff=no_retry()
        )
        with pytest.raises(ConnectorError, match=r"127\.0\.0\.2.*refused"):
            list(connector.pages(None))
        assert outer.hits == 1 and inner.hits == 0
    finally:
        inner.close()
        outer.close()


def test_guarded_session_checks_each_hop_under_the_policy() -> None:
    redirector = Redirector("127.0.0.1", "http://127.0.0.2:9/")
    try:
        allowed = FetchPolicy.from_env({"OPENIRU_FETCH_ALLOW": "127.0.0.1"})
        with PoliteSession(no_retry(), guard=url_guard(allowed)) as session:
            with pytest.raises(RequestRefused, match=r"127\.0\.0\.2:9/: refused"):
                session.get(redirector.url + "/start")
        with PoliteSession(no_retry(), guard=url_guard(FetchPolicy.from_env({}))) as session:
            with pytest.raises(RequestRefused):
                session.get(redirector.url + "/start")
        assert redirector.hits == 1
    finally:
        redirector.close()


def test_watch_add_refuses_an_internal_server_unless_allowed(
    sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENIRU_FETCH_ALLOW", raising=False)
    for connector, target, server in (
        ("mastodon", "public", "http://127.0.0.1:8080"),
        ("rocketchat", "channel:general", "http://169.254.169.254"),
        ("mastodon", "public", "http://10.1.2.3:3000/"),
        ("feed", "http://192.168.1.1/feed.xml", None),
    ):
        with pytest.raises(ConfigError, match="OPENIRU_FETCH_ALLOW") as err:
            watchlist.add(sqlite_engine, connector, target, server)
        assert "\n" not in str(err.value) and "internal address" in str(err.value)
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1:8080")
    assert watchlist.add(sqlite_engine, "mastodon", "public", "http://127.0.0.1:8080") > 0
    with pytest.raises(ConfigError):  # another port is not named
        watchlist.add(sqlite_engine, "mastodon", "public", "http://127.0.0.1:8081")


def test_connection_is_pinned_to_the_checked_address(fake: FakeServer) -> None:
    """The session connects to the address the guard checked and never resolves the name again
    (a DNS rebinding answer is never used): a name that cannot resolve still reaches the server
    the guard pinned, with the name as Host."""
    fake.add_statuses(range(1, 3))
    port = fake.url.rsplit(":", 1)[1]
    seen: list[str] = []

    def guard(url: str) -> tuple[str | None, list[str]]:
        seen.append(url)
        return None, ["127.0.0.1"]

    with PoliteSession(no_retry(), guard=guard) as session:
        answer = session.get(f"http://pinned.invalid:{port}/api/v1/timelines/public")
    assert answer.status_code == 200 and len(answer.json()) == 2
    assert fake.requests[-1][3]["Host"] == f"pinned.invalid:{port}" and len(seen) == 1


@pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl command for a test certificate"
)
def test_https_pinned_keeps_the_name_for_sni_and_certificate(tmp_path: Path) -> None:
    """Pinned to 127.0.0.1, an https request still checks the certificate against the URL's name."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=pinned.test",
            "-addext",
            "subjectAltName=DNS:pinned.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = Redirector("127.0.0.1", "https://pinned.test/next")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    port = server.httpd.server_address[1]
    try:
        with PoliteSession(no_retry(), guard=lambda url: (None, ["127.0.0.1"])) as session:
            session.verify = str(cert)
            answer = session.get(f"https://pinned.test:{port}/start", allow_redirects=False)
            assert answer.status_code == 302 and answer.headers["Location"] == "https://pinned.test/next"
            with pytest.raises(ConnectorError, match="SSLError"):  # the name is checked, not the IP
                session.get(f"https://other.test:{port}/start", allow_redirects=False)
    finally:
        server.close()
