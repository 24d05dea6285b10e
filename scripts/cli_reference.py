"""Write docs/cli.md, the reference of every ``openiru`` command, from the CLI itself.

Usage: ``.venv/bin/python scripts/cli_reference.py`` rewrites docs/cli.md;
``--check`` exits 1 when the committed file differs from what the CLI gives (as
``tests/test_cli_reference.py`` does).  Every command of :data:`openiru.cli.COMMANDS` is
built the way ``openiru`` builds it when run (its module imported, subcommands of another
module attached), then walked: each command and subcommand gets its help, its usage line and a
table of its arguments and options (hidden ones left out).  Only what the code declares is
written (no terminal width, no machine-dependent default), so the file is the same everywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openiru import cli

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"

HEADER = """# Command-line reference

Generated from the CLI by `scripts/cli_reference.py` (do not edit by hand: run
`.venv/bin/python scripts/cli_reference.py` after changing a command;
`tests/test_cli_reference.py` fails while this file is out of date).  `openiru COMMAND --help`
prints the same on a terminal.  Usage errors print one line and exit 2; see the area guides
(collection.md, detection.md, analytics.md, referrals.md, reports.md, scale-out.md) for what the
commands do.
"""


def _context(command: Any, name: str, parent: Any | None) -> Any:
    from typer import _click as click

    return click.Context(command, info_name=name, parent=parent)


def top_level() -> Iterator[tuple[str, Any]]:
    """Every top-level command, built as ``openiru`` builds it when the command is run."""
    group = cli.LazyGroup(name="openiru")
    ctx = _context(group, "openiru", None)
    for name in cli.COMMANDS:
        command = group.get_command(ctx, name)
        if command is None:
            raise SystemExit(f"cli.COMMANDS names {name!r}, which its module does not register")
        yield name, command


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _param_rows(command: Any, ctx: Any) -> list[str]:
    """One row per argument and option, as ``--help`` shows it (names with metavar; help with
    default, choices and environment variable)."""
    rows = []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if record is None:  # an argument without help
            names, help_text = param.make_metavar(ctx), ""
        else:
            names, help_text = record
        rows.append(f"| `{_cell(names)}` | {_cell(help_text)} |")
    return rows


def _sections(path: list[str], command: Any, parent: Any) -> Iterator[str]:
    ctx = _context(command, path[-1], parent)
    if getattr(command, "hidden", False):
        return
    title = " ".join(path)
    yield f"## `{title}`\n"
    help_text = (command.help or "").strip()
    if help_text:
        yield help_text.replace("\b\n", "") + "\n"
    pieces = " ".join(command.collect_usage_pieces(ctx))
    yield f"```\n{title} {pieces}\n```\n"
    rows = _param_rows(command, ctx)
    if rows:
        yield "| Argument / option | Help |\n|---|---|\n" + "\n".join(rows) + "\n"
    subcommands = getattr(command, "commands", {})
    if subcommands:
        yield (
            "Subcommands: "
            + ", ".join(f"`{n}`" for n, c in subcommands.items() if not getattr(c, "hidden", False))
            + ".\n"
        )
        for name, sub in subcommands.items():
            yield from _sections([*path, name], sub, ctx)


def render() -> str:
    """The whole of docs/cli.md."""
    root = _context(cli.LazyGroup(name="openiru"), "openiru", None)
    commands = list(top_level())
    parts = [
        HEADER,
        "## Commands\n",
        "\n".join(f"- [`openiru {name}`](#openiru-{name.replace(' ', '-')})" for name, _ in commands) + "\n",
    ]
    for name, command in commands:
        parts.extend(_sections(["openiru", name], command, root))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/cli.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date: run .venv/bin/python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
