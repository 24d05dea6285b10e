"""Import every table module so that ``schema.metadata`` holds the whole schema."""

from __future__ import annotations

from . import (  # noqa: F401
    schema,
    tables_api,
    tables_byod,
    tables_collect,
    tables_detect,
    tables_graph,
    tables_media,
    tables_referral,
)

metadata = schema.metadata
