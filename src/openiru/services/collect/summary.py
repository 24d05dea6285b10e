"""What an import did: the summary the ingest service, its reading process and the CLI share.

Its own module so that the reading side (:mod:`openiru.services.collect.reader`) and the
writing side (:mod:`openiru.services.collect.ingest`) both import it and neither imports the other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Problems shown in a summary's JSON form (MAX_PROBLEMS are kept, all are counted).
MAX_PROBLEMS_SHOWN = 100


@dataclass
class IngestSummary:
    path: str
    format: str
    platform: str
    posts_read: int = 0
    posts: int = 0
    accounts: int = 0
    edges: int = 0
    media: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    platforms: set[str] = field(default_factory=set)
    aborted: str | None = None
    repaired: Counter[str] = field(default_factory=Counter)  # records kept after store.clean's repairs
    repairs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said once: derived ids, date order decided

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "platform": self.platform,
            "posts_read": self.posts_read,
            "posts": self.posts,
            "accounts": self.accounts,
            "edges": self.edges,
            "media": self.media,
            "skipped": dict(self.skipped),
            "errors": dict(self.errors),
            "skipped_total": sum(self.skipped.values()),
            "errors_total": sum(self.errors.values()),
            "problems": self.problems[:MAX_PROBLEMS_SHOWN],
            "aborted": self.aborted,
            "repaired": dict(self.repaired),
            "repaired_total": sum(self.repaired.values()),
            "repairs": self.repairs[:MAX_PROBLEMS_SHOWN],
            **({"notes": self.notes} if self.notes else {}),
        }
