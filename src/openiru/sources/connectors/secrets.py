"""Connector credentials: from the environment or a secrets file, never shown.

A credential is looked up, for connector ``C`` (``mastodon``, ``rocketchat``...) and
field ``F`` (``token``, ``user``, ``password``, ``user_id``), first in the environment
as ``OPENIRU_<C>_<F>`` (upper case), then in the JSON secrets file named by
``OPENIRU_SECRETS_FILE``::

    {"mastodon": {"token": "..."}, "rocketchat@chat.example.org": {"user": "...", "password": "..."}}

where a ``connector@host`` entry wins over the plain ``connector`` one.  Values are
:class:`Secret` objects: their ``str`` and ``repr`` are ``***``, so that a credential
formatted into a log line, an error or a stored summary shows nothing; :func:`redact`
removes the values from any text that may have quoted them (a server's error page).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

MASK = "***"


class Secret:
    """A credential value; ``reveal()`` gives it to the client that needs it, nothing else does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __reduce__(self) -> tuple[object, ...]:  # never pickled into a child process or a cache
        raise TypeError("a Secret is not serialisable")


class Credentials:
    """The credentials of one connector on one server (possibly none)."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = {k: Secret(v) for k, v in (values or {}).items() if v}

    def get(self, name: str) -> Secret | None:
        return self._values.get(name)

    def reveal(self, name: str) -> str:
        """The value of a credential the caller checked with :meth:`has`; KeyError if absent."""
        return self._values[name].reveal()

    def has(self, *names: str) -> bool:
        return all(name in self._values for name in names)

    def secrets(self) -> list[str]:
        return [s.reveal() for s in self._values.values()]

    def __repr__(self) -> str:
        return f"Credentials({', '.join(sorted(self._values))})"

    def redact(self, text: str) -> str:
        return redact(text, self.secrets())


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (of 4 characters or more) replaced by ``***``."""
    for value in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def load_credentials(
    connector: str,
    server: str | None = None,
    *,
    fields: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """The credentials of ``connector`` (for ``server``) from the environment and secrets file."""
    env = os.environ if env is None else env
    found: dict[str, str] = {}
    path = env.get("OPENIRU_SECRETS_FILE")
    if path:
        found.update(_from_file(Path(path), connector, server))
    prefix = f"OPENIRU_{connector.upper().replace('-', '_')}_"
    for name in fields:
        value = env.get(prefix + name.upper())
        if value:
            found[name] = value
    return Credentials(found)


def _from_file(path: Path, connector: str, server: str | None) -> dict[str, str]:
    from ...errors import ConfigError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        # the reason only: a JSON error quotes the text around it, which may be a secret
        raise ConfigError(f"OPENIRU_SECRETS_FILE {path}: unreadable ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"OPENIRU_SECRETS_FILE {path}: expected a JSON object of connectors")
    values: dict[str, str] = {}
    host = (urlsplit(server).hostname or server) if server else None
    for key in (connector, f"{connector}@{host}" if host else None):
        entry = data.get(key) if key else None
        if isinstance(entry, dict):
            values.update({str(k): str(v) for k, v in entry.items() if isinstance(v, str | int)})
    return values
