"""A byte-level guard between a JSON document and the streaming parser (ijson).

A streaming parser stops for good at the first damaged byte, so one bad record
in a Mastodon array, a Telegram ``result.json``, an ActivityPub outbox or a
Rocket.Chat response used to lose every record after it.  And ijson's C backend
keeps the JSON path of every open level (``item.item.item...``): 200 KB of
``[[[[...`` made it allocate tens of gigabytes (path strings grow with depth, so
memory grows with its square; measured: depth 10,000 = 252 MB, depth 30,000 =
over 1 GiB).  :class:`GuardedFile` wraps the file and repairs what would stop or
blow up the parser, marking the place with :data:`MARK` so that the source can
report and skip the one record that holds it:

* invalid UTF-8 bytes and raw control characters (NUL...) inside a string are
  replaced by :data:`MARK`;
* a value nested deeper than :data:`MAX_DEPTH` levels (counted from the
  document's top) is replaced, whole, by the string ``"<MARK>"``, so memory
  stays bounded (ijson's path strings: ~2.5 bytes x depth squared, ~160 KB);
* a UTF-8 byte order mark at the start is dropped.

Clean chunks go through byte operations only (translate, replace, count: C speed,
~160 MB/s here, against ijson's 20-30 MB/s); only a
chunk with damage in it is scanned character by character.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from typing import Any, BinaryIO

#: Deepest nesting of arrays and objects read from a JSON document, counted from its top.
MAX_DEPTH = 256
#: Put in place of damaged text (a Unicode noncharacter, never in interchanged text).
MARK = "\ufdd0"
BOM = b"\xef\xbb\xbf"

#: Bytes that matter to the structure: quotes, brackets, control characters (all others dropped).
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}' and b >= 0x20)
_CONTROL = bytes(range(0x20))
#: What may follow a backslash in a JSON string (``\\\\`` pairs already removed).
_ESCAPES = frozenset('"\\/bfnrtu')
_BAD_ESCAPE_RE = re.compile(rb'\\[^"\\/bfnrtu]')
_MARK_ESCAPE = f"u{ord(MARK):04x}"
_OUTSIDE_NOISE = _CONTROL  # whitespace (and stray control bytes the parser reports itself)


def count_marks(value: Any) -> int:
    """How many :data:`MARK` a parsed JSON value holds (keys and strings; iterative, any depth)."""
    found = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found += item.count(MARK)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


class GuardedFile:
    """File protocol (``read``) for ijson over a binary file; see the module docstring."""

    def __init__(self, fh: BinaryIO, max_depth: int = MAX_DEPTH) -> None:
        self._fh = fh
        self.max_depth = max_depth
        self._carry = b""
        self._started = False
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._skip = 0  # > 0: inside a value being dropped for depth, at this relative depth
        self._skip_string = False
        self._skip_escape = False
        self.bytes_read = 0
        self._repairs: deque[tuple[str, int]] = deque()

    # -- what the source asks -------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Marks put into the output and not yet claimed by a record."""
        return len(self._repairs)

    def claim(self, value: Any) -> str | None:
        """The reason to refuse ``value`` if it holds marks (claimed: no longer pending)."""
        if not self._repairs:
            return None
        marks = count_marks(value)
        if not marks:
            return None
        reasons: list[str] = []
        first = self._repairs[0][1]
        for _ in range(min(marks, len(self._repairs))):
            reason = self._repairs.popleft()[0]
            if reason not in reasons:
                reasons.append(reason)
        return (
            f"{'; '.join(reasons or ['damaged text'])}: near byte {first}"  # counted by the part before ":"
        )

    def unclaimed(self) -> str | None:
        """At the end of a document: the damage no record claimed (in a chat header, a page's
        own fields, a document that is no export at all), as one reason; then forgotten."""
        if not self._repairs:
            return None
        count, (reason, first) = len(self._repairs), self._repairs[0]
        self._repairs.clear()
        return f"{reason}: near byte {first}{f' and {count - 1} more' if count > 1 else ''}"

    # -- file protocol ----------------------------------------------------------------------

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while True:
            raw = self._fh.read(size)
            self.bytes_read += len(raw)
            final = not raw
            data = self._carry + raw
            self._carry = b""
            if not self._started:
                if len(data) < 3 and not final:
                    self._carry = data
                    continue
                self._started = True
                if data.startswith(BOM):
                    data = data[3:]
            out = self._guard(data, final)
            if out or final:
                return out
            # everything held back (a split character, a value being dropped): read on

    def _guard(self, data: bytes, final: bool) -> bytes:
        offset = self.bytes_read - len(data)
        try:
            _, valid = codecs.utf_8_decode(data, "strict", final)
        except UnicodeDecodeError:
            return self._slow(data, offset, final)
        self._carry = data[valid:]  # a character split by the chunk: with the next one
        data = data[:valid]
        if self._skip or not self._fast(data):
            return self._slow(data, offset, final)
        return data

    def _fast(self, data: bytes) -> bool:
        """Move the parse state past an undamaged chunk that stays within the depth limit, with
        byte operations only; ``False`` (state untouched) when the careful scan must decide.

        Escapes are removed first (``\\\\`` pairs, then ``\\"``), so that every quote left opens
        or closes a string; then only quotes, brackets and control characters are kept, and
        adjacent quote pairs are dropped (that changes no later quote's parity): what is left
        is the brackets outside strings, and, rarely, a few quotes around text in strings."""
        if not data:
            return True
        if self._escape and data[:1].decode("latin-1") not in _ESCAPES:
            return False
        start = 1 if self._escape else 0
        body = data[start:]
        trailing = len(body) - len(body.rstrip(b"\\"))
        if trailing % 2:
            body = body[:-1]  # the next chunk's first byte is escaped
        if b"\\" in body:
            body = body.replace(b"\\\\", b"")
            if _BAD_ESCAPE_RE.search(body):
                return False
            body = body.replace(b'\\"', b"")
        kept = body.translate(None, _NOT_STRUCTURE)
        quotes = kept.count(b'"')
        reduced = kept.replace(b'""', b"")
        if b'"' in reduced:
            pieces = reduced.split(b'"')
            outside = b"".join(pieces[1 if self._in_string else 0 :: 2])
            inside = b"".join(pieces[0 if self._in_string else 1 :: 2])
        elif self._in_string:
            outside, inside = b"", reduced
        else:
            outside, inside = reduced, b""
        if inside.translate(None, b"[]{}"):
            return False  # a control character inside a string
        structure = outside.translate(None, _OUTSIDE_NOISE)
        opened = structure.count(b"[") + structure.count(b"{")
        if self._depth + opened > self.max_depth and not self._shallow(structure):
            return False
        self._depth += 2 * opened - len(structure)
        self._in_string ^= bool(quotes % 2)
        self._escape = bool(trailing % 2)
        return True

    def _shallow(self, structure: bytes) -> bool:
        """Whether brackets ``structure`` (outside strings) stay within the depth limit: matched
        pairs removed pass by pass (passes = the nesting inside the chunk), then an upper bound."""
        passes = 0
        while passes < 64:
            reduced = structure.replace(b"[]", b"").replace(b"{}", b"")
            if reduced == structure:
                break
            structure, passes = reduced, passes + 1
        else:
            return False
        unmatched = structure.count(b"[") + structure.count(b"{")
        return self._depth + unmatched + passes <= self.max_depth

    def _slow(self, data: bytes, offset: int, final: bool) -> bytes:
        """Character by character from a damaged place to the end of the chunk."""
        if not final:
            _, valid = codecs.utf_8_decode(data, "surrogateescape", False)
            self._carry = data[valid:] + self._carry
            data = data[:valid]
        text = data.decode("utf-8", "surrogateescape")
        out: list[str] = []
        emit = out.append
        for index, ch in enumerate(text):
            if self._skip:
                self._skip_char(ch)
            elif self._in_string:
                if self._escape:
                    self._escape = False
                    if ch not in _ESCAPES:  # a damaged or invalid escape: the mark, as an escape
                        self._repairs.append(("invalid escape in a string", offset + index))
                        ch = _MARK_ESCAPE
                elif ch == "\\":
                    self._escape = True
                elif ch == '"':
                    self._in_string = False
                elif ch < " " or "\udc80" <= ch <= "\udcff":
                    reason = "control character in a string" if ch < " " else "invalid UTF-8"
                    self._repairs.append((reason, offset + index))
                    ch = MARK
                emit(ch)
            elif ch in "[{":
                if self._depth >= self.max_depth:
                    self._repairs.append((f"nested deeper than {self.max_depth} levels", offset + index))
                    self._skip = 1
                    emit(f'"{MARK}"')
                    continue
                self._depth += 1
                emit(ch)
            else:
                if ch in "]}":
                    self._depth -= 1
                elif ch == '"':
                    self._in_string = True
                elif "\udc80" <= ch <= "\udcff":
                    ch = "\ufffd"  # outside a string the document is broken: the parser says where
                emit(ch)
        return "".join(out).encode("utf-8")

    def _skip_char(self, ch: str) -> None:
        if self._skip_string:
            if self._skip_escape:
                self._skip_escape = False
            elif ch == "\\":
                self._skip_escape = True
            elif ch == '"':
                self._skip_string = False
        elif ch == '"':
            self._skip_string = True
        elif ch in "[{":
            self._skip += 1
        elif ch in "]}":
            self._skip -= 1
