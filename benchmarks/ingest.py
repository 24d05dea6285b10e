"""Import throughput: twarc2 JSONL and Telegram result.json into SQLite and PostgreSQL.

Generates synthetic exports in the real formats under ``benchmarks/out/`` (fictional
accounts, placeholder text), imports each into a fresh database in a fresh
subprocess (ingest hooks off, ``after_batch=()``), and prints posts per second, CPU
seconds and the peak resident memory of that subprocess, each with those of the process
in which the importer reads large inputs.  The reference beside it is the QUT
coordination-network-toolkit's own twarc2 preprocessing into SQLite (stdlib json
+ sqlite3, one transaction, no idempotency), run on the same files when installed.

    .venv/bin/python benchmarks/ingest.py --sizes 100000,1000000
    .venv/bin/python benchmarks/ingest.py --sizes 20000 --dbs sqlite --formats telegram
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

OUT = Path(__file__).parent / "out"
TWEPOCH_MS = 1288834974657
BASE_MS = 1709251200000  # 2024-03-01T00:00:00Z
ACCOUNT_POOL = 50_000  # the EU IRU's daily volume: 100,000 tweets from 50,000 accounts
PAGE = 100
WORDS = (
    "placeholder",
    "bulletin",
    "notice",
    "update",
    "archive",
    "report",
    "statement",
    "issue",
    "channel",
    "outlet",
    "mirror",
    "relay",
    "sample",
    "text",
    "neutral",
    "content",
    "test",
    "item",
)
TAGS = tuple(f"Tag{k}" for k in range(200))
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
PG_ADMIN_URL = os.environ.get("OPENIRU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


# -- synthetic X API v2 pages (twarc2) ---------------------------------------------------------


def _accounts(n: int) -> int:
    return max(10, min(ACCOUNT_POOL, n // 2))


def _user(k: int) -> dict[str, object]:
    return {
        "id": str(10**15 + k),
        "username": f"acct{k}",
        "name": f"Account {k}",
        "description": "Placeholder profile text.",
        "created_at": "2023-01-01T00:00:00.000Z",
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{k}/p_normal.jpg",
        "public_metrics": {"followers_count": k % 5000, "following_count": 10, "tweet_count": 100},
    }


def _tweet_id(i: int) -> str:
    """Snowflake ids: tweet i of the file at BASE + i * 100 ms; outside tweets (i < 0) earlier."""
    if i < 0:
        return str(((BASE_MS - 10**9 - TWEPOCH_MS) << 22) - i)
    return str(((BASE_MS + i * 100 - TWEPOCH_MS) << 22) + (i % 4096))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def tweet(i: int, seed: int, accounts: int) -> tuple[dict[str, object], list[int], list[int]]:
    """Tweet number ``i`` (a pure function of i): the object, the user numbers it
    needs in includes.users, and the earlier tweets it references."""
    rng = random.Random(seed * 1_000_003 + i)
    author = rng.randrange(accounts)
    tid = _tweet_id(i)
    words = " ".join(rng.choice(WORDS) for _ in range(12))
    created = BASE_MS + i * 100 if i >= 0 else BASE_MS - 10**9 + (-i % 10**6)
    obj: dict[str, object] = {
        "id": tid,
        "edit_history_tweet_ids": [tid],
        "author_id": str(10**15 + author),
        "created_at": _iso(created),
        "conversation_id": tid,
        "lang": "en",
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0},
    }
    users, refs = [author], []
    entities: dict[str, object] = {"hashtags": [{"start": 0, "end": 5, "tag": rng.choice(TAGS)}]}
    roll = rng.random()
    if i > 0 and roll < 0.45:
        # half the referenced tweets are earlier tweets of the file, half are tweets from
        # outside the collection that only appear in includes.tweets (negative numbers)
        j = rng.randrange(i) if rng.random() < 0.5 else -1 - rng.randrange(10 * i)
        target = random.Random(seed * 1_000_003 + j).randrange(accounts)
        users.append(target)
        refs.append(j)
        kind = "retweeted" if roll < 0.30 else "replied_to" if roll < 0.40 else "quoted"
        obj["referenced_tweets"] = [{"type": kind, "id": _tweet_id(j)}]
        if kind == "retweeted":
            words = f"RT @acct{target}: {words}"
            entities["mentions"] = [
                {
                    "start": 3,
                    "end": 8 + len(str(target)),
                    "username": f"acct{target}",
                    "id": str(10**15 + target),
                }
            ]
        elif kind == "replied_to":
            obj["in_reply_to_user_id"] = str(10**15 + target)
            words = f"@acct{target} {words}"
            entities["mentions"] = [
                {
                    "start": 0,
                    "end": 5 + len(str(target)),
                    "username": f"acct{target}",
                    "id": str(10**15 + target),
                }
            ]
    elif roll < 0.60:
        other = rng.randrange(accounts)
        users.append(other)
        entities["mentions"] = [{"start": 0, "end": 5, "username": f"acct{other}", "id": str(10**15 + other)}]
    if rng.random() < 0.2:
        entities["urls"] = [
            {
                "start": 0,
                "end": 23,
                "url": "https://t.co/placeholdr",
                "expanded_url": f"https://outlet{i % 50}.example/a/{i}",
                "display_url": f"outlet{i % 50}.example/a/{i}",
            }
        ]
    if rng.random() < 0.1:
        obj["attachments"] = {"media_keys": [f"3_{tid}"]}
    obj["text"] = words
    obj["entities"] = entities
    return obj, users, refs


def write_twarc2(path: Path, n: int, seed: int = 1) -> Path:
    """``n`` tweets as twarc2 search pages of 100, with includes."""
    accounts = _accounts(n)
    twarc = {
        "url": "https://api.twitter.com/2/tweets/search/all?query=placeholder",
        "version": "2.14.0",
        "retrieved_at": "2024-03-05T12:00:00+00:00",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for start in range(0, n, PAGE):
            data, users, included, media = [], set(), [], []
            for i in range(start, min(n, start + PAGE)):
                obj, needed, refs = tweet(i, seed, accounts)
                data.append(obj)
                users.update(needed)
                for j in refs:
                    ref, ref_users, _ = tweet(j, seed, accounts)
                    included.append(ref)
                    users.update(ref_users[:1])
                if "attachments" in obj:
                    media.append(
                        {
                            "media_key": f"3_{obj['id']}",
                            "type": "photo",
                            "url": f"https://pbs.twimg.com/media/p{i}.jpg",
                            "width": 1200,
                            "height": 675,
                        }
                    )
            page = {
                "data": data,
                "includes": {"users": [_user(k) for k in sorted(users)], "tweets": included, "media": media},
                "meta": {"result_count": len(data), "newest_id": data[0]["id"], "oldest_id": data[-1]["id"]},
                "__twarc": twarc,
            }
            fh.write(orjson.dumps(page))
            fh.write(b"\n")
    return path


# -- synthetic Telegram Desktop full export ----------------------------------------------------


def _message(
    chat: int, channel: bool, i: int, rng: random.Random, accounts: int, chats: int
) -> dict[str, object]:
    unix = BASE_MS // 1000 + i * 10
    msg: dict[str, object] = {
        "id": i + 1,
        "type": "message",
        "date": datetime.fromtimestamp(unix, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(unix),
    }
    if channel:
        msg["from"], msg["from_id"] = f"Channel {chat}", f"channel{2000000000 + chat}"
    else:
        k = rng.randrange(accounts)
        msg["from"], msg["from_id"] = f"Member {k}", f"user{10**9 + k}"
    roll = rng.random()
    if i > 0 and roll < 0.1:
        msg["reply_to_message_id"] = rng.randrange(i) + 1
    elif roll < 0.2:
        msg["forwarded_from"] = f"Channel {rng.randrange(chats)}"
    words = " ".join(rng.choice(WORDS) for _ in range(10))
    if rng.random() < 0.3:
        tag = "#" + rng.choice(TAGS)
        link = f"https://outlet{i % 50}.example/t/{i}"
        parts: list[object] = [
            words + " ",
            {"type": "hashtag", "text": tag},
            " ",
            {"type": "link", "text": link},
        ]
        msg["text"] = parts
        msg["text_entities"] = [
            {"type": "plain", "text": words + " "},
            {"type": "hashtag", "text": tag},
            {"type": "plain", "text": " "},
            {"type": "link", "text": link},
        ]
    else:
        msg["text"] = words
        msg["text_entities"] = [{"type": "plain", "text": words}]
    if rng.random() < 0.1:
        msg["photo"], msg["width"], msg["height"] = NOT_INCLUDED, 1280, 720
    return msg


def write_telegram(path: Path, n: int, seed: int = 1, per_chat: int = 20_000) -> Path:
    """A full export of ``n`` messages in chats of ``per_chat`` (channels and supergroups),
    pretty-printed as Telegram Desktop writes it, plus one service message per chat."""
    accounts, chats = _accounts(n), max(1, -(-n // per_chat))
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    opt = orjson.OPT_INDENT_2
    with open(path, "wb") as fh:
        fh.write(
            b'{\n "about": "Here is the data you requested.",\n "personal_information": '
            b'{"user_id": 1, "first_name": "Analyst"},\n "chats": {\n  "about": "x",\n  "list": [\n'
        )
        for chat in range(chats):
            channel = chat % 2 == 0
            header = {
                "name": f"Channel {chat}" if channel else f"Group {chat}",
                "type": "public_channel" if channel else "private_supergroup",
                "id": 2000000000 + chat,
            }
            fh.write(b",\n" if chat else b"")
            fh.write(orjson.dumps(header)[:-1] + b', "messages": [\n')
            fh.write(
                orjson.dumps(
                    {
                        "id": 0,
                        "type": "service",
                        "date": "2024-03-01T00:00:00",
                        "date_unixtime": "1709251200",
                        "actor": header["name"],
                        "action": "create_channel",
                        "text": "",
                        "text_entities": [],
                    },
                    option=opt,
                )
            )
            for i in range(chat * per_chat, min(n, (chat + 1) * per_chat)):
                fh.write(b",\n")
                fh.write(
                    orjson.dumps(
                        _message(chat, channel, i - chat * per_chat, rng, accounts, chats), option=opt
                    )
                )
            fh.write(b"\n]}")
        fh.write(b'\n  ]\n },\n "left_chats": {"about": "x", "list": []}\n}\n')
    return path


# -- measuring --------------------------------------------------------------------------------


def child_openiru(fmt: str, path: str, url: str, batch_size: int) -> dict[str, object]:
    """One import, in this (fresh) process: seconds, posts and peak RSS."""
    from openiru.services.collect.ingest import ingest_path
    from openiru.store.db import open_database

    engine = open_database(url)
    start, cpu = time.perf_counter(), _cpu()
    summary = ingest_path(engine, Path(path), fmt, after_batch=(), batch_size=batch_size)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    engine.dispose()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "posts": summary.posts,
        "posts_read": summary.posts_read,
        "errors": sum(summary.errors.values()),
    }


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (the importer
    reads large inputs in a child process, services/collect/reader.py)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_reference(path: str, db_file: str) -> dict[str, object]:
    """coordination-network-toolkit's twarc2 preprocessing into SQLite."""
    import contextlib
    import io

    from coordination_network_toolkit.preprocess import preprocess_twitter_json_files

    start, cpu = time.perf_counter(), _cpu()
    with contextlib.redirect_stdout(io.StringIO()):
        preprocess_twitter_json_files(db_file, [path])
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    import sqlite3

    with sqlite3.connect(db_file) as conn:
        posts = conn.execute("select count(*) from edge").fetchone()[0]
    return {"seconds": seconds, "cpu_s": cpu, "posts": posts, "posts_read": posts, "errors": 0}


def run_child(args: list[str]) -> dict[str, object]:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fresh_pg() -> tuple[str, str]:
    import sqlalchemy as sa

    name = f"openiru_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def reference_available() -> bool:
    try:
        import coordination_network_toolkit  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated post counts")
    parser.add_argument("--formats", default="twarc2,telegram")
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument(
        "--batch-size", type=int, default=10_000, help="records per transaction (the importer's default)"
    )
    parser.add_argument("--no-reference", action="store_true", help="skip coordination-network-toolkit")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "reference":
            result = child_reference(args.child[1], args.child[2])
        else:
            result = child_openiru(args.child[0], args.child[1], args.child[2], int(args.child[3]))
        # peak RSS: the importing process plus its reading process (if any), both peaks summed
        reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result["reader_peak_rss_mib"] = reader
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + reader
        print(json.dumps(result))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    print(
        f"{'format':<9} {'size':>8} {'MiB':>6} {'importer → database':<38} {'posts':>9} {'wall s':>7} "
        f"{'posts/s':>8} {'CPU s':>7} {'posts/CPU-s':>11} {'peak RSS MiB':>12}",
        flush=True,
    )
    for size in (int(s) for s in args.sizes.split(",")):
        for fmt in args.formats.split(","):
            path = OUT / (
                f"twarc2_{size}.jsonl" if fmt == "twarc2" else f"telegram_{size}" / Path("result.json")
            )
            if not path.exists():
                (write_twarc2 if fmt == "twarc2" else write_telegram)(path, size)
            mib = path.stat().st_size / 2**20
            runs: list[tuple[str, list[str], str | None]] = []
            for db in args.dbs.split(","):
                if db == "sqlite":
                    db_file = OUT / f"bench_{fmt}_{size}.db"
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
                    runs.append(
                        (
                            "openiru → SQLite",
                            [fmt, str(path), f"sqlite:///{db_file}", str(args.batch_size)],
                            None,
                        )
                    )
                else:
                    url, name = fresh_pg()
                    runs.append(("openiru → PostgreSQL", [fmt, str(path), url, str(args.batch_size)], name))
            if fmt == "twarc2" and not args.no_reference and reference_available():
                ref_db = OUT / f"bench_reference_{size}.db"
                ref_db.unlink(missing_ok=True)
                runs.append(
                    ("coordination-network-toolkit → SQLite", ["reference", str(path), str(ref_db)], None)
                )
            for label, child_args, pg_name in runs:
                try:
                    r = run_child(child_args)
                finally:
                    if pg_name:
                        drop_pg(pg_name)
                posts, wall, cpu = float(r["posts"]), float(r["seconds"]), float(r["cpu_s"])  # type: ignore[arg-type]
                rows.append(
                    {
                        "format": fmt,
                        "size": size,
                        "file_mib": round(mib, 1),
                        "target": label,
                        **r,
                        "posts_per_s": round(posts / wall),
                        "posts_per_cpu_s": round(posts / cpu),
                    }
                )
                print(
                    f"{fmt:<9} {size:>8} {mib:>6.0f} {label:<38} {posts:>9,.0f} {wall:>7.1f} "
                    f"{posts / wall:>8,.0f} {cpu:>7.1f} {posts / cpu:>11,.0f} "
                    f"{float(r['peak_rss_mib']):>12.0f}",
                    flush=True,
                )  # type: ignore[arg-type]
    (OUT / "ingest_results.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
