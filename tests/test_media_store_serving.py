"""The file-read attack of issue 19 through the API, and media served from the store only.

A CSV uploaded to ``POST /api/v1/ingest`` with ``media_files=/etc/passwd`` (and a Telegram
export whose photos are ``../../../../etc/hostname`` and ``/etc/shadow``) must import its
posts without those files, and ``GET /api/v1/media/<key>`` must never return them; a media
row that names a foreign path is not served either.  A file inside the upload is kept in
the media store and served after the upload's temporary folder is gone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.services.collect.ingest import ingest_path
from openiru.services.collect.media import MediaStore
from openiru.store import schema
from test_api_support import make_world

PASSWD = Path("/etc/passwd")


def _media_rows(engine: sa.Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(schema.media)).all())


def test_csv_upload_naming_etc_passwd_serves_nothing(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    client = world.client("analyst")
    csv = (
        "platform,post_id,account_id,timestamp,text,media_files\n"
        "forum,1,alice,2026-01-01T00:00:00Z,first,/etc/passwd|/proc/self/environ\n"
        "forum,2,alice,2026-01-01T00:01:00Z,second,../../../../etc/hostname\n"
        "forum,3,alice,2026-01-01T00:02:00Z,third,posts.csv\n"
    )
    res = client.post(
        "/api/v1/ingest", files={"file": ("posts.csv", csv.encode(), "text/csv")}, data={"format": "generic"}
    )
    assert res.status_code == 200, res.text
    summary = res.json()
    assert summary["posts"] == 3  # every record imported, the hostile media refused
    assert sum(n for reason, n in summary["errors"].items() if "media path refused" in reason) == 3
    secret = hashlib.sha256(PASSWD.read_bytes()).hexdigest()
    rows = _media_rows(sqlite_engine)
    assert secret not in {r.sha256 for r in rows}
    for row in rows:
        res = client.get(f"/api/v1/media/{row.media_key}")
        assert b"root:" not in res.content
    # the file inside the upload (the CSV itself) was kept in the store: served after the
    # temporary folder is gone, as a download (text is never rendered)
    own = [r for r in rows if r.sha256 == hashlib.sha256(csv.encode()).hexdigest()]
    assert len(own) == 1 and not Path(own[0].path).exists()
    res = client.get(f"/api/v1/media/{own[0].media_key}")
    assert res.status_code == 200 and res.content == csv.encode()
    assert res.headers["content-disposition"].startswith("attachment")


def test_a_media_row_naming_a_foreign_path_is_not_served(sqlite_engine: sa.Engine) -> None:
    """A row written by an older version, a restore or a hand edit: its path is never read."""
    world = make_world(sqlite_engine)
    digest = hashlib.sha256(PASSWD.read_bytes()).hexdigest()
    with sqlite_engine.begin() as conn:
        conn.execute(
            sa.insert(schema.media).values(
                media_key="forged", path=str(PASSWD), sha256=digest, mime="text/plain", missing=False
            )
        )
        conn.execute(
            sa.insert(schema.media).values(
                media_key="forged-nohash", path=str(PASSWD), mime="text/plain", missing=False
            )
        )
    client = world.client("analyst")
    for key in ("forged", "forged-nohash"):
        res = client.get(f"/api/v1/media/{key}")
        assert res.status_code == 404 and b"root:" not in res.content


def test_a_link_planted_in_the_store_is_not_served(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    digest = "ab" * 32
    target = MediaStore().path_of(digest)
    assert target is not None
    target.parent.mkdir(parents=True)
    target.symlink_to(PASSWD)
    with sqlite_engine.begin() as conn:
        conn.execute(sa.insert(schema.media).values(media_key="linked", sha256=digest, missing=False))
    res = world.client("analyst").get("/api/v1/media/linked")
    assert res.status_code == 404 and b"root:" not in res.content


def test_the_store_keeps_only_bytes_that_match_the_hash(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "store")
    good = tmp_path / "a.bin"
    good.write_bytes(b"payload")
    assert store.put(good, hashlib.sha256(b"payload").hexdigest())
    assert not store.put(good, hashlib.sha256(b"something else").hexdigest())  # swapped after hashing
    assert not store.put(good, "../../etc/passwd")
    assert store.get("../../etc/passwd") is None
    assert [p.name for p in (tmp_path / "store").rglob("*") if p.is_file()] == [
        hashlib.sha256(b"payload").hexdigest()
    ]


@pytest.mark.parametrize("via_api", [False, True])
def test_telegram_photo_paths_out_of_the_export_are_refused(
    sqlite_engine: sa.Engine, tmp_path: Path, via_api: bool
) -> None:
    messages = [
        {
            "id": n,
            "type": "message",
            "date": "2026-01-01T00:00:00",
            "date_unixtime": "1767225600",
            "from": "Channel",
            "from_id": "channel5",
            "text": f"message {n}",
            "photo": ref,
        }
        for n, ref in enumerate(["../../../../etc/hostname", "/etc/shadow", "/etc/passwd"], 1)
    ]
    body = json.dumps({"name": "Channel", "type": "public_channel", "id": 5, "messages": messages})
    if via_api:
        world = make_world(sqlite_engine)
        res = world.client("analyst").post(
            "/api/v1/ingest",
            data={"format": "telegram"},
            files={"file": ("result.json", body.encode(), "application/json")},
        )
        assert res.status_code == 200, res.text
        summary = res.json()
    else:
        folder = tmp_path / "export"
        folder.mkdir()
        (folder / "result.json").write_text(body)
        summary = ingest_path(sqlite_engine, folder, "telegram").as_dict()
    assert summary["posts"] == 3
    problems = " ".join(summary["problems"])
    assert problems.count("media path refused") == 3 and "messages[0].photo" in problems
    rows = _media_rows(sqlite_engine)
    assert all(r.sha256 is None for r in rows)  # nothing was read, only the references kept
    store = MediaStore().root
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]
