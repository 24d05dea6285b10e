"""Small real-format examples of every built-in source, for the contract suite.

:meth:`openiru.sources.base.Source.get_examples` returns :class:`SourceExample` objects: an
input in the source's own format (shipped under ``openiru/data/examples/``: fictional
organisations, neutral placeholder text) and how to grow it to many records in the same
format (:meth:`SourceExample.grow`), for the check that reading stays within bounded memory.
``tests/contracts/`` runs one suite over every registered source with them; a third-party
source overrides ``get_examples`` to get the same checks.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

#: Where the built-in examples are shipped.
EXAMPLES = Path(str(files("openiru"))) / "data" / "examples"


@dataclass(frozen=True)
class SourceExample:
    """One input: ``root`` (a file or folder, copied as is) and ``path``, what to import,
    relative to the copy (``""``: the copy itself).  ``grow(target, n)`` rewrites the copy
    at ``target`` with about ``n`` records of the same format."""

    root: Path
    path: str = ""
    grower: Callable[[Path, int], None] | None = None

    def write(self, folder: Path) -> Path:
        """A copy of the example under ``folder``; the path to import."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.root.name
        if self.root.is_dir():
            shutil.copytree(self.root, target)
        else:
            shutil.copyfile(self.root, target)
        return target / self.path if self.path else target

    def grow(self, folder: Path, n: int) -> Path:
        """A copy with about ``n`` records; the path to import."""
        if self.grower is None:
            raise ValueError(f"{self.root.name}: no way to grow this example")
        path = self.write(folder)
        self.grower(folder / self.root.name, n)
        return path


def grow_lines(target: Path, n: int) -> None:
    """JSON lines: the records repeated up to ``n`` lines."""
    lines = [line for line in target.read_bytes().splitlines() if line.strip()]
    with target.open("wb") as fh:
        for i in range(n):
            fh.write(lines[i % len(lines)] + b"\n")


def grow_csv(target: Path, n: int) -> None:
    """CSV: the header, then the data rows repeated up to ``n`` rows."""
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    header, data = rows[0], rows[1:]
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i in range(n):
            writer.writerow(data[i % len(data)])


def grow_array(file: str, *keys: str) -> Callable[[Path, int], None]:
    """A JSON document: the list at ``keys`` in ``file`` repeated up to ``n`` items."""

    def grow(target: Path, n: int) -> None:
        path = target / file if target.is_dir() else target
        doc = json.loads(path.read_text(encoding="utf-8"))
        holder: Any = doc
        for key in keys[:-1]:
            holder = holder[key]
        items = holder[keys[-1]]
        holder[keys[-1]] = [items[i % len(items)] for i in range(n)]
        path.write_text(json.dumps(doc), encoding="utf-8")

    return grow


BUILTIN: dict[str, list[SourceExample]] = {
    "openiru.sources.twitter:TwitterV2Source": [SourceExample(EXAMPLES / "twarc2.jsonl", grower=grow_lines)],
    "openiru.sources.mastodon:MastodonStatusSource": [
        SourceExample(EXAMPLES / "mastodon.jsonl", grower=grow_lines)
    ],
    "openiru.sources.rocketchat:RocketChatSource": [
        SourceExample(EXAMPLES / "rocketchat.jsonl", grower=grow_lines)
    ],
    "openiru.sources.generic:GenericSource": [SourceExample(EXAMPLES / "generic.csv", grower=grow_csv)],
    "openiru.sources.telegram:TelegramExportSource": [
        SourceExample(EXAMPLES / "telegram", grower=grow_array("result.json", "messages"))
    ],
    "openiru.sources.activitypub:ActivityPubOutboxSource": [
        SourceExample(EXAMPLES / "activitypub", grower=grow_array("outbox.json", "orderedItems"))
    ],
    "openiru.sources.zeronet:ZeroNetSiteSource": [
        SourceExample(
            EXAMPLES / "zeronet",
            grower=grow_array("data/users/1AuthA1phaPLaceho1derAddressQrs/data.json", "topic"),
        )
    ],
}


def builtin_examples(cls: type) -> list[SourceExample]:
    """The shipped examples of a built-in source class (none for another class)."""
    return list(BUILTIN.get(f"{cls.__module__}:{cls.__qualname__}", []))
