"""The Source extension point and the records a source yields.

A Source reads one input (a file or a folder) and yields, in order:

* :class:`~openiru.model.Account` objects for the accounts it describes,
* :class:`~openiru.model.Post` objects (media inside them),
* :class:`Problem` records for anything it could not import (malformed
  records, service messages...), never raising for a bad record.

Sources stream: they never hold the whole file in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..model import Account, Post

if TYPE_CHECKING:
    from .examples import SourceExample


#: What reading one malformed record may raise (a missing key, a field of the wrong type, a bad
#: date or number, an unreadable media file, a JSON line nested hundreds deep: orjson reads up to
#: 1,024 levels).  Sources catch these per record and yield a :class:`Problem` instead.
MALFORMED = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    OSError,
    RecursionError,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A record that was not imported.

    ``kind`` is ``"error"`` for malformed input (``--strict`` aborts on it) and
    ``"skipped"`` for records that are well-formed but are not posts (Telegram
    service messages, Rocket.Chat system messages).
    """

    file: str
    location: str
    reason: str
    kind: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.location}: {self.reason}"


Record = Account | Post | Problem


class Source(ABC):
    """One input format.  Subclasses set ``name`` and ``default_platform``."""

    name: ClassVar[str]
    default_platform: ClassVar[str]
    #: A folder every file the export names must also lie in (the API sets its upload folder);
    #: files are always confined to the export's own folder (``sources.paths``).
    boundary: Path | None = None

    def __init__(self, path: Path, platform: str | None = None) -> None:
        self.path = Path(path)
        self.platform = platform or self.default_platform

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        """Confidence 0..1 that ``path`` is in this format; ``head`` is its first bytes
        (for a folder, empty)."""

    @abstractmethod
    def records(self) -> Iterator[Record]:
        """Yield accounts, posts and problems, streaming."""

    @classmethod
    def get_examples(cls) -> list[SourceExample]:
        """Small inputs in this format for the contract suite (``tests/contracts/``): the
        built-ins ship theirs (:mod:`openiru.sources.examples`); a plug-in overrides this."""
        from .examples import builtin_examples

        return builtin_examples(cls)
