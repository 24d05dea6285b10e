"""Reading posts for detection and writing what detection found (hits, signals, alerts).

Shared by ``openiru scan`` and the ingest hook.  Re-scanning a post replaces its
hits; its alert keeps an analyst's decision, and an open alert whose post no
longer has any alerting hit is withdrawn.
"""

from __future__ import annotations

import json
import mimetypes
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from ...detect.evidence import ScanMedia, ScanPost, ScanResult, combined_strength, priority
from ...detect.pdq import pdq_of_file
from ...model import utc
from ...store import schema
from ...store import tables_detect as td
from ...store.batch import sqlite_time
from ...store.writer import dialect_insert
from ..collect.media import MediaStore
from .tokens import write_tokens
from .triage import cards_of_rows, refresh_cards, write_cards

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff")


def is_image(media: ScanMedia) -> bool:
    if media.mime:
        return media.mime.startswith("image/")
    return bool(media.path) and Path(media.path or "").suffix.lower() in IMAGE_SUFFIXES


def hash_missing_pdq(conn: sa.Connection, posts: Sequence[ScanPost], store: MediaStore | None = None) -> int:
    """Compute PDQ and quality for image files that have none, store them; how many.

    The image is read only from the media store, by the row's SHA-256: never from the
    ``path`` a media row records (a forged or old row naming a file outside is not opened)."""
    store = store or MediaStore()
    updates: dict[str, tuple[str, int]] = {}
    for post in posts:
        for media in post.media:
            if media.pdq or not media.sha256 or not is_image(media):
                continue
            if media.key in updates:
                media.pdq, media.pdq_quality = updates[media.key]
                continue
            path = store.get(media.sha256)
            if path is None:
                continue
            try:
                media.pdq, media.pdq_quality = pdq_of_file(path)
            except (OSError, ValueError, SyntaxError):  # not a decodable image
                continue
            updates[media.key] = (media.pdq, media.pdq_quality)
    if updates:
        m = schema.media
        conn.execute(
            sa.update(m)
            .where(m.c.media_key == sa.bindparam("k"))
            .values(pdq=sa.bindparam("pdq"), pdq_quality=sa.bindparam("q"))
            .execution_options(synchronize_session=False),
            [{"k": k, "pdq": v[0], "q": v[1]} for k, v in updates.items()],
        )
    return len(updates)


#: The columns :func:`load_posts` reads, in the driver's own SQL: SQLAlchemy's tuple ``IN`` of a
#: batch's 2,000 keys was compiled afresh (literal expansion) for each batch, and its result
#: processing (JSON through the standard library, datetimes parsed per row) cost as much as
#: the detection of the batch.
_POST_SQL = (
    "SELECT p.post_id, p.account_id, p.text, p.urls, p.hashtags, p.timestamp, p.language "
    "FROM posts p WHERE p.platform = {mark} AND p.post_id {keys}"
)
_ITEM_COUNTS_SQL = (
    "SELECT item_id, count(DISTINCT post_id) FROM detect_hits WHERE platform = {mark} "
    "AND post_id {keys} AND item_id IS NOT NULL AND matcher <> 'term' GROUP BY item_id"
)
_MEDIA_SQL = (
    "SELECT pm.post_id, m.media_key, m.sha256, m.md5, m.pdq, m.pdq_quality, m.path, m.mime "
    "FROM post_media pm JOIN media m ON m.media_key = pm.media_key "
    "WHERE pm.platform = {mark} AND pm.post_id {keys} ORDER BY pm.post_id, pm.position"
)


def by_platform(
    conn: sa.Connection, sql: str, keys: Sequence[tuple[str, str]], params: tuple[Any, ...] = ()
) -> Iterator[tuple[str, Any]]:
    """Run ``sql`` once per platform of ``keys``: ``{mark}`` is a parameter marker (``params``
    first, then the platform), ``{keys}`` the condition "post id among this platform's keys"
    (SQLite: one JSON array through ``json_each``; PostgreSQL: one array, ``= ANY``).  One
    statement text per table, compiled once, whatever the number of keys."""
    sqlite = conn.dialect.name == "sqlite"
    mark, in_keys = ("?", "IN (SELECT value FROM json_each(?))") if sqlite else ("%s", "= ANY(%s)")
    wanted: dict[str, list[str]] = {}
    for platform, post_id in keys:
        wanted.setdefault(platform, []).append(post_id)
    statement = sql.format(mark=mark, keys=in_keys)
    for platform, ids in wanted.items():
        yield (
            platform,
            conn.exec_driver_sql(
                statement, (*params, platform, orjson.dumps(ids).decode() if sqlite else ids)
            ),
        )


def execute_by_platform(
    conn: sa.Connection, sql: str, keys: Sequence[tuple[str, str]], params: tuple[Any, ...] = ()
) -> None:
    """:func:`by_platform` for statements without results."""
    for _ in by_platform(conn, sql, keys, params):
        pass


def _json_list(value: Any) -> list[Any]:
    """A JSON array column as a list (SQLite: text; PostgreSQL's driver: already decoded)."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            value = json.loads(value)
    return list(value or [])


def _time(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps text, PostgreSQL datetimes)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc(value)


def load_posts(conn: sa.Connection, keys: Sequence[tuple[str, str]]) -> list[ScanPost]:
    """ScanPosts (with their media) for these post keys, in the same order."""
    if not keys:
        return []
    by_key: dict[tuple[str, str], ScanPost] = {}
    for platform, rows in by_platform(conn, _POST_SQL, keys):
        for post_id, account_id, text, urls, hashtags, timestamp, language in rows:
            by_key[(platform, post_id)] = ScanPost(
                platform,
                post_id,
                account_id,
                text or "",
                _json_list(urls),
                _json_list(hashtags),
                [],
                _time(timestamp),
                language,
            )
    media_rows = [
        (platform, tuple(r)) for platform, rows in by_platform(conn, _MEDIA_SQL, keys) for r in rows
    ]
    store = MediaStore()
    for platform, (post_id, media_key, sha256, md5, pdq, pdq_quality, path, mime) in media_rows:
        post = by_key.get((platform, post_id))
        if post is not None:
            # A matcher that reads the file (video hashing) gets the media store's copy, never the path
            # a row records (issue 19: nothing but the store is read after the import).
            stored = store.get(sha256)
            post.media.append(
                ScanMedia(
                    media_key,
                    sha256,
                    md5,
                    pdq,
                    pdq_quality,
                    str(stored) if stored is not None else None,
                    mime or mimetypes.guess_type(path or "")[0],
                )
            )
    return [by_key[k] for k in keys if k in by_key]


def item_counts(conn: sa.Connection, keys: list[tuple[str, str]]) -> Counter[int]:
    """Per bank item, how many of these posts it matches now (term hits excluded)."""
    counts: Counter[int] = Counter()
    for _, rows in by_platform(conn, _ITEM_COUNTS_SQL, keys):
        for item_id, n in rows:
            counts[item_id] += n
    return counts


#: What an alert's priority reads (:func:`_context`), one statement per platform each.
_FOLLOWERS_SQL = "SELECT account_id, followers FROM accounts WHERE platform = {mark} AND account_id {keys}"
_REACH_SQL = (
    "SELECT target_ref, count(*) FROM edges WHERE target_platform = {mark} AND target_ref {keys} "
    "GROUP BY target_ref"
)
_ACCOUNT_ALERTS_SQL = (
    "SELECT account_id, count(*) FROM detect_alerts WHERE platform = {mark} AND account_id {keys} "
    "GROUP BY account_id"
)


def _context(
    conn: sa.Connection, results: list[ScanResult]
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Followers per account, reach per post, existing alerts per account (for priority).

    Driver SQL through :func:`by_platform`: SQLAlchemy's tuple ``IN`` lists were compiled
    afresh for each batch (a third of writing the results)."""
    flagged = [r for r in results if r.alerting_hits]
    if not flagged:
        return {}, {}, {}
    accounts = list(dict.fromkeys((r.post.platform, r.post.account_id) for r in flagged))
    refs = list(dict.fromkeys((r.post.platform, "post:" + r.post.post_id) for r in flagged))
    followers = {
        (platform, account_id): n or 0
        for platform, rows in by_platform(conn, _FOLLOWERS_SQL, accounts)
        for account_id, n in rows
    }
    reach = {
        (platform, ref[5:]): n for platform, rows in by_platform(conn, _REACH_SQL, refs) for ref, n in rows
    }
    alerts = {
        (platform, account_id): n
        for platform, rows in by_platform(conn, _ACCOUNT_ALERTS_SQL, accounts)
        for account_id, n in rows
    }
    return followers, reach, alerts


def write_results(
    conn: sa.Connection,
    results: list[ScanResult],
    now: datetime | None = None,
    model_probability: dict[tuple[str, str], float] | None = None,
    *,
    loaded: bool = False,
) -> dict[str, Any]:
    """Replace the hits of these posts, record signals, create or refresh alerts, mark them scanned.

    ``loaded``: the results' posts are as :func:`load_posts` read them (text and time as stored), so
    the alerts' cards are made from them and the hit rows written here rather than read back.
    Returns counts, and ``item_delta``: per bank item, the change in the number of posts it matches.
    """
    now = now or datetime.now(UTC)
    keys = [(r.post.platform, r.post.post_id) for r in results]
    if not keys:
        return {"hits": 0, "alerts": 0, "signals": 0, "item_delta": Counter()}
    h, s, al = td.detect_hits, td.detect_signals, td.detect_alerts
    before = item_counts(conn, keys)
    execute_by_platform(conn, "DELETE FROM detect_hits WHERE platform = {mark} AND post_id {keys}", keys)
    hit_rows, signal_rows = [], []
    after: Counter[int] = Counter()
    for r in results:
        seen_items: set[int] = set()
        for hit in r.hits:
            hit_rows.append(
                {
                    "platform": r.post.platform,
                    "post_id": r.post.post_id,
                    "matcher": hit.matcher,
                    "bank": hit.bank,
                    "item_id": hit.item_id,
                    "item": hit.item,
                    "label": hit.label,
                    "media_key": hit.media_key,
                    "distance": hit.distance,
                    "similarity": hit.similarity,
                    "term": hit.term,
                    "span_start": hit.span[0] if hit.span else None,
                    "span_end": hit.span[1] if hit.span else None,
                    "strength": hit.strength,
                    "suppressed": hit.suppressed,
                    "detail": hit.detail or None,
                    "created_at": now,
                }
            )
            if hit.item_id is not None and hit.matcher != "term" and hit.item_id not in seen_items:
                seen_items.add(hit.item_id)
                after[hit.item_id] += 1
        for sig in r.signals:
            signal_rows.append(
                {
                    "kind": sig.kind,
                    "value": sig.value[:600],
                    "platform": r.post.platform,
                    "post_id": r.post.post_id,
                    "account_id": r.post.account_id,
                    "label": sig.label,
                    "seen_at": r.post.timestamp,
                }
            )
    if hit_rows:
        conn.execute(sa.insert(h), hit_rows)
    if signal_rows:
        conn.execute(dialect_insert(conn, s).on_conflict_do_nothing(), signal_rows)
    followers, reach, account_alerts = _context(conn, results)
    alert_rows: list[dict[str, Any]] = []
    no_alert: list[tuple[str, str]] = []
    for r in results:
        key = (r.post.platform, r.post.post_id)
        alerting = r.alerting_hits
        if not alerting:
            no_alert.append(key)
            continue
        strength = combined_strength(alerting)
        account = (r.post.platform, r.post.account_id)
        alert_rows.append(
            {
                "platform": key[0],
                "post_id": key[1],
                "account_id": r.post.account_id,
                "status": "open",
                "strength": round(strength, 6),
                "priority": priority(
                    strength,
                    followers=followers.get(account),
                    reach=reach.get(key, 0),
                    timestamp=r.post.timestamp,
                    now=now,
                    account_alerts=account_alerts.get(account, 0),
                ),
                "model_probability": r.model_probability
                if r.model_probability is not None
                else (model_probability or {}).get(key),
                "created_at": now,
                "updated_at": now,
            }
        )
    if alert_rows:
        stmt = dialect_insert(conn, al)
        ex = stmt.excluded
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["platform", "post_id"],
                set_={
                    "priority": ex.priority,
                    "strength": ex.strength,
                    "model_probability": ex.model_probability,
                    "updated_at": ex.updated_at,
                },
            ),
            alert_rows,
        )
        alert_keys = [(row["platform"], row["post_id"]) for row in alert_rows]
        if loaded and len(set(keys)) == len(keys):  # each post's hits are exactly its rows here
            posts = {(r.post.platform, r.post.post_id): r.post for r in results}
            stored = [(k, posts[k].timestamp, posts[k].text) for k in alert_keys]
            write_cards(conn, cards_of_rows(stored, hit_rows))
        else:
            refresh_cards(conn, alert_keys)
    execute_by_platform(
        conn,
        "DELETE FROM detect_alerts WHERE status = 'open' AND platform = {mark} AND post_id {keys}",
        no_alert,
    )
    scanned = sqlite_time(now) if conn.dialect.name == "sqlite" else now  # as SQLAlchemy stores it
    execute_by_platform(
        conn,
        "UPDATE posts SET scanned_at = {mark} WHERE platform = {mark} AND post_id {keys}",
        keys,
        (scanned,),
    )
    write_tokens(conn, results)  # a lexicon term added later re-scans only the posts holding its words
    delta: Counter[int] = Counter()
    for item in set(before) | set(after):
        change = after[item] - before[item]
        if change:
            delta[item] = change
    if delta:
        t = td.detect_bank_items
        conn.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("i"))
            .values(match_count=t.c.match_count + sa.bindparam("d"))
            .execution_options(synchronize_session=False),
            [{"i": i, "d": d} for i, d in delta.items()],
        )
    return {
        "hits": len(hit_rows),
        "alerts": len(alert_rows),
        "signals": len(signal_rows),
        "item_delta": delta,
    }
