"""Quick start-up of ``openiru``: command modules and heavy libraries load only when a command needs them.

Each check runs a new interpreter (a clean ``sys.modules``) and reads back the
modules it ended with.  The static command table of ``openiru.cli`` is checked
against what the command modules register, so ``openiru --help`` keeps listing
every command without importing them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from openiru import cli
from openiru.store import db as store_db

#: Libraries no command needs to start (top-level package names).
HEAVY = (
    "numpy",
    "numba",
    "scipy",
    "datasketch",
    "igraph",
    "leidenalg",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "PIL",
    "lingua",
    "sklearn",
    "pandas",
    "httpx",
    "stix2",
    "pymisp",
    "faiss",
    "pdqhash",
    "threatexchange",
    "ahocorasick",
    "warcio",
    "openpyxl",
    "argon2",
    "alembic",
    "mako",
)


def modules_after(code: str, *argv: str) -> set[str]:
    """The modules a new interpreter holds after running ``code`` (with ``sys.argv[1:] = argv``)."""
    probe = (
        "import atexit, json, sys\n"
        f"sys.argv = ['openiru', *{list(argv)!r}]\n"
        "atexit.register(lambda: sys.__stderr__.write('MODULES=' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
        + code
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    found = re.search(r"^MODULES=(.*)$", done.stderr, re.MULTILINE)
    assert found, done.stderr[-2000:]
    return set(json.loads(found.group(1)))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def command_modules_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith("openiru.commands."))


def test_importing_the_cli_loads_no_command_module_and_no_heavy_library() -> None:
    modules = modules_after("import openiru.cli")
    assert "openiru.cli" in modules
    assert heavy_in(modules) == []
    assert command_modules_in(modules) == []
    assert not {m for m in modules if m.startswith(("sqlalchemy", "openiru.services", "pydantic"))}


def test_help_lists_every_command_without_importing_them() -> None:
    modules = modules_after("from openiru.cli import main\nmain()", "--help")
    assert heavy_in(modules) == []
    assert command_modules_in(modules) == []


def test_stats_json_loads_only_its_own_module(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    store_db.open_database(url).dispose()
    modules = modules_after("from openiru.cli import main\nmain()", "stats", "--json", "--db", url)
    assert "openiru.commands.core" in modules  # the probe did run the command
    assert heavy_in(modules) == []
    assert command_modules_in(modules) == ["openiru.commands.common", "openiru.commands.core"]
    assert not [
        m
        for m in modules
        if m.startswith(("rich.console", "rich.progress", "openiru.services.collect.ingest"))
    ]


def registered_commands() -> dict[str, dict[str, str]]:
    """Each command module's top-level commands with their help, built the eager way."""
    found: dict[str, dict[str, str]] = {}
    for module in cli.COMMAND_MODULES:
        __import__(f"openiru.commands.{module}")
    for module in cli.COMMAND_MODULES:
        sub = typer.Typer()
        sys.modules[f"openiru.commands.{module}"].register(sub)
        for name, command in typer.main.get_group(sub).commands.items():
            found.setdefault(name, {})[module] = (
                (command.short_help or command.help or "").split("\n\n")[0].strip()
            )
    return found


def test_the_command_table_matches_what_the_modules_register() -> None:
    registered = registered_commands()
    expected = {}
    for name, by_module in registered.items():
        owners = [m for m in by_module if cli.SUBCOMMANDS_FROM.get(name) != m]
        assert len(owners) == 1, f"{name} is registered by {sorted(by_module)}"
        expected[name] = (owners[0], by_module[owners[0]])
    table = "\n".join(f"    {name!r}: ({module!r}, {help_!r})," for name, (module, help_) in expected.items())
    assert cli.COMMANDS == expected, f"update openiru.cli.COMMANDS to:\n{table}"
    for name, module in cli.SUBCOMMANDS_FROM.items():
        assert module in registered[name], f"{module} no longer registers {name}"


def help_listing(*argv: str) -> list[str]:
    result = CliRunner().invoke(cli.app, [*argv, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return re.findall(r"^│ ([a-z][a-z0-9-]*)\s{2,}", result.output, re.MULTILINE)


def test_help_lists_every_registered_command_in_table_order() -> None:
    listed = help_listing()
    assert listed == list(cli.COMMANDS)
    assert set(listed) == set(registered_commands())
    assert {"init", "ingest", "stats", "scan", "accounts", "refer", "serve", "user", "bank", "audit"} <= set(
        listed
    )


def test_a_command_and_its_subcommands_from_another_module() -> None:
    listed = help_listing("accounts")
    assert "import" in listed  # openiru accounts import FILE
    assert "--top" in CliRunner().invoke(cli.app, ["accounts", "--help"], env={"COLUMNS": "200"}).output


def test_user_group_has_the_subcommands_another_module_adds() -> None:
    assert {"add", "list", "role", "passwd", "token"} <= set(help_listing("user"))


def test_declared_revisions_match_alembic() -> None:
    from alembic.script import ScriptDirectory

    graph = store_db.declared_revisions()
    assert graph is not None
    script = ScriptDirectory(str(store_db.MIGRATIONS_DIR))
    alembic_graph = {}
    for rev in script.walk_revisions():
        needs = [*(store_db._names(rev.down_revision) or ()), *(store_db._names(rev.dependencies) or ())]
        alembic_graph[rev.revision] = set(needs)
    assert {k: set(v) for k, v in graph.items()} == alembic_graph


def test_quick_schema_check_sees_a_missing_or_partial_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'openiru.db'}"
    engine = store_db.make_engine(url)
    try:
        assert not store_db.is_current(engine)  # no alembic_version table
        store_db.upgrade(engine)
        assert store_db.is_current(engine)
        graph = store_db.declared_revisions()
        assert graph is not None
        with engine.begin() as conn:
            heads = list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
            # a head whose only parent nothing else needs: that branch one step behind
            head, parent = next(
                (h, graph[h][0])
                for h in heads
                if len(graph[h]) == 1
                and not any(graph[h][0] in needs for rev, needs in graph.items() if rev != h)
            )
            conn.execute(
                sa.text("UPDATE alembic_version SET version_num = :p WHERE version_num = :h"),
                {"p": parent, "h": head},
            )
        assert not store_db.is_current(engine)
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE alembic_version SET version_num = :h WHERE version_num = :p"),
                {"p": parent, "h": head},
            )
        assert store_db.is_current(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "graph, recorded, current",
    [
        ({"a": (), "b": ("a",), "c": ("a", "b")}, {"c"}, True),
        ({"a": (), "b": ("a",), "c": ("a",)}, {"c"}, False),
        ({"a": (), "b": ("a",)}, {"b", "zz"}, False),
    ],
)
def test_covers_every_revision(graph: dict[str, tuple[str, ...]], recorded: set[str], current: bool) -> None:
    assert store_db.covers_every_revision(frozenset(recorded), graph) is current


def test_a_command_s_engine_is_disposed_when_it_ends(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from openiru.commands import common

    disposed: list[sa.Engine] = []
    opened: list[sa.Engine] = []

    def open_and_watch(url: str | None) -> sa.Engine:
        engine = store_db.open_database(url)
        opened.append(engine)
        real = engine.dispose
        monkeypatch.setattr(engine, "dispose", lambda close=True: (disposed.append(engine), real(close))[1])
        return engine

    monkeypatch.setattr(common, "open_database", open_and_watch)
    result = CliRunner().invoke(cli.app, ["referrals", "--json", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert opened and disposed == opened  # referrals does not dispose it itself: the context does


def test_every_command_module_with_register_is_in_the_table() -> None:
    folder = Path(cli.__file__).with_name("commands")
    with_register = {
        p.stem
        for p in folder.glob("*.py")
        if re.search(r"^def register\(", p.read_text("utf-8"), re.MULTILINE)
    }
    assert with_register <= set(cli.COMMAND_MODULES), "add the module's commands to openiru.cli.COMMANDS"
