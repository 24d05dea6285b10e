"""Posts and accounts pages (services.content) walked by their cursors on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from openiru.api.pagination import encode_cursor
from test_api_detect import _content
from test_api_support import make_world


def _walk(client, path: str) -> list[dict]:
    items, cursor = [], ""
    while True:
        res = client.get(f"{path}{cursor}")
        assert res.status_code == 200, res.text
        items += res.json()["items"]
        if not res.json()["next_cursor"]:
            return items
        cursor = f"&cursor={res.json()['next_cursor']}"


def test_posts_and_accounts_pages(engine: sa.Engine) -> None:
    world = make_world(engine)
    _content(engine)
    client = world.client("analyst")
    posts = _walk(client, "/api/v1/posts?limit=4")
    assert [p["post_id"] for p in posts] == ["6", "5", "4", "3", "2", "1"]  # newest first
    assert posts[0]["timestamp"].startswith("2026-04-06")
    by_author = _walk(client, "/api/v1/posts?limit=1&account_id=1")
    assert [p["post_id"] for p in by_author] == ["6", "3"]
    accounts = _walk(client, "/api/v1/accounts?limit=2&platform=x")
    assert [a["account_id"] for a in accounts] == ["1", "2", "3"]
    assert client.get("/api/v1/accounts/x/2").json()["posts"] == 2
    assert client.get("/api/v1/posts/x/404").status_code == 404
    bad = [encode_cursor(["x"]), encode_cursor(["not a time", "x", "1"]), encode_cursor([1, 2, 3])]
    for cursor in bad:
        res = client.get(f"/api/v1/posts?cursor={cursor}")
        assert res.status_code == 400 and res.json()["error"]["code"] == "bad_cursor"
    assert client.get(f"/api/v1/accounts?cursor={encode_cursor(['x'])}").status_code == 400
