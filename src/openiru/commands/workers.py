"""Scale-out commands: ``worker`` (one role pulling work from NATS JetStream) and ``queue status``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from ..errors import ConfigError
from .common import (
    AsOption,
    DbOption,
    JsonOption,
    LazyConsole,
    actor_name,
    current_context,
    engine_for,
    print_json,
)

err = LazyConsole(stderr=True)
out = LazyConsole()
queue_app = typer.Typer(help="The NATS JetStream work queues of the scale-out workers.", no_args_is_help=True)
db_app = typer.Typer(
    help="The database schema in production: check (pending migrations, missing indexes), upgrade; "
    "posts partitioned by time and its retention (PostgreSQL).",
    no_args_is_help=True,
)

NatsOption = Annotated[
    str, typer.Option("--nats", envvar="OPENIRU_NATS", help="NATS server URL (JetStream on).")
]


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def worker(
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="What this worker does: collect, detect, graph, notify or verify.",
        ),
    ],
    nats_url: NatsOption = "nats://127.0.0.1:4222",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Worker processes to run.")] = 1,
    db: DbOption = None,
    ack_wait: Annotated[
        float,
        typer.Option(
            "--ack-wait", min=0.5, help="Seconds before an unacknowledged batch is handed to another worker."
        ),
    ] = 60.0,
    max_deliver: Annotated[
        int, typer.Option("--max-deliver", min=1, help="Deliveries before a batch goes to the dead letters.")
    ] = 5,
    fetch: Annotated[int, typer.Option("--fetch", min=1, help="Messages pulled at a time.")] = 4,
    exit_when_idle: Annotated[
        float | None,
        typer.Option(
            "--exit-when-idle",
            help="Stop after the queue has had nothing pending or in flight this many seconds.",
        ),
    ] = None,
    throttle: Annotated[
        float,
        typer.Option(
            "--throttle",
            hidden=True,
            help="Pause after each message; graph: before storing a refresh (tests).",
        ),
    ] = 0.0,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Serve /healthz, /readyz and /metrics on this port (with "
            "--concurrency N: this port and the N-1 after it).",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option("--metrics-host", help="Address the probe server binds.")
    ] = "127.0.0.1",
    as_user: AsOption = None,
    every: Annotated[
        int | None,
        typer.Option(
            "--every",
            min=1,
            help="verify: seconds between two verification runs (default 3600); graph: at most "
            "one refresh per this many seconds (default 300); across every worker of the role.",
        ),
    ] = None,
    poll: Annotated[
        float,
        typer.Option(
            "--poll",
            min=0.1,
            help="verify, collect: seconds between two tries of the job / passes over the due targets.",
        ),
    ] = 30.0,
    cycles: Annotated[
        int | None,
        typer.Option(
            "--cycles", min=1, help="verify, collect, notify: stop after this many tries / passes (cron)."
        ),
    ] = None,
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            envvar="OPENIRU_NOTIFY_WEBHOOK",
            help="notify: the unit's webhook URL (signed with OPENIRU_NOTIFY_SECRET; internal "
            "addresses need OPENIRU_WEBHOOK_ALLOW).",
        ),
    ] = None,
    min_priority: Annotated[
        float,
        typer.Option("--min-priority", min=0.0, max=1.0, help="notify: alerts from this triage priority on."),
    ] = 0.8,
) -> None:
    """Run a scale-out worker: pull work from NATS JetStream, write to the shared database."""
    from ..services.workers import ROLES

    if role not in ROLES:
        raise typer.BadParameter(f"{role!r} is not a role (roles: {', '.join(ROLES)})", param_hint="--role")
    if role == "verify":
        actor = actor_name(as_user)
        if not actor:
            raise ConfigError(
                "the verify role records its checks as a user: give --as USER or set OPENIRU_USER"
            )
        _run_verify(db, actor, every or 3600, poll, cycles, metrics_host, metrics_port)
        return
    if role == "graph":
        _run_graph(db, nats_url, every or 300, ack_wait, exit_when_idle, throttle, metrics_host, metrics_port)
        return
    if role == "notify":
        _run_notify(db, webhook, min_priority, poll, cycles, metrics_host, metrics_port)
        return
    if role == "collect":
        _run_collect(db, nats_url, poll, cycles, metrics_host, metrics_port)
        return
    args = (db, nats_url, ack_wait, max_deliver, fetch, exit_when_idle, throttle, metrics_host)
    if concurrency == 1:
        _run_one(*args, metrics_port)
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    children = [
        ctx.Process(target=_run_one, args=(*args, metrics_port + i if metrics_port else None), daemon=False)
        for i in range(concurrency)
    ]
    for child in children:
        child.start()
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        for child in children:
            child.join()
    if any(child.exitcode for child in children):
        raise typer.Exit(1)


@contextmanager
def _role_engine(
    db: str | None, nats_url: str | None, metrics_host: str, metrics_port: int | None
) -> Iterator[Any]:
    """A worker role's database engine, with its /healthz /readyz /metrics served where a port is
    given (readiness checks NATS where the role uses it); disposed when the role stops."""
    engine = engine_for(db)
    if metrics_port:
        from ..services.workers.probe import serve_probes

        serve_probes(engine, nats_url, metrics_port, metrics_host)
        _log(f"probes on http://{metrics_host}:{metrics_port}/ (healthz, readyz, metrics)")
    try:
        yield engine
    finally:
        engine.dispose()


def _run_one(
    db: str | None,
    nats_url: str,
    ack_wait: float,
    max_deliver: int,
    fetch: int,
    exit_when_idle: float | None,
    throttle: float,
    metrics_host: str,
    metrics_port: int | None,
) -> None:
    from ..services.workers.detect import run_detect
    from ..services.workers.stream import Topology

    topo = Topology.from_env(ack_wait=ack_wait, max_deliver=max_deliver)
    with _role_engine(db, nats_url, metrics_host, metrics_port) as engine:
        summary = asyncio.run(
            run_detect(
                engine,
                nats_url,
                topo,
                fetch=fetch,
                exit_when_idle=exit_when_idle,
                throttle=throttle,
                log=_log,
            )
        )
    _log(
        f"detect worker stopped: {summary.messages} messages, {summary.posts} posts scanned, "
        f"{summary.failed} failures, {summary.dead_lettered} dead-lettered"
    )


def _run_verify(
    db: str | None,
    actor: str,
    every: int,
    poll: float,
    cycles: int | None,
    metrics_host: str,
    metrics_port: int | None,
) -> None:
    from ..services.workers.verify import run_verify

    with _role_engine(db, None, metrics_host, metrics_port) as engine:
        summary = run_verify(engine, actor, every=every, poll=poll, cycles=cycles, log=_log)
    _log(f"verify worker stopped: {summary.runs} runs, {len(summary.checked)} referrals checked")


def _run_graph(
    db: str | None,
    nats_url: str,
    every: int,
    ack_wait: float,
    exit_when_idle: float | None,
    throttle: float,
    metrics_host: str,
    metrics_port: int | None,
) -> None:
    from ..services.workers.graph import run_graph
    from ..services.workers.stream import Topology

    with _role_engine(db, nats_url, metrics_host, metrics_port) as engine:
        summary = asyncio.run(
            run_graph(
                engine,
                nats_url,
                Topology.from_env(ack_wait=ack_wait),
                every=every,
                exit_when_idle=exit_when_idle,
                pause=throttle,
                log=_log,
            )
        )
    _log(
        f"graph worker stopped: {summary.refreshes} refreshes, {summary.deferred} signals deferred, "
        f"{summary.failed} failures"
    )


def _run_notify(
    db: str | None,
    webhook: str | None,
    min_priority: float,
    poll: float,
    cycles: int | None,
    metrics_host: str,
    metrics_port: int | None,
) -> None:
    import os

    from ..services.outbound import FetchPolicy, refusal
    from ..services.workers.notify import NotifyConfig, run_notify

    if not webhook:
        raise ConfigError(
            "the notify role posts to a webhook: give --webhook URL or set OPENIRU_NOTIFY_WEBHOOK"
        )
    secret = os.environ.get("OPENIRU_NOTIFY_SECRET") or os.environ.get("OPENIRU_WEBHOOK_SECRET")
    if not secret:
        raise ConfigError("the notify role signs what it sends: set OPENIRU_NOTIFY_SECRET")
    refused = refusal(webhook, FetchPolicy.for_webhooks())
    if refused:
        raise ConfigError(f"notify webhook refused: {refused} (OPENIRU_WEBHOOK_ALLOW may name it)")
    cfg = NotifyConfig(url=webhook, secret=secret, min_priority=min_priority)
    with _role_engine(db, None, metrics_host, metrics_port) as engine:
        summary = run_notify(engine, cfg, poll=poll, cycles=cycles, log=_log)
    _log(
        f"notify worker stopped: {summary.passes} passes, {len(summary.sent)} sent, "
        f"{summary.retried} to retry, {summary.failed} failed"
    )


def _run_collect(
    db: str | None,
    nats_url: str,
    poll: float,
    cycles: int | None,
    metrics_host: str,
    metrics_port: int | None,
) -> None:
    from ..services.workers.collect import run_collect

    with _role_engine(db, nats_url, metrics_host, metrics_port) as engine:
        summary = run_collect(engine, nats_url, poll=poll, cycles=cycles, log=_log)
    _log(
        f"collect worker stopped: {summary.passes} passes, {len(summary.targets)} targets polled, "
        f"{summary.new_posts} new posts, {summary.errors} errors"
    )


@queue_app.command("status")
def queue_status(nats_url: NatsOption = "nats://127.0.0.1:4222", json_out: JsonOption = False) -> None:
    """Per stream and consumer: pending, in flight, redelivered and dead-lettered messages."""
    from ..services.workers.status import queue_status as read_status
    from ..services.workers.stream import Topology

    data = asyncio.run(read_status(nats_url, Topology.from_env()))
    if json_out:
        print_json(data)
        return
    from rich.table import Table

    table = Table("stream", "consumer", "pending", "in flight", "redelivered", "dead-lettered")
    for s in data["streams"]:
        table.add_row(
            s["stream"],
            s["consumer"] if s["exists"] else "(not created)",
            str(s["pending"]),
            str(s["in_flight"]),
            str(s["redelivered"]),
            str(s["dead_lettered"]),
        )
    out.print(table)


def _bare_engine(db: str | None) -> Any:
    """An engine that does not migrate on opening (every other command's does)."""
    from ..settings import resolve_db_url
    from ..store.db import make_engine

    engine = make_engine(resolve_db_url(db))
    ctx = current_context()
    if ctx is not None:
        ctx.find_root().call_on_close(engine.dispose)
    return engine


@db_app.command("check")
def db_check(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Pending migrations and missing tables or indexes; changes nothing. Exit 1 if any."""
    from ..services.workers.dbcheck import check

    result = check(_bare_engine(db))
    if json_out:
        print_json(result)
    else:
        out.print("schema: " + ("current" if result["ok"] else "NOT current"))
        for key, label in (
            ("pending_migrations", "pending migration"),
            ("missing_tables", "missing table"),
            ("missing_indexes", "missing index"),
        ):
            for name in result[key]:
                out.print(f"  {label}: {name}")
        part = result["posts_partitioning"]
        if part.get("partitioned"):
            out.print(
                f"posts: partitioned by {part['interval']}, {part['partitions']} partitions, "
                f"{part['ahead']} ahead, {part['default_rows']} rows in posts_default"
            )
        elif part.get("supported"):
            out.print("posts: one table, not partitioned (openiru db partition)")
    if not result["ok"]:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Apply the pending migrations (what ``openiru init`` and every command do on opening)."""
    from ..services.workers.dbcheck import run_upgrade

    result = run_upgrade(_bare_engine(db))
    if json_out:
        print_json(result)
    else:
        out.print(
            f"applied {len(result['applied'])} migrations"
            + (f": {', '.join(result['applied'])}" if result["applied"] else " (already current)")
        )


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.add_typer(queue_app, name="queue")
    app.add_typer(db_app, name="db")
