"""Cells of tabular datasets: multi-valued cells as exports write them.

A multi-valued cell (urls, hashtags, mentions, media) is a JSON array, a Python list as pandas
writes it (``['a', 'b']``, read with ``ast.literal_eval``: literals only), or text split on
whitespace, ``|`` or ``;`` (R writes ``a;b``); ``NA``, ``NaN``, ``null`` are empty.  Items that
are objects (X API v1 entities, twint's user lists) are read by their naming key.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import orjson

_SPLIT_RE = re.compile(r"[\s|;]+")
#: Cells that say "no value" (R writes NA, pandas NaN): an empty multi-valued cell.
MISSING = frozenset({"na", "n/a", "nan", "null", "none"})
#: Cells of reference columns that name no post (a ``retweeted`` column may be a flag).
NOT_AN_ID = frozenset({"true", "false", "none", "null", "nan", "0", "[]"})


def split_multi(value: Any) -> list[str]:
    """A multi-valued cell: a JSON array or Python list, or text split on whitespace, ``|``, ``;``."""
    if value is None:
        return []
    if isinstance(value, list):
        items = [_item(v) for v in value]
        return [v for v in items if v]
    text = str(value).strip()
    if text.lower() in MISSING:
        return []
    if text.startswith("["):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = _python_list(text)
        if isinstance(parsed, list):
            return split_multi(parsed)
    return [part for part in _SPLIT_RE.split(text) if part]


#: The key naming an entity in list items that are objects (X API v1 entities, twint's mentions).
ITEM_KEYS = ("screen_name", "username", "expanded_url", "url", "tag", "text", "id")


def _item(value: Any) -> str:
    """One item of a multi-valued cell: a scalar as text, an object by its naming key."""
    if isinstance(value, dict):
        value = next((value[k] for k in ITEM_KEYS if value.get(k) not in (None, "")), None)
    return "" if value is None else str(value).strip()


def _python_list(text: str) -> Any:
    """A list written as Python writes it (``['a', 'b']``: pandas exports), else None."""
    if len(text) > 1 << 20 or not text.endswith("]"):
        return None
    try:
        return ast.literal_eval(text)  # literals only: never evaluates code
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
