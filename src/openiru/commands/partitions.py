"""``openiru db partition`` and ``openiru db retention``: the posts table partitioned by time.

Subcommands of the ``db`` group (:mod:`.workers`), attached when that group is built
(``openiru.cli.ALSO_IMPORT``).  PostgreSQL only; on SQLite each says so in one line.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .common import AsOption, DbOption, JsonOption, LazyConsole, actor_name, clock, engine_for, print_json
from .workers import db_app

out = LazyConsole()


@db_app.command("partition")
def db_partition(
    interval: Annotated[
        str | None,
        typer.Option(
            "--interval",
            help="month or week: one partition per calendar month or ISO week (a new conversion: "
            "month; a partitioned table keeps its own).",
        ),
    ] = None,
    ahead: Annotated[
        int, typer.Option("--ahead", min=0, max=120, help="Partitions to create ahead of the current one.")
    ] = 3,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Partition posts by time (PostgreSQL, one transaction), or add the partitions it lacks."""
    from ..services.workers import partitions

    if interval is not None and interval not in ("month", "week"):
        raise typer.BadParameter("month or week", param_hint="--interval")
    result = partitions.partition(engine_for(db), interval, ahead, now=clock())
    if json_out:
        print_json(result)
        return
    if result["converted"]:
        out.print(
            f"posts partitioned by {result['interval']}: {result['rows']} rows copied, "
            f"indexes {', '.join(result['indexes']) or 'none'} made on the parent"
        )
    out.print(
        f"{len(result['created'])} partitions created"
        + (f" ({', '.join(result['created'])})" if result["created"] else "")
        + f", {result['moved_from_default']} rows moved out of the default partition; "
        f"{result['partitions']} partitions, {result['ahead']} ahead"
    )


@db_app.command("retention")
def db_retention(
    older_than: Annotated[
        float,
        typer.Option("--older-than", min=0.001, help="Drop partitions entirely older than this many days."),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be dropped; change nothing.")
    ] = False,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Drop whole posts partitions older than --older-than days, with their posts' hits, alerts,
    edges and media links; each drop audited (PostgreSQL, an admin)."""
    from ..services.workers import partitions

    result = partitions.retention(
        engine_for(db), actor_name(as_user), older_than, dry_run=dry_run, now=clock()
    )
    if json_out:
        print_json(result)
        return
    verb = "would drop" if dry_run else "dropped"
    out.print(f"cutoff {result['cutoff']}: {verb} {len(result['dropped'])} partitions, kept {result['kept']}")
    for part in result["dropped"]:
        out.print(f"  {part['name']} [{part['from']}, {part['to']}): {part['rows']} posts")
