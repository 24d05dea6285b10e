"""Progress of long store reads, told to whoever listens (a command's display).

The graph analyses read the store through several layers (``key_accounts`` -> ``ranked`` ->
``load_graph``); threading a callback through each would change every signature on the way.
Instead a command opens :func:`listening` around its call, and the code that reads rows in
chunks calls :func:`rows_read` after each chunk.  The listener is held in a context variable, so
it reaches only the calls made inside the ``with`` block (of this thread or task); with no
listener :func:`rows_read` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa

from ..store import schema

#: ``listener(rows)``: called with the number of rows just read.
Listener = Callable[[int], None]

_listener: ContextVar[Listener | None] = ContextVar("openiru_rows_read_listener", default=None)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener(rows)`` for every chunk of rows read inside this block."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def rows_read(rows: int) -> None:
    """Tell the listener, if any, that ``rows`` more rows were read."""
    listener = _listener.get()
    if listener is not None:
        listener(rows)


def rows_to_read(engine: sa.Engine) -> int:
    """Posts and resolved interactions in the store: what a graph load reads in chunks (the
    total a display counts towards; a time or platform filter reads fewer)."""
    p, e = schema.posts, schema.edges
    with engine.connect() as conn:
        posts = conn.execute(sa.select(sa.func.count()).select_from(p)).scalar_one()
        edges = conn.execute(
            sa.select(sa.func.count()).select_from(e).where(e.c.target_account_id.is_not(None))
        ).scalar_one()
    return int(posts) + int(edges)
