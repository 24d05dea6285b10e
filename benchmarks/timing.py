"""Timing of a whole command for the benchmarks that run ``openiru`` as a user would: wall seconds,
CPU seconds (user + system) of the child, and its output. Shared by the CLI benchmarks."""

from __future__ import annotations

import compileall
import importlib.util
import os
import resource
import subprocess
import time
from pathlib import Path

_compiled: set[str] = set()


def compile_package(src: str | None = None) -> None:
    """Write the bytecode of the openiru package about to be timed, once, as ``pip install`` does for
    an installed package: an editable install from a checkout has none, and where
    PYTHONDONTWRITEBYTECODE is set (the CI machines) every start would compile every module it
    imports, a cost no installed deployment pays (``make venv`` compiles too)."""
    if src is None:
        spec = importlib.util.find_spec("openiru")
        assert spec is not None and spec.submodule_search_locations
        folder = str(next(iter(spec.submodule_search_locations)))
    else:
        folder = str(Path(src) / "openiru")
    if folder not in _compiled:
        compileall.compile_dir(folder, quiet=1)
        _compiled.add(folder)


def children_cpu() -> float:
    """CPU seconds of the children this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], src: str | None = None) -> tuple[float, float, bytes]:
    """Wall and CPU seconds (user + system) of a command, and its output; with ``src``, the
    openiru package under that folder (an older checkout) is run instead of this one."""
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    compile_package(src)
    cpu, t = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=env)
    return time.perf_counter() - t, children_cpu() - cpu, done.stdout
