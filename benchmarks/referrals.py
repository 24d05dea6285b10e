"""Referral benchmark: workflow throughput, audit-chain verification, STIX export.

1. Workflow: create, approve and send (portal channel, evidence capture of the
   stored record) N referrals, on SQLite and on PostgreSQL when reachable;
   referrals per second, and the time to list them all with deadlines.
2. Audit chain: append M entries, then ``audit.verify``; beside it, the bare
   cost of the same SHA-256 chain over the same rows in memory with hashlib
   (the lower bound: what is left is the database read and JSON encoding).
3. STIX: build a bundle for the referrals with the ``stix2`` library (ours),
   beside building the same objects as plain dicts and ``json.dumps`` (no
   library, no property checks), and the ``stix2-validator`` run on our output.

Usage: ``.venv/bin/python benchmarks/referrals.py [--referrals 300] [--audit 20000]``
All content is generated placeholder text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from stix2validator import ValidationOptions, validate_string

from openiru.model import Account, AccountKey, Post, PostKey
from openiru.services.access import audit
from openiru.services.access.users import add_user
from openiru.services.collect.ingest import ingest_source
from openiru.services.referral import delivery
from openiru.services.referral import export as referrals_export
from openiru.services.referral import records as referral_records
from openiru.services.referral import workflow as referrals
from openiru.sources.base import Source
from openiru.store.db import open_database

PG_ADMIN = os.environ.get("OPENIRU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _offline(url: str):  # type: ignore[no-untyped-def]
    import httpx

    raise httpx.ConnectError("benchmark runs offline")


class GeneratedPosts(Source):
    """n placeholder posts by 50 accounts on platform x."""

    name = "generated"
    default_platform = "x"

    def __init__(self, n: int) -> None:
        super().__init__(Path("generated"), None)
        self.n = n

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        return 0.0

    def records(self):  # type: ignore[no-untyped-def]
        t0 = datetime(2026, 3, 1, tzinfo=UTC)
        for i in range(50):
            yield Account(AccountKey("x", str(1000 + i)), handle=f"acct{i}")
        for i in range(self.n):
            yield Post(
                PostKey("x", str(i + 1)),
                AccountKey("x", str(1000 + i % 50)),
                t0,
                text=f"placeholder statement {i}",
            )


def _seed(engine: sa.Engine, n: int) -> list[str]:
    ingest_source(engine, GeneratedPosts(n), after_batch=())  # no detection scan
    for name, role in (("ana", "analyst"), ("bob", "approver")):
        add_user(engine, name, role)
    return [f"x:{i + 1}" for i in range(n)]


def bench_workflow(url: str, n: int) -> dict[str, float]:
    engine = open_database(url)
    keys = _seed(engine, n)
    clock_at = [datetime(2026, 3, 1, 12, tzinfo=UTC)]

    def clock() -> datetime:
        clock_at[0] += timedelta(seconds=1)
        return clock_at[0]

    start = time.perf_counter()
    for key in keys:
        [r] = referrals.create_referrals(engine, "ana", [key], now=clock)
        referrals.approve(engine, "bob", r["id"], now=clock)
        delivery.send(engine, "bob", r["id"], "portal", now=clock, fetch=_offline)
    workflow_s = time.perf_counter() - start
    start = time.perf_counter()
    listed = referral_records.list_referrals(engine, now=clock)
    list_s = time.perf_counter() - start
    assert len(listed) == n
    start = time.perf_counter()
    result = audit.verify(engine)
    verify_s = time.perf_counter() - start
    assert result.ok
    engine.dispose()
    return {
        "referrals_per_s": n / workflow_s,
        "list_s": list_s,
        "audit_entries": result.entries,
        "audit_verify_s": verify_s,
    }


def bench_audit(url: str, m: int) -> dict[str, float]:
    engine = open_database(url)
    start = time.perf_counter()
    with engine.begin() as conn:
        for i in range(m):
            audit.record(conn, "ana", "bench.event", "referral", i, {"i": i, "note": "placeholder"})
    append_s = time.perf_counter() - start
    start = time.perf_counter()
    result = audit.verify(engine)
    verify_s = time.perf_counter() - start
    assert result.ok and result.entries == m
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select seq, at, actor, action, object_type, object_id, details from audit_log order by seq"
            )
        ).all()
    engine.dispose()
    start = time.perf_counter()
    prev = "0" * 64
    for r in rows:  # the bare chain: hashlib over pre-read rows
        body = json.dumps(list(r), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        prev = hashlib.sha256((prev + body).encode()).hexdigest()
    bare_s = time.perf_counter() - start
    return {"append_per_s": m / append_s, "verify_per_s": m / verify_s, "bare_hashlib_per_s": m / bare_s}


def bench_stix(url: str) -> dict[str, float]:
    engine = open_database(url)
    items = referrals_export.export_items(engine)
    start = time.perf_counter()
    text = referrals_export.export(engine, "stix")
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    objects = []
    for item in items:  # the same SCOs and a report, as plain dicts
        t = item["target"]
        objects.append(
            {"type": "url", "spec_version": "2.1", "id": f"url--{uuid.uuid4()}", "value": t["url"]}
        )
        objects.append(
            {
                "type": "report",
                "spec_version": "2.1",
                "id": f"report--{uuid.uuid4()}",
                "name": item["referral"]["reference"],
                "published": item["referral"]["created_at"],
                "object_refs": [objects[-1]["id"]],
            }
        )
    plain = json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})
    plain_s = time.perf_counter() - start
    start = time.perf_counter()
    valid = validate_string(text, ValidationOptions(version="2.1")).is_valid
    validate_s = time.perf_counter() - start
    engine.dispose()
    return {
        "items": len(items),
        "stix2_s": ours_s,
        "plain_json_s": plain_s,
        "validator_s": validate_s,
        "valid": float(valid),
        "bytes": len(text),
        "plain_bytes": len(plain),
    }


def _pg_url() -> str | None:
    try:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"openiru_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    except Exception:
        return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--referrals", type=int, default=300)
    ap.add_argument("--audit", type=int, default=20000)
    args = ap.parse_args()
    os.environ.setdefault("OPENIRU_DATA", str(Path("benchmarks/out/referral-data").resolve()))
    tmp = Path(tempfile.mkdtemp(prefix="openiru-bench-"))
    dbs = {"sqlite": f"sqlite:///{tmp / 'wf.db'}"}
    pg = _pg_url()
    if pg:
        dbs["postgresql"] = pg
    print(f"workflow: {args.referrals} referrals created, approved (four-eyes) and sent (portal, evidence)")
    print(
        f"{'database':12} {'referrals/s':>12} {'list all (s)':>13} {'audit entries':>14} {'verify (s)':>11}"
    )
    for name, url in dbs.items():
        r = bench_workflow(url, args.referrals)
        print(
            f"{name:12} {r['referrals_per_s']:12.1f} {r['list_s']:13.2f} {r['audit_entries']:14.0f} "
            f"{r['audit_verify_s']:11.2f}"
        )
    print(f"\naudit chain: {args.audit} entries")
    print(f"{'database':12} {'append/s':>10} {'verify/s':>10} {'hashlib only/s':>15}")
    for name in dbs:
        url = f"sqlite:///{tmp / 'audit.db'}" if name == "sqlite" else (_pg_url() or "")
        if not url:
            continue
        r = bench_audit(url, args.audit)
        print(
            f"{name:12} {r['append_per_s']:10.0f} {r['verify_per_s']:10.0f} {r['bare_hashlib_per_s']:15.0f}"
        )
    s = bench_stix(dbs["sqlite"])
    print(f"\nSTIX export of {s['items']:.0f} referred items")
    print(f"{'builder':28} {'seconds':>8} {'bytes':>10}")
    print(f"{'stix2 library (ours)':28} {s['stix2_s']:8.2f} {s['bytes']:10.0f}")
    print(f"{'plain dicts + json (no lib)':28} {s['plain_json_s']:8.2f} {s['plain_bytes']:10.0f}")
    print(f"{'stix2-validator on ours':28} {s['validator_s']:8.2f}   valid={bool(s['valid'])}")


if __name__ == "__main__":
    main()
