"""``openiru demo``: generate the synthetic ecosystem, import it, print what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .common import DbOption, JsonOption, engine_for, print_json

if TYPE_CHECKING:  # the generator (numpy, Pillow, PDQ) is imported when the demo runs
    from ..demo.run import DemoRun

err = Console(stderr=True)
out = Console()


def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 1,
    scale: Annotated[
        float, typer.Option(help="Size factor: 1.0 is about 400 accounts and 10,000 posts.")
    ] = 1.0,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the exports and ground truth.")] = Path(
        "demo-data"
    ),
    steps: Annotated[
        bool, typer.Option("--steps/--no-steps", help="Run the openiru.demo_steps plug-ins.")
    ] = True,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Generate a fictional multi-platform ecosystem in real export formats, with its ground
    truth and detection assets, import it, and print what it holds."""
    if scale <= 0:
        raise typer.BadParameter("--scale must be positive")
    from ..demo.run import run_demo

    out_dir.mkdir(parents=True, exist_ok=True)  # the database may live in it (make demo)
    engine = engine_for(db)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=json_out,
    ) as progress:
        task = progress.add_task(f"generating the demo ecosystem (seed {seed}, scale {scale})", total=None)

        def importing(path: Path) -> None:
            progress.update(task, description=f"importing {path.relative_to(out_dir)}")

        try:
            run = run_demo(engine, out_dir, seed, scale, steps=steps, on_import=importing)
        finally:
            engine.dispose()
    if json_out:
        print_json(run.as_dict())
    else:
        _print(run, out_dir)
    for line in run.format_fallbacks:
        err.print(f"[yellow]format auto-detection failed:[/] {line}", highlight=False)
    failed = [s for s in run.steps if s.error]
    for step in failed:
        err.print(f"[red]demo step {step.name} failed:[/] {step.error}", highlight=False)
    if run.import_errors or failed:
        raise typer.Exit(1)


def _print(run: DemoRun, out_dir: Path) -> None:
    table = Table("platform", "posts", "accounts", "edges", "media", title="Imported (from the database)")
    for name, c in run.stats["platforms"].items():
        table.add_row(name, str(c["posts"]), str(c["accounts"]), str(c["edges"]), str(c["media"]))
    out.print(table)
    planted = Table("planted", "count", title="Planted ground truth")
    for name, count in run.planted().items():
        planted.add_row(name.replace("_", " "), str(count))
    out.print(planted)
    for s in run.imports:
        if s.errors:
            out.print(f"[yellow]{Path(s.path).name}: {sum(s.errors.values())} malformed records[/]")
            for line in s.problems[:5]:
                out.print(f"  {line}", highlight=False)
    out.print(f"exports, ground_truth.json, hashes.csv, lexicon.csv, known_texts.jsonl in {out_dir}/")
    for step in run.steps:
        for line in step.lines:
            out.print(line, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(demo)
