"""Cursor (keyset) pagination shared by every list route.

A page is ``{"items": [...], "next_cursor": str | null}``.  The cursor is the
sort key of the last item, JSON in URL-safe base64: opaque to clients, stable
while rows are added, and cheap for the database at any depth (no OFFSET).

One decoder reads every cursor (:func:`decode_cursor`, then :meth:`PageParams.key` with the
kinds of the list's sort key): anything this API did not give out (not base64, not a JSON
list, NaN or infinite numbers, integers outside 64 bits, deep nesting, the wrong length or
types, longer than :data:`MAX_CURSOR`) answers ``400 bad_cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime
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
    return JsonBytes(
        b'{"items":['
        + b",".join(page["items"])
        + b'],"next_cursor":'
        + orjson.dumps(page["next_cursor"])
        + b"}"
    )


def bad_cursor() -> ApiError:
    """The error for a cursor this API did not give out (or not for this list)."""
    return ApiError(400, "bad_cursor", "the cursor is not one this API gave out")


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None = None


#: The longest cursor accepted (the longest this API gives out is a few hundred characters).
MAX_CURSOR = 2000
INT64 = 2**63
#: Kinds of cursor values: ``int`` (non-negative, 64 bits), ``str``, ``float`` (finite number),
#: ``datetime`` (an ISO time string, parsed).
CursorKind = type[int] | type[str] | type[float] | type[datetime]


def _value(value: Any, kind: CursorKind) -> Any:
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < INT64:
            raise bad_cursor()
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise bad_cursor()
        return float(value)
    if not isinstance(value, str):
        raise bad_cursor()
    if kind is datetime:
        from ..model import parse_time

        try:
            return parse_time(value)
        except (ValueError, TypeError, OverflowError):
            raise bad_cursor() from None
    return value


class PageParams(BaseModel):
    limit: int
    cursor: list[Any] | None

    def key(self, *kinds: CursorKind) -> tuple[Any, ...] | None:
        """The cursor as a sort key of these kinds (None on the first page); 400 otherwise."""
        if self.cursor is None:
            return None
        if len(self.cursor) != len(kinds):
            raise bad_cursor()
        return tuple(_value(v, k) for v, k in zip(self.cursor, kinds, strict=True))

    def after_id(self) -> int:
        """The id after which a list sorted by an integer id goes on (0 on the first page)."""
        key = self.key(int)
        return 0 if key is None else int(key[0])


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a cursor value")


def decode_cursor(cursor: str | None, arity: int | None = None) -> list[Any] | None:
    """The values of a cursor this API gave out: a flat JSON list of strings and finite numbers."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR:
        raise bad_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        value = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise bad_cursor() from None
    if (
        not isinstance(value, list)
        or (arity is not None and len(value) != arity)
        or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value)
        or any(isinstance(v, float) and not math.isfinite(v) for v in value)
    ):
        raise bad_cursor()
    return value


async def page_params(
    limit: int = Query(50, ge=1, le=500, description="Items per page."),
    cursor: str | None = Query(
        None, description=f"next_cursor of the previous page (at most {MAX_CURSOR} characters)."
    ),
) -> PageParams:
    """async: no thread-pool hop for parsing two query parameters."""
    return PageParams(limit=limit, cursor=decode_cursor(cursor))


def make_page(
    rows: Sequence[Any], limit: int, key: Callable[[Any], Sequence[Any]], render: Callable[[Any], Any]
) -> dict[str, Any]:
    """A page from up to ``limit + 1`` rows (the extra one tells whether there is more)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [render(r) for r in rows],
        "next_cursor": encode_cursor(key(rows[-1])) if more and rows else None,
    }


def paged_list(rows: Sequence[Any], page: PageParams) -> dict[str, Any]:
    """A page of an already computed, ordered list (an analytics result): the cursor is the
    position after the last item given."""
    start = page.after_id()
    chunk = list(rows[start : start + page.limit])
    end = start + len(chunk)
    return {"items": chunk, "next_cursor": encode_cursor([end]) if end < len(rows) else None}
