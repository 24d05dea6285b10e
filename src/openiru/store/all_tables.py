"""Import every table module so that ``schema.metadata`` holds the whole schema."""

from __future__ import annotations

from . import schema, tables_api, tables_byod, tables_collect, tables_detect, tables_graph, tables_referral  # noqa: F401

metadata = schema.metadata
