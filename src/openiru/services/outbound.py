"""The one outbound HTTP client: every fetch the server makes goes through it (no SSRF).

Evidence capture (:mod:`.evidence`), removal verification (:mod:`.referrals_verify`)
and any future fetcher call :func:`fetch` (or an :class:`Outbound`).  An address
a post names is attacker-chosen, so before each connection, after DNS resolution
and again on every redirect hop, the client refuses:

* loopback, private (RFC 1918, ULA), shared (100.64/10), link-local (169.254/16,
  fe80::/10: cloud metadata), multicast, reserved and unspecified addresses, IPv4
  and IPv6 alike, an IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) checked as the
  IPv4 address it carries; in short every address ``ipaddress`` does not call global;
* the server's own host (its host name, FQDN and their addresses);
* schemes other than http and https, and more than ``max_redirects`` redirects,

unless the allow-list ``OPENIRU_FETCH_ALLOW`` (:func:`..settings.resolve_fetch_allow`)
names the host, address or network (tests and the demo allow their local servers).
Webhook delivery posts through the same client under its own allow-list,
``OPENIRU_WEBHOOK_ALLOW`` (:meth:`FetchPolicy.for_webhooks`), and :func:`refusal`
checks a provider's webhook address when it is configured.
Each fetch has time limits (connect/read, and a deadline for the whole fetch with its
redirects) and a size limit: the body is streamed and the fetch stops past
``max_bytes``.  ``OPENIRU_FETCH_MAX_BYTES`` and ``OPENIRU_FETCH_TIMEOUT`` change them.

DNS rebinding: the name is resolved once, the addresses are checked, and the
connection is made to the checked address itself (the URL's host is replaced by the
IP; the ``Host`` header keeps the name and TLS keeps it as SNI and for certificate
checks through httpcore's ``sni_hostname`` extension), so a second, different answer
to a later lookup is never used.  Proxies from the environment are ignored
(``trust_env=False``): a proxy would resolve the name itself.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import ConfigError
from ..settings import resolve_fetch_allow, resolve_webhook_allow

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0  # seconds for a whole fetch, redirects included
MAX_REDIRECTS = 5
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_DROPPED = ("content-encoding", "transfer-encoding", "content-length")


class FetchRefused(httpx.RequestError):
    """A fetch the policy refuses (an internal address, a scheme, too many redirects)."""


class FetchTooLarge(httpx.RequestError):
    """A response body past the size limit."""


@dataclass(frozen=True, slots=True)
class AllowRule:
    """One allow-list entry: a host name, an address or a network, with an optional port."""

    host: str | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> AllowRule:
        text, port = entry.strip(), None
        if text.startswith("["):  # [v6]:port or [v6]
            inner, _, rest = text[1:].partition("]")
            text, port = inner, int(rest[1:]) if rest.startswith(":") else None
        elif text.count(":") == 1:  # host:port or v4:port (a bare v6 address has several)
            text, _, port_text = text.partition(":")
            port = int(port_text)
        try:
            return cls(network=ipaddress.ip_network(text, strict=False), port=port)
        except ValueError:
            return cls(host=text.lower().rstrip("."), port=port)

    def allows(self, host: str, address: IPAddress | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return host == self.host
        return address is not None and self.network is not None and address in self.network


def parse_allow(value: str | Iterable[str] | None) -> tuple[AllowRule, ...]:
    """``"127.0.0.1,localhost:8000,10.0.0.0/8,[::1]:8080"`` as rules (entries by comma or space)."""
    entries = value.replace(",", " ").split() if isinstance(value, str) else list(value or [])
    rules = []
    for entry in entries:
        if entry.strip():
            try:
                rules.append(AllowRule.parse(entry))
            except ValueError:
                raise ConfigError(
                    f"OPENIRU_FETCH_ALLOW: {entry.strip()!r} is not a host, address or "
                    "network with an optional :port"
                ) from None
    return tuple(rules)


def _plain(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_internal(address: IPAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified or otherwise not global."""
    a = _plain(address)
    return (
        not a.is_global
        or a.is_loopback
        or a.is_private
        or a.is_link_local
        or a.is_multicast
        or a.is_reserved
        or a.is_unspecified
    )


@functools.lru_cache(maxsize=1)
def _own_host() -> tuple[frozenset[str], frozenset[IPAddress]]:
    """This server's names and the addresses they resolve to (refused like internal ones)."""
    names = {n.lower().rstrip(".") for n in (socket.gethostname(), socket.getfqdn(), "localhost") if n}
    addresses: set[IPAddress] = set()
    for name in names:
        try:
            addresses |= {_plain(ipaddress.ip_address(i[4][0])) for i in socket.getaddrinfo(name, None)}
        except (OSError, ValueError):
            pass
    return frozenset(names), frozenset(addresses)


@dataclass(frozen=True)
class FetchPolicy:
    allow: tuple[AllowRule, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = DEFAULT_TIMEOUT
    max_redirects: int = MAX_REDIRECTS
    user_agent: str = "OpenIRU evidence capture"
    own: tuple[frozenset[str], frozenset[IPAddress]] = field(default_factory=_own_host)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> FetchPolicy:
        env = os.environ if env is None else env
        values: dict[str, Any] = {"allow": parse_allow(resolve_fetch_allow(env=env))}
        if env.get("OPENIRU_FETCH_MAX_BYTES"):
            values["max_bytes"] = int(env["OPENIRU_FETCH_MAX_BYTES"])
        if env.get("OPENIRU_FETCH_TIMEOUT"):
            values["timeout"] = float(env["OPENIRU_FETCH_TIMEOUT"])
        return cls(**(values | overrides))

    @classmethod
    def for_webhooks(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> FetchPolicy:
        """Webhook delivery: the limits of ``from_env`` but the allow-list ``OPENIRU_WEBHOOK_ALLOW``
        (an internal webhook relay allowed does not open it to evidence capture, nor the reverse)."""
        values = {
            "allow": parse_allow(resolve_webhook_allow(env=env)),
            "max_bytes": 1024 * 1024,
            "user_agent": "OpenIRU webhook delivery",
        }
        return cls.from_env(env, **(values | overrides))

    def allowed(self, host: str, address: IPAddress | None, port: int) -> bool:
        return any(rule.allows(host, address, port) for rule in self.allow)

    def check(self, host: str, port: int, addresses: list[IPAddress], request: httpx.Request) -> None:
        """Raise :class:`FetchRefused` unless every address is public or allow-listed."""
        names, own = self.own
        for address in addresses:
            if self.allowed(host, address, port):
                continue
            if is_internal(address):
                raise FetchRefused(f"{host} resolves to an internal address ({address})", request=request)
            if host in names or _plain(address) in own:
                raise FetchRefused(f"{host} is this server's own host", request=request)


def _resolve(host: str, port: int, timeout: float, request: httpx.Request) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    # getaddrinfo has no timeout of its own: wait for it at most `timeout` seconds.
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        infos = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM).result(timeout)
    except FutureTimeout:
        raise httpx.ConnectTimeout(f"resolving {host} took too long", request=request) from None
    except OSError as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from None
    finally:
        pool.shutdown(wait=False)
    return list(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos))


class PinnedTransport(httpx.BaseTransport):
    """Resolves, checks, then connects to the checked address (see the module's note)."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self.inner = httpx.HTTPTransport(trust_env=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise FetchRefused(f"scheme {url.scheme!r} is not fetched", request=request)
        host = url.host.lower().rstrip(".")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = _resolve(host, port, self.policy.timeout, request)
        if not addresses:
            raise httpx.ConnectError(f"{host} has no address", request=request)
        self.policy.check(host, port, addresses, request)
        pinned = request.url.copy_with(host=str(addresses[0]))
        extensions = dict(request.extensions)
        if url.scheme == "https":
            extensions["sni_hostname"] = url.host
        return self.inner.handle_request(
            httpx.Request(
                request.method, pinned, headers=request.headers, stream=request.stream, extensions=extensions
            )
        )

    def close(self) -> None:
        self.inner.close()


class Outbound:
    """A client bound to one policy; ``get`` follows redirects itself, re-checking each hop.

    ``client``: an ``httpx.Client`` passed in (tests and the demo: ``httpx.MockTransport``)
    is the network itself: its transport replaces the resolving, checking and pinning one,
    the policy's size, time and redirect limits still apply, and it is not closed here.
    """

    def __init__(self, policy: FetchPolicy | None = None, client: httpx.Client | None = None) -> None:
        self.policy = policy or FetchPolicy.from_env()
        self.owned = client is None
        self.client = client or httpx.Client(
            transport=PinnedTransport(self.policy),
            timeout=httpx.Timeout(min(10.0, self.policy.timeout)),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.policy.user_agent},
        )

    def __enter__(self) -> Outbound:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.owned:
            self.client.close()

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        deadline = time.monotonic() + self.policy.timeout
        request = self.client.build_request(
            "GET", url, headers={"Accept-Encoding": "identity", **(headers or {})}
        )
        for _hop in range(self.policy.max_redirects + 1):
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"fetch took over {self.policy.timeout:g} s", request=request)
            response = self._send(request, deadline)
            if response.next_request is None:
                return response
            request = response.next_request
        raise FetchRefused(f"more than {self.policy.max_redirects} redirects", request=request)

    def post(self, url: str, content: bytes, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One POST; a redirect is not followed (its 3xx is the answer), limits as for ``get``."""
        deadline = time.monotonic() + self.policy.timeout
        request = self.client.build_request(
            "POST", url, content=content, headers={"Accept-Encoding": "identity", **(headers or {})}
        )
        return self._send(request, deadline)

    def _send(self, request: httpx.Request, deadline: float) -> httpx.Response:
        response = self.client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.policy.max_bytes:
                raise FetchTooLarge(
                    f"body of {declared} bytes is over the limit of {self.policy.max_bytes}", request=request
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.policy.max_bytes:
                    raise FetchTooLarge(
                        f"body over the limit of {self.policy.max_bytes} bytes", request=request
                    )
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"fetch took over {self.policy.timeout:g} s", request=request)
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED]
        full = httpx.Response(
            response.status_code,
            headers=headers,
            content=bytes(body),
            request=request,
            extensions=response.extensions,
        )
        full.next_request = response.next_request
        return full


def refusal(url: str, policy: FetchPolicy) -> str | None:
    """Why ``policy`` refuses ``url`` now (scheme, no host, an internal or own address), or None.

    For configuration time (a provider's webhook): a name that does not resolve now passes,
    since every delivery checks it again after its own resolution."""
    return checked(url, policy)[0]


def checked(url: str, policy: FetchPolicy) -> tuple[str | None, list[str]]:
    """:func:`refusal`'s answer and the addresses it checked (to connect to, pinned)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        return f"not a URL ({exc})", []
    if parsed.scheme not in ("http", "https"):
        return f"scheme {parsed.scheme!r} is not allowed (http or https)", []
    if not parsed.host:
        return "the URL names no host", []
    host = parsed.host.lower().rstrip(".")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    request = httpx.Request("POST", parsed)
    try:
        addresses = _resolve(host, port, min(5.0, policy.timeout), request)
    except httpx.TransportError:
        addresses = []
    if not addresses and host in policy.own[0] and not policy.allowed(host, None, port):
        return f"{host} is this server's own host", []
    try:
        policy.check(host, port, addresses, request)
    except FetchRefused as exc:
        return str(exc), []
    return None, [str(a) for a in addresses]


def url_guard(policy: FetchPolicy | None = None) -> Callable[[str], tuple[str | None, list[str]]]:
    """:func:`checked` bound to ``policy`` (default: ``OPENIRU_FETCH_*``): the check the
    ``requests``-based collection connectors run before each request and redirect hop; they
    connect to the first address it returns (pinned)."""
    return functools.partial(checked, policy=policy or FetchPolicy.from_env())


def fetch(url: str) -> httpx.Response:
    """One GET under the configured policy (``OPENIRU_FETCH_*``): the default fetcher."""
    with Outbound() as client:
        return client.get(url)


def fetcher(client: httpx.Client, policy: FetchPolicy | None = None) -> Callable[[str], httpx.Response]:
    """A fetch function (one GET, the policy's limits) over a client passed in (see :class:`Outbound`)."""

    def get(url: str) -> httpx.Response:
        return Outbound(policy, client=client).get(url)

    return get
