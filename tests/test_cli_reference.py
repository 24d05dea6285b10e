"""docs/cli.md is what scripts/cli_reference.py writes from the CLI: no command, option or help
text changes without the reference changing with it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from openiru import cli

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cli_reference", module)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_equals_the_generated_one() -> None:
    generated = _generator().render()
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == generated, "docs/cli.md is out of date: run .venv/bin/python scripts/cli_reference.py"


def test_reference_covers_every_command_and_its_options() -> None:
    text = _generator().render()
    for name in cli.COMMANDS:  # every top-level command has its section
        assert f"## `openiru {name}`\n" in text
    # subcommands and options of nested groups are there too, with their help
    assert "## `openiru bank add`\n" in text
    assert "| `--db <str>` | Database URL or SQLite file" in text
    assert "--help" not in text.split("## Commands")[1]  # click's own --help is not a documented option
