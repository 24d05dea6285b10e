"""No SSRF: the outbound client refuses internal addresses, on every hop, within size and time limits.

A real HTTP server on 127.0.0.1 plays the internal service (``/secret``) and the
redirector.  Without an allow-list nothing on it is fetched, neither directly nor
through evidence capture nor verification; the allow-list lets exactly what it
names through; a redirect from an allowed host to one not allowed is refused.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from openiru.errors import ConfigError
from openiru.referral.targets import parse_target
from openiru.services import outbound
from openiru.services.outbound import (
    FetchPolicy,
    FetchRefused,
    FetchTooLarge,
    Outbound,
    is_internal,
    parse_allow,
)
from openiru.services.referral import evidence
from openiru.services.referral import verify as referrals_verify
from openiru.services.referral.records import TargetInfo

SECRET = b"internal-only: OPENIRU_SECRET_KEY=not-for-providers"


class Server:
    """127.0.0.1 on a free port: /secret, /big, /chunked, /slow, /to?url=... (302)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path == "/to":
                    self.send_response(302)
                    self.send_header("Location", query.removeprefix("url="))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path == "/slow":
                    time.sleep(2)
                body = {"/secret": SECRET, "/big": b"x" * 200_000, "/slow": b"late"}.get(path)
                if path == "/chunked":  # no Content-Length: the limit must hold while streaming
                    self.send_response(200)
                    self.end_headers()
                    for _ in range(50):
                        self.wfile.write(b"y" * 10_000)
                    return
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.protocol_version = "HTTP/1.0"
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.delenv("OPENIRU_FETCH_ALLOW", raising=False)
    s = Server()
    yield s
    s.close()


def _policy(allow: str = "", **kw: Any) -> FetchPolicy:
    return FetchPolicy(allow=parse_allow(allow), **kw)


def test_internal_addresses_are_refused_without_connecting(server: Server) -> None:
    with Outbound(_policy()) as client:
        for url in (
            f"{server.base}/secret",
            f"http://localhost:{server.port}/secret",
            f"http://[::1]:{server.port}/",
            "http://169.254.169.254/latest/meta-data/",
            f"http://[::ffff:127.0.0.1]:{server.port}/secret",
            "http://10.0.0.8/",
            "http://192.168.1.1/",
            "http://0.0.0.0/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://224.0.0.251/",
            "http://100.64.0.1/",
        ):
            with pytest.raises(FetchRefused):
                client.get(url)


def test_address_classes() -> None:
    import ipaddress

    for internal in (
        "127.0.0.1",
        "::1",
        "169.254.169.254",
        "::ffff:10.0.0.1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "::",
        "240.0.0.1",
        "255.255.255.255",
        "ff02::1",
        "100.64.0.1",
        "192.0.2.1",
    ):
        assert is_internal(ipaddress.ip_address(internal)), internal
    for public in ("93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34"):
        assert not is_internal(ipaddress.ip_address(public)), public


def test_the_allow_list_lets_exactly_what_it_names_through(server: Server) -> None:
    with Outbound(_policy(f"127.0.0.1:{server.port}")) as client:
        assert client.get(f"{server.base}/secret").content == SECRET
    with Outbound(_policy(f"localhost:{server.port}")) as client:
        assert client.get(f"http://localhost:{server.port}/secret").content == SECRET
        with pytest.raises(FetchRefused):  # the name is allowed, not the address behind it
            client.get(f"{server.base}/secret")
    with Outbound(_policy(f"127.0.0.1:{server.port + 1}")) as client, pytest.raises(FetchRefused):
        client.get(f"{server.base}/secret")  # another port of the same host
    with Outbound(_policy("127.0.0.0/8")) as client:
        assert client.get(f"{server.base}/secret").status_code == 200


def test_every_redirect_hop_is_checked(server: Server) -> None:
    other = Server()
    try:
        # allowed: the first server; its redirect to the second (not allowed) is refused
        with Outbound(_policy(f"127.0.0.1:{server.port}")) as client:
            with pytest.raises(FetchRefused, match="internal"):
                client.get(f"{server.base}/to?url={other.base}/secret")
            with pytest.raises(FetchRefused):
                client.get(f"{server.base}/to?url=http://169.254.169.254/")
            assert client.get(f"{server.base}/to?url=/secret").content == SECRET  # same host: fine
        with Outbound(_policy(f"127.0.0.1:{server.port}", max_redirects=2)) as client:
            loop = f"{server.base}/to?url=/to?url=/to?url=/secret"
            with pytest.raises(FetchRefused, match="redirects"):
                client.get(loop)
    finally:
        other.close()


def test_size_and_time_limits(server: Server) -> None:
    with Outbound(_policy(f"127.0.0.1:{server.port}", max_bytes=100_000)) as client:
        with pytest.raises(FetchTooLarge):
            client.get(f"{server.base}/big")  # declared too large
        with pytest.raises(FetchTooLarge):
            client.get(f"{server.base}/chunked")  # found too large while streaming
        assert len(client.get(f"{server.base}/secret").content) == len(SECRET)
    with (
        Outbound(_policy(f"127.0.0.1:{server.port}", timeout=0.5)) as client,
        pytest.raises(httpx.TimeoutException),
    ):
        client.get(f"{server.base}/slow")


def test_allow_list_from_the_environment(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FetchRefused):
        outbound.fetch(f"{server.base}/secret")
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", f"localhost, 127.0.0.1:{server.port}")
    monkeypatch.setenv("OPENIRU_FETCH_MAX_BYTES", "10")
    with pytest.raises(FetchTooLarge):
        outbound.fetch(f"{server.base}/secret")
    monkeypatch.setenv("OPENIRU_FETCH_MAX_BYTES", "1000")
    assert outbound.fetch(f"{server.base}/secret").content == SECRET
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1:x")
    with pytest.raises(ConfigError, match="OPENIRU_FETCH_ALLOW: '127.0.0.1:x'"):
        outbound.fetch(f"{server.base}/secret")


def test_evidence_capture_does_not_archive_an_internal_page(
    server: Server, sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    """The issue's case: a post whose url is http://127.0.0.1:PORT/secret."""
    info = TargetInfo(parse_target("fakenet:1"), url=f"{server.base}/secret", text="placeholder")
    with sqlite_engine.begin() as conn:
        rows = evidence.capture(conn, 1, "REF-1", [info], datetime.now(UTC), root=tmp_path / "ev")
    [warc] = [r for r in rows if r["kind"] == "warc"]
    assert warc["path"] is None and "FetchRefused" in warc["meta"]["error"]
    assert not list((tmp_path / "ev").rglob("*.warc.gz"))
    for path in (tmp_path / "ev").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_bytes()
    check = referrals_verify.check_target(info, evidence.default_fetch)
    assert check["reachable"] is None and "FetchRefused" in check["error"]
    assert "body_sha256" not in check
    assert json.dumps(check).find(SECRET.decode()) < 0


def test_the_connection_goes_to_the_checked_address(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name is resolved once; a later, different answer is never used."""
    import socket

    real = socket.getaddrinfo
    answers = {"public.example": ["93.184.216.34", "127.0.0.1"], "pinned.example": ["127.0.0.1"]}
    lookups: list[str] = []

    def fake_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            lookups.append(host)
            if lookups.count(host) > 1:  # a rebinding answer for any second lookup
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.9.9.9", port))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with Outbound(_policy()) as client, pytest.raises(FetchRefused, match="internal"):
        client.get(f"http://public.example:{server.port}/secret")  # one of its addresses is internal
    with Outbound(_policy(f"pinned.example:{server.port}")) as client:
        response = client.get(f"http://pinned.example:{server.port}/secret")
    assert response.content == SECRET and lookups.count("pinned.example") == 1
    assert response.request.url.host == "pinned.example"


def test_a_client_passed_in_is_the_network_and_the_limits_still_hold() -> None:
    """``Outbound(client=...)`` sends through the given client (here ``httpx.MockTransport``:
    a host that does not resolve is answered), keeps the policy's size and redirect limits,
    and leaves the caller's client open."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/big":
            return httpx.Response(200, content=b"x" * 2_000)
        if request.url.path.startswith("/loop"):
            return httpx.Response(302, headers={"Location": "/loop" + str(len(seen))})
        return httpx.Response(200, content=b"page")

    client = httpx.Client(transport=httpx.MockTransport(handle))
    policy = outbound.FetchPolicy.from_env(env={}, max_bytes=1_000, max_redirects=3)
    get = outbound.fetcher(client, policy)
    assert get("https://nowhere.invalid/page").content == b"page"
    with pytest.raises(outbound.FetchTooLarge):
        get("https://nowhere.invalid/big")
    with pytest.raises(FetchRefused, match="redirects"):
        get("https://nowhere.invalid/loop")
    assert seen[0] == "https://nowhere.invalid/page" and len(seen) == 2 + 4
    assert not client.is_closed
    client.close()
