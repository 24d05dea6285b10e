"""Whole-graph results stored in the database: :mod:`openiru.services.graph.stored`, where the
graph worker can write them too (the API's name for it, kept for its callers)."""

from __future__ import annotations

from ..model import utc
from ..services.graph.stored import (
    CLAIM_EXPIRY,
    HEARTBEAT,
    api_rankings,
    claim_refresh,
    heartbeat,
    load,
    release,
    save,
    wait_for,
    workers_active,
)

__all__ = [
    "CLAIM_EXPIRY",
    "HEARTBEAT",
    "api_rankings",
    "claim_refresh",
    "heartbeat",
    "load",
    "release",
    "save",
    "utc",
    "wait_for",
    "workers_active",
]
