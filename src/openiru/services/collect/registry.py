"""Connectors by name, from the ``openiru.connectors`` entry-point group."""

from __future__ import annotations

import sys
from functools import cache
from importlib.metadata import entry_points

from ...errors import ConfigError
from ...sources.connectors.base import Connector

CONNECTOR_GROUP = "openiru.connectors"


@cache
def connector_classes() -> dict[str, type[Connector]]:
    """Every connector plugin that loads (one that fails is left out with a warning)."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=CONNECTOR_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not stop the others
            print(f"openiru: connector plugin {ep.name!r} unavailable: {exc}", file=sys.stderr)
    return found


def connector_class(name: str) -> type[Connector]:
    known = connector_classes()
    if name not in known:
        raise ConfigError(f"unknown connector {name!r}; known: {', '.join(sorted(known))}")
    return known[name]
