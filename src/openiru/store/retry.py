"""A batch the database refused, written again in parts so that only the bad rows are lost.

A batch is one transaction; on PostgreSQL one row it refuses (a value its column
cannot hold, an index entry too large, a constraint) aborts that transaction, and
with it the batch's 10,000 records.  :mod:`openiru.store.clean` keeps the known
cases out beforehand; this is the safety net for the rest, on both databases.  The
writer hands a failed batch to :func:`write_apart`, which splits it into *units*
(a post with its author's account row, media, media links and edges; an account
with its avatar) and writes them in halves, each half its own transaction, halving
again only the halves that fail: *k* bad rows cost about *k* x log2(batch)
transactions, and a unit that fails alone is reported with its record and the
database's reason, the others kept.  Every write is idempotent (see ``writer``),
so a half written again after a crash changes nothing.

Only errors that belong to the data are retried (:func:`row_error`); a lost
connection, a full disk or a lock time-out stop the import as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .batch import BatchRows

#: SQLSTATE classes of PostgreSQL errors caused by the data: data exception,
#: integrity constraint violation, program limit exceeded (an index row too large).
ROW_SQLSTATE_CLASSES = frozenset({"22", "23", "54"})


def row_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the database (or its driver) refusing a value, not a failure
    of the connection, the disk or the statement itself."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return False
    if isinstance(exc, sa.exc.StatementError) and exc.orig is not None:  # DBAPIError too: the driver's error
        exc = exc.orig
    if isinstance(exc, UnicodeError | OverflowError | ValueError | TypeError):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        return str(sqlstate)[:2] in ROW_SQLSTATE_CLASSES
    name = type(exc).__name__
    if name in (
        "DataError",
        "IntegrityError",
    ):  # PEP 249 classes; psycopg's client-side NUL check has no SQLSTATE
        return True
    if (
        name in ("OperationalError", "InterfaceError", "ProgrammingError")
        and type(exc).__module__ == "sqlite3"
    ):
        message = str(exc)
        return "too big" in message or "binding parameter" in message or "unsupported type" in message
    return False


def reason(exc: BaseException) -> str:
    """The database's reason, one line, short (no parameters echoed)."""
    orig = exc.orig if isinstance(exc, sa.exc.StatementError) and exc.orig is not None else exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass
class Unit:
    """The rows of one record: what is written, or refused, together."""

    label: str
    post: tuple[str, str] | None
    accounts: list[tuple[Any, ...]]
    avatars: dict[str, tuple[Any, ...]]
    media: dict[str, tuple[Any, ...]]
    posts: list[tuple[Any, ...]]
    links: list[tuple[Any, ...]]
    edges: list[tuple[Any, ...]]


def split_units(rows: BatchRows) -> list[Unit]:
    """``rows`` as units: each post with its author's account row (so that no post is
    written without its account), then the accounts no post of the batch names."""
    accounts = {(r[0], r[1]): r for r in rows.accounts}
    links: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for r in rows.links:
        links.setdefault((r[0], r[1]), []).append(r)
    edges: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for r in rows.edges:
        edges.setdefault((r[0], r[1]), []).append(r)
    units: list[Unit] = []
    authors: set[tuple[str, str]] = set()
    for post in rows.posts:
        key, author = (post[0], post[1]), (post[0], post[2])
        account = accounts.get(author)
        authors.add(author)
        post_links = links.get(key, [])
        units.append(
            Unit(
                f"post {_cut(key[0])}/{_cut(key[1])}",
                key,
                [account] if account else [],
                _avatar(account, rows.avatars),
                {r[3]: rows.media[r[3]] for r in post_links if r[3] in rows.media},
                [post],
                post_links,
                edges.get(key, []),
            )
        )
    for key, account in accounts.items():
        if key not in authors:
            units.append(
                Unit(
                    f"account {_cut(key[0])}/{_cut(key[1])}",
                    None,
                    [account],
                    _avatar(account, rows.avatars),
                    {},
                    [],
                    [],
                    [],
                )
            )
    return units


def _avatar(
    account: tuple[Any, ...] | None, avatars: dict[str, tuple[Any, ...]]
) -> dict[str, tuple[Any, ...]]:
    if account is None or account[5] is None or account[5] not in avatars:
        return {}
    return {account[5]: avatars[account[5]]}


def _cut(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def merge_units(units: list[Unit]) -> BatchRows:
    """The rows of ``units`` as one batch (shared accounts and media once)."""
    rows = BatchRows()
    accounts: dict[tuple[str, str], tuple[Any, ...]] = {}
    for u in units:
        for a in u.accounts:
            accounts.setdefault((a[0], a[1]), a)
        rows.avatars.update(u.avatars)
        rows.media.update(u.media)
        rows.posts.extend(u.posts)
        rows.links.extend(u.links)
        rows.edges.extend(u.edges)
    rows.accounts = list(accounts.values())
    return rows


def write_apart(
    rows: BatchRows,
    write: Callable[[BatchRows, list[tuple[str, str]]], Any],
    refused: Callable[[Unit, BaseException], None],
) -> list[Any]:
    """Write ``rows`` (a batch that failed as a whole) in halves, as the module says.

    ``write(rows, post_keys)`` (the keys in the batch's order) writes rows in a transaction of its own and returns its
    result; an error it raises that :func:`row_error` accepts splits the part, others
    propagate.  ``refused(unit, error)`` is told of each unit that failed alone.
    Returns the results of the writes that succeeded.
    """
    results: list[Any] = []
    units = split_units(rows)
    stack = [units[len(units) // 2 :], units[: len(units) // 2]]  # the whole already failed
    while stack:
        part = stack.pop()
        if not part:
            continue
        try:
            results.append(write(merge_units(part), [u.post for u in part if u.post is not None]))
        except Exception as exc:
            if not row_error(exc):
                raise
            if len(part) == 1:
                refused(part[0], exc)
                continue
            half = len(part) // 2
            stack.extend((part[half:], part[:half]))  # first half first: the batch's order
    return results
