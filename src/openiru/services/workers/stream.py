"""The JetStream stream of posts to scan, its work-queue consumer and its dead letters.

One stream (``OPENIRU_POSTS``, work-queue retention: a message leaves it when a worker
acknowledges it) holds messages on ``<prefix>.posts.detect``, each a JSON object
``{"posts": [[platform, post_id], ...]}`` (one ingest batch).  Every detect worker binds
the same durable pull consumer (explicit ack, ``ack_wait``, ``max_deliver``), so a batch
is handed to one worker at a time and handed again if it is not acknowledged within
``ack_wait`` (the worker died).  A message that cannot be read, or that was delivered
``max_deliver`` times without success, is copied to the dead-letter stream
(``OPENIRU_POSTS_DLQ``, subject ``<prefix>.dlq.posts.detect``) and removed from the queue,
so it never blocks the others.  Names come from ``OPENIRU_NATS_PREFIX`` (default
``openiru``; tests use a unique one each).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import OpenIRUError

#: post keys per published message (an ingest batch may give several messages)
KEYS_PER_MESSAGE = 500


@dataclass(frozen=True)
class Topology:
    """Stream, subject and consumer names, and the consumer's redelivery settings."""

    prefix: str = "openiru"
    ack_wait: float = 60.0
    max_deliver: int = 5

    @classmethod
    def from_env(cls, **overrides: Any) -> Topology:
        prefix = os.environ.get("OPENIRU_NATS_PREFIX", "").strip() or "openiru"
        values: dict[str, Any] = {"prefix": prefix}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def tag(self) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.prefix).upper()

    @property
    def stream(self) -> str:
        return "OPENIRU_POSTS" if self.prefix == "openiru" else f"{self.tag}_POSTS"

    @property
    def dlq_stream(self) -> str:
        return f"{self.stream}_DLQ"

    @property
    def subject(self) -> str:
        return f"{self.prefix}.posts.detect"

    @property
    def dlq_subject(self) -> str:
        return f"{self.prefix}.dlq.posts.detect"

    @property
    def consumer(self) -> str:
        return "detect"

    @property
    def graph_stream(self) -> str:
        """The graph refresh signal (:mod:`.graph`): at most one message waits."""
        return "OPENIRU_GRAPH" if self.prefix == "openiru" else f"{self.tag}_GRAPH"

    @property
    def graph_subject(self) -> str:
        return f"{self.prefix}.graph.dirty"

    @property
    def graph_consumer(self) -> str:
        return "graph"

    @property
    def advisory(self) -> str:
        return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{self.stream}.{self.consumer}"


def encode_keys(keys: Sequence[tuple[str, str]]) -> bytes:
    return json.dumps({"posts": [list(k) for k in keys]}, separators=(",", ":")).encode()


def decode_keys(data: bytes) -> list[tuple[str, str]]:
    """The post keys of one message; ValueError if it is not one of ours (a poisoned message)."""
    body = json.loads(data)
    if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
        raise ValueError('not a {"posts": [...]} object')
    keys = []
    for item in body["posts"]:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) and v for v in item)):
            raise ValueError(f"bad post key {item!r}")
        keys.append((item[0], item[1]))
    return keys


async def connect(url: str) -> Any:
    """A NATS connection; OpenIRUError (one line) when the server cannot be reached."""
    import nats
    from nats.errors import NoServersError

    try:
        return await nats.connect(
            url, connect_timeout=3, max_reconnect_attempts=2, allow_reconnect=True, error_cb=_quiet
        )
    except (NoServersError, OSError, TimeoutError) as exc:
        raise OpenIRUError(f"cannot reach NATS at {url}: {exc or type(exc).__name__}") from None


async def _quiet(exc: Exception) -> None:
    """Connection errors surface where they matter (the next call fails); not printed twice."""


async def ensure(js: Any, topo: Topology, consumer: bool = True) -> None:
    """Create the stream and the dead-letter stream if missing; with ``consumer`` (the workers),
    also the durable consumer, or bring its ``ack_wait`` and ``max_deliver`` to ``topo``'s (a
    publisher leaves the consumer alone: messages wait in the work queue until one exists)."""
    from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    for name, subject, retention in (
        (topo.stream, topo.subject, RetentionPolicy.WORK_QUEUE),
        (topo.dlq_stream, topo.dlq_subject, RetentionPolicy.LIMITS),
    ):
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(
                StreamConfig(name=name, subjects=[subject], retention=retention, storage=StorageType.FILE)
            )
    if not consumer:
        return
    config = ConsumerConfig(
        durable_name=topo.consumer,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=topo.ack_wait,
        max_deliver=topo.max_deliver,
        filter_subject=topo.subject,
        max_ack_pending=1000,
    )
    try:
        info = await js.consumer_info(topo.stream, topo.consumer)
    except NotFoundError:
        await js.add_consumer(topo.stream, config)
        return
    if (info.config.ack_wait, info.config.max_deliver) != (topo.ack_wait, topo.max_deliver):
        await js.add_consumer(topo.stream, config)  # the server updates a durable's editable settings


async def publish_keys(
    js: Any, topo: Topology, keys: Iterable[tuple[str, str]], *, msg_ids: bool = False
) -> int:
    """Publish post keys in messages of :data:`KEYS_PER_MESSAGE`, each acknowledged by the
    stream; returns the messages sent.  With ``msg_ids`` each carries a ``Nats-Msg-Id`` made
    of its content, so the same keys published again within the stream's duplicate window
    (two minutes by default) are kept once."""
    chunks: list[list[tuple[str, str]]] = [[]]
    for key in keys:
        if len(chunks[-1]) == KEYS_PER_MESSAGE:
            chunks.append([])
        chunks[-1].append(key)
    sent = 0
    for chunk in chunks:
        if not chunk:
            continue
        data = encode_keys(chunk)
        headers = {"Nats-Msg-Id": hashlib.sha256(data).hexdigest()} if msg_ids else None
        await js.publish(topo.subject, data, stream=topo.stream, headers=headers)
        sent += 1
    return sent


async def dead_letter(js: Any, topo: Topology, data: bytes, reason: str, seq: int | None) -> None:
    """Copy one message to the dead-letter stream, with why and where it came from."""
    headers = {"Openiru-Reason": reason[:200], "Openiru-Stream": topo.stream}
    if seq is not None:
        headers["Openiru-Stream-Seq"] = str(seq)
    await js.publish(topo.dlq_subject, data, stream=topo.dlq_stream, headers=headers)


async def move_exhausted(js: Any, topo: Topology, advisory: bytes) -> bool:
    """Handle a MAX_DELIVERIES advisory: copy the message it names to the dead letters and
    delete it from the work queue (where it would otherwise stay, never delivered again)."""
    from nats.js.errors import NotFoundError

    seq = int(json.loads(advisory)["stream_seq"])
    try:
        msg = await js.get_msg(topo.stream, seq)
    except NotFoundError:  # acknowledged meanwhile, or moved by another worker
        return False
    await dead_letter(js, topo, msg.data or b"", f"delivered {topo.max_deliver} times without success", seq)
    try:
        await js.delete_msg(topo.stream, seq)
    except NotFoundError:
        pass
    return True
