"""Foundation commands: init, ingest, stats, user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import sqlalchemy as sa
import typer

from ..errors import RecordError
from .common import DbOption, JsonOption, LazyConsole, engine_for, print_json

if TYPE_CHECKING:  # the services are imported by the commands that use them (quick start-up)
    from ..services.collect.ingest import IngestSummary
    from ..services.workers.publish import Publisher

err = LazyConsole(stderr=True)
out = LazyConsole()
user_app = typer.Typer(help="Manage the users who act in OpenIRU.", no_args_is_help=True)
#: The acting admin of user administration, recorded in the audit log.  Explicit only (no
#: OPENIRU_USER): without it, ``system`` while no admin exists, else the local OS account.
AdminOption = Annotated[
    str | None, typer.Option("--as", help="The acting admin (recorded in the audit log; checked).")
]


@contextmanager
def opened(db: str | None) -> Iterator[sa.Engine]:
    """The database engine for one command, its connections closed when the command ends."""
    engine = engine_for(db)
    try:
        yield engine
    finally:
        engine.dispose()


def init(db: DbOption = None) -> None:
    """Create (or migrate) the database."""
    with opened(db) as engine:
        out.print(f"database ready: {engine.url.render_as_string(hide_password=True)}")


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Export files or folders to import.")],
    format: Annotated[str, typer.Option("--format", "-f", help="Input format, or auto.")] = "auto",
    platform: Annotated[
        str | None, typer.Option(help="Platform name to record (self-hosted servers).")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first malformed record.")] = False,
    sheet: Annotated[str | None, typer.Option(help="Only this sheet of an .xlsx workbook.")] = None,
    inspect: Annotated[
        bool,
        typer.Option(
            "--inspect", help="Show which column would be taken for which field, and why; import nothing."
        ),
    ] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
    nats_url: Annotated[
        str | None,
        typer.Option(
            "--nats",
            help="Publish the posts to NATS JetStream for `openiru worker --role detect` "
            "instead of scanning them here.",
        ),
    ] = None,
) -> None:
    """Import platform exports (twarc2 JSONL, Telegram result.json, Mastodon, ActivityPub,
    Rocket.Chat, ZeroNet, generic JSONL/CSV/TSV/XLSX)."""
    if inspect:
        from .byod import print_inspection

        print_inspection(paths, format, platform, sheet, json_out)
        return
    publisher = None
    if nats_url:
        from ..services.workers.publish import Publisher

        publisher = Publisher(nats_url)
    with opened(db) as engine:
        summaries = [
            _ingest_one(engine, path, format, platform, strict, json_out, sheet, publisher) for path in paths
        ]
    if publisher is not None:
        err.print(
            f"published {publisher.published} posts for detection in {publisher.messages} messages "
            f"({publisher.topo.stream})",
            highlight=False,
        )
    if json_out:
        print_json([s.as_dict() for s in summaries])
        return
    from rich.table import Table

    table = Table(
        "file", "format", "posts read", "new posts", "accounts", "edges", "media", "skipped", "errors"
    )
    for s in summaries:
        table.add_row(
            Path(s.path).name,
            s.format,
            str(s.posts_read),
            str(s.posts),
            str(s.accounts),
            str(s.edges),
            str(s.media),
            _reasons(s.skipped),
            _reasons(s.errors),
        )
    out.print(table)


def _ingest_one(
    engine: sa.Engine,
    path: Path,
    format: str,
    platform: str | None,
    strict: bool,
    json_out: bool,
    sheet: str | None = None,
    publisher: Publisher | None = None,
) -> IngestSummary:
    """Import one path, with a progress line; malformed records listed on stderr."""
    from ..services.collect.ingest import ingest_source, source_for
    from .progress import progress

    source = source_for(path, format, platform)
    if sheet is not None and hasattr(source, "sheet"):
        source.sheet = sheet
    label = f"{path.name} ({source.name})"
    failed: RecordError | None = None
    with progress(label, json_out=json_out) as advance:
        try:
            summary = ingest_source(
                engine,
                source,
                strict=strict,
                on_progress=lambda s: advance(s.posts_read, None, f"{s.posts} new"),
                after_batch=publisher.hooks(engine) if publisher is not None else None,
            )
        except RecordError as exc:
            if publisher is not None:  # what was committed before the bad record
                publisher.flush()
            failed = exc
    if failed is not None:  # reported once the progress display is gone
        err.print(f"[red]error:[/] {failed}", highlight=False)
        err.print("--strict: import stopped at this record; every record before it is committed.")
        raise typer.Exit(1) from None
    if publisher is not None:
        publisher.flush()
    for note in summary.notes:
        err.print(f"note: {path.name}: {note}", highlight=False)
    for line in summary.problems[:20]:
        err.print(f"[yellow]skipped[/]: {line}", highlight=False)
    errors = sum(summary.errors.values())
    if errors > 20:
        err.print(f"... and {errors - 20} more malformed records")
    if summary.repaired:  # kept, with a value the database could not hold removed (store/clean.py)
        err.print(f"[yellow]repaired[/]: {_reasons(summary.repaired)}", highlight=False)
    return summary


def _reasons(counter: dict[str, int]) -> str:
    if not counter:
        return "0"
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counter.items()))


def stats(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Posts, accounts, edges and media per platform."""
    with opened(db) as engine:
        from ..services.collect.counts import platform_stats

        data = platform_stats(engine)
    if json_out:
        print_json(data)
        return
    from rich.table import Table

    table = Table("platform", "posts", "accounts", "edges", "media")
    for name, c in data["platforms"].items():
        table.add_row(name, str(c["posts"]), str(c["accounts"]), str(c["edges"]), str(c["media"]))
    out.print(table)


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[str, typer.Option(help="admin|analyst|approver|liaison|provider|auditor")],
    agency: Annotated[str | None, typer.Option(help="The member-state agency (liaisons).")] = None,
    provider: Annotated[str | None, typer.Option(help="The provider (provider users).")] = None,
    db: DbOption = None,
    as_user: AdminOption = None,
) -> None:
    """Add a user with a role (the first admin is recorded as created by the system)."""
    from ..services.access import users as user_service
    from ..services.referral.providers import get_provider

    with opened(db) as engine:
        actor = user_service.command_actor(engine, as_user)
        user = user_service.add_user(
            engine, name, role, agency, provider, actor=actor, provider_lookup=get_provider
        )
    out.print(f"user {user.name} added with role {user.role}")


@user_app.command("list")
def user_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List users and roles."""
    from ..services.access import users as user_service

    with opened(db) as engine:
        users = user_service.list_users(engine)
    if json_out:
        print_json(
            [
                u.__dict__
                if hasattr(u, "__dict__")
                else {"name": u.name, "role": u.role, "agency": u.agency, "provider": u.provider}
                for u in users
            ]
        )
        return
    for u in users:
        out.print(f"{u.name}\t{u.role}\t{u.agency or ''}\t{u.provider or ''}")


@user_app.command("role")
def user_role(name: str, role: str, db: DbOption = None, as_user: AdminOption = None) -> None:
    """Change a user's role."""
    from ..services.access import users as user_service

    with opened(db) as engine:
        user = user_service.set_role(engine, name, role, actor=user_service.command_actor(engine, as_user))
    out.print(f"user {user.name} now has role {user.role}")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(ingest)
    app.command()(stats)
    app.add_typer(user_app, name="user")
