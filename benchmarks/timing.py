"""Timing of a whole command for the benchmarks that run ``openiru`` as a user would: wall seconds,
CPU seconds (user + system) of the child, and its output. Shared by bank_import.py and pdq_match.py."""

from __future__ import annotations

import os
import resource
import subprocess
import time


def children_cpu() -> float:
    """CPU seconds of the children this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], src: str | None = None) -> tuple[float, float, bytes]:
    """Wall and CPU seconds (user + system) of a command, and its output; with ``src``, the
    openiru package under that folder (an older checkout) is run instead of this one."""
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    cpu, t = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=env)
    return time.perf_counter() - t, children_cpu() - cpu, done.stdout
