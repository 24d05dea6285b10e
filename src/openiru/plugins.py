"""The one registry of extension points, found through Python entry points.

Every entry-point group OpenIRU reads is named here (:data:`GROUPS`).  Built-in
sources, matchers, delivery channels, ingest hooks, demo steps and live connectors register
exactly the way a third-party plugin does: an entry point in one of these groups
(``[project.entry-points."openiru.matchers"]`` in ``pyproject.toml``), loaded by
:func:`load_group`.

A plugin that fails to load (a missing dependency, a misspelt module or class)
never stops the others: it is left out, one warning line naming it and the error
goes to stderr, and :func:`broken` lists it.  OpenIRU's own modules are not
guarded this way: they are imported directly, and a failure is an error.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

SOURCE_GROUP = "openiru.sources"
MATCHER_GROUP = "openiru.matchers"
CHANNEL_GROUP = "openiru.channels"
INGEST_HOOK_GROUP = "openiru.ingest_hooks"
DEMO_STEP_GROUP = "openiru.demo_steps"
CONNECTOR_GROUP = "openiru.connectors"

#: Every entry-point group, with what an entry point in it names.
GROUPS: dict[str, str] = {
    SOURCE_GROUP: "a Source class (openiru.sources.base.Source): one import format",
    MATCHER_GROUP: "a Matcher factory, factory(ruleset) -> Matcher (openiru.detect.matcher.Matcher), "
    "of kind 'media' or 'text'",
    CHANNEL_GROUP: "a DeliveryChannel class (openiru.referral.delivery.DeliveryChannel)",
    INGEST_HOOK_GROUP: "a factory(engine) -> hook(conn, posts), run inside every import batch's transaction",
    DEMO_STEP_GROUP: "a step(engine, out, truth) -> lines, run by `openiru demo` after its import",
    CONNECTOR_GROUP: "a Connector class (openiru.sources.connectors.base.Connector): live collection",
}

log = logging.getLogger("openiru.plugins")


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that failed to load, and why."""

    group: str
    name: str
    value: str
    error: str

    def __str__(self) -> str:
        return f"{self.group} plugin {self.name!r} ({self.value}) left out: {self.error}"


_broken: dict[str, list[BrokenPlugin]] = {}


@cache
def load_group(group: str) -> dict[str, Any]:
    """Every plugin of one group that loads, by entry-point name, in the order the installed
    distributions list them (a source's rank among equally confident sniffs depends on it).

    A plugin that fails to load is left out with a warning and listed by :func:`broken`.
    """
    if group not in GROUPS:
        raise KeyError(f"unknown entry-point group {group!r}; groups: {', '.join(GROUPS)}")
    found: dict[str, Any] = {}
    failed: list[BrokenPlugin] = []
    for ep in entry_points(group=group):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not stop the others
            bad = BrokenPlugin(group, ep.name, ep.value, f"{exc.__class__.__name__}: {exc}")
            failed.append(bad)
            log.warning("%s", bad)
            sys.stderr.write(f"openiru: warning: {bad}\n")
    _broken[group] = failed
    return found


def broken(group: str | None = None) -> list[BrokenPlugin]:
    """Plugins that failed to load, of one group or of every group loaded so far."""
    if group is not None:
        load_group(group)
        return list(_broken.get(group, []))
    return [b for g in GROUPS if g in _broken for b in _broken[g]]


def reload() -> None:
    """Forget what was loaded (after installing or removing a plugin, and in tests)."""
    load_group.cache_clear()
    _broken.clear()


def sources() -> dict[str, Any]:
    return load_group(SOURCE_GROUP)


def matchers() -> dict[str, Any]:
    return load_group(MATCHER_GROUP)


def channels() -> dict[str, Any]:
    return load_group(CHANNEL_GROUP)


def ingest_hooks() -> dict[str, Any]:
    return load_group(INGEST_HOOK_GROUP)


def demo_steps() -> dict[str, Any]:
    return load_group(DEMO_STEP_GROUP)


def connectors() -> dict[str, Any]:
    return load_group(CONNECTOR_GROUP)
