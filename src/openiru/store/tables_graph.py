"""Tables of the graph area (see its migration branch in migrations/versions)."""

from __future__ import annotations

from .schema import TS, metadata  # noqa: F401
