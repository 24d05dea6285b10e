"""What the streaming readers share (:mod:`.mastodon_stream`, :mod:`.x_stream`)."""

from __future__ import annotations

#: Seconds without a byte (Mastodon sends a heartbeat every 15 s, X a keep-alive every 20 s)
#: before a stream counts as dropped.
READ_TIMEOUT = 60.0
#: Most bytes taken from the connection per read (``read1``: whatever has arrived, at most this).
READ_CHUNK = 65536


class StreamStopped(Exception):
    """The caller asked the stream to stop."""
