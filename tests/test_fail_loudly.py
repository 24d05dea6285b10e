"""OpenIRU's own modules are imported directly: a module that fails to import is an error, never a
feature silently left out (issue 13 item 1)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import openiru
import openiru.api.routers as routers
from openiru.api.app import create_app

SRC = Path(openiru.__file__).parent


def _engine() -> sa.Engine:
    return sa.create_engine("sqlite://")


def test_app_has_every_router_module() -> None:
    import importlib

    app = create_app(_engine())
    paths = set(app.openapi()["paths"])
    modules = sorted(p.stem for p in Path(routers.__file__).parent.glob("*.py") if p.stem != "__init__")
    assert len(modules) >= 10
    for name in modules:
        own = {
            r.path.replace(":path}", "}")
            for r in importlib.import_module(f"openiru.api.routers.{name}").router.routes
            if getattr(r, "include_in_schema", False)
        }
        assert own and own <= paths, name


@pytest.mark.parametrize("name", ["console", "referrals"])
def test_router_that_fails_to_import_fails_app_creation(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # As if the module were moved or misspelt: the import machinery finds nothing.
    monkeypatch.delattr(routers, name)
    monkeypatch.setitem(sys.modules, f"openiru.api.routers.{name}", None)
    with pytest.raises(ImportError, match=name):
        create_app(_engine())


def test_graph_detection_results_do_not_swallow_a_missing_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import openiru.services.detect as detect_services
    from openiru.services.graph.load import detection_results

    monkeypatch.delattr(detect_services, "results", raising=False)
    monkeypatch.setitem(sys.modules, "openiru.services.detect.results", None)
    with _engine().connect() as conn, pytest.raises(ImportError):
        detection_results(conn)


def _swallowed_own_imports(path: Path, root: Path = SRC) -> list[str]:
    """``try: from openiru… / from .… import`` whose ImportError handler does not re-raise."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        own = [
            s
            for s in node.body
            if isinstance(s, ast.ImportFrom) and (s.level > 0 or (s.module or "").startswith("openiru"))
        ]
        if not own:
            continue
        for handler in node.handlers:
            names = ast.unparse(handler.type) if handler.type else "bare"
            if "ImportError" not in names and "ModuleNotFoundError" not in names and names != "bare":
                continue
            if not any(isinstance(s, ast.Raise) for s in ast.walk(handler)):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_module_swallows_a_failure_to_import_openiru_code() -> None:
    offenders = [hit for path in sorted(SRC.rglob("*.py")) for hit in _swallowed_own_imports(path)]
    assert offenders == []


def test_the_scanner_finds_a_swallowed_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "try:\n    from .services import nothing\nexcept ImportError:\n    nothing = None\n"
        "try:\n    import numba\nexcept ImportError:\n    numba = None\n"
        "try:\n    from .kernel import k\nexcept ImportError as exc:\n    if exc.name != 'numba':\n"
        "        raise\n"
    )
    assert _swallowed_own_imports(probe, tmp_path) == ["probe.py:1"]
