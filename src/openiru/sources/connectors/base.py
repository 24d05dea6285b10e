"""The connector extension point: a Source that reads one live target page by page.

A :class:`Connector` is built for one :class:`Target` (connector name, target text such
as ``public``, ``tag:NAME``, ``channel:NAME`` or a feed URL, and the server), with its
credentials, an HTTP session or client (passed in: tests give one bound to a local fake
server) and a :class:`~.polite.Backoff`.  :meth:`Connector.pages` starts from a
checkpoint (a small JSON-able dict, ``None`` for a target never read) and yields
:class:`Page` objects, each with its records and the checkpoint that holds once those
records are stored.  The caller stores a page, then its checkpoint, before asking for
the next, so that a restart resumes exactly there: nothing read twice into the store
(writes are idempotent on natural keys) and nothing skipped.

As a :class:`~openiru.sources.base.Source`, ``records()`` reads the target from the start.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..base import Record, Source
from .polite import Backoff
from .secrets import Credentials

Checkpoint = dict[str, Any]

#: Pages read per target per poll at most (the rest waits for the next poll).
DEFAULT_MAX_PAGES = 50


@dataclass(frozen=True, slots=True)
class Target:
    """One watched target: ``connector`` (``mastodon``...), ``target`` text and ``server`` URL."""

    connector: str
    target: str
    server: str | None = None

    @property
    def key(self) -> str:
        """The checkpoint key: stable for the same connector, server and target."""
        return f"{self.connector}|{(self.server or '').rstrip('/')}|{self.target}"

    def __str__(self) -> str:
        return f"{self.connector} {self.target}" + (f" on {self.server}" if self.server else "")


@dataclass
class Page:
    """Records read in one request and the checkpoint that holds once they are stored."""

    records: list[Record]
    checkpoint: Checkpoint
    items: int = 0  # platform items in the response (statuses, messages, entries)
    notes: list[str] = field(default_factory=list)


class Connector(Source):
    """A live source for one target (see the module's note)."""

    name: ClassVar[str]
    default_platform: ClassVar[str]
    #: Target forms this connector reads, as help shows them.
    target_forms: ClassVar[str] = ""
    #: Credential fields looked up for it (``secrets.load_credentials``).
    credential_fields: ClassVar[tuple[str, ...]] = ()
    #: Whether the collect service must give it an SSRF-safe ``services.outbound.Outbound`` client.
    needs_outbound: ClassVar[bool] = False
    #: Whether :meth:`close` closes ``session`` (set by whoever made the session for it).
    owns_session: bool = False

    def __init__(
        self,
        target: Target,
        *,
        credentials: Credentials | None = None,
        session: Any = None,
        backoff: Backoff | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        platform: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(Path(f"{target.connector}:{target.target}"), platform)
        self.target = target
        self.credentials = credentials or Credentials()
        self.backoff = backoff or Backoff()
        self.session = session
        self.max_pages = max_pages
        self.options = options
        self.check_target(target)

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        return 0.0  # never chosen for a file

    @classmethod
    def check_target(cls, target: Target) -> None:
        """Raise ``ValueError`` (one line) when ``target`` is not a form this connector reads."""

    def close(self) -> None:
        """Release what the connector opened (its session when it made one)."""
        close = getattr(self.session, "close", None)
        if self.owns_session and close is not None:
            close()

    @abstractmethod
    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        """Pages after ``checkpoint``, oldest unread first where the API allows, at most
        ``max_pages``; each page's checkpoint covers it and every page before it."""

    def records(self) -> Iterator[Record]:
        for page in self.pages(None):
            yield from page.records
