"""Rocket.Chat channels, live, through rocketchat_API.

Targets: ``channel:NAME`` (a public channel: ``channels.info``/``channels.history``) and
``group:NAME`` (a private group the account is a member of: ``groups.info``/``groups.history``,
the same parameters and answers; only where the unit's mandate allows it) on ``--server
URL``; :meth:`RocketChatConnector.channels` lists the server's public channels
(``channels.list``, ``count``/``offset`` pages) for ``openiru watch discover``.  Credentials: a personal access token
(``OPENIRU_ROCKETCHAT_TOKEN`` and ``OPENIRU_ROCKETCHAT_USER_ID``) or a login
(``OPENIRU_ROCKETCHAT_USER`` and ``OPENIRU_ROCKETCHAT_PASSWORD``; ``POST /api/v1/login``
through the library, again once when the server answers 401: an expired token).

``channels.history`` answers newest first between ``oldest`` and ``latest``, so a poll
walks back in time from the newest message to the checkpoint's ``since``: the first page
fixes ``top`` (the newest time seen), each page moves ``cursor`` (``latest`` of the next
request) to its oldest time, and the walk ends with a short page, when ``since``
becomes ``top``.  The checkpoint stores the walk (``since``, ``top``, ``cursor``), so a
restart in the middle resumes at the cursor.  The walk's ``offset`` skips the messages at the
cursor time already read, so a time shared by more than a page of messages is walked through
too.  Requests are ``inclusive``: the messages at
a boundary time are read again, and the ids of those at ``since`` are remembered and
skipped; writes are idempotent, so nothing is stored twice.  Messages are mapped by the
export importer (:class:`openiru.sources.rocketchat.RocketChatSource`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...model import parse_time
from ..base import MALFORMED, Problem, Record
from ..rocketchat import RocketChatSource
from .base import Checkpoint, Connector, Page, Target
from .polite import ConnectorError, PoliteSession

PAGE_COUNT = 100


def _ts(message: Any) -> str:
    return str(message.get("ts") or "") if isinstance(message, dict) else ""


def _when(text: str) -> datetime:
    return parse_time(text)


class RocketChatConnector(Connector):
    """One Rocket.Chat channel's messages, live."""

    name = "rocketchat"
    default_platform = "rocketchat"
    target_forms = "channel:NAME, group:NAME"
    credential_fields = ("user", "password", "token", "user_id")
    #: The collect service gives it a PoliteSession guarded by the outbound address policy (no SSRF).
    needs_guarded_session = True

    @classmethod
    def check_target(cls, target: Target) -> None:
        if not target.server:
            raise ValueError("a Rocket.Chat target needs --server URL")
        kind, _, name = target.target.partition(":")
        if kind not in ("channel", "group") or not name.strip():
            raise ValueError(f"Rocket.Chat target {target.target!r}: expected {cls.target_forms}")

    def _api(self) -> Any:
        from rocketchat_API.rocketchat import RocketChat

        creds = self.credentials
        session = self.session or PoliteSession(self.backoff)
        server = str(self.target.server).rstrip("/")
        if creds.has("token", "user_id"):
            return RocketChat(
                auth_token=creds.reveal("token"),
                user_id=creds.reveal("user_id"),
                server_url=server,
                session=session,
                timeout=self.backoff.timeout,
            )
        if creds.has("user", "password"):
            return RocketChat(
                creds.reveal("user"),
                creds.reveal("password"),
                server_url=server,
                session=session,
                timeout=self.backoff.timeout,
            )
        raise ConnectorError(
            f"{self.target}: no credentials (set OPENIRU_ROCKETCHAT_TOKEN and "
            "OPENIRU_ROCKETCHAT_USER_ID, or OPENIRU_ROCKETCHAT_USER and "
            "OPENIRU_ROCKETCHAT_PASSWORD, or the secrets file)"
        )

    @property
    def _prefix(self) -> str:
        """The REST family of the target: ``channels`` or ``groups``."""
        return "groups" if self.target.target.startswith("group:") else "channels"

    def channels(self, limit: int = 10_000) -> list[dict[str, Any]]:
        """The server's public channels (``channels.list``): name, id, topic and member count."""
        from rocketchat_API.APIExceptions import RocketExceptions as rx

        found: list[dict[str, Any]] = []
        try:
            api = self._api()
            while len(found) < limit:
                answer = self._call(api, "channels.list", count=PAGE_COUNT, offset=len(found))
                page = [c for c in answer.get("channels") or [] if isinstance(c, dict) and c.get("name")]
                found.extend(
                    {
                        "name": c["name"],
                        "id": c.get("_id"),
                        "topic": c.get("topic"),
                        "members": c.get("usersCount"),
                    }
                    for c in page
                )
                if not page or len(found) >= int(answer.get("total") or 0):
                    break
        except (
            rx.RocketApiException,
            rx.RocketBadStatusCodeException,
            rx.RocketAuthenticationException,
            rx.RocketConnectionException,
            KeyError,
            TypeError,
            ValueError,
        ) as exc:
            raise ConnectorError(
                self.credentials.redact(f"{self.target.server}: channels.list: {type(exc).__name__} {exc}")
            ) from None
        return found[:limit]

    def _call(self, api: Any, method: str, **params: Any) -> Any:
        """One GET through the library; on 401 with a login available, log in again once."""
        from rocketchat_API.APIExceptions.RocketExceptions import (
            RocketApiException,
            RocketBadStatusCodeException,
        )

        try:
            return api.call_api_get(method, kwargs=params)
        except (RocketBadStatusCodeException, RocketApiException) as exc:
            if exc.status_code != 401:
                raise
            if not self.credentials.has("user", "password"):
                raise ConnectorError(f"{self.target}: the token was refused (HTTP 401)") from None
            api.login(
                self.credentials.reveal("user"),
                self.credentials.reveal("password"),
            )
            return api.call_api_get(method, kwargs=params)

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        from rocketchat_API.APIExceptions import RocketExceptions as rx

        errors = (
            rx.RocketApiException,
            rx.RocketBadStatusCodeException,
            rx.RocketAuthenticationException,
            rx.RocketConnectionException,
            KeyError,
            TypeError,
        )
        state: Checkpoint = dict(checkpoint or {})
        parser = RocketChatSource(self.path, self.platform)
        try:
            api = self._api()
            if not state.get("room_id"):
                kind, _, name = self.target.target.partition(":")
                info = self._call(api, f"{self._prefix}.info", roomName=name)
                state["room_id"] = info[kind]["_id"]
            for _ in range(self.max_pages):
                page = self._page(api, state, parser)
                if page is None:
                    return
                yield page
                if "walk" not in state:
                    return
        except errors as exc:
            raise ConnectorError(
                self.credentials.redact(f"{self.target}: {type(exc).__name__} {exc}")
            ) from None

    def _page(self, api: Any, state: Checkpoint, parser: RocketChatSource) -> Page | None:
        since, walk = state.get("since"), state.get("walk")
        params: dict[str, Any] = {"roomId": state["room_id"], "count": PAGE_COUNT, "inclusive": "true"}
        if since:
            params["oldest"] = since
        if walk:
            params["latest"] = walk["cursor"]
            if walk.get("offset"):
                params["offset"] = walk["offset"]
        messages = self._call(api, f"{self._prefix}.history", **params).get("messages") or []
        skip = set(state.get("since_ids") or [])
        fresh = [
            m
            for m in messages
            if not (since and _ts(m) == since and isinstance(m, dict) and m.get("_id") in skip)
        ]
        if not walk and not fresh:
            return None  # nothing after the checkpoint
        dated = [m for m in messages if _ts(m)]
        if not walk:
            top = max((_ts(m) for m in dated), key=_when)
            walk = {"top": top, "top_ids": [m.get("_id") for m in dated if _ts(m) == top]}
        if len(messages) < PAGE_COUNT:  # reached `since`: the walk is over
            state["since"], state["since_ids"] = walk["top"], walk["top_ids"]
            state.pop("walk", None)
        else:
            oldest = min((_ts(m) for m in dated), key=_when)
            at_oldest = sum(1 for m in dated if _ts(m) == oldest)  # read already: skipped by the next request
            seen = (int(walk.get("offset") or 0) if walk.get("cursor") == oldest else 0) + at_oldest
            state["walk"] = {**walk, "cursor": oldest, "offset": seen}
        return Page(self._records(parser, fresh), dict(state), items=len(fresh))

    def _records(self, parser: RocketChatSource, messages: list[Any]) -> list[Record]:
        records: list[Record] = []
        for index, message in enumerate(reversed(messages)):
            if isinstance(message, dict) and message.get("t"):
                records.append(
                    Problem(
                        str(self.target),
                        f"message {index}",
                        f"system message: {message['t']}",
                        kind="skipped",
                    )
                )
                continue
            try:
                records.extend(parser._message(message))
            except MALFORMED as exc:
                reason = f"missing field {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
                records.append(Problem(str(self.target), f"message {index}", f"malformed message: {reason}"))
        return records
