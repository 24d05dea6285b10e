"""Run the demo end to end: generate, import every export, count, then the demo steps.

Every export goes through the ingest service with format detection
(``--format auto``), exactly as ``openiru ingest`` would import it.  The
summary counts come from the database (``services.stats``), beside what was
planted.  Then each entry point of the ``openiru.demo_steps`` group runs:

    step(engine, out_dir: Path, ground_truth: dict) -> list[str]

returning lines to print; detection, analytics, referrals and the console add
their own demo steps this way without touching this module.  A step that
raises is reported and the others still run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import FormatError
from ..plugins import DEMO_STEP_GROUP as DEMO_STEP_GROUP  # re-exported: where it always was
from ..plugins import load_group
from ..services.collect.counts import platform_stats
from ..services.collect.ingest import IngestSummary, ingest_path
from .build import DemoBuild, build_demo


@dataclass
class StepResult:
    name: str
    lines: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class DemoRun:
    build: DemoBuild
    imports: list[IngestSummary]
    stats: dict[str, Any]
    steps: list[StepResult]
    format_fallbacks: list[str] = field(default_factory=list)

    @property
    def import_errors(self) -> int:
        return sum(sum(s.errors.values()) for s in self.imports)

    def planted(self) -> dict[str, int]:
        truth = self.build.ground_truth
        return {
            "accounts": len(truth["accounts"]),
            "core_propagandists": len(truth["core_propagandists"]),
            "journalists_researchers": len(truth["journalists"]) + len(truth["researchers"]),
            "coordination_groups": len(truth["coordination_groups"]),
            "recreated": len(truth["recreated"]),
            "cross_platform": len(truth["cross_platform"]),
            "planted_media": len(truth["planted_media"]),
            "planted_texts": len(truth["planted_texts"]),
            "planted_terms": len(truth["planted_terms"]),
            "wallets": len(truth["wallets"]),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.build.out),
            "seed": self.build.ground_truth["seed"],
            "scale": self.build.ground_truth["scale"],
            "platforms": self.stats["platforms"],
            "generated_posts": self.build.planted_posts,
            "planted": self.planted(),
            "imports": [s.as_dict() for s in self.imports],
            "import_errors": self.import_errors,
            "format_fallbacks": self.format_fallbacks,
            "steps": [{"name": s.name, "lines": s.lines, "error": s.error} for s in self.steps],
        }


def run_steps(engine: sa.Engine, out: Path, truth: dict[str, Any]) -> list[StepResult]:
    results = []
    for name, step in sorted(load_group(DEMO_STEP_GROUP).items()):
        result = StepResult(name)
        try:
            result.lines = [str(line) for line in step(engine, out, truth) or []]
        except Exception as exc:  # a broken plug-in step must not hide the others
            result.error = f"{type(exc).__name__}: {exc}"
        results.append(result)
    return results


def run_demo(
    engine: sa.Engine,
    out: Path,
    seed: int = 1,
    scale: float = 1.0,
    *,
    steps: bool = True,
    on_import: Callable[[Path], None] | None = None,
) -> DemoRun:
    # The media store and the evidence go under the demo's output folder unless a data folder
    # is configured: imports store media there, the referral step preserves evidence from it.
    configured = os.environ.get("OPENIRU_DATA")
    if configured is None:
        os.environ["OPENIRU_DATA"] = str(Path(out) / "referrals" / "data")
    try:
        return _run_demo(engine, out, seed, scale, steps, on_import)
    finally:
        if configured is None:
            os.environ.pop("OPENIRU_DATA", None)


def _run_demo(
    engine: sa.Engine,
    out: Path,
    seed: int,
    scale: float,
    steps: bool,
    on_import: Callable[[Path], None] | None,
) -> DemoRun:
    build = build_demo(Path(out), seed, scale)
    summaries = []
    fallbacks = []
    for path, fmt in build.inputs:
        if on_import:
            on_import(path)
        try:
            summaries.append(ingest_path(engine, path, "auto"))
        except FormatError as exc:
            # Auto-detection is what is being exercised; if it fails on a real-format
            # export, say so, and import with the format the demo knows it wrote.
            fallbacks.append(f"{exc}; imported with --format {fmt}")
            summaries.append(ingest_path(engine, path, fmt))
    stats = platform_stats(engine)
    step_results = run_steps(engine, Path(out), build.ground_truth) if steps else []
    return DemoRun(build, summaries, stats, step_results, fallbacks)
