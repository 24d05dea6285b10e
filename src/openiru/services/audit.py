"""The append-only, hash-chained audit log.

Every state-changing action is recorded with :func:`record` inside the
caller's transaction.  Entry ``n`` stores ``hash = SHA-256(prev_hash ||
canonical JSON of (seq, at, actor, action, object_type, object_id,
details))`` with ``prev_hash`` the hash of entry ``n-1`` (64 zeros for the
first).  Editing an entry breaks its own hash, deleting one breaks the
sequence and the next entry's link, inserting one breaks the link after it.
:func:`verify` walks the chain and names the first entry that does not verify.

Written by hand: no maintained Python library offers a tamper-evident log on
an SQL table; the construction is a plain hash chain over canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ..store.tables_referral import audit_log

GENESIS = "0" * 64
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, object_type: str,
               object_id: str, details: str) -> str:
    body = canonical([seq, at, actor, action, object_type, object_id, details])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _lock(conn: sa.Connection) -> None:
    """Serialise writers so the chain never forks (PostgreSQL; SQLite writes are serial already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7203417)"))


def record(conn: sa.Connection, actor: str, action: str, object_type: str, object_id: str | int,
           details: dict[str, Any] | None = None, now: Clock = _now) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    _lock(conn)
    last = conn.execute(
        sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = now().astimezone(UTC).isoformat()
    details_text = canonical(details or {})
    digest = entry_hash(prev, seq, at, actor, action, object_type, str(object_id), details_text)
    conn.execute(sa.insert(audit_log).values(
        seq=seq, at=at, actor=actor, action=action, object_type=object_type,
        object_id=str(object_id), details=details_text, prev_hash=prev, hash=digest))
    return seq


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None = None
    problem: str | None = None
    head: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_bad": self.first_bad,
                "problem": self.problem, "head": self.head}


def verify(engine: sa.Engine) -> VerifyResult:
    """Check the whole chain; the first entry that does not verify is named."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))
        for row in rows:
            count += 1
            if row.seq != expected_seq:
                what = "missing" if row.seq > expected_seq else "duplicated"
                return VerifyResult(False, count, row.seq,
                                    f"entry {expected_seq} is {what}: sequence jumps to {row.seq}")
            if row.prev_hash != prev:
                return VerifyResult(False, count, row.seq,
                                    f"entry {row.seq} does not link to entry {row.seq - 1} "
                                    "(an entry was inserted, removed or changed before it)")
            digest = entry_hash(prev, row.seq, row.at, row.actor, row.action, row.object_type,
                                row.object_id, row.details)
            if digest != row.hash:
                return VerifyResult(False, count, row.seq,
                                    f"entry {row.seq} was changed: its content does not match its hash")
            prev = row.hash
            expected_seq += 1
    return VerifyResult(True, count, None, None, prev if count else None)


def entries(engine: sa.Engine, object_type: str | None = None, object_id: str | None = None,
            limit: int | None = None) -> list[dict[str, Any]]:
    query = sa.select(audit_log).order_by(audit_log.c.seq)
    if object_type:
        query = query.where(audit_log.c.object_type == object_type)
    if object_id is not None:
        query = query.where(audit_log.c.object_id == str(object_id))
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [{"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action,
             "object_type": r.object_type, "object_id": r.object_id,
             "details": json.loads(r.details), "hash": r.hash} for r in rows]
