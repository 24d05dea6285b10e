"""The append-only, hash-chained audit log.

Every state-changing action is recorded with :func:`record` inside the
caller's transaction.  Entry ``n`` stores ``hash = SHA-256(prev_hash ||
canonical JSON of (seq, at, actor, action, object_type, object_id,
details))`` with ``prev_hash`` the hash of entry ``n-1`` (64 zeros for the
first).  Editing an entry breaks its own hash, deleting one breaks the
sequence and the next entry's link, inserting one breaks the link after it.
:func:`verify` walks the chain and names the first entry that does not verify.

A chain alone cannot show that its newest entries were cut off, so each commit
that appended to it also writes the new head to an anchor file outside the
database (:mod:`openiru.referral.audit_anchor`; ``OPENIRU_AUDIT_ANCHOR``, by
default ``$OPENIRU_DATA/audit.anchor``, HMAC-signed with ``OPENIRU_AUDIT_KEY``).
The checkpoint is written from the connection's ``commit`` event, so a
rolled-back transaction never anchors an entry the database does not keep.
:func:`verify` compares the chain with those checkpoints: a head the anchor saw
but the database lacks, or a different hash for an anchored entry, fails.

Written by hand: no maintained Python library offers a tamper-evident log on
an SQL table; the construction is a plain hash chain over canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import weakref
from dataclasses import dataclass, replace
from datetime import UTC
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...referral.audit_anchor import AnchorConfig, Anchors, Checkpoint, append, collect, parse
from ...store.tables_referral import audit_log

GENESIS = "0" * 64
PENDING = "openiru.audit.pending_anchor"
log = logging.getLogger("openiru.audit")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, object_type: str, object_id: str, details: str
) -> str:
    body = canonical([seq, at, actor, action, object_type, object_id, details])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _lock(conn: sa.Connection) -> None:
    """Serialise writers so the chain never forks (PostgreSQL; SQLite writes are serial already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7203417)"))


def record(
    conn: sa.Connection,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
    now: Clock = system_now,
) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    _lock(conn)
    last = conn.execute(
        sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = now().astimezone(UTC).isoformat()
    details_text = canonical(details or {})
    digest = entry_hash(prev, seq, at, actor, action, object_type, str(object_id), details_text)
    conn.execute(
        sa.insert(audit_log).values(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=details_text,
            prev_hash=prev,
            hash=digest,
        )
    )
    _anchor_on_commit(conn, seq, digest)
    return seq


# -- anchoring the head outside the database ----------------------------------------------------------


def anchor_config() -> AnchorConfig:
    """The anchor file and HMAC key from the environment (read on each call).

    The folder is the settings' data folder (:meth:`openiru.settings.Settings.load`:
    ``$OPENIRU_DATA``, default ``./openiru-data``), read here without resolving the rest.
    """
    return AnchorConfig.resolve(os.environ, Path(os.environ.get("OPENIRU_DATA", "./openiru-data")))


def database_identity(url: sa.URL) -> str | None:
    """Which database a checkpoint belongs to: SQLite file path, or PostgreSQL host:port/name.

    None for an in-memory SQLite database (nothing outlives it, nothing to anchor).
    """
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
            return None
        return _sqlite_identity(url.database, os.getcwd())
    return f"{url.get_backend_name()}://{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


@lru_cache(maxsize=256)
def _sqlite_identity(database: str, cwd: str) -> str:
    return f"sqlite:{(Path(cwd) / Path(database).expanduser()).resolve()}"


_FIRST_HASH = sa.select(audit_log.c.hash).where(audit_log.c.seq == 1)
_LISTENING: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _anchor_on_commit(conn: sa.Connection, seq: int, digest: str) -> None:
    config = anchor_config()
    db = database_identity(conn.engine.url)
    if config.path is None or db is None:
        return
    chain = digest if seq == 1 else conn.execute(_FIRST_HASH).scalar() or ""
    conn.info[PENDING] = (config, Checkpoint(db, chain, seq, digest, system_now().isoformat()))
    engine = conn.engine
    if engine not in _LISTENING:  # engine-wide, once: connections check the engine's events too
        sa.event.listen(engine, "commit", _write_pending)
        sa.event.listen(engine, "rollback", _drop_pending)
        sa.event.listen(engine, "rollback_savepoint", _drop_pending)
        _LISTENING.add(engine)


def _write_pending(conn: sa.Connection) -> None:
    pending = conn.info.pop(PENDING, None)
    if pending is None:
        return
    config, checkpoint = pending
    try:
        append(config.path, checkpoint.signed(config.key))
    except OSError as exc:  # the action itself must not fail: verify will show the anchor lagging
        log.error("audit anchor %s not written: %s", config.path, exc)


def _drop_pending(conn: sa.Connection, *_: Any) -> None:
    # A rolled-back savepoint may have held the pending head: anchor nothing rather than a lost entry.
    conn.info.pop(PENDING, None)


def load_anchors(db: str | None, config: AnchorConfig) -> Anchors:
    path = config.path
    if path is None or db is None:
        return Anchors(None, config.key is not None)
    text = path.read_text("utf-8") if path.is_file() else ""
    return collect(parse(text), db, config.key, str(path))


#: ``status`` of a verification, and the exit code of ``openiru audit verify`` for it.
OK, TAMPERED, UNVERIFIABLE = "ok", "tampered", "unverifiable"
EXIT_OK, EXIT_FAILED, EXIT_UNVERIFIABLE = 0, 1, 3


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None = None
    problem: str | None = None
    head: str | None = None
    anchor: dict[str, Any] | None = None  # the anchor file's summary (new key; the others are unchanged)
    #: ``ok``; ``tampered`` (the chain or the anchor shows a change); ``unverifiable`` (no
    #: trusted anchored head: truncation or a consistent rewrite could not be seen).
    status: str = OK
    #: True when a key is configured: an unverifiable log is then a failure, not a warning.
    key_configured: bool = False

    @property
    def exit_code(self) -> int:
        """0 ok; 1 tampered, or unverifiable with ``OPENIRU_AUDIT_KEY`` set; 3 unverifiable without."""
        if self.ok:
            return EXIT_OK
        if self.status == UNVERIFIABLE and not self.key_configured:
            return EXIT_UNVERIFIABLE
        return EXIT_FAILED

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_bad": self.first_bad,
            "problem": self.problem,
            "head": self.head,
            "anchor": self.anchor,
            "status": self.status,
            "exit_code": self.exit_code,
        }


def verify(engine: sa.Engine, config: AnchorConfig | None = None) -> VerifyResult:
    """Check the whole chain, then against the anchored heads; the first problem is named.

    A chain with no trusted anchored head (the anchor file missing or off, no checkpoint of
    this database in it, or with a key configured only unsigned ones) is never ``ok``: its
    newest entries could have been cut off, or the whole log rewritten with recomputed hashes,
    without a trace.  It is ``unverifiable``: a failure when ``OPENIRU_AUDIT_KEY`` is set, a
    loud warning (exit 3) when not.
    """
    config = config or anchor_config()
    result = _verify(engine, config)
    if result.key_configured != (config.key is not None):
        result = replace(result, key_configured=config.key is not None)
    return result


def _verify(engine: sa.Engine, config: AnchorConfig) -> VerifyResult:
    anchors = load_anchors(database_identity(engine.url), config)
    summary = anchors.summary()
    prev = GENESIS
    expected_seq = 1
    count = 0
    rewritten: VerifyResult | None = None
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))
        for row in rows:
            count += 1
            if row.seq != expected_seq:
                what = "missing" if row.seq > expected_seq else "duplicated"
                return VerifyResult(
                    False,
                    count,
                    row.seq,
                    f"entry {expected_seq} is {what}: sequence jumps to {row.seq}",
                    anchor=summary,
                )
            if row.prev_hash != prev:
                return VerifyResult(
                    False,
                    count,
                    row.seq,
                    f"entry {row.seq} does not link to entry {row.seq - 1} "
                    "(an entry was inserted, removed or changed before it)",
                    anchor=summary,
                )
            digest = entry_hash(
                prev, row.seq, row.at, row.actor, row.action, row.object_type, row.object_id, row.details
            )
            if digest != row.hash:
                return VerifyResult(
                    False,
                    count,
                    row.seq,
                    f"entry {row.seq} was changed: its content does not match its hash",
                    anchor=summary,
                )
            anchored = anchors.expected.get(row.seq)
            if anchored is not None and anchored[0] != row.hash and rewritten is None:
                rewritten = VerifyResult(
                    False,
                    0,
                    row.seq,
                    f"entry {row.seq} differs from the head anchored in {anchors.file} "
                    f"line {anchored[1]}: the log was rewritten from that entry on "
                    "or before it",
                )
            prev = row.hash
            expected_seq += 1
    head = prev if count else None
    # The chain holds together in itself (head set): what follows are the anchor's findings.
    if rewritten is not None:
        return VerifyResult(False, count, rewritten.first_bad, rewritten.problem, head, summary, TAMPERED)
    if anchors.problem or anchors.fork:
        return VerifyResult(False, count, None, anchors.trouble, head, summary, TAMPERED)
    latest = anchors.latest
    if latest is not None and latest.seq > count:
        held = f"ends at entry {count}" if count else "has no audit entries"
        return VerifyResult(
            False,
            count,
            count + 1,
            f"the database {held} but the anchor ({anchors.file}, written {latest.at}) "
            f"has seen entry {latest.seq}: {latest.seq - count} newest entries are "
            "missing (the log was truncated)",
            head,
            summary,
            TAMPERED,
        )
    if latest is None or anchors.unsigned_problem:
        return VerifyResult(False, count, None, _unanchored(anchors, config), head, summary, UNVERIFIABLE)
    return VerifyResult(True, count, None, None, head, summary)


def _unanchored(anchors: Anchors, config: AnchorConfig) -> str:
    """Why no anchored head can vouch for the chain's end."""
    if anchors.unsigned_problem:
        why = anchors.unsigned_problem
    elif config.path is None:
        why = "anchoring is off (OPENIRU_AUDIT_ANCHOR=off)"
    elif anchors.file is None:
        why = "an in-memory database has no anchor"
    elif not config.path.is_file():
        why = f"the anchor file {config.path} is missing"
    else:
        why = f"the anchor file {config.path} holds no checkpoint of this database"
    return (
        f"{why}: no trusted anchored head, so truncation or a rewrite with recomputed hashes "
        "cannot be detected (an administrator accepts the current head with "
        "'openiru audit anchor --restart --as ADMIN')"
    )


def entries(
    engine: sa.Engine, object_type: str | None = None, object_id: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    query = sa.select(audit_log).order_by(audit_log.c.seq)
    if object_type:
        query = query.where(audit_log.c.object_type == object_type)
    if object_id is not None:
        query = query.where(audit_log.c.object_id == str(object_id))
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "seq": r.seq,
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "object_type": r.object_type,
            "object_id": r.object_id,
            "details": json.loads(r.details),
            "hash": r.hash,
        }
        for r in rows
    ]
