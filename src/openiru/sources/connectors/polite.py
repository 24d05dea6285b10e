"""Polite HTTP for connectors: pacing, timeouts, and backoff on 429 / 5xx / dropped connections.

:class:`Backoff` is the policy (retries, exponential delay with a cap, ``Retry-After``
honoured in seconds or as an HTTP date, a minimum interval between requests), with
an injected ``sleep`` and clock so that tests never sleep.  :class:`PoliteSession`
applies it under the platform clients that take a ``requests.Session`` (Mastodon.py,
rocketchat_API, twarc); :func:`polite_send` applies it to an httpx call (feeds go through
:mod:`openiru.services.outbound`'s SSRF-safe client).  Errors raised here name the
URL without its query and never a header, so no token reaches a log.

No SSRF: a :class:`PoliteSession` takes a ``guard`` (the collect service passes
``services.outbound.url_guard()``: the outbound client's own address policy and
``OPENIRU_FETCH_ALLOW``; sources import no service).  :meth:`PoliteSession.send` runs
it on every request *and* every redirect hop (``requests`` sends each hop through
``send``) and raises :class:`RequestRefused` before anything is sent.  DNS rebinding:
the connection is pinned to the address the guard checked (:class:`PinnedAdapter`:
the pool connects to the IP, the ``Host`` header keeps the name, and for https the
name is the SNI and the certificate's expected name), so a second DNS answer is
never used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
from requests.adapters import HTTPAdapter

from ...clock import Clock, system_now

#: Statuses retried after a wait: rate limited, and the server errors a retry can cure.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = 30.0


class ConnectorError(Exception):
    """A target could not be read (after the retries); the message holds no credential."""


class RequestRefused(ConnectorError):
    """A request (or redirect hop) to an address the fetch policy refuses; never retried."""


#: ``guard(url)``: (why the URL must not be fetched or None, the addresses it checked)
#: (``services.outbound.url_guard``).
Guard = Callable[[str], tuple[str | None, list[str]]]


class PinnedAdapter(HTTPAdapter):
    """Connects to ``request.pinned_ip`` (set by :meth:`PoliteSession.send`) instead of
    resolving the URL's name again; the name stays the Host header, SNI and certificate name."""

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        pinned = getattr(request, "pinned_ip", None)
        if pinned:
            if host_params["scheme"] == "https":
                pool_kwargs["server_hostname"] = host_params["host"]
                pool_kwargs["assert_hostname"] = host_params["host"]
            host_params["host"] = pinned
        return host_params, pool_kwargs


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def bare_url(url: str) -> str:
    """A URL without its query and user info, as errors show it."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass
class Backoff:
    """Retry policy and pacing; ``waits`` records every wait (seconds) and why."""

    retries: int = 5
    base: float = 1.0
    cap: float = 300.0
    min_interval: float = 0.0
    timeout: float = DEFAULT_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now: Clock = field(default=system_now)
    waits: list[tuple[float, str]] = field(default_factory=list)
    requests: int = 0
    _last: float | None = None

    def pace(self) -> None:
        """Wait until ``min_interval`` has passed since the previous request."""
        if self.min_interval > 0 and self._last is not None:
            gap = self.min_interval - (self.clock() - self._last)
            if gap > 0:
                self.wait(gap, "pacing")
        self._last = self.clock()
        self.requests += 1

    def delay(self, attempt: int, retry_after: str | None = None, reset: str | None = None) -> float:
        """The wait before retry ``attempt`` (0-based): the server's ``Retry-After`` when it
        gives one, else its ``x-rate-limit-reset`` (epoch seconds: X API), else
        ``base * 2**attempt``; capped at ``cap`` in every case."""
        told = parse_retry_after(retry_after, self.now())
        if told is None and reset and reset.strip().isdigit():
            told = max(0.0, int(reset) - self.now().timestamp())
        if told is not None:
            return min(told, self.cap)
        return min(self.base * (2.0**attempt), self.cap)

    def wait(self, seconds: float, why: str) -> None:
        self.waits.append((seconds, why))
        if seconds > 0:
            self.sleep(seconds)


class PoliteSession(requests.Session):
    """A ``requests.Session`` that paces, times out and retries under a :class:`Backoff`."""

    def __init__(
        self,
        backoff: Backoff | None = None,
        rewrite: tuple[str, str] | None = None,
        guard: Guard | None = None,
        max_redirects: int = 5,
    ) -> None:
        super().__init__()
        self.trust_env = False  # no proxies or .netrc from the environment
        self.guard = guard
        self.max_redirects = max_redirects
        if guard is not None:
            for prefix in ("http://", "https://"):
                self.mount(prefix, PinnedAdapter())
        self.backoff = backoff or Backoff()
        #: (prefix, replacement) for clients with a fixed API address (twarc: api.twitter.com),
        #: to reach an API proxy or a local fake instead.
        self.rewrite = rewrite
        #: The last response handed to the client (its body as the server sent it).
        self.last_response: requests.Response | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = kwargs.get("timeout") or self.backoff.timeout
        url = url.decode() if isinstance(url, bytes) else url
        if self.rewrite and url.startswith(self.rewrite[0]):
            url = self.rewrite[1] + url[len(self.rewrite[0]) :]
        shown = bare_url(url)
        for attempt in range(self.backoff.retries + 1):
            self.backoff.pace()
            try:
                response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                if attempt >= self.backoff.retries:
                    raise ConnectorError(f"{shown}: {type(exc).__name__} after {attempt + 1} tries") from None
                self.backoff.wait(self.backoff.delay(attempt), f"{type(exc).__name__}")
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.backoff.retries:
                seconds = self.backoff.delay(
                    attempt, response.headers.get("Retry-After"), response.headers.get("x-rate-limit-reset")
                )
                response.close()
                self.backoff.wait(seconds, f"HTTP {response.status_code}")
                continue
            self.last_response = response
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Check the URL against the guard and pin the connection to the checked address, then
        send; redirects come back through here hop by hop."""
        if self.guard is not None:
            url = str(request.url)
            reason, addresses = self.guard(url)
            if reason:
                raise RequestRefused(f"{bare_url(url)}: refused: {reason} (OPENIRU_FETCH_ALLOW can allow it)")
            if not addresses:  # no answer now: a connection error (retried, and checked again)
                raise requests.ConnectionError(f"{bare_url(url)}: the name does not resolve")
            request.pinned_ip = addresses[0]  # type: ignore[attr-defined]
            request.headers["Host"] = urlsplit(url).netloc.rpartition("@")[2]  # this hop's host, not the last
        return super().send(request, **kwargs)


def polite_send(send: Callable[[], httpx.Response], url: str, backoff: Backoff) -> httpx.Response:
    """``send()`` (one httpx request) under ``backoff``: paced, retried on 429/5xx/transport errors."""
    shown = bare_url(url)
    for attempt in range(backoff.retries + 1):
        backoff.pace()
        try:
            response = send()
        except httpx.TransportError as exc:
            if attempt >= backoff.retries or "refused" in type(exc).__name__.lower():
                raise ConnectorError(f"{shown}: {type(exc).__name__}: {exc}") from None
            backoff.wait(backoff.delay(attempt), type(exc).__name__)
            continue
        if response.status_code in RETRY_STATUSES and attempt < backoff.retries:
            backoff.wait(
                backoff.delay(attempt, response.headers.get("Retry-After")), f"HTTP {response.status_code}"
            )
            continue
        return response
    raise AssertionError("unreachable")  # pragma: no cover
