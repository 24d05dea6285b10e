"""The notify role on SQLite and PostgreSQL: each notification sent once by any number of workers.

The unit's webhook is the fake provider's inbox on 127.0.0.1 (tests/test_referral_delivery.py),
allow-listed by ``OPENIRU_WEBHOOK_ALLOW``; clocks are injected (tests/test_referral_service.py).
"""

# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as parameters)
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.services.referral.channels import verify_signature
from openiru.services.workers.notify import NotifyConfig, NotifySummary, run_notify
from openiru.store.db import open_database
from openiru.store.tables_collect import worker_notifications
from openiru.store.tables_detect import detect_alerts
from server_support import free_port
from test_referral_delivery import FakeProvider, fake  # noqa: F401  (fixture)
from test_referral_service import T0, Clock, _no_fetch, seed

SECRET = "notify-test-secret-7c1e"
OPENIRU = [sys.executable, "-c", "from openiru.cli import main; main()"]


def _alerts(engine: sa.Engine, n: int, priority: float, status: str = "open", first: int = 0) -> list[str]:
    with engine.begin() as conn:
        for i in range(first, first + n):
            conn.execute(
                detect_alerts.insert().values(
                    platform="x",
                    post_id=str(i),
                    account_id=f"a{i % 3}",
                    status=status,
                    priority=priority,
                    strength=priority,
                    created_at=T0,
                    updated_at=T0,
                )
            )
    return [f"alert:x:{i}" for i in range(first, first + n)]


def _config(fake: FakeProvider, **kw: float) -> NotifyConfig:
    return NotifyConfig(url=f"{fake.base}/unit-hook?token=abc", secret=SECRET, **kw)  # type: ignore[arg-type]


def _received(fake: FakeProvider) -> list[str]:
    keys = []
    for msg in fake.received:
        assert verify_signature(SECRET, msg["body"], msg["headers"]["X-OpenIRU-Signature"])
        assert json.loads(msg["body"])["key"] == msg["headers"]["X-OpenIRU-Notification"]
        keys.append(msg["headers"]["X-OpenIRU-Notification"])
    return keys


def test_two_notify_workers_send_each_notification_once(engine: sa.Engine, fake: FakeProvider) -> None:
    wanted = _alerts(engine, 12, 0.9)
    _alerts(engine, 3, 0.3, first=100)  # below the threshold
    _alerts(engine, 2, 0.95, status="confirmed", first=200)  # decided already
    clock = Clock(T0 + timedelta(minutes=5))
    summaries: list[NotifySummary] = []
    lines: list[str] = []

    def worker(name: str) -> None:
        summaries.append(
            run_notify(engine, _config(fake), cycles=1, now=clock, holder=name, log=lines.append)
        )

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    received = _received(fake)
    assert sorted(received) == sorted(wanted)  # each once, whichever worker sent it
    sent = [key for s in summaries for key in s.sent]
    assert sorted(sent) == sorted(wanted) and sum(s.recorded for s in summaries) == 12
    # a later pass (another worker, the same worker) finds everything recorded: nothing again
    again = run_notify(engine, _config(fake), cycles=1, now=clock, holder="w3", log=lines.append)
    assert (again.recorded, again.sent, len(fake.received)) == (0, [], 12)
    assert not any(SECRET in line or "token=abc" in line for line in lines)


def test_a_referral_due_soon_then_overdue_is_notified_once_each(
    engine: sa.Engine, fake: FakeProvider
) -> None:
    from openiru.services.referral import delivery
    from openiru.services.referral import workflow as referrals

    seed(engine)
    clock = Clock(T0)
    [r] = referrals.create_referrals(
        engine, "ana", ["x:1"], kind="removal-order", grounds=["a", "e"], now=clock
    )
    referrals.approve(engine, "bob", r["id"], now=clock)
    delivery.send(engine, "bob", r["id"], "portal", now=clock, fetch=_no_fetch)  # due T0 + 1 h (TCO)
    fake.received.clear()
    run = lambda: run_notify(engine, _config(fake), cycles=1, now=clock, holder="w", log=lambda _: None)  # noqa: E731
    assert run().sent == []  # an hour left: nothing yet
    clock.advance(minutes=40)
    assert run().sent == [f"referral-due-soon:{r['id']}"]
    clock.advance(minutes=5)
    assert run().sent == []  # still due soon: told once
    clock.advance(minutes=20)  # T0 + 65 min: past the hour
    assert run().sent == [f"referral-overdue:{r['id']}"]
    clock.advance(hours=3)
    assert run().sent == []
    received = _received(fake)
    assert received == [f"referral-due-soon:{r['id']}", f"referral-overdue:{r['id']}"]
    overdue = json.loads(fake.received[1]["body"])
    assert (overdue["kind"], overdue["referral_kind"], overdue["referral"], overdue["due"]) == (
        "referral-overdue",
        "removal-order",
        r["id"],
        (T0 + timedelta(hours=1)).isoformat(),
    )


def test_a_failed_notification_is_retried_with_backoff_then_sent_once(
    sqlite_engine: sa.Engine, fake: FakeProvider
) -> None:
    [key] = _alerts(sqlite_engine, 1, 0.9)
    fake.hook_statuses = [500, 503]
    clock = Clock(T0)
    lines: list[str] = []
    cfg = _config(fake, backoff=30.0)

    def run() -> NotifySummary:
        return run_notify(sqlite_engine, cfg, cycles=1, now=clock, holder="w", log=lines.append)

    assert run().retried == 1  # HTTP 500: the next attempt in 30 s
    assert run().sent == [] and len(fake.received) == 1  # not due again yet
    clock.advance(seconds=31)
    assert run().retried == 1  # HTTP 503: the next in 60 s
    clock.advance(seconds=59)
    assert run().sent == []
    clock.advance(seconds=2)
    assert run().sent == [key]
    assert _received(fake) == [key, key, key]
    with sqlite_engine.connect() as conn:
        row = conn.execute(sa.select(worker_notifications)).one()
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, None)
    assert any("HTTP 503" in line for line in lines)
    assert not any(SECRET in line or "unit-hook" in line for line in lines)  # host only


def test_the_notify_role_from_the_cli(
    fake: FakeProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    engine = open_database(url)
    [key] = _alerts(engine, 1, 0.9)
    with engine.begin() as conn:  # created just now, within the last 24 hours
        conn.execute(sa.update(detect_alerts).values(created_at=sa.func.current_timestamp()))
    engine.dispose()
    monkeypatch.delenv("OPENIRU_NOTIFY_SECRET", raising=False)
    monkeypatch.delenv("OPENIRU_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("OPENIRU_NOTIFY_WEBHOOK", raising=False)
    for args, says in (
        (["--webhook", f"{fake.base}/h"], "OPENIRU_NOTIFY_SECRET"),
        ([], "--webhook"),
        (["--webhook", "http://169.254.169.254/h"], "OPENIRU_WEBHOOK_ALLOW"),
    ):
        if says != "OPENIRU_NOTIFY_SECRET":
            monkeypatch.setenv("OPENIRU_NOTIFY_SECRET", SECRET)
        done = subprocess.run(
            [*OPENIRU, "worker", "--role", "notify", "--db", url, *args], capture_output=True, text=True
        )
        assert done.returncode == 1 and says in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and SECRET not in done.stderr
    port = free_port()
    proc = subprocess.Popen(
        [
            *OPENIRU,
            "worker",
            "--role",
            "notify",
            "--db",
            url,
            "--webhook",
            f"{fake.base}/h",
            "--poll",
            "0.2",
            "--metrics-port",
            str(port),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if line.startswith("sent"):
                break
        base = f"http://127.0.0.1:{port}"
        assert json.loads(urllib.request.urlopen(f"{base}/healthz", timeout=5).read()) == {"status": "alive"}
        ready = json.loads(urllib.request.urlopen(f"{base}/readyz", timeout=10).read())
        assert ready == {"ready": True, "checks": {"database": "ok", "migrations": "ok"}}
        metrics = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
        assert 'openiru_notifications_total{kind="alert",state="sent"} 1.0' in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert _received(fake) == [key] and SECRET not in err
