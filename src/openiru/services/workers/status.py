"""Queue figures for ``openiru queue status``: per stream and consumer, pending, in flight,
redelivered and dead-lettered messages (read from JetStream's own stream and consumer info)."""

from __future__ import annotations

from typing import Any

from .stream import Topology, connect


async def queue_status(nats_url: str, topo: Topology) -> dict[str, Any]:
    """``{"pending", "in_flight", "redelivered", "dead_lettered", "streams": [...]}``; a stream
    not created yet (no worker or publisher has run) counts zero, with ``exists: false``."""
    from nats.js.errors import NotFoundError

    nc = await connect(nats_url)
    try:
        js = nc.jetstream()
        try:
            dlq = (await js.stream_info(topo.dlq_stream)).state.messages
        except NotFoundError:
            dlq = 0
        entry: dict[str, Any] = {
            "stream": topo.stream,
            "subject": topo.subject,
            "consumer": topo.consumer,
            "exists": True,
            "messages": 0,
            "pending": 0,
            "in_flight": 0,
            "redelivered": 0,
            "delivered": 0,
            "dead_lettered": dlq,
            "dead_letter_stream": topo.dlq_stream,
            "ack_wait_s": None,
            "max_deliver": None,
        }
        try:
            entry["messages"] = (await js.stream_info(topo.stream)).state.messages
            info = await js.consumer_info(topo.stream, topo.consumer)
        except NotFoundError:  # no consumer yet: every message in the work queue waits
            entry["exists"] = False
            entry["pending"] = entry["messages"]
        else:
            entry.update(
                pending=info.num_pending,
                in_flight=info.num_ack_pending,
                redelivered=info.num_redelivered,
                delivered=info.delivered.stream_seq,
                ack_wait_s=info.config.ack_wait,
                max_deliver=info.config.max_deliver,
            )
    finally:
        await nc.close()
    return {
        "pending": entry["pending"],
        "in_flight": entry["in_flight"],
        "redelivered": entry["redelivered"],
        "dead_lettered": dlq,
        "streams": [entry],
    }
