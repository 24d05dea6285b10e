"""A stand-in for a hosting provider, used by the referral demo step.

No server and no socket: an ``httpx.MockTransport`` answers the demo's requests.  It
serves a page for each referred item (the post's text) until it is taken down (then 404)
and accepts signed webhook deliveries.  :attr:`LocalProvider.client` is the network the
demo passes to delivery and verification (``client=``); :meth:`LocalProvider.fetch` maps
any public address onto this provider's pages, so evidence capture and removal
verification run offline through the outbound client's limits.
"""

from __future__ import annotations

import html
from urllib.parse import quote

import httpx

from ..services.outbound import fetcher

#: the provider's made-up address (``.invalid``: never a real host)
BASE = "https://provider.invalid"


class LocalProvider:
    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.webhook_calls: list[bytes] = []
        self.base = BASE
        self.client = httpx.Client(transport=httpx.MockTransport(self.handle), base_url=BASE)
        self._get = fetcher(self.client)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The provider's answer: a page or a 404, or a webhook accepted (202)."""
        if request.method == "POST":
            self.webhook_calls.append(request.read())
            return httpx.Response(202)
        text = self.pages.get(request.url.raw_path.decode("ascii").split("?")[0])
        body = (
            f"<html><body><p>{html.escape(text)}</p></body></html>"
            if text is not None
            else "<html><body>This content is not available.</body></html>"
        )
        return httpx.Response(
            200 if text is not None else 404,
            content=body.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    @staticmethod
    def path_for(address: str) -> str:
        return "/content/" + quote(address, safe="")

    def publish(self, address: str, text: str) -> None:
        self.pages[self.path_for(address)] = text

    def take_down(self, address: str) -> None:
        self.pages.pop(self.path_for(address), None)

    def fetch(self, url: str) -> httpx.Response:
        """``url`` as this provider serves it (its page, or 404 once taken down)."""
        return self._get(self.base + self.path_for(url))

    def close(self) -> None:
        self.client.close()
