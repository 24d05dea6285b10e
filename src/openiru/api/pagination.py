"""Cursor (keyset) pagination shared by every list route.

A page is ``{"items": [...], "next_cursor": str | null}``.  The cursor is the
sort key of the last item, JSON in URL-safe base64: opaque to clients, stable
while rows are added, and cheap for the database at any depth (no OFFSET).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from fastapi import Query, Response
from pydantic import BaseModel

from .errors import ApiError


class JsonBytes(Response):
    """A JSON response whose body is already bytes (orjson, or JSON text PostgreSQL built):
    the hot list pages skip FastAPI's response-model validation and pydantic serialisation."""

    media_type = "application/json"


def orjson_page(page: dict[str, Any]) -> JsonBytes:
    """A page dict as a response, serialised by orjson (datetimes as ``...Z`` like pydantic)."""
    return JsonBytes(orjson.dumps(page, default=str, option=orjson.OPT_UTC_Z | orjson.OPT_SERIALIZE_NUMPY))


def json_page(page: dict[str, Any]) -> JsonBytes:
    """A page whose items are JSON already (bytes), as :func:`paged_list` gives a list of them."""
    return JsonBytes(b'{"items":[' + b",".join(page["items"]) + b'],"next_cursor":'
                     + orjson.dumps(page["next_cursor"]) + b"}")


def bad_cursor() -> ApiError:
    """The error for a cursor this API did not give out (or not for this list)."""
    return ApiError(400, "bad_cursor", "the cursor is not one this API gave out")


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    cursor: list[Any] | None


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int | None = None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_cursor() from None
    if not isinstance(value, list) or (arity is not None and len(value) != arity) \
            or not all(isinstance(v, str | int | float) for v in value):
        raise bad_cursor()
    return value


async def page_params(limit: int = Query(50, ge=1, le=500, description="Items per page."),
                cursor: str | None = Query(None, max_length=2000, description="next_cursor of the previous page.")
                ) -> PageParams:
    """async: no thread-pool hop for parsing two query parameters."""
    return PageParams(limit=limit, cursor=decode_cursor(cursor))


def make_page(rows: Sequence[Any], limit: int, key: Callable[[Any], Sequence[Any]],
              render: Callable[[Any], Any]) -> dict[str, Any]:
    """A page from up to ``limit + 1`` rows (the extra one tells whether there is more)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [render(r) for r in rows],
            "next_cursor": encode_cursor(key(rows[-1])) if more and rows else None}


def paged_list(rows: Sequence[Any], page: PageParams) -> dict[str, Any]:
    """A page of an already computed, ordered list (an analytics result): the cursor is the
    position after the last item given."""
    start = 0
    if page.cursor is not None:
        if len(page.cursor) != 1 or not isinstance(page.cursor[0], int) or page.cursor[0] < 0:
            raise bad_cursor()
        start = page.cursor[0]
    chunk = list(rows[start:start + page.limit])
    end = start + len(chunk)
    return {"items": chunk, "next_cursor": encode_cursor([end]) if end < len(rows) else None}
