"""A private ``nats-server -js`` for one test: a free loopback port and a temporary store.

Tests never share the machine's NATS (127.0.0.1:4222): each starts its own server with
JetStream on, in its own store directory, and stops it after.  Without the ``nats-server``
binary the test skips with the reason.  ``NatsServer.stop()`` / ``start()`` let a test take
the server away and bring it back on the same port and store (readiness tests).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from server_support import free_port


class NatsServer:
    """One ``nats-server -js`` process on 127.0.0.1; ``url`` is its client URL."""

    def __init__(self, store: Path) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            pytest.skip("nats-server not installed (apt-get install nats-server)")
        self.binary = binary
        self.store = store
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, seconds: float = 15.0) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        log = (self.store / "nats.log").open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.store / "nats.log").read_text()[-2000:]) from None
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen on {self.port} within {seconds} s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
