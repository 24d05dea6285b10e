"""Evidence preservation before sending, and its retention purge.

For each target: the raw record as stored, its media files, and for anything
with a web address a WARC capture (warcio) of the page as fetched now; each
file with its SHA-256.  Files live under ``$OPENIRU_DATA/evidence/<reference>/``.
Media come from the media store (``media_store``), pages through the outbound client
(``outbound``: no internal addresses, size and time limits).
TCO Art. 6 asks for 6 months' preservation: :func:`purge` deletes files
older than the retention period and records the purge in the audit log.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ...clock import Clock, system_now
from ...model import utc
from ...store.tables_referral import evidence
from .. import outbound
from ..access import audit
from ..access.users import require_actor
from ..collect.media import MediaStore
from .records import TargetInfo

#: Six months (TCO Art. 6(2)); a deployment may set OPENIRU_RETENTION_DAYS.
DEFAULT_RETENTION_DAYS = float(os.environ.get("OPENIRU_RETENTION_DAYS", "183"))
Fetch = Callable[[str], httpx.Response]


def evidence_root() -> Path:
    return Path(os.environ.get("OPENIRU_DATA", "openiru-data")) / "evidence"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _suffix(path: str | None) -> str:
    """The recorded file name's extension, if it is a plain one (``.jpg``), for the copy's name."""
    suffix = Path(path or "").suffix
    return suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ""


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120]


def default_fetch(url: str) -> httpx.Response:
    """A page as fetched now, through the one outbound client: internal addresses refused
    (unless ``OPENIRU_FETCH_ALLOW`` names them), size and time limited."""
    return outbound.fetch(url)


def write_warc(path: Path, url: str, response: httpx.Response) -> None:
    """One WARC response record with the HTTP status, headers and body as received."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        protocol = response.http_version or "HTTP/1.1"
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [
            (k, v)
            for k, v in response.headers.items()
            if k.lower() not in ("content-encoding", "transfer-encoding")
        ]
        http_headers = StatusAndHeaders(status, headers, protocol=protocol)
        # With the length given, warcio digests the in-memory body without a temporary file.
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(response.content),
            length=len(response.content),
            http_headers=http_headers,
        )
        writer.write_record(record)
        record.raw_stream.close()


def capture(
    conn: sa.Connection,
    referral_id: int,
    reference: str,
    infos: list[TargetInfo],
    now: datetime,
    fetch: Fetch = default_fetch,
    root: Path | None = None,
) -> list[dict[str, Any]]:
    """Preserve every target of one referral; returns the evidence rows written."""
    folder = (root or evidence_root()) / _safe(reference)
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []

    def add(target_key: str, kind: str, path: Path | None, meta: dict[str, Any]) -> None:
        row = {
            "referral_id": referral_id,
            "target_key": target_key,
            "kind": kind,
            "path": str(path) if path else None,
            "sha256": sha256_file(path) if path else None,
            "size": path.stat().st_size if path else None,
            "created_at": now,
            "meta": meta,
        }
        conn.execute(sa.insert(evidence).values(**row))
        rows.append(row)

    for n, info in enumerate(infos, 1):
        key = info.target.key
        stem = f"{n:03d}-{_safe(key)}"
        record = {
            "target": info.target.as_dict(),
            "url": info.url,
            "author": info.author,
            "text": info.text,
            "language": info.language,
            "media": info.media,
            "raw": info.raw,
            "preserved_at": now.isoformat(),
        }
        raw_path = folder / f"{stem}.record.json"
        raw_path.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str), "utf-8")
        add(key, "raw", raw_path, {})
        for m_index, m in enumerate(info.media):
            # From the media store only (by the hash the import recorded), never from the
            # path a media row names: that path came from an export.
            src = MediaStore().get(m.get("sha256"))
            if src is not None:
                dest = folder / f"{stem}.media{m_index}{_suffix(m.get('path'))}"
                shutil.copyfile(src, dest)
                add(key, "media", dest, {"media_key": m.get("media_key"), "source_sha256": m.get("sha256")})
            else:
                add(key, "media", None, {"media_key": m.get("media_key"), "missing": True})
        url = info.url or info.target.url
        if url:
            try:
                response = fetch(url)
            except httpx.HTTPError as exc:
                add(key, "warc", None, {"url": url, "error": f"{exc.__class__.__name__}: {exc}"})
                continue
            warc_path = folder / f"{stem}.warc.gz"
            write_warc(warc_path, url, response)
            add(
                key,
                "warc",
                warc_path,
                {
                    "url": url,
                    "status": response.status_code,
                    "body_sha256": hashlib.sha256(response.content).hexdigest(),
                },
            )
    return rows


def list_evidence(engine: sa.Engine, referral_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(evidence).where(evidence.c.referral_id == referral_id).order_by(evidence.c.id)
        ).all()
    return [
        {
            "id": r.id,
            "target": r.target_key,
            "kind": r.kind,
            "path": r.path,
            "sha256": r.sha256,
            "size": r.size,
            "created_at": utc(r.created_at).isoformat(),
            "purged_at": utc(r.purged_at).isoformat() if r.purged_at else None,
            "meta": r.meta,
        }
        for r in rows
    ]


def purge(
    engine: sa.Engine,
    actor: str | None,
    retention_days: float = DEFAULT_RETENTION_DAYS,
    now: Clock = system_now,
) -> dict[str, Any]:
    """Delete evidence files older than the retention period; the purge itself is audited."""
    user = require_actor(engine, actor, ("admin",))
    t = now()
    cutoff = t - timedelta(days=retention_days)
    removed_files = 0
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(evidence).where(evidence.c.created_at < cutoff, evidence.c.purged_at.is_(None))
        ).all()
        for row in rows:
            if row.path and Path(row.path).exists():
                Path(row.path).unlink()
                removed_files += 1
        ids = [r.id for r in rows]
        if ids:
            conn.execute(sa.update(evidence).where(evidence.c.id.in_(ids)).values(purged_at=t))
        summary = {
            "retention_days": retention_days,
            "cutoff": cutoff.isoformat(),
            "items": len(ids),
            "files_deleted": removed_files,
            "referrals": sorted({r.referral_id for r in rows}),
        }
        audit.record(conn, user.name, "evidence.purge", "evidence", "*", summary, now=now)
    return summary
