"""How the generic importer reads a dataset it has never seen: the column plan.

Before importing, :func:`plan_columns` decides which column holds which field, and why:
the mapping sidecar's choice, else a column named like the field (``generic.FIELDS``), else,
for the text, the column with the longest free text in the first rows.  ``openiru ingest
--inspect FILE`` prints the plan without importing.

Without a post id column each post gets a derived id (:func:`derived_post_id`): the first
24 hex digits of BLAKE2b over platform, account, UTC time (ISO 8601) and text.  The same row
gives the same id on every import, so a re-import adds nothing (and rows repeating all four
are one post).  A text-only repost (``RT @user: ...``) points at a derived id of the reposted
text and author (:func:`repost_id`), so two accounts retweeting the same tweet share it.

:func:`text_enrich` fills the entities the row has no column for from the text
(text_entities), :func:`account_extras` the per-account columns (location, statuses count)
the model keeps in ``Account.metadata``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import Mention, Post, PostKey
from .dates import DatePlan
from .fields import match_columns, normalise
from .text_entities import extract, merge_urls

#: Rows looked at to choose the text column by content.
SAMPLE_ROWS = 200
#: The text column chosen by content must average at least this many characters.
MIN_TEXT_LENGTH = 12
#: Date fields: each gets a DatePlan from its column.
DATE_FIELDS = ("timestamp", "account_created_at")
#: Fields whose absence the text makes up for.
TEXT_FIELDS = ("mentions", "hashtags", "urls", "repost_of")


@dataclass(slots=True)
class ColumnPlan:
    columns: dict[str, str] = field(default_factory=dict)  # field -> column
    reasons: dict[str, str] = field(default_factory=dict)  # field -> why that column
    dates: dict[str, DatePlan] = field(default_factory=dict)  # date field -> how its column reads
    derived_ids: bool = False
    from_text: list[str] = field(default_factory=list)  # entities taken from the text
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": {f: {"column": c, "why": self.reasons.get(f, "")} for f, c in self.columns.items()},
            "dates": {
                f: {"order": p.order, "excel": p.excel, "why": p.reason} for f, p in self.dates.items()
            },
            "derived_ids": self.derived_ids,
            "from_text": self.from_text,
            "unused": self.unused,
            "notes": self.notes,
        }


def _words(value: Any) -> bool:
    return isinstance(value, str) and " " in value.strip()


def text_column(
    columns: list[str], taken: Iterable[str], sample: list[dict[str, Any]]
) -> tuple[str, str] | None:
    """The column with the longest free text in ``sample`` (mostly multi-word strings), and why."""
    free = [c for c in columns if c not in set(taken)]
    best: tuple[float, str] | None = None
    for column in free:
        values = [row.get(column) for row in sample if row.get(column) not in (None, "")]
        if not values or sum(map(_words, values)) < len(values) / 2:
            continue
        mean = sum(len(str(v)) for v in values) / len(values)
        if mean >= MIN_TEXT_LENGTH and (best is None or mean > best[0]):
            best = (mean, column)
    if best is None:
        return None
    return best[1], f"no column named like text; the longest free text (mean {best[0]:.0f} characters)"


def plan_columns(
    columns: list[str],
    sample: list[dict[str, Any]],
    explicit: dict[str, str],
    fields: dict[str, tuple[str, ...]],
) -> ColumnPlan:
    """Field -> column with the reasons (dates and ids are the caller's: they need a scan)."""
    plan = ColumnPlan()
    plan.columns = match_columns(columns, explicit)
    for name, column in plan.columns.items():
        if name in explicit:
            plan.reasons[name] = "mapping file"
        else:
            alias = normalise(column)
            plan.reasons[name] = (
                "named like the field" if alias == name else f"{alias!r} is a name for {name}"
            )
    if "text" not in plan.columns:
        chosen = text_column(columns, plan.columns.values(), sample)
        if chosen is not None:
            plan.columns["text"], plan.reasons["text"] = chosen
    plan.derived_ids = "post_id" not in plan.columns
    if plan.derived_ids:
        plan.notes.append(
            "no post id column: ids derived from platform, account, time and text "
            "(the same row gets the same id on every import)"
        )
    if "text" in plan.columns:
        plan.from_text = [f for f in TEXT_FIELDS if f not in plan.columns] + ["cashtags"]
    used = set(plan.columns.values())
    plan.unused = [c for c in columns if c not in used]
    return plan


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def derived_post_id(platform: str, account_id: str, timestamp: datetime, text: str) -> str:
    return _digest(platform, account_id.lower(), timestamp.isoformat(), text)


_RT_PREFIX = re.compile(r"^\s*RT\s*@\w+(?:@[\w.\-]+)?\s*:?\s*")


def repost_id(handle: str, text: str) -> str:
    """The id standing for a reposted post known only from the repost's text."""
    original = " ".join(_RT_PREFIX.sub("", text, count=1).split()).rstrip("…").rstrip(".").strip()
    return "rt-" + _digest(handle.lower(), original)


def text_enrich(post: Post, present: set[str]) -> None:
    """Entities from the text for the fields the row had no column for (``present``)."""
    if not post.text:
        return
    found = extract(post.text)
    if "mentions" not in present and "mention_ids" not in present:
        post.mentions = [Mention(handle=h) for h in found.mentions]
    if "hashtags" not in present:
        post.hashtags = found.hashtags
    post.urls = merge_urls(found.urls, post.urls) if "urls" in present else found.urls
    if found.cashtags:
        post.metadata["cashtags"] = found.cashtags
    if "repost_of" not in present and post.repost_of is None and found.repost_of:
        post.repost_of = PostKey(post.key.platform, repost_id(found.repost_of, post.text))
        post.metadata["repost_of_handle"] = found.repost_of
        post.metadata["repost_marker"] = found.repost_marker


def count(value: Any) -> int | None:
    """A count cell (``1234``, ``1234.0``, ``"1,234"``) as an int, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    text = str(value).strip().replace(",", "").replace("_", "")
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text.isdigit() else None


def account_extras(get: Any) -> dict[str, Any]:
    """Per-account columns the model keeps in metadata (``get(field)`` reads the row)."""
    extras: dict[str, Any] = {}
    location = get("location")
    if location not in (None, ""):
        extras["location"] = str(location)
    statuses = count(get("statuses_count"))
    if statuses is not None:
        extras["statuses_count"] = statuses
    return extras


def scan_plan(
    rows: Any,
    first_rows: list[tuple[str, dict[str, Any]]],
    explicit: dict[str, str],
    fields: dict[str, tuple[str, ...]],
    date_order: str | None,
    timestamp_format: str | None,
    source: str,
    where: str,
) -> ColumnPlan:
    """The plan of a file from its first rows, with each date column scanned (``rows()``
    streams the file again, only as far as the decision needs).  An undecidable date column
    raises FormatError naming two of its values and ``where`` (the mapping file)."""
    from ..errors import FormatError
    from .dates import scan_column

    if date_order and date_order.upper() not in ("DMY", "MDY"):
        raise FormatError(f'{source}: "date_order": {date_order!r} in {where}: give "DMY" or "MDY"')
    header = list(first_rows[0][1]) if first_rows else []
    plan = plan_columns(header, [r for _, r in first_rows], explicit, fields)
    for name in DATE_FIELDS:
        column = plan.columns.get(name)
        if column is None:
            continue
        if timestamp_format:
            plan.dates[name] = DatePlan(reason=f"timestamp_format {timestamp_format!r} (mapping file)")
            continue
        values = (found[1].get(column) for found in rows() if isinstance(found, tuple))
        dates = plan.dates[name] = scan_column(values, date_order)
        problem = dates.problem()
        if problem is not None:
            raise FormatError(f"{source}: column {column!r}: {problem} in {where}")
        if dates.order:
            plan.notes.append(f"column {column!r}: {dates.reason}")
    return plan


def accounts_table(columns: dict[str, str]) -> bool:
    """Columns of a table of accounts (a dataset's users file): an account, no time, no text."""
    return (
        "timestamp" not in columns
        and "text" not in columns
        and bool({"account_id", "handle"} & columns.keys())
    )
