"""Extension points, found through Python entry points.

Built-in sources, matchers and delivery channels register exactly the way a
third-party plugin does: an entry point in the groups below.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

SOURCE_GROUP = "openiru.sources"
MATCHER_GROUP = "openiru.matchers"
CHANNEL_GROUP = "openiru.channels"


@cache
def load_group(group: str) -> dict[str, Any]:
    """Every plugin of one group, by entry-point name, loaded."""
    found: dict[str, Any] = {}
    for ep in entry_points(group=group):
        found[ep.name] = ep.load()
    return found


def sources() -> dict[str, Any]:
    return load_group(SOURCE_GROUP)
