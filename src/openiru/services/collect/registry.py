"""Connectors by name, from the ``openiru.connectors`` entry-point group (loaded by
:mod:`openiru.plugins`, which leaves a broken plug-in out with a warning)."""

from __future__ import annotations

from ...errors import ConfigError
from ...plugins import CONNECTOR_GROUP as CONNECTOR_GROUP  # re-exported: where it always was
from ...plugins import connectors
from ...sources.connectors.base import Connector


def connector_classes() -> dict[str, type[Connector]]:
    """Every connector plugin that loads (one that fails is left out with a warning)."""
    return connectors()


def connector_class(name: str) -> type[Connector]:
    known = connector_classes()
    if name not in known:
        raise ConfigError(f"unknown connector {name!r}; known: {', '.join(sorted(known))}")
    return known[name]
