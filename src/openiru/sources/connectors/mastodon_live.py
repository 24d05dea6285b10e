"""Mastodon and other fediverse servers, live, through Mastodon.py.

Targets: ``public`` (federated timeline), ``local``, ``tag:NAME`` and ``account:ACCT``
(an account's statuses; ``ACCT`` as ``user`` or ``user@host``), and ``stream:public``,
``stream:local``, ``stream:tag:NAME``: the same timelines, polled like the others and, under
a long-running collector, read from the streaming API (:mod:`.mastodon_stream`).  Reading goes forward
in time with ``min_id``: each request asks for the statuses just after the checkpoint,
and the next checkpoint is the ``min_id`` of the page's ``Link: rel="prev"`` header
(Mastodon.py keeps it as ``_pagination_prev``), else the page's newest id.  A target
never read starts at ``min_id=0``, the oldest status the server shows; a server that answers
that with its newest statuses instead is walked back with ``max_id`` once (``_backfill``).  Statuses are
mapped by the export importer (:class:`openiru.sources.mastodon.MastodonStatusSource`),
so that a collected status and an exported one are the same post; the JSON kept as the post's
``raw`` is the body the server sent (Mastodon.py's typed entities are used for paging only).

The token (``OPENIRU_MASTODON_TOKEN`` or the secrets file) is optional: public
timelines need none on most servers.  Requests go through a :class:`~.polite.PoliteSession`
(429 ``Retry-After``, 5xx, dropped connections); Mastodon.py is set to ``throw`` so that
it never sleeps on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from ..base import MALFORMED, Problem, Record
from ..mastodon import MastodonStatusSource
from .base import Checkpoint, Connector, Page, Target
from .polite import ConnectorError, PoliteSession

PAGE_LIMIT = 40  # the most statuses Mastodon returns per timeline page


def plain(value: Any) -> Any:
    """Mastodon.py's entities back as the JSON the API sent (datetimes as ISO text)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _id_order(status_id: str) -> tuple[int, str]:
    return len(status_id), status_id  # snowflake ids: longer is newer, then by text


class MastodonConnector(Connector):
    """A Mastodon (or compatible) server's timeline, hashtag or account, live."""

    name = "mastodon"
    default_platform = "mastodon"
    target_forms = "public, local, tag:NAME, account:ACCT, stream:public|local|tag:NAME"
    credential_fields = ("token",)
    #: The collect service gives it a PoliteSession guarded by the outbound address policy (no SSRF).
    needs_guarded_session = True

    @classmethod
    def check_target(cls, target: Target) -> None:
        text = target.target
        if not target.server:
            raise ValueError("a Mastodon target needs --server URL")
        streamed = text.startswith("stream:")
        text = text.removeprefix("stream:")
        if text in ("public", "local"):
            return
        kind, _, rest = text.partition(":")
        if kind not in ("tag", "account") or not rest.strip() or (streamed and kind != "tag"):
            raise ValueError(f"Mastodon target {target.target!r}: expected {cls.target_forms}")

    @property
    def streamed(self) -> bool:
        """Whether the target is read from the streaming API under a long-running collector."""
        return self.target.target.startswith("stream:")

    @property
    def timeline(self) -> str:
        """The timeline the target names: ``public``, ``local``, ``tag:NAME`` or ``account:ACCT``."""
        return self.target.target.removeprefix("stream:")

    def _api(self) -> Any:
        from mastodon import Mastodon

        token = self.credentials.get("token")
        self._http = self.session or PoliteSession(self.backoff)
        return Mastodon(
            access_token=token.reveal() if token else None,
            api_base_url=str(self.target.server).rstrip("/"),
            session=self._http,
            ratelimit_method="throw",
            request_timeout=self.backoff.timeout,
            version_check_mode="none",
        )

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        from mastodon import MastodonError

        state = dict(checkpoint or {})
        parser = MastodonStatusSource(self.path, self.platform)
        try:
            api = self._api()
            fetch = self._fetcher(api, state)
            budget = [self.max_pages]
            yield from self._forward(fetch, state, parser, budget)
            yield from self._backfill(fetch, state, parser, budget)
        except MastodonError as exc:
            raise ConnectorError(self.credentials.redact(f"{self.target}: {exc}")) from None

    def _forward(
        self, fetch: Any, state: Checkpoint, parser: MastodonStatusSource, budget: list[int]
    ) -> Iterator[Page]:
        """Pages after ``min_id``, oldest first.  After a new target's first page, one request
        asks for statuses older than it: if there are, ``backfill_max_id`` (see :meth:`_backfill`)."""
        new = not state.get("min_id")
        min_id = str(state.get("min_id") or "0")
        while budget[0] > 0:
            budget[0] -= 1
            page = fetch(min_id=min_id)
            if not page:
                return
            statuses = self._as_sent(page)
            ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and s.get("id")]
            prev = getattr(page, "_pagination_prev", None) or {}
            newest = max(ids, key=_id_order, default=min_id)
            min_id = str(prev.get("min_id") or newest)
            state["min_id"] = min_id
            if new and ids:  # does the server have statuses older than its answer to min_id=0?
                new, oldest = False, min(ids, key=_id_order)
                if any(
                    _id_order(str(getattr(s, "id", s.get("id") if isinstance(s, dict) else "")))
                    < _id_order(oldest)
                    for s in fetch(max_id=oldest) or []
                ):
                    state["backfill_max_id"] = oldest
            yield Page(self._records(parser, statuses), dict(state), items=len(statuses))

    def _backfill(
        self, fetch: Any, state: Checkpoint, parser: MastodonStatusSource, budget: list[int]
    ) -> Iterator[Page]:
        """Statuses older than a new target's first page, if the server has any: a server that
        answers ``min_id=0`` with its newest statuses (as if it were ``since_id``) rather than its
        oldest is walked back with ``max_id`` (the ``Link: rel="next"`` cursor) until it answers
        nothing (on Mastodon itself, the one request of :meth:`_forward` answers nothing and there is
        no walk).  The cursor is in the checkpoint, so a restart resumes the walk."""
        while state.get("backfill_max_id") and budget[0] > 0:
            budget[0] -= 1
            page = fetch(max_id=state["backfill_max_id"])
            statuses = self._as_sent(page) if page else []
            ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and s.get("id")]
            older = [i for i in ids if _id_order(i) < _id_order(str(state["backfill_max_id"]))]
            if older:
                state["backfill_max_id"] = min(older, key=_id_order)
            else:
                state.pop("backfill_max_id")
            yield Page(self._records(parser, statuses) if older else [], dict(state), items=len(older))

    def stream(self, **callbacks: Any) -> None:
        """Read the target's timeline from the streaming API (:func:`.mastodon_stream.stream`)."""
        from .mastodon_stream import stream

        stream(self, **callbacks)

    @staticmethod
    def advance(state: Checkpoint, status: dict[str, Any]) -> Checkpoint:
        """The checkpoint once ``status`` (streamed) is stored: ``min_id`` the newest id."""
        status_id = str(status.get("id") or "")
        if status_id and _id_order(status_id) > _id_order(str(state.get("min_id") or "0")):
            return {**state, "min_id": status_id}
        return state

    def _as_sent(self, page: Any) -> list[Any]:
        """The page's statuses as the server sent them (the body of the response Mastodon.py
        just read, when the session kept it), else Mastodon.py's entities turned back into JSON."""
        last = getattr(self._http, "last_response", None)
        if last is not None:
            try:
                sent = orjson.loads(last.content)
            except orjson.JSONDecodeError:
                sent = None
            if isinstance(sent, list) and len(sent) == len(page):
                return sent
        return [plain(s) for s in page]

    def _fetcher(self, api: Any, state: Checkpoint) -> Any:
        """``fetch(min_id=…)`` or ``fetch(max_id=…)``: one page of the target's timeline."""
        text = self.timeline
        if text in ("public", "local"):
            return lambda **cursor: api.timeline_public(limit=PAGE_LIMIT, local=text == "local", **cursor)
        kind, _, name = text.partition(":")
        if kind == "tag":
            return lambda **cursor: api.timeline_hashtag(name.lstrip("#"), limit=PAGE_LIMIT, **cursor)
        if not state.get("account_id"):
            state["account_id"] = str(api.account_lookup(name.lstrip("@"))["id"])
        account_id = state["account_id"]
        return lambda **cursor: api.account_statuses(account_id, limit=PAGE_LIMIT, **cursor)

    def _records(self, parser: MastodonStatusSource, statuses: list[Any]) -> list[Record]:
        records: list[Record] = []
        for index, status in enumerate(reversed(statuses)):  # oldest first
            try:
                records.extend(parser._status(status))
            except MALFORMED as exc:
                reason = f"missing field {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
                records.append(Problem(str(self.target), f"status {index}", f"malformed status: {reason}"))
        return records
