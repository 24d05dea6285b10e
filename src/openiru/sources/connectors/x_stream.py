"""X API v2 filtered stream for a ``stream:RULE`` target of an :class:`~.x_live.XConnector`.

twarc manages the rule: ``get_stream_rules`` and, when the app has no rule of that value,
``add_stream_rules`` (tagged ``openiru``); rules of other targets are left alone.  The
stream itself (``GET /2/tweets/search/stream``, the same expansions and fields twarc asks
for) is read here on the connector's guarded session, as whatever bytes have arrived
(``read1``): twarc's own loop reads fixed-size chunks, so the end of a tweet can wait for the
next keep-alive (20 s), and it sleeps and reconnects on its own.  Each line is one tweet
(``data``, ``includes``, ``matching_rules``), mapped by the twarc2 importer; a tweet that
matched none of this target's rules (another rule of the app) is skipped; an empty line is
the keep-alive; an ``errors`` line (operational disconnect) ends the stream.  The caller
reconnects and fills the gap by recent search from ``since_id`` (rules and search queries
share their syntax).  X allows an app one stream connection at a time: watch one
``stream:RULE`` per bearer token (combine rules with ``OR``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..base import Record
from ..twitter import TwitterV2Source
from .polite import ConnectorError
from .streams import READ_CHUNK, READ_TIMEOUT, StreamStopped

STREAM = "https://api.twitter.com/2/tweets/search/stream"


def _rule_ids(client: Any, connector: Any) -> set[str]:
    """Ids of the app's rules with this target's value, the rule added when there is none."""
    rule = connector.target.target.partition(":")[2]
    found = [r for r in client.get_stream_rules().get("data") or [] if r.get("value") == rule]
    if not found:
        answer = client.add_stream_rules([{"value": rule, "tag": "openiru"}])
        found = [r for r in answer.get("data") or [] if r.get("value") == rule]
        if not found:
            raise ConnectorError(f"{connector.target}: the rule was refused: {answer.get('errors')}")
    return {str(r["id"]) for r in found}


def stream(
    connector: Any,
    *,
    on_open: Callable[[], None],
    on_status: Callable[[dict[str, Any], list[Record]], None],
    on_beat: Callable[[], None] = lambda: None,
    stop: Callable[[], bool] = lambda: False,
    read_timeout: float = READ_TIMEOUT,
) -> None:
    """Read the filtered stream until it drops or ``stop()`` (see the module's note)."""
    import requests
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    client = connector._client()
    session = client.client
    parser = TwitterV2Source(connector.path, connector.platform)
    parser._users, parser._account_keys = {}, {}
    try:
        ours = _rule_ids(client, connector)
        params = client._prepare_params(
            expansions=None,
            tweet_fields=None,
            user_fields=None,
            media_fields=None,
            poll_fields=None,
            place_fields=None,
        )
        response = session.get(
            STREAM, params=params, stream=True, timeout=(connector.backoff.timeout, read_timeout)
        )
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise ConnectorError(
            connector.credentials.redact(f"{connector.target}: {type(exc).__name__}: {exc}")
        ) from None
    with response:
        if response.status_code != 200:
            raise ConnectorError(f"{connector.target}: stream: HTTP {response.status_code}")
        on_open()
        pending = b""
        try:
            while chunk := response.raw.read1(READ_CHUNK, decode_content=True):
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    _line(connector, parser, raw.strip(), ours, on_status)
                    on_beat()
                    if stop():
                        raise StreamStopped
        except ReadTimeoutError:
            raise ConnectorError(
                f"{connector.target}: stream: no keep-alive for {read_timeout:.0f} s"
            ) from None
        except (ProtocolError, OSError):
            raise ConnectorError(f"{connector.target}: stream: the connection dropped") from None
    raise ConnectorError(f"{connector.target}: stream: the server closed the stream")


def _line(
    connector: Any,
    parser: TwitterV2Source,
    raw: bytes,
    ours: set[str],
    on_status: Callable[[dict[str, Any], list[Record]], None],
) -> None:
    if not raw:
        return  # keep-alive
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ConnectorError(f"{connector.target}: stream: a line is not JSON") from None
    if not isinstance(event, dict):
        return
    tweet = event.get("data")
    if not isinstance(tweet, dict):
        if event.get("errors"):
            titles = ", ".join(
                str(e.get("title") or e.get("detail")) for e in event["errors"] if isinstance(e, dict)
            )
            raise ConnectorError(f"{connector.target}: stream: {titles}")
        return
    matched = {str(r.get("id")) for r in event.get("matching_rules") or [] if isinstance(r, dict)}
    if matched and not matched & ours:
        return  # another rule of the app
    page = {"data": [tweet], "includes": event.get("includes") or {}}
    on_status(tweet, connector._records(parser, page))
