"""Discovery: the public channels a Rocket.Chat server lists, to watch one by one or all at once
(``openiru watch discover rocketchat --server URL [--add]``).

The server is checked under the outbound policy like any watched server; the listing
(``channels.list``) goes through the connector's guarded session with its credentials.  With
``add``, every channel becomes a watched ``channel:NAME`` target (one already watched keeps
its id; its interval and label change as with ``watch add``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError, OpenIRUError
from ...sources.connectors.base import Target
from ...sources.connectors.polite import ConnectorError
from ...sources.connectors.rocketchat_live import RocketChatConnector
from . import watchlist
from .runner import build_connector


class DiscoveryError(OpenIRUError):
    """The server could not be listed (the reason holds no credential)."""


def discover(
    engine: sa.Engine,
    connector: str,
    server: str | None,
    *,
    add: bool = False,
    every: str | int | None = None,
    label: str | None = None,
    actor: str | None = None,
) -> list[dict[str, Any]]:
    """The server's public channels; with ``add``, each watched (its watch id under ``watch_id``)."""
    if connector != "rocketchat":
        raise ConfigError(f"watch discover {connector}: only rocketchat lists its channels")
    if not server:
        raise ConfigError("watch discover rocketchat needs --server URL")
    server = server.rstrip("/")
    watchlist.check_server(connector, server)
    try:
        client = build_connector(Target(connector, "channel:*", server))
    except ConnectorError as exc:
        raise DiscoveryError(str(exc)) from None
    try:
        assert isinstance(client, RocketChatConnector)
        channels = client.channels()
    except ConnectorError as exc:
        raise DiscoveryError(str(exc)) from None
    finally:
        client.close()
    if add:
        for channel in channels:
            channel["watch_id"] = watchlist.add(
                engine, connector, f"channel:{channel['name']}", server, every=every, label=label, actor=actor
            )
    return channels
