"""Live collection commands: ``openiru watch add|list|remove|pause`` and ``openiru collect``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import ConfigError
from .common import AsOption, DbOption, JsonOption, LazyConsole, actor_name, engine_for, print_json

out = LazyConsole(highlight=False)
watch_app = typer.Typer(help="The watchlist: targets collected live on a schedule.", no_args_is_help=True)


@watch_app.command("add")
def watch_add(
    connector: Annotated[
        str, typer.Argument(help="mastodon, rocketchat, x, telegram, feed, web or zeronet.")
    ],
    target: Annotated[
        str,
        typer.Argument(
            help="Mastodon public|local|tag:NAME|account:ACCT (stream:public|local|"
            "tag:NAME: streamed under a running collect); Rocket.Chat "
            "channel:NAME; X search:QUERY|user:HANDLE; Telegram @name; "
            "feed/web a URL; ZeroNet a site address."
        ),
    ],
    server: Annotated[str | None, typer.Option(help="Server URL (Mastodon, Rocket.Chat).")] = None,
    every: Annotated[
        str | None, typer.Option(help="Poll interval: 90, 30s, 15m, 2h, 1d (default 15m).")
    ] = None,
    label: Annotated[str | None, typer.Option(help="A label for the target.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Watch a target (adding it again changes its interval and label)."""
    from ..services.collect import watchlist

    target_id = watchlist.add(
        engine_for(db), connector, target, server, every=every, label=label, actor=actor_name(as_user)
    )
    if json_out:
        print_json({"id": target_id})
    else:
        out.print(f"watching {connector} {target} as #{target_id}")


@watch_app.command("add-listed")
def watch_add_listed(
    every: Annotated[
        str | None, typer.Option(help="Poll interval: 90, 30s, 15m, 2h, 1d (default 15m).")
    ] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Watch every account that an account list marked 'watch' (Mastodon, X, Telegram)."""
    from ..services.collect.listed import watch_listed

    found = watch_listed(engine_for(db), every=every, actor=actor_name(as_user))
    if json_out:
        print_json(found)
        return
    for item in found["added"]:
        out.print(f"watching {item['connector']} {item['target']} as #{item['id']}")
    for item in found["skipped"]:
        out.print(f"not watched: {item['platform']} {item['account_id']}: {item['reason']}")


@watch_app.command("discover")
def watch_discover(
    connector: Annotated[str, typer.Argument(help="rocketchat (lists the server's public channels).")],
    server: Annotated[str | None, typer.Option(help="Server URL.")] = None,
    add: Annotated[bool, typer.Option("--add", help="Watch every channel listed.")] = False,
    every: Annotated[
        str | None, typer.Option(help="Poll interval for the added channels (default 15m).")
    ] = None,
    label: Annotated[str | None, typer.Option(help="A label for the added channels.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """List a server's public channels (Rocket.Chat channels.list); --add watches them all."""
    from ..services.collect.discover import discover

    channels = discover(
        engine_for(db), connector, server, add=add, every=every, label=label, actor=actor_name(as_user)
    )
    if json_out:
        print_json(channels)
        return
    for c in channels:
        watched = f" watched as #{c['watch_id']}" if "watch_id" in c else ""
        out.print(
            f"channel:{c['name']} ({c['members'] or 0} members){watched}"
            + (f" {c['topic']}" if c["topic"] else "")
        )
    if not channels:
        out.print("no public channel listed")


@watch_app.command("suggest")
def watch_suggest(
    top: Annotated[int, typer.Option(help="Key accounts considered (best first).")] = 20,
    kind: Annotated[str, typer.Option(help="key, successor or all.")] = "all",
    add: Annotated[bool, typer.Option("--add", help="Watch every proposal.")] = False,
    every: Annotated[
        str | None, typer.Option(help="Poll interval for the added targets (default 15m).")
    ] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Targets the analytics propose: key accounts, and re-created successors of watched accounts."""
    from ..services.graph.watch_proposals import accept, proposals

    if kind not in ("key", "successor", "all"):
        raise ConfigError(f"--kind {kind!r}: expected key, successor or all")
    engine = engine_for(db)
    found = proposals(engine, top=top, kinds=("key", "successor") if kind == "all" else (kind,))
    if add:
        found = accept(engine, found, every=every, actor=actor_name(as_user))
    if json_out:
        print_json(found)
        return
    for p in found:
        server = f" on {p['server']}" if p["server"] else ""
        watched = f" watched as #{p['watch_id']}" if "watch_id" in p else ""
        out.print(
            f"{p['kind']}: {p['connector']} {p['target']}{server} ({p['reason']}, {p['score']}){watched}"
        )
    if not found:
        out.print("no proposal: the key accounts and successors of watched accounts are watched")


@watch_app.command("list")
def watch_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Every watched target with its interval, state and last run."""
    from ..services.collect import watchlist

    rows = watchlist.listing(engine_for(db))
    if json_out:
        print_json(rows)
        return
    if not rows:
        out.print("nothing watched; add a target with: openiru watch add CONNECTOR TARGET")
    for r in rows:
        state = "paused" if r["paused"] else (r["last_status"] or "new")
        server = f" on {r['server']}" if r["server"] else ""
        out.print(
            f"#{r['id']} {r['connector']} {r['target']}{server} every {r['every_s']}s [{state}]"
            + (f" {r['label']}" if r["label"] else "")
            + (f" error: {r['last_error']}" if r["last_error"] else "")
        )


@watch_app.command("remove")
def watch_remove(
    target_id: Annotated[int, typer.Argument(help="Target id (watch list).")],
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Stop watching a target."""
    from ..services.collect import watchlist

    if not watchlist.remove(engine_for(db), target_id, actor=actor_name(as_user)):
        raise ConfigError(f"no watched target #{target_id}")
    out.print(f"removed #{target_id}")


@watch_app.command("pause")
def watch_pause(
    target_id: Annotated[int, typer.Argument(help="Target id (watch list).")],
    resume: Annotated[bool, typer.Option("--resume", help="Resume instead.")] = False,
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Pause (or --resume) a watched target."""
    from ..services.collect import watchlist

    if not watchlist.pause(engine_for(db), target_id, not resume, actor=actor_name(as_user)):
        raise ConfigError(f"no watched target #{target_id}")
    out.print(f"{'resumed' if resume else 'paused'} #{target_id}")


def _show(result: Any) -> None:
    line = (
        f"{result.target}: {result.new_posts} new posts ({result.posts_read} read), {result.pages} pages, "
        f"{len(result.errors)} errors, checkpoint {result.checkpoint}"
    )
    out.print(line)
    for error in result.errors:
        out.print(f"  error: {error}")


def recurring_jobs(engine: Any, actor: str | None) -> list[Any]:
    """The scheduler's recurring work besides polling: referral deadlines every 5 minutes, successors
    of watched accounts proposed daily; with an acting user (audited), removal verification every
    hour and the evidence retention purge daily; on PostgreSQL, the posts partitions ahead daily
    and, with an acting user and OPENIRU_POSTS_RETENTION_DAYS, the posts retention."""
    from ..services.collect.scheduler import Job
    from ..services.graph.watch_proposals import proposals
    from ..services.referral import evidence, verify, workflow
    from ..services.workers import partitions

    jobs = [
        Job(
            "referral-deadlines",
            300,
            lambda now: {"expired": workflow.expire_overdue(engine, now=lambda: now)},
        ),
        Job("watch-proposals", 86400, lambda now: {"successors": proposals(engine, kinds=("successor",))}),
    ]
    if actor:
        jobs += [
            Job(
                "referral-verify",
                3600,
                lambda now: {"checked": [r["id"] for r in verify.verify_due(engine, actor, now=lambda: now)]},
            ),
            Job(
                "evidence-retention",
                86400,
                lambda now: evidence.purge(engine, actor, evidence.DEFAULT_RETENTION_DAYS, now=lambda: now),
            ),
        ]
    return jobs + partitions.jobs(engine, actor)


def _show_job(done: Any) -> None:
    out.print(f"job {done.job}: " + (f"error: {done.error}" if done.error else f"ran {done.result}"))


def _nothing_due(rows: list[dict[str, Any]]) -> str:
    waiting = sorted(
        (r for r in rows if not r["paused"] and r["next_due_at"]), key=lambda r: r["next_due_at"]
    )
    if not waiting:
        return "no target due: nothing watched" if not rows else "no target due: every target is paused"
    first = waiting[0]
    return f"no target due; next: #{first['id']} {first['connector']} {first['target']} at {first['next_due_at']}"


def collect(
    targets: Annotated[
        list[int] | None, typer.Argument(help="Watched target ids (default: every due target).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Poll due targets once and exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between scheduler passes.")] = 30.0,
    jobs: Annotated[
        bool | None,
        typer.Option(
            "--jobs/--no-jobs",
            help="Also run the recurring jobs that are due: referral deadlines; with --as, removal "
            "verification and the evidence retention purge (default: on without --once).",
        ),
    ] = None,
    nats_url: Annotated[
        str | None,
        typer.Option(
            "--nats",
            help="Publish the polled posts to NATS JetStream for `openiru worker --role detect` instead "
            "of scanning them here; a page's checkpoint moves once the publish is acknowledged.",
        ),
    ] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Collect watched targets: --once polls every due target once; without it, runs until stopped."""
    from ..services.collect import watchlist
    from ..services.collect.scheduler import Scheduler

    engine = engine_for(db)
    scheduler = Scheduler(engine)
    if nats_url:
        from ..services.workers.publish import Publisher

        publisher = Publisher(nats_url, msg_ids=True)
        scheduler.hooks, scheduler.publish = publisher.hooks(engine), publisher.flush
    results: list[dict[str, Any]] = []

    def report(result: Any) -> None:
        if json_out:
            results.append(result.as_dict())
        else:
            _show(result)

    if targets:
        wanted = {r["id"]: r for r in watchlist.listing(engine)}
        missing = [t for t in targets if t not in wanted]
        if missing:
            raise ConfigError(f"no watched target #{missing[0]}")
        from ..store.tables_collect import watch_targets

        with engine.connect() as conn:
            rows = conn.execute(watch_targets.select().where(watch_targets.c.id.in_(targets))).all()
        for row in rows:
            result = scheduler.collect_one(row)
            watchlist.mark_run(
                engine, row.id, scheduler.clock(), row.every_s, "; ".join(result.errors) or None
            )
            report(result)
    elif once:
        if not scheduler.run_due(report) and not json_out:
            out.print(_nothing_due(watchlist.listing(engine)))
        for done in scheduler.run_jobs(recurring_jobs(engine, actor_name(as_user)) if jobs else []):
            if json_out:
                results.append(done.as_dict())
            elif done.ran:
                _show_job(done)
    else:
        recurring = recurring_jobs(engine, actor_name(as_user)) if jobs is not False else []
        try:
            scheduler.run_forever(
                interval,
                on_result=report,
                jobs=recurring,
                on_job=(lambda d: results.append(d.as_dict())) if json_out else _show_job,
            )
        except KeyboardInterrupt:
            pass
    if json_out:
        print_json(results)


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")
    app.command("collect")(collect)
