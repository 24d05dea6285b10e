"""Timing of a whole command for the benchmarks that run ``openiru`` as a user would: wall seconds,
CPU seconds (user + system) of the child, and its output. Shared by bank_import.py and pdq_match.py."""

from __future__ import annotations

import resource
import subprocess
import time


def children_cpu() -> float:
    """CPU seconds of the children this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float, bytes]:
    """Wall and CPU seconds (user + system) of a command, and its output."""
    cpu, t = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE)
    return time.perf_counter() - t, children_cpu() - cpu, done.stdout
