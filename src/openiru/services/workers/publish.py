"""``openiru ingest --nats``: import as usual, but publish the posts' keys for the detect
workers instead of scanning them in the importing process.

The registered ingest hooks run, except detection's (``openiru.ingest_hooks`` entry
``detect``); a hook of ours collects the keys of each batch written.  The keys are
published after the import of each file has committed, so a worker never receives a post
it cannot read yet.  If the publisher dies between the commit and the publish, the posts
stay unscanned (``scanned_at`` empty) and ``openiru scan`` or a later publish finds them.

``openiru collect --nats`` uses the same publisher with ``msg_ids`` on: its :meth:`flush` runs
after each page is stored and before the page's checkpoint is written (the collection
runner's ``publish``), so a page whose publish was not acknowledged is read and published
again, and a page published twice (killed between the acknowledgement and the checkpoint) is
kept once by JetStream's duplicate detection.  A publish that fails raises OpenIRUError.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import sqlalchemy as sa

from ...errors import OpenIRUError
from ...model import Post
from ...plugins import ingest_hooks
from .stream import Topology, connect, ensure, publish_keys

#: the ingest hook the workers replace
DETECT_HOOK = "detect"


class Publisher:
    """Collects the keys of the posts an import writes and publishes them to the work queue."""

    def __init__(self, nats_url: str, topo: Topology | None = None, *, msg_ids: bool = False) -> None:
        self.nats_url = nats_url
        self.msg_ids = msg_ids
        self.topo = topo or Topology.from_env()
        self.keys: list[tuple[str, str]] = []
        self.published = 0
        self.messages = 0
        asyncio.run(self._ensure())  # fails fast (one line) when NATS cannot be reached

    async def _ensure(self) -> None:
        nc = await connect(self.nats_url)
        try:
            await ensure(nc.jetstream(), self.topo, consumer=False)
        finally:
            await nc.close()

    def hooks(self, engine: sa.Engine) -> list[Callable[[sa.Connection, list[Post]], None]]:
        """The registered ingest hooks but detection's, then the key collector."""
        others = [factory(engine) for name, factory in ingest_hooks().items() if name != DETECT_HOOK]
        return [*others, self.collect]

    def collect(self, conn: sa.Connection, posts: list[Post]) -> None:
        self.keys.extend((p.key.platform, p.key.post_id) for p in posts)

    def flush(self) -> int:
        """Publish the keys collected so far (each once); returns how many."""
        keys = list(dict.fromkeys(self.keys))
        self.keys = []
        if keys:
            import nats.errors

            try:
                self.messages += asyncio.run(self._publish(keys))
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                raise OpenIRUError(
                    f"publishing to {self.topo.stream} failed: {exc or type(exc).__name__}"
                ) from None
            self.published += len(keys)
        return len(keys)

    async def _publish(self, keys: list[tuple[str, str]]) -> int:
        nc = await connect(self.nats_url)
        try:
            return await publish_keys(nc.jetstream(), self.topo, keys, msg_ids=self.msg_ids)
        finally:
            await nc.drain()
