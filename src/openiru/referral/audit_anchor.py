"""Anchors of the audit chain's head outside the database: checkpoints, signatures, the anchor file.

A hash chain proves that no entry was edited, removed or inserted *between*
two entries, but not that the newest entries are all there: deleting the last
N rows leaves a shorter, perfectly valid chain.  An anchor closes that gap.
On every commit that appended to the chain, the head (sequence number and
hash) is written as one JSON line to an append-only file outside the database
(``<data dir>/audit.anchor`` by default):

``{"v": 1, "db": "sqlite:/srv/openiru.db", "chain": "<hash of entry 1>",
"seq": 42, "hash": "<hash of entry 42>", "at": "2026-03-01T12:00:00+00:00",
"mac": "<HMAC-SHA256 of the other fields>"}``

``db`` names the database (SQLite file path, or PostgreSQL host, port and
database name, never credentials), so databases sharing a data folder keep
separate anchors.  ``mac`` is an HMAC-SHA256 with ``OPENIRU_AUDIT_KEY`` (null
when no key is configured; a configured key must pass
:mod:`openiru.referral.key_strength`): without the key nobody can forge or
rewrite a checkpoint to match a doctored database.  A ``"restart": true`` checkpoint,
written only by ``openiru audit anchor --restart``, records that an
administrator accepted the current head after a legitimate restore; earlier
checkpoints of that database no longer count.

Written by hand: this is a few lines of the standard library's ``hmac`` over
canonical JSON; no maintained library anchors an SQL hash chain to a file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .key_strength import check_key

ANCHOR_ENV = "OPENIRU_AUDIT_ANCHOR"
KEY_ENV = "OPENIRU_AUDIT_KEY"
FILENAME = "audit.anchor"
OFF = ("off", "none", "0", "false")
FIELDS = ("v", "db", "chain", "seq", "hash", "at")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class AnchorConfig:
    """Where checkpoints go (``path`` None: anchoring is off) and the HMAC key, if any."""

    path: Path | None
    key: bytes | None = None

    @classmethod
    def resolve(cls, env: Mapping[str, str], data_dir: Path) -> AnchorConfig:
        """``OPENIRU_AUDIT_ANCHOR`` (a file, or ``off``), else ``<data_dir>/audit.anchor``."""
        configured = env.get(ANCHOR_ENV)
        key_text = env.get(KEY_ENV) or ""
        key = check_key(key_text, KEY_ENV).encode("utf-8") if key_text else None
        if configured is not None and configured.strip().lower() in OFF:
            return cls(None, key)
        path = Path(configured).expanduser() if configured else Path(data_dir) / FILENAME
        return cls(path, key)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One anchored head of one database's chain."""

    db: str
    chain: str
    seq: int
    hash: str
    at: str
    restart: bool = False
    mac: str | None = None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": 1,
            "db": self.db,
            "chain": self.chain,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
        }
        if self.restart:
            out["restart"] = True
        return out

    def as_dict(self) -> dict[str, Any]:
        return {**self.body(), "mac": self.mac}

    def signed(self, key: bytes | None) -> Checkpoint:
        mac = sign(self.body(), key) if key else None
        return Checkpoint(self.db, self.chain, self.seq, self.hash, self.at, self.restart, mac)

    def signature_ok(self, key: bytes) -> bool:
        return bool(self.mac) and hmac.compare_digest(sign(self.body(), key), str(self.mac))

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any]) -> Checkpoint:
        missing = [f for f in FIELDS if f not in value]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        seq = value["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError(f"seq must be a positive integer, not {seq!r}")
        digest = value["hash"]
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("hash must be 64 hex digits")
        mac = value.get("mac")
        return cls(
            str(value["db"]),
            str(value["chain"]),
            seq,
            digest,
            str(value["at"]),
            bool(value.get("restart", False)),
            str(mac) if mac else None,
        )


def sign(body: Mapping[str, Any], key: bytes) -> str:
    return hmac.new(key, _canonical(dict(body)), hashlib.sha256).hexdigest()


def append(path: Path, checkpoint: Checkpoint) -> None:
    """Append one line with a single ``write`` on an ``O_APPEND`` descriptor (no interleaving)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(checkpoint.as_dict(), sort_keys=True, ensure_ascii=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def parse(text: str) -> list[tuple[int, Checkpoint | None, str | None]]:
    """``(line, checkpoint, error)`` for each checkpoint in an anchor file.

    Accepts JSON lines (the anchor file) and also one JSON object or array (a
    head exported with ``openiru audit anchor --json`` and kept elsewhere).
    """
    stripped = text.strip()
    if stripped[:1] in ("{", "[") and "\n" in stripped:
        try:
            whole = json.loads(stripped)
        except json.JSONDecodeError:
            whole = None
        if whole is not None:
            items = whole if isinstance(whole, list) else [whole]
            return [_one(n, item) for n, item in enumerate(items, 1)]
    out: list[tuple[int, Checkpoint | None, str | None]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append((n, None, f"not valid JSON ({exc.msg})"))
            continue
        out.append(_one(n, value))
    return out


def _one(n: int, value: Any) -> tuple[int, Checkpoint | None, str | None]:
    if not isinstance(value, dict):
        return n, None, "not a JSON object"
    try:
        return n, Checkpoint.from_mapping(value), None
    except ValueError as exc:
        return n, None, str(exc)


@dataclass(slots=True)
class Anchors:
    """The checkpoints of one database read from an anchor file, and what is wrong with them."""

    file: str | None
    signatures_checked: bool
    expected: dict[int, tuple[str, int]] = field(default_factory=dict)  # seq -> (hash, line)
    latest: Checkpoint | None = None
    checkpoints: int = 0
    unsigned: int = 0
    restarts: int = 0
    other_databases: int = 0
    problem: str | None = None  # an unreadable or forged line
    fork: str | None = None  # two hashes for one entry (cleared by a restart)
    unsigned_problem: str | None = None  # an unsigned line while a key is configured (idem)

    @property
    def trouble(self) -> str | None:
        return self.problem or self.fork or self.unsigned_problem

    def summary(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "file": self.file,
            "checkpoints": self.checkpoints,
            "seq": latest.seq if latest else None,
            "hash": latest.hash if latest else None,
            "at": latest.at if latest else None,
            "signatures_checked": self.signatures_checked,
            "unsigned": self.unsigned,
            "restarts": self.restarts,
            "other_databases": self.other_databases,
        }


def collect(
    lines: list[tuple[int, Checkpoint | None, str | None]], db: str, key: bytes | None, file: str | None
) -> Anchors:
    """The checkpoints of database ``db``, checking signatures when a key is configured.

    With a key configured, no unsigned checkpoint is trusted: one after a signed
    line, or one with a bad signature, is a forgery; unsigned lines written before
    the key was configured fail verification until an administrator's signed
    restart supersedes them.  Two different hashes anchored for one sequence
    number mean the chain was cut back and rewritten.
    """
    found = Anchors(file, key is not None)
    seen_signed = False
    for n, cp, error in lines:
        if cp is None:
            found.problem = found.problem or f"anchor line {n} is unreadable: {error}"
            continue
        if cp.db != db:
            found.other_databases += 1
            continue
        if key is not None:
            if cp.mac is None and not seen_signed:
                # Never trusted once a key is configured: anyone can write an unsigned line (a
                # forger who deleted the anchor file starts it with one).  Only a signed restart
                # (an administrator's 'audit anchor --restart') supersedes such lines.
                found.unsigned += 1
                found.unsigned_problem = found.unsigned_problem or (
                    f"anchor line {n} (entry {cp.seq}) has no signature although {KEY_ENV} is "
                    "configured: it cannot be told from a forgery"
                )
                continue
            elif not cp.signature_ok(key):
                what = "has no signature" if cp.mac is None else "has a bad signature"
                found.problem = found.problem or (
                    f"anchor line {n} (entry {cp.seq}) {what}: forged, or signed with another {KEY_ENV}"
                )
                continue
            else:
                seen_signed = True
        elif cp.mac is None:
            found.unsigned += 1
        if cp.restart:
            found.restarts += 1
            found.expected.clear()
            found.latest = None
            found.fork = None
            found.unsigned_problem = None
        known = found.expected.get(cp.seq)
        if known is not None and known[0] != cp.hash:
            found.fork = found.fork or (
                f"anchor lines {known[1]} and {n} hold different hashes for entry {cp.seq}: "
                "the log was cut back and rewritten after that entry was anchored"
            )
        found.expected.setdefault(cp.seq, (cp.hash, n))
        found.checkpoints += 1
        if found.latest is None or cp.seq >= found.latest.seq:
            found.latest = cp
    return found
