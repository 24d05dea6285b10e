"""Constant-memory streaming of the chats and messages of a Telegram ``result.json``.

Why not plain ``ijson.items``: the messages of a full export sit at
``chats.list.item.messages.item`` and a message does not say which chat it is
in, while the chat's ``id`` / ``name`` / ``type`` come as sibling keys.  Walking
ijson's event stream in Python to track them costs ~30 µs a message; letting
ijson's C backend build the document costs ~6 µs but would hold it all in memory.

So ijson's C backend builds the document in a worker thread, and every time it
asks for the next chunk of input (our ``read``), the messages completed so far
are taken *out* of the lists being built (the builder only ever appends to them)
and handed to the consumer through a bounded queue.  Memory stays bounded by a
few chunks whatever the file size, and the chat header travels with its
messages.  A parse error (truncated file) ends the stream with an ``error``
event after every message completed before it.

Events, in document order:

* ``("chat", {"id", "name", "type"}, json_path)`` before the messages of a chat,
* ``("msg", message, index)``,
* ``("person", personal_information)`` (full exports),
* ``("error", reason, location)``.

The file is read through a :class:`~.jsonguard.GuardedFile`: invalid UTF-8, raw control
characters in strings and nesting deeper than its limit no longer end the stream; the
message holding such a place is refused by the consumer (``guard.claim``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from .jsonguard import GuardedFile

SECTIONS = ("chats", "left_chats")
_ANNOUNCED = "\x00openiru_announced"
_DRAINED = "\x00openiru_drained"


class _Stopped(Exception):
    """Raised inside the parser thread when the consumer went away."""


class ChatStream:
    """Iterate the chat events of one ``result.json`` (see the module docstring)."""

    def __init__(self, path: Path, queue_size: int = 8, chunk_size: int = 65536) -> None:
        self.path = Path(path)
        self._chunk_size = chunk_size
        self._queue: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._root: dict[str, Any] | None = None
        self._fh: Any = None
        #: Repairs damaged text and drops over-deep values (see :mod:`.jsonguard`); the consumer
        #: asks it whether a message holds such a place (``claim``).
        self.guard: GuardedFile | None = None
        self._bytes = 0
        self._person_sent = False
        self._last_location = "start of file"

    # -- parser side (worker thread) ------------------------------------------------------

    def _make_map(self) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        if self._root is None:
            self._root = mapping
        return mapping

    def read(self, size: int = -1) -> bytes:
        """File protocol for ijson: hand over completed messages, then the next chunk."""
        if self._stop.is_set():
            raise _Stopped
        if size:
            self._drain(final=False)
        data: bytes = self._fh.read(size)
        self._bytes += len(data)
        return data

    def _put(self, item: list[tuple[Any, ...]] | None) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _drain(self, final: bool) -> None:
        root = self._root
        if root is None:
            return
        out: list[tuple[Any, ...]] = []
        if isinstance(root.get("messages"), list) or (final and "id" in root and "chats" not in root):
            self._drain_chat(root, "", out, final)
        present = [s for s in SECTIONS if isinstance(root.get(s), dict)]
        for position, section in enumerate(present):
            chats = root[section].get("list")
            if not isinstance(chats, list):
                continue
            section_done = final or position + 1 < len(present)
            first_index = root[section].setdefault(_DRAINED, 0)
            while chats:
                done = section_done or len(chats) > 1
                if not isinstance(chats[0], dict):
                    if not done:
                        break
                    out.append(("error", "chat is not an object", f"{section}.list[{first_index}]"))
                else:
                    self._drain_chat(chats[0], f"{section}.list[{first_index}].", out, done)
                    if not done:
                        break
                del chats[0]
                first_index += 1
                root[section][_DRAINED] = first_index
        person = root.get("personal_information")
        if not self._person_sent and isinstance(person, dict) and (final or "chats" in root):
            self._person_sent = True
            if person.get("user_id") is not None:
                out.append(("person", person))
        if out:
            self._put(out)

    def _drain_chat(
        self, chat: dict[str, Any], prefix: str, out: list[tuple[Any, ...]], complete: bool
    ) -> None:
        messages = chat.get("messages")
        if "id" not in chat and not complete:
            return  # header not read yet (keys in an unusual order): wait for the whole chat
        if not chat.get(_ANNOUNCED):
            header = {k: chat.get(k) for k in ("id", "name", "type")}
            out.append(("chat", header, prefix))
            chat[_ANNOUNCED] = True
        if not isinstance(messages, list):
            if complete and messages is not None:
                out.append(("error", "messages is not a list", prefix + "messages"))
            return
        count = len(messages) if complete else len(messages) - 1
        if count <= 0:
            return
        start = chat.get(_DRAINED, 0)
        for offset in range(count):
            out.append(("msg", messages[offset], start + offset))
        del messages[:count]
        chat[_DRAINED] = start + count
        self._last_location = f"{prefix}messages[{start + count - 1}]"

    def _run(self) -> None:
        try:
            try:
                with open(self.path, "rb") as fh:
                    self._fh = self.guard = GuardedFile(fh)
                    for _ in ijson.items(self, "", map_type=self._make_map, use_float=True):
                        pass
                self._drain(final=True)
            except _Stopped:
                return
            except Exception as exc:  # ijson.JSONError, UnicodeDecodeError, OSError...
                self._drain(final=False)
                where = f"near byte {self._bytes}, after {self._last_location}"
                self._put([("error", f"{exc.__class__.__name__}: {exc}".strip(), where)])
            self._put(None)
        except _Stopped:
            return

    # -- consumer side ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        worker = threading.Thread(target=self._run, name=f"telegram-{self.path.name}", daemon=True)
        worker.start()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                yield from item
        finally:
            self._stop.set()
            while worker.is_alive():
                try:
                    self._queue.get(timeout=0.05)
                except queue.Empty:
                    pass
            worker.join()
