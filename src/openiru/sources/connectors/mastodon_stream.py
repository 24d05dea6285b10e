"""Mastodon's streaming API (server-sent events) through Mastodon.py's stream listener.

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
from typing import TYPE_CHECKING, Any

import orjson

from ..base import Record
from ..mastodon import MastodonStatusSource
from .polite import ConnectorError

if TYPE_CHECKING:
    from .mastodon_live import MastodonConnector

#: Seconds without a byte (Mastodon sends a heartbeat every 15 s) before the stream counts as dropped.
READ_TIMEOUT = 60.0


class StreamStopped(Exception):
    """The caller asked the stream to stop."""


def _listener(connector: MastodonConnector, on_open: Callable[[], None],
              on_status: Callable[[dict[str, Any], list[Record]], None],
              on_beat: Callable[[], None], stop: Callable[[], bool]) -> Any:
    from mastodon.streaming import StreamListener

    from .mastodon_live import plain

    parser = MastodonStatusSource(connector.path, connector.platform)

    class Listener(StreamListener):  # type: ignore[misc]
        raw: Any = None

        def handle_stream(self, response: Any) -> None:
            on_open()
            super().handle_stream(response)

        def _dispatch_event(self, name: str, raw_payload: Any, for_stream: Any, payload_present: bool) -> None:
            self.raw = raw_payload if name == "update" else None  # the JSON as sent, kept as the post's raw
            super()._dispatch_event(name, raw_payload, for_stream, payload_present)
            self._tick()

        def on_update(self, status: Any) -> None:
            try:
                sent = orjson.loads(self.raw) if self.raw else None
            except orjson.JSONDecodeError:
                sent = None
            body = sent if isinstance(sent, dict) else plain(status)
            on_status(body, connector._records(parser, [body]))

        def handle_heartbeat(self) -> None:
            self._tick()

        def on_unknown_event(self, name: str, unknown_event: Any = None) -> None:
            pass  # newer event kinds: not statuses

        def _tick(self) -> None:
            on_beat()
            if stop():
                raise StreamStopped

    return Listener()


def stream(connector: MastodonConnector, *, on_open: Callable[[], None],
           on_status: Callable[[dict[str, Any], list[Record]], None],
           on_beat: Callable[[], None] = lambda: None, stop: Callable[[], bool] = lambda: False,
           read_timeout: float = READ_TIMEOUT) -> None:
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
