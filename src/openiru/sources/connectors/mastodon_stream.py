"""Mastodon's streaming API (server-sent events) through Mastodon.py's stream listener.

Mastodon.py opens the stream (``stream_public``/``stream_hashtag``: the streaming address,
the token) and parses each event (``StreamListener._parse_line``/``_dispatch``); the listener
here reads the connection faster than Mastodon.py's byte-at-a-time loop and keeps each
status as the JSON the server sent (no typed entities).

:func:`stream` opens ``/api/v1/streaming/public`` (``public/local``, ``hashtag?tag=``)
for a ``stream:…`` target of a :class:`~.mastodon_live.MastodonConnector`, on the
connector's guarded session (the streaming address the server names in
``/api/v1/instance`` is checked like any other request: no SSRF), and blocks reading it:

- ``on_open()`` is called once the server has answered 200 and before the first event is
  read: the caller fills the gap since its checkpoint there (REST, ``min_id``), while the
  server holds the new events in the connection, so nothing posted in between is missed;
- ``on_status(status, records)`` for every ``update`` event: the status as the server sent
  it (JSON) and its records, mapped as the export importer maps a status;
- ``on_beat()`` on every heartbeat and event (the caller renews its lease there);
- ``stop()`` is asked after each event and heartbeat; when true, :class:`StreamStopped`.

A dropped connection, a read timeout (no heartbeat for ``read_timeout`` seconds) or a
refused connection (401 for an expired token) ends the call with a
:class:`~.polite.ConnectorError` holding no credential; reconnecting (with backoff, and
a gap fill each time) is the caller's loop (``services.collect.streaming``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..base import Record
from ..mastodon import MastodonStatusSource
from .polite import ConnectorError
from .streams import READ_CHUNK, READ_TIMEOUT, StreamStopped

__all__ = ["READ_CHUNK", "READ_TIMEOUT", "StreamStopped", "stream"]


def _listener(
    connector: Any,
    on_open: Callable[[], None],
    on_status: Callable[[dict[str, Any], list[Record]], None],
    on_beat: Callable[[], None],
    stop: Callable[[], bool],
) -> Any:
    from mastodon.errors import MastodonMalformedEventError, MastodonNetworkError, MastodonReadTimeout
    from mastodon.streaming import StreamListener
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    parser = MastodonStatusSource(connector.path, connector.platform)

    class Listener(StreamListener):
        def handle_stream(self, response: Any) -> None:
            """Mastodon.py's event parsing and dispatch over a faster read: whatever bytes have
            arrived (``read1``), split into lines, instead of one byte per call (its own loop
            tops out near 60 statuses/s)."""
            on_open()
            event: dict[str, str] = {}
            pending = b""
            try:
                while chunk := response.raw.read1(READ_CHUNK, decode_content=True):
                    *lines, pending = (pending + chunk).split(b"\n")
                    for raw in lines:
                        try:
                            line = raw.rstrip(b"\r").decode("utf-8")
                        except UnicodeDecodeError as exc:
                            raise MastodonMalformedEventError("Malformed UTF-8") from exc
                        if line == "":
                            self._dispatch(event)  # type: ignore[no-untyped-call]  # Mastodon.py's, untyped
                            event = {}
                        else:
                            event = self._parse_line(line, event)  # type: ignore[no-untyped-call]
            except ReadTimeoutError as exc:
                raise MastodonReadTimeout("Timed out while reading from server.") from exc
            except (ProtocolError, OSError) as exc:
                raise MastodonNetworkError("Server ceased communication.") from exc

        def _dispatch_event(
            self, name: str, raw_payload: Any, for_stream: Any, payload_present: bool
        ) -> None:
            if name == "update" and payload_present:  # a new status: kept as sent, mapped as imported
                try:
                    body = orjson.loads(raw_payload)
                except orjson.JSONDecodeError as exc:
                    raise MastodonMalformedEventError("Bad JSON", str(raw_payload)[:200]) from exc
                if isinstance(body, dict):
                    on_status(body, connector._records(parser, [body]))
            self._tick()  # deletes, edits, notifications: not collected here

        def handle_heartbeat(self) -> None:
            self._tick()

        def _tick(self) -> None:
            on_beat()
            if stop():
                raise StreamStopped

    return Listener()


def stream(
    connector: Any,
    *,
    on_open: Callable[[], None],
    on_status: Callable[[dict[str, Any], list[Record]], None],
    on_beat: Callable[[], None] = lambda: None,
    stop: Callable[[], bool] = lambda: False,
    read_timeout: float = READ_TIMEOUT,
) -> None:
    """Read ``connector``'s timeline from the streaming API until it drops or ``stop()`` (see the
    module's note)."""
    from mastodon import MastodonError

    listener = _listener(connector, on_open, on_status, on_beat, stop)
    timeline = connector.timeline
    try:
        api = connector._api()
        if timeline in ("public", "local"):
            api.stream_public(listener, local=timeline == "local", timeout=read_timeout)
        else:
            api.stream_hashtag(timeline.partition(":")[2].lstrip("#"), listener, timeout=read_timeout)
    except MastodonError as exc:
        raise ConnectorError(connector.credentials.redact(f"{connector.target}: stream: {exc}")) from None
    finally:  # Mastodon.py leaves a refused stream's response open
        last = getattr(getattr(connector, "_http", None), "last_response", None)
        if last is not None:
            last.close()
    raise ConnectorError(f"{connector.target}: stream: the server closed the stream")
