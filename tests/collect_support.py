"""A local fake of the platforms' APIs for the collection tests (127.0.0.1 only).

One threaded HTTP server speaks, with hand-written fictional content in the real
response shapes: Mastodon (``/api/v1/timelines/public|tag/NAME``, ``/api/v1/accounts/
lookup`` and ``/:id/statuses``; ``min_id``/``max_id``/``since_id`` and ``Link`` headers),
Rocket.Chat (``/api/v1/login``, ``channels.info``, ``channels.history`` with ``oldest``,
``latest``, ``inclusive``, ``count``; tokens that can expire) and an RSS 2.0 feed and a
web page (``ETag`` / ``If-None-Match``), and an Atom feed that only
sends ``Last-Modified`` (``If-Modified-Since`` answered 304).  ``faults`` queues, per path prefix, answers
given before the real one: ``(status, headers)`` or ``"drop"`` (the connection closes
mid-response).  ``requests`` records every request (method, path, query, headers).
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def status(n: int, host: str, tags: tuple[str, ...] = (), account: int = 1) -> dict[str, Any]:
    """A Mastodon Status entity (fictional), id growing with ``n``."""
    sid = str(110000000000000000 + n)
    return {
        "id": sid,
        "created_at": (BASE + timedelta(minutes=n)).isoformat().replace("+00:00", ".000Z"),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"https://{host}/users/u{account}/statuses/{sid}",
        "url": f"https://{host}/@u{account}/{sid}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": f"<p>Placeholder bulletin number {n} of the Example Circle</p>",
        "reblog": None,
        "media_attachments": [],
        "mentions": [],
        "emojis": [],
        "card": None,
        "poll": None,
        "tags": [{"name": t, "url": f"https://{host}/tags/{t}"} for t in tags],
        "account": {
            "id": str(account),
            "username": f"u{account}",
            "acct": f"u{account}",
            "display_name": f"Example Circle {account}",
            "locked": False,
            "bot": False,
            "group": False,
            "created_at": "2025-01-01T00:00:00.000Z",
            "note": "<p>fictional</p>",
            "url": f"https://{host}/@u{account}",
            "avatar": f"https://{host}/a/{account}.png",
            "followers_count": 3,
            "following_count": 1,
            "statuses_count": 10,
        },
    }


def message(n: int, rid: str = "ROOM1") -> dict[str, Any]:
    """A Rocket.Chat message (channels.history shape), timestamp growing with ``n``."""
    ts = (BASE + timedelta(seconds=n)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "_id": f"msg{n:05d}",
        "rid": rid,
        "msg": f"Placeholder note {n} from the Example Circle",
        "ts": ts,
        "u": {"_id": "user1", "username": "circle.editor", "name": "Circle Editor"},
        "_updatedAt": ts,
        "urls": [],
        "mentions": [],
        "channels": [],
    }


def tweet(n: int) -> dict[str, Any]:
    """An X API v2 Tweet object (fictional), id growing with ``n``."""
    return {
        "id": str(1800000000000000000 + n),
        "text": f"Placeholder post {n} of the Example Circle",
        "author_id": "900001",
        "conversation_id": str(1800000000000000000 + n),
        "lang": "en",
        "created_at": (BASE + timedelta(minutes=n)).isoformat().replace("+00:00", ".000Z"),
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0},
    }


X_USER = {
    "id": "900001",
    "name": "Example Circle",
    "username": "examplecircle",
    "created_at": "2025-01-01T00:00:00.000Z",
}


_ZERONET_PATH = re.compile(r"^/(1[A-Za-z0-9]{25,34}|[a-z0-9-]+\.bit)/(.+)$")


BOT_TOKEN = "123456:placeholder-bot-token-ABC"
GROUP = {
    "id": -1001500000001,
    "title": "Example Circle chat",
    "type": "supergroup",
    "username": "examplecircle_chat",
}


def bot_update(n: int) -> dict[str, Any]:
    """A Bot API Update with a group message (fictional), update and message ids growing with ``n``;
    every third is a forward of a channel post, every fifth a private chat with the bot."""
    text = f"Notice {n} see https://circle.example/{n} #circle"
    message: dict[str, Any] = {
        "message_id": n,
        "date": int((BASE + timedelta(minutes=n)).timestamp()),
        "chat": GROUP,
        "text": text,
        "from": {
            "id": 700000 + n % 4,
            "is_bot": False,
            "first_name": "Member",
            "last_name": str(n % 4),
            "username": f"member{n % 4}",
        },
        "entities": [
            {"type": "url", "offset": text.index("https"), "length": len(f"https://circle.example/{n}")},
            {"type": "hashtag", "offset": text.index("#"), "length": 7},
        ],
    }
    if n % 3 == 0:
        message["forward_origin"] = {
            "type": "channel",
            "chat": {"id": -1001500000009, "title": "Source", "type": "channel"},
            "message_id": 40 + n,
            "date": message["date"] - 60,
        }
    if n % 5 == 0:
        message["chat"] = {"id": 700000 + n % 4, "type": "private", "first_name": "Member"}
    return {"update_id": 900000000 + n, "message": message}


def _rc_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeServer:
    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.feed_items: list[tuple[str, str]] = []
        self.channels = [
            {
                "_id": f"ROOM{n}",
                "name": f"circle-{n}",
                "t": "c",
                "usersCount": 10 + n,
                "topic": f"Placeholder topic {n}",
            }
            for n in range(1, 131)
        ]
        self.tweets: list[dict[str, Any]] = []
        self.page_text = (
            "<html><body><article><h1>Example notice</h1><p>Placeholder article text.</p>"
            "</article></body></html>"
        )
        self.faults: dict[str, list[Any]] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []
        self.valid_tokens = {"rc-token-1"}
        self.logins = 0
        self.zeronet: dict[str, dict[str, bytes]] = {}
        self.x_rules_set: list[dict[str, str]] = []
        self.updates: list[dict[str, Any]] = []  # Telegram Bot API updates
        self.min_id_as_since = False  # a Mastodon-compatible server that answers min_id like since_id
        self.files: dict[str, bytes] = {}  # media files by path
        self.x_subscribers: list[queue.Queue[Any]] = []
        self.zeronet_tampered: dict[str, bytes] = {}  # served instead of the file content.json describes
        self.subscribers: list[queue.Queue[Any]] = []
        self.heartbeat_s = 0.2
        self.closing = False
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing = True
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_statuses(self, numbers: range, tags: tuple[str, ...] = (), account: int = 1) -> None:
        self.statuses.extend(status(n, "fedi.example", tags, account) for n in numbers)

    def publish(self, n: int, tags: tuple[str, ...] = ()) -> dict[str, Any]:
        """A new status: on the timelines and, at once, to every open stream."""
        item = status(n, "fedi.example", tags)
        self.statuses.append(item)
        for subscriber in list(self.subscribers):
            subscriber.put(item)
        return item

    def add_zeronet_site(self, folder: Path) -> str:
        """A ZeroNet site folder served as a ZeroNet client's UI server serves it; its address."""
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        address = str(json.loads(files["content.json"])["address"])
        self.zeronet[address] = files
        return address

    def drop_streams(self) -> None:
        """Close every open stream (the server restarts)."""
        for subscriber in list(self.subscribers) + list(self.x_subscribers):
            subscriber.put("drop")

    def publish_tweet(self, n: int, rule_ids: list[str] | None = None) -> dict[str, Any]:
        """A new tweet: in recent search and, at once, on the filtered stream, matching ``rule_ids``
        (default: every rule)."""
        item = tweet(n)
        self.tweets.append(item)
        matching = [
            {"id": r["id"], "tag": r.get("tag", "")}
            for r in self.x_rules_set
            if rule_ids is None or r["id"] in rule_ids
        ]
        for subscriber in list(self.x_subscribers):
            subscriber.put({"data": item, "includes": {"users": [X_USER]}, "matching_rules": matching})
        return item

    def wait_streams(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.subscribers) != count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.subscribers)} streams open, expected {count}")
            time.sleep(0.01)

    # -- handlers ------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

        return Handler

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0)) if method == "POST" else b""
        self.requests.append((method, parts.path, query, dict(h.headers.items())))
        for prefix, queued in self.faults.items():
            if parts.path.startswith(prefix) and queued:
                fault = queued.pop(0)
                if fault == "drop":
                    h.send_response(200)
                    h.send_header("Content-Length", "1000")
                    h.end_headers()
                    h.wfile.write(b'[{"id": ')
                    h.wfile.flush()
                    h.close_connection = True
                    return
                code, headers = fault
                return self.send(h, code, {"error": "fault"}, headers)
        if parts.path.startswith("/bot"):
            return self.bot_api(h, parts.path, query)
        if parts.path.startswith("/2/"):
            return self.x_api(h, parts.path, query, body)
        if parts.path.startswith("/api/v1/streaming"):
            return self.stream(h, parts.path, query)
        if parts.path.rstrip("/") == "/api/v1/instance":
            return self.send(
                h,
                200,
                {
                    "uri": self.host,
                    "title": "Example fedi",
                    "version": "4.3.2",
                    "urls": {"streaming_api": self.url.replace("http://", "ws://")},
                },
            )
        if parts.path.startswith("/api/v1/timelines/") or parts.path.startswith("/api/v1/accounts/"):
            return self.mastodon(h, parts.path, query)
        if parts.path.startswith("/api/v1/"):
            return self.rocketchat(h, parts.path, query, body)
        site = _ZERONET_PATH.match(parts.path)
        if site and site.group(1) in self.zeronet:
            return self.zeronet_file(h, site.group(1), site.group(2))
        if parts.path in self.files:
            return self.send(h, 200, self.files[parts.path], {"Content-Type": "application/octet-stream"})
        if parts.path == "/feed.xml":
            return self.feed(h)
        if parts.path == "/atom.xml":
            return self.atom(h)
        if parts.path == "/page.html":
            return self.send(h, 200, self.page_text.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return self.send(h, 404, {"error": "Record not found"})

    def send(
        self, h: BaseHTTPRequestHandler, code: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(code)
        headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def mastodon(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if path == "/api/v1/accounts/lookup":
            acct = query.get("acct", [""])[0]
            for s in self.statuses:
                if s["account"]["acct"] == acct:
                    return self.send(h, 200, s["account"])
            return self.send(h, 404, {"error": "Record not found"})
        items = self.statuses
        if path.startswith("/api/v1/timelines/tag/"):
            tag = path.rsplit("/", 1)[1]
            items = [s for s in items if any(t["name"] == tag for t in s["tags"])]
        elif path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            account = path.split("/")[4]
            items = [s for s in items if s["account"]["id"] == account]
        items = sorted(items, key=lambda s: int(s["id"]))
        limit = min(int(query.get("limit", ["20"])[0]), 40)
        if "max_id" in query:
            items = [s for s in items if int(s["id"]) < int(query["max_id"][0])][-limit:]
        elif "min_id" in query and not self.min_id_as_since:
            items = [s for s in items if int(s["id"]) > int(query["min_id"][0])][:limit]
        elif "min_id" in query:  # a server that reads min_id as since_id: the newest after it
            items = [s for s in items if int(s["id"]) > int(query["min_id"][0])][-limit:]
        else:
            since = int(query.get("since_id", ["0"])[0])
            items = [s for s in items if int(s["id"]) > since][-limit:]
        page = list(reversed(items))  # newest first, as Mastodon answers
        headers = {}
        if page:
            base = f"{self.url}{path}"
            headers["Link"] = (
                f'<{base}?max_id={page[-1]["id"]}>; rel="next", <{base}?min_id={page[0]["id"]}>; rel="prev"'
            )
        self.send(h, 200, page, headers)

    def zeronet_file(self, h: BaseHTTPRequestHandler, address: str, inner: str) -> None:
        """A site file (a ZeroNet client serves files that are not HTML as they are); a content.json
        with the ``sha512``/``size`` of the files it lists as they are now (as if signed again)."""
        site = self.zeronet[address]
        data = self.zeronet_tampered.get(inner, site.get(inner))
        if data is None:
            return self.send(h, 404, b"Not Found", {"Content-Type": "text/html"})
        if inner.endswith("content.json"):
            content = json.loads(data)
            folder = PurePosixPath(inner).parent
            for name in list(content.get("files") or {}):
                real = site.get(str(folder / name).removeprefix("./"))
                if real is not None:
                    content["files"][name] = {
                        "sha512": hashlib.sha512(real).hexdigest()[:64],
                        "size": len(real),
                    }
            data = json.dumps(content).encode()
        self.send(h, 200, data, {"Content-Type": "application/json"})

    def stream(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        """Mastodon's server-sent events: ``:)`` on connect, ``event: update`` / ``data: <Status>``
        per new status, ``:thump`` heartbeats; ``drop_streams`` closes the connection."""
        if path == "/api/v1/streaming/health":
            return self.send(h, 200, b"OK", {"Content-Type": "text/plain"})
        tag = query.get("tag", [None])[0]
        if path not in (
            "/api/v1/streaming/public",
            "/api/v1/streaming/public/local",
            "/api/v1/streaming/hashtag",
        ):
            return self.send(h, 404, {"error": "Unknown stream type"})
        subscriber: queue.Queue[Any] = queue.Queue()
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-store")
        h.end_headers()
        h.wfile.write(b":)\n")
        h.wfile.flush()
        self.subscribers.append(subscriber)
        h.close_connection = True
        try:
            while not self.closing:
                try:
                    item = subscriber.get(timeout=self.heartbeat_s)
                except queue.Empty:
                    h.wfile.write(b":thump\n")
                    h.wfile.flush()
                    continue
                if item == "drop":
                    return
                if tag and not any(t["name"] == tag for t in item["tags"]):
                    continue
                h.wfile.write(f"event: update\ndata: {json.dumps(item)}\n\n".encode())
                h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.subscribers.remove(subscriber)

    def rocketchat(
        self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]], body: bytes
    ) -> None:
        if path == "/api/v1/login":
            data = json.loads(body or b"{}")
            if data.get("username") == "collector" and data.get("password") == "s3cret-pass-word":
                self.logins += 1
                token = f"rc-token-{self.logins + 1}"
                self.valid_tokens = {token}
                return self.send(
                    h, 200, {"status": "success", "data": {"authToken": token, "userId": "bot1"}}
                )
            return self.send(h, 401, {"status": "error", "message": "Unauthorized"})
        if h.headers.get("X-Auth-Token") not in self.valid_tokens:
            return self.send(h, 401, {"status": "error", "message": "You must be logged in to do this."})
        if path == "/api/v1/channels.info":
            return self.send(
                h, 200, {"channel": {"_id": "ROOM1", "name": query["roomName"][0], "t": "c"}, "success": True}
            )
        if path == "/api/v1/groups.info":
            return self.send(
                h, 200, {"group": {"_id": "GROUP1", "name": query["roomName"][0], "t": "p"}, "success": True}
            )
        if path == "/api/v1/channels.list":
            count, offset = int(query.get("count", ["50"])[0]), int(query.get("offset", ["0"])[0])
            page = self.channels[offset : offset + count]
            return self.send(
                h,
                200,
                {
                    "channels": page,
                    "count": len(page),
                    "offset": offset,
                    "total": len(self.channels),
                    "success": True,
                },
            )
        if path in ("/api/v1/channels.history", "/api/v1/groups.history"):
            room = query.get("roomId", [""])[0]
            items = sorted(
                (m for m in self.messages if m["rid"] == room), key=lambda m: m["ts"], reverse=True
            )
            inclusive = query.get("inclusive", ["false"])[0] == "true"
            if "oldest" in query:
                oldest = _rc_time(query["oldest"][0])
                items = [
                    m
                    for m in items
                    if _rc_time(m["ts"]) > oldest or (inclusive and _rc_time(m["ts"]) == oldest)
                ]
            if "latest" in query:
                latest = _rc_time(query["latest"][0])
                items = [
                    m
                    for m in items
                    if _rc_time(m["ts"]) < latest or (inclusive and _rc_time(m["ts"]) == latest)
                ]
            count = int(query.get("count", ["20"])[0])
            offset = int(query.get("offset", ["0"])[0])
            return self.send(h, 200, {"messages": items[offset : offset + count], "success": True})
        return self.send(h, 404, {"success": False, "error": "method not found"})

    def x_api(
        self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]], body: bytes = b""
    ) -> None:
        if h.headers.get("Authorization") != "Bearer x-bearer-token-1":
            return self.send(
                h,
                401,
                {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
            )
        if path == "/2/tweets/search/stream/rules":
            return self.x_rules(h, body)
        if path == "/2/tweets/search/stream":
            return self.x_stream(h)
        if path == "/2/users/by" or (path == "/2/users" and query.get("ids") == [X_USER["id"]]):
            return self.send(h, 200, {"data": [X_USER]})
        if path not in ("/2/tweets/search/recent", "/2/tweets/search/all", f"/2/users/{X_USER['id']}/tweets"):
            return self.send(h, 404, {"title": "Not Found Error"})
        since = int(query.get("since_id", ["0"])[0])
        items = sorted((t for t in self.tweets if int(t["id"]) > since), key=lambda t: -int(t["id"]))
        token = (query.get("next_token") or query.get("pagination_token") or [""])[0]
        if token:
            items = [t for t in items if int(t["id"]) < int(token[1:])]
        size = int(query.get("max_results", ["10"])[0])
        page, more = items[:size], len(items) > size
        if not page:
            return self.send(h, 200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
            "result_count": len(page),
        }
        if more:
            meta["next_token"] = "t" + page[-1]["id"]
        self.send(h, 200, {"data": page, "includes": {"users": [X_USER]}, "meta": meta})

    def bot_api(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        """The Bot API's getUpdates: updates from ``offset`` on, ``limit`` of them (at most 100)."""
        if path != f"/bot{BOT_TOKEN}/getUpdates":
            return self.send(
                h,
                401 if path.endswith("/getUpdates") else 404,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["100"])[0]), 100)
        items = [u for u in sorted(self.updates, key=lambda u: u["update_id"]) if u["update_id"] >= offset]
        self.send(h, 200, {"ok": True, "result": items[:limit]})

    def x_rules(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        """GET /2/tweets/search/stream/rules lists the app's rules; POST ``{"add": [...]}`` adds."""
        sent = "2026-03-01T12:00:00.000Z"
        if not body:
            if not self.x_rules_set:
                return self.send(h, 200, {"meta": {"sent": sent, "result_count": 0}})
            return self.send(
                h,
                200,
                {"data": self.x_rules_set, "meta": {"sent": sent, "result_count": len(self.x_rules_set)}},
            )
        added = []
        for rule in json.loads(body).get("add") or []:
            made = {
                "id": str(1600000000000000000 + len(self.x_rules_set) + 1),
                "value": rule["value"],
                **({"tag": rule["tag"]} if rule.get("tag") else {}),
            }
            self.x_rules_set.append(made)
            added.append(made)
        self.send(
            h,
            201,
            {
                "data": added,
                "meta": {
                    "sent": sent,
                    "summary": {"created": len(added), "not_created": 0, "valid": len(added), "invalid": 0},
                },
            },
        )

    def x_stream(self, h: BaseHTTPRequestHandler) -> None:
        """The filtered stream: one JSON line per matching tweet, ``\\r\\n`` keep-alives."""
        subscriber: queue.Queue[Any] = queue.Queue()
        h.send_response(200)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.end_headers()
        h.wfile.flush()
        self.x_subscribers.append(subscriber)
        h.close_connection = True
        try:
            while not self.closing:
                try:
                    item = subscriber.get(timeout=self.heartbeat_s)
                except queue.Empty:
                    h.wfile.write(b"\r\n")
                    h.wfile.flush()
                    continue
                if item == "drop":
                    return
                h.wfile.write(json.dumps(item).encode() + b"\r\n")
                h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.x_subscribers.remove(subscriber)

    def feed(self, h: BaseHTTPRequestHandler) -> None:
        etag = f'"v{len(self.feed_items)}"'
        if h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.end_headers()
            return
        items = "".join(
            f"<item><title>{title}</title><link>{self.url}/posts/{guid}</link><guid>{guid}</guid>"
            f"<pubDate>Sun, 01 Mar 2026 09:{i:02d}:00 GMT</pubDate><description>&lt;p&gt;{title} placeholder"
            f" text&lt;/p&gt;</description></item>"
            for i, (guid, title) in enumerate(self.feed_items)
        )
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Example Circle '
            f"News</title><link>{self.url}/</link><description>fictional</description>{items}</channel></rss>"
        )
        self.send(h, 200, xml.encode(), {"Content-Type": "application/rss+xml", "ETag": etag})

    def atom(self, h: BaseHTTPRequestHandler) -> None:
        """An Atom 1.0 feed with ``Last-Modified`` and no ``ETag`` (304 on an equal ``If-Modified-Since``)."""
        modified = f"Sun, 01 Mar 2026 10:{len(self.feed_items) % 60:02d}:00 GMT"
        if h.headers.get("If-Modified-Since") == modified:
            h.send_response(304)
            h.end_headers()
            return
        entries = "".join(
            f'<entry><title>{title}</title><link href="{self.url}/posts/{guid}"/><id>urn:example:{guid}</id>'
            f'<updated>2026-03-01T09:{i:02d}:00Z</updated><content type="html">&lt;p&gt;{title} placeholder'
            f" text&lt;/p&gt;</content></entry>"
            for i, (guid, title) in enumerate(self.feed_items)
        )
        xml = (
            f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Example'
            f' Circle Atom</title><link href="{self.url}/"/><id>urn:example:feed</id>'
            f"<updated>2026-03-01T10:00:00Z</updated>{entries}</feed>"
        )
        self.send(h, 200, xml.encode(), {"Content-Type": "application/atom+xml", "Last-Modified": modified})
