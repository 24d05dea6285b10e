"""Collection runs: read a target through its connector and store it like an import.

Each page a connector yields is imported with :func:`openiru.services.collect.ingest.ingest_source`
(so the ingest hooks run on it: detection scans collected posts as it scans imported
ones) in one batch, whose transaction also writes the page's checkpoint; the checkpoint
is written again after the import (the same value), which covers a page of problems
only.  A process killed between pages resumes after the last committed page; killed
inside one, that page's transaction rolls back and the page is read again.  Posts
are keyed by platform ids and written ``ON CONFLICT DO NOTHING``, so nothing is stored
twice either way.

With ``publish`` (``openiru collect --nats``: :mod:`openiru.services.workers.publish`) the
checkpoint leaves the page's transaction: the page is stored, its posts' keys published
and acknowledged by JetStream, and only then is the checkpoint written.  Killed before the
acknowledgement, the page is read and published again (stored once, ``ON CONFLICT DO
NOTHING``; the message carries a JetStream message id, so the stream keeps it once);
killed after, the next run starts after the page.

Errors (a server that keeps failing, a refused login) end the target's run with the
error in its result, redacted of its credentials; the checkpoint stays at the last
stored page.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import requests
import sqlalchemy as sa

from ...errors import OpenIRUError
from ...model import Post
from ...sources.base import Record, Source
from ...sources.connectors.base import Checkpoint, Connector, Page, Target
from ...sources.connectors.polite import Backoff, ConnectorError, PoliteSession
from ...sources.connectors.secrets import load_credentials
from . import checkpoints, media_fetch
from .ingest import BatchHook, default_hooks, ingest_source
from .registry import connector_class


@dataclass
class TargetResult:
    """What one run of one target did."""

    target: str
    key: str
    new_posts: int = 0
    posts_read: int = 0
    pages: int = 0
    problems: int = 0
    requests: int = 0
    waits: int = 0
    media_downloaded: int = 0
    media_failed: int = 0
    errors: list[str] = field(default_factory=list)
    checkpoint: Checkpoint | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "key": self.key,
            "new_posts": self.new_posts,
            "posts_read": self.posts_read,
            "pages": self.pages,
            "problems": self.problems,
            "requests": self.requests,
            "waits": self.waits,
            "media_downloaded": self.media_downloaded,
            "media_failed": self.media_failed,
            "errors": self.errors,
            "checkpoint": self.checkpoint,
        }


class PageSource(Source):
    """The records of one page, as a Source for the import path."""

    def __init__(self, connector: Connector, records: list[Record]) -> None:
        super().__init__(connector.path, connector.platform)
        self.name = connector.name  # type: ignore[misc]
        self._records = records

    @classmethod
    def sniff(cls, path: Any, head: bytes) -> float:
        return 0.0

    def records(self) -> Iterator[Record]:
        return iter(self._records)


def build_connector(
    target: Target,
    *,
    session: Any = None,
    backoff: Backoff | None = None,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> Connector:
    """The connector for ``target`` with its credentials from the environment / secrets file."""
    cls = connector_class(target.connector)
    credentials = load_credentials(target.connector, target.server, fields=cls.credential_fields, env=env)
    owns = False
    if session is None and cls.needs_outbound:
        from ..outbound import Outbound

        session, owns = Outbound(), True
    elif session is None and getattr(cls, "needs_guarded_session", False):
        # requests-based clients (Mastodon.py, rocketchat_API, twarc): the outbound policy on each hop
        from ..outbound import FetchPolicy, url_guard

        policy = FetchPolicy.from_env({**os.environ, **(env or {})})
        backoff = backoff or Backoff()
        session = PoliteSession(backoff, guard=url_guard(policy), max_redirects=policy.max_redirects)
        owns = True
    try:
        connector = cls(target, credentials=credentials, session=session, backoff=backoff, **options)
    except ValueError as exc:
        if owns:
            session.close()
        raise ConnectorError(str(exc)) from None
    connector.owns_session = owns
    return connector


def _checkpoint_hook(key: str, state: Checkpoint) -> BatchHook:
    def hook(conn: sa.Connection, posts: list[Post]) -> None:
        checkpoints.save(conn, key, state)

    return hook


#: What a target's read can raise besides ConnectorError (the clients' own errors).
READ_ERRORS = (ConnectorError, httpx.HTTPError, requests.RequestException, OSError, ValueError)


class NotPublished(Exception):
    """A stored page's posts could not be published; its checkpoint was not written."""


def store_page(
    engine: sa.Engine,
    connector: Connector,
    page: Page,
    hooks: list[BatchHook],
    result: TargetResult,
    publish: Callable[[], Any] | None = None,
) -> None:
    """Store one page through the import path, its checkpoint in the same transaction; counted in
    ``result`` (the streaming collector stores each streamed status this way too).  With
    ``publish`` (called once the page is stored; it raises if not acknowledged) the checkpoint
    is written only after it returns."""
    key = connector.target.key
    in_batch = [] if publish is not None else [_checkpoint_hook(key, page.checkpoint)]
    result.pages += 1
    if page.records:
        with tempfile.TemporaryDirectory(prefix="openiru-media-") as folder:
            if media_fetch.enabled() and media_fetch.wanted(page.records):
                from ..outbound import Outbound

                with Outbound() as client:
                    fetched = media_fetch.fetch_media(page.records, client, Path(folder))
                result.media_downloaded += fetched.downloaded
                result.media_failed += fetched.failed
            summary = ingest_source(
                engine,
                PageSource(connector, page.records),
                after_batch=[*hooks, *in_batch],
                batch_size=len(page.records) + 1,
                label=f"collect:{key}",
            )
        result.new_posts += summary.posts
        result.posts_read += summary.posts_read
        result.problems += sum(summary.errors.values())
    if publish is not None:
        try:
            publish()
        except OpenIRUError as exc:
            raise NotPublished(str(exc)) from None
    with engine.begin() as conn:
        checkpoints.save(conn, key, page.checkpoint)
    result.checkpoint = page.checkpoint


def collect_target(
    engine: sa.Engine,
    connector: Connector,
    *,
    hooks: list[BatchHook] | None = None,
    on_page: Callable[[TargetResult], None] | None = None,
    publish: Callable[[], Any] | None = None,
) -> TargetResult:
    """Read ``connector``'s target from its stored checkpoint to the end (or ``max_pages``);
    ``publish`` as in :func:`store_page` (a failed publish ends the run, the checkpoint kept)."""
    key = connector.target.key
    hooks = default_hooks(engine) if hooks is None else hooks
    state = checkpoints.load_engine(engine, key)
    result = TargetResult(str(connector.target), key, checkpoint=state)
    try:
        for page in connector.pages(state):
            store_page(engine, connector, page, hooks, result, publish)
            if on_page:
                on_page(result)
    except NotPublished as exc:  # not acknowledged (NATS away): the page is read again next run
        result.errors.append(f"not published: {exc}")
    except READ_ERRORS as exc:
        result.errors.append(
            connector.credentials.redact(
                f"{type(exc).__name__}: {exc}" if not isinstance(exc, ConnectorError) else str(exc)
            )
        )
    finally:
        connector.close()
    result.requests = connector.backoff.requests
    result.waits = len(connector.backoff.waits)
    return result
