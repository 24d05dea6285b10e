"""X (Twitter) API v2, live, through twarc's ``Twarc2`` client.

Targets: ``search:QUERY`` (``/2/tweets/search/recent``: the last 7 days),
``search-all:QUERY`` (``/2/tweets/search/all``: the full archive, for an access level that
has it; a new target reads back to 2006, twarc waits 1.05 s between its requests, the
endpoint's 1 request a second) and ``user:HANDLE`` (the user's timeline,
``/2/users/:id/tweets``; the handle is looked up once and its id kept in the checkpoint), and
``stream:RULE``: the filtered stream under a long-running collector (:mod:`.x_stream`),
polled (``collect --once``, and the gap after each reconnect) as a recent search for RULE.  Credential: a bearer token, ``OPENIRU_X_BEARER_TOKEN`` or the secrets file.

Both endpoints answer newest first and page backwards with a token, so a poll is a walk
from the newest tweet back to the checkpoint's ``since_id``: the first page fixes
``newest`` (``meta.newest_id``), each page stores the token of the next, and the last
page (no ``next_token``) makes ``newest`` the new ``since_id``.  A restart in the middle
of a walk resumes with the stored token (``next_token`` / ``pagination_token``); tweets
that arrive meanwhile are read by the next poll.  Pages are mapped by the twarc2 importer
(:class:`openiru.sources.twitter.TwitterV2Source`), with twarc's ``__twarc`` metadata.

twarc is given a :class:`~.polite.PoliteSession` as its HTTP client (its own ``connect``,
which logs credentials at debug level, is never called): 429 waits for
``x-rate-limit-reset``, 5xx and dropped connections back off.  ``--server`` points the
client's fixed ``https://api.twitter.com`` at an API proxy or a local fake.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..base import Problem, Record
from ..twitter import TwitterV2Source
from .base import Checkpoint, Connector, Page, Target
from .polite import ConnectorError, PoliteSession

API = "https://api.twitter.com"
MAX_RESULTS = 100


class XConnector(Connector):
    """Recent search or a user's timeline on the X API v2."""

    name = "x"
    default_platform = "x"
    target_forms = "search:QUERY, search-all:QUERY, user:HANDLE, stream:RULE"
    credential_fields = ("bearer_token",)
    #: The collect service gives it a PoliteSession guarded by the outbound address policy (no SSRF).
    needs_guarded_session = True

    @classmethod
    def check_target(cls, target: Target) -> None:
        kind, _, value = target.target.partition(":")
        if kind not in ("search", "search-all", "user", "stream") or not value.strip():
            raise ValueError(f"X target {target.target!r}: expected {cls.target_forms}")

    def _client(self) -> Any:
        from twarc.client2 import Twarc2

        token = self.credentials.get("bearer_token")
        if token is None:
            raise ConnectorError(
                f"{self.target}: no bearer token (set OPENIRU_X_BEARER_TOKEN or the secrets file)"
            )
        client = Twarc2(bearer_token=token.reveal())
        session = self.session or PoliteSession(self.backoff)
        session.headers["Authorization"] = f"Bearer {token.reveal()}"
        if self.target.server:
            session.rewrite = (API, str(self.target.server).rstrip("/"))
        client.client = session
        return client

    def _pages_from(self, client: Any, state: Checkpoint) -> Iterator[dict[str, Any]]:
        kind, _, value = self.target.target.partition(":")
        token = (state.get("walk") or {}).get("token")
        since = state.get("since_id")
        if kind in ("search", "stream"):
            return iter(
                client.search_recent(value, since_id=since, next_token=token, max_results=MAX_RESULTS)
            )
        if kind == "search-all":
            return iter(client.search_all(value, since_id=since, next_token=token, max_results=MAX_RESULTS))
        if not state.get("user_id"):
            state["user_id"] = str(client._ensure_user_id(value.lstrip("@")))
        return iter(
            client.timeline(state["user_id"], since_id=since, pagination_token=token, max_results=MAX_RESULTS)
        )

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        import requests

        state: Checkpoint = dict(checkpoint or {})
        parser = TwitterV2Source(self.path, self.platform)
        parser._users, parser._account_keys = {}, {}
        try:
            client = self._client()
            responses = self._pages_from(client, state)
            for _ in range(self.max_pages):
                page = next(responses, None)
                if page is None:
                    return
                if not isinstance(page, dict):
                    raise ConnectorError(f"{self.target}: unexpected response")
                meta = page.get("meta") or {}
                walk = state.get("walk") or {}
                newest = walk.get("newest") or meta.get("newest_id")
                if meta.get("next_token"):
                    state["walk"] = {"newest": newest, "token": meta["next_token"]}
                else:
                    state.pop("walk", None)
                    if newest:
                        state["since_id"] = str(newest)
                records = self._records(parser, page)
                yield Page(records, dict(state), items=len(page.get("data") or []))
                if "walk" not in state:
                    return
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise ConnectorError(
                self.credentials.redact(f"{self.target}: {type(exc).__name__}: {exc}")
            ) from None

    def stream(self, **callbacks: Any) -> None:
        """Read the filtered stream for the target's rule (:func:`.x_stream.stream`)."""
        from .x_stream import stream

        stream(self, **callbacks)

    @staticmethod
    def advance(state: Checkpoint, tweet: dict[str, Any]) -> Checkpoint:
        """The checkpoint once ``tweet`` (streamed) is stored: ``since_id`` the newest id."""
        tweet_id = str(tweet.get("id") or "")
        known = str(state.get("since_id") or "0")
        if tweet_id.isdigit() and (len(tweet_id), tweet_id) > (len(known), known):
            return {**state, "since_id": tweet_id}
        return state

    def _records(self, parser: TwitterV2Source, page: dict[str, Any]) -> list[Record]:
        try:
            return list(parser._page(page, "response"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return [Problem(str(self.target), "response", f"malformed page: {exc}")]
