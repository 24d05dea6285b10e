"""Usage errors through ``openiru.cli.main``: one error line under the usage line and help hint, exit 2.

Walks the whole command tree (every command module loaded): each command gets an
option that does not exist, each command with a required parameter is run
without it, each group gets a misspelt subcommand (and must suggest the right
one), and OpenIRU's own errors print one line with their exit code.  Never a
traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from openiru import cli


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "commands"):
        for name in list(command.list_commands(None)):
            yield from walk(command.get_command(None, name), (*path, name))


ALL = [(path, command) for path, command in walk(typer.main.get_command(cli.app)) if path]
GROUPS = [
    (path, command)
    for path, command in [((), typer.main.get_command(cli.app)), *ALL]
    if hasattr(command, "commands")
]
REQUIRED = [(path, command) for path, command in ALL if any(p.required for p in command.params)]


def run_main(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.argv", ["openiru", *argv])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), out, err


def assert_usage_error(code: int, out: str, err: str, path: tuple[str, ...]) -> list[str]:
    lines = err.strip().splitlines()
    assert code == 2, (path, err)
    assert "Traceback" not in out + err
    assert out == ""
    assert 1 <= len(lines) <= 3, lines
    assert lines[-1].startswith("Error: "), lines
    if len(lines) == 3:
        assert lines[0].startswith(f"Usage: openiru {' '.join(path)}".rstrip())
        assert lines[1] == f"Try '{' '.join(('openiru', *path))} --help' for help."
    return lines


def test_the_tree_is_complete() -> None:
    names = {" ".join(path) for path, _ in ALL}
    assert {
        "stats",
        "bank import",
        "provider secret set",
        "user passwd",
        "accounts import",
        "referral show",
        "audit verify",
    } <= names
    assert len(ALL) > 70


@pytest.mark.parametrize("path", [path for path, _ in ALL], ids=" ".join)
def test_an_unknown_option_is_one_line_with_exit_2(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = assert_usage_error(*run_main([*path, "--no-such-option"], capsys, monkeypatch), path)
    assert lines[-1] == "Error: No such option: --no-such-option"


@pytest.mark.parametrize("path", [path for path, _ in REQUIRED], ids=" ".join)
def test_a_missing_required_parameter_is_one_line_with_exit_2(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = assert_usage_error(*run_main(list(path), capsys, monkeypatch), path)
    assert lines[-1].startswith(("Error: Missing argument", "Error: Missing option")), lines


@pytest.mark.parametrize("path", [path for path, _ in GROUPS], ids=lambda p: " ".join(p) or "openiru")
def test_a_misspelt_command_suggests_the_right_one(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    group = dict(GROUPS)[path]
    for name in group.list_commands(None):
        typo = name + name[-1]
        lines = assert_usage_error(*run_main([*path, typo], capsys, monkeypatch), path)
        assert lines[-1].startswith(f"Error: No such command '{typo}'. Did you mean "), lines
        assert f"'{name}'" in lines[-1]


def test_ingset_suggests_ingest(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    lines = assert_usage_error(*run_main(["ingset", "x.jsonl"], capsys, monkeypatch), ())
    assert lines == [
        "Usage: openiru [OPTIONS] COMMAND [ARGS]...",
        "Try 'openiru --help' for help.",
        "Error: No such command 'ingset'. Did you mean 'ingest', 'init'?",
    ]


def test_a_bad_value_is_one_line_with_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    lines = assert_usage_error(
        *run_main(["referral", "show", "abc", "--db", sqlite_url], capsys, monkeypatch), ("referral", "show")
    )
    assert "referral_id" in lines[-1]
    lines = assert_usage_error(*run_main(["demo", "--scale", "0"], capsys, monkeypatch), ("demo",))
    assert lines[-1] == "Error: Invalid value: --scale must be positive"


def test_openiru_errors_are_one_line_with_their_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    code, out, err = run_main(["referral", "show", "999", "--db", sqlite_url], capsys, monkeypatch)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("error: ") and "999" in err
    assert "Traceback" not in err


def test_a_domain_error_keeps_its_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openiru.errors import PermissionDenied

    app = typer.Typer()

    @app.command()
    def refuse() -> None:
        raise PermissionDenied("ghost may not do this\n(second line folded)")

    monkeypatch.setattr(cli, "app", app)
    code, out, err = run_main([], capsys, monkeypatch)
    assert (code, out, err) == (3, "", "error: ghost may not do this (second line folded)\n")


def test_a_group_without_its_command_shows_its_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_main(["bank"], capsys, monkeypatch)
    assert code == 2 and "Traceback" not in out + err
    assert "import" in out and "export" in out


def test_a_database_that_cannot_be_opened_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "openiru.db"
    code, out, err = run_main(["stats", "--db", str(missing)], capsys, monkeypatch)
    assert (code, out) == (1, "")
    assert err.startswith("error: cannot open the database sqlite:///") and err.count("\n") == 1
    assert str(missing) in err and "Traceback" not in err
