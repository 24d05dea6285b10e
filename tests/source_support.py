"""A Source over records built in a test, for tests that import through the ingest service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from openiru.sources.base import Record, Source


class ListSource(Source):
    """Yields the given accounts, posts and problems; ``platform`` names the import."""

    name = "list"
    default_platform = "testnet"

    def __init__(self, records: list[Record], platform: str | None = None) -> None:
        super().__init__(Path("memory"), platform)
        self._records = records

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        return 0.0

    def records(self) -> Iterator[Record]:
        yield from self._records
