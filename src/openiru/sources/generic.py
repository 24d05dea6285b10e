"""Generic JSONL or CSV with a documented column mapping, for any other platform.

Columns (CSV header names or JSONL keys) are matched to fields by name: the
default name of each field or one of its aliases (:data:`FIELDS`), compared
case-insensitively with spaces and dashes read as underscores.  A sidecar file
``<file>.mapping.json`` overrides the matching::

    {"columns": {"post_id": "MsgNo", "text": "Body", "account_id": "user.id"},
     "platform": "forum-a", "delimiter": ";", "timestamp_format": "%d.%m.%Y %H:%M"}

(a flat ``{"post_id": "MsgNo", ...}`` works too; a dotted name reaches into
nested JSONL objects).  Multi-valued cells (urls, hashtags, mentions, media)
are separated by whitespace, ``|`` or ``;`` in CSV (a JSON array in a cell works
too) and are arrays (or such strings) in JSONL.  The platform comes from
``--platform``, else the mapping's ``platform``, else a platform column; with
none of them the import stops with a clear error.  See docs/formats.md.

Datasets as researchers publish them are read too (columns.py): ``.xlsx`` workbooks
(tabular.py; every sheet, or the mapping's / ``--sheet``'s ``sheet``), no post id column (a
derived, stable id), the text column found by content, mentions, reposts (``RT @user:``),
hashtags, URLs and cashtags taken from the text where no column has them (text_entities.py),
dates in any common form with the day/month order decided per column (dates.py; the
mapping's ``"date_order": "DMY"|"MDY"`` settles an undecidable one).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ..errors import FormatError
from ..model import Account, AccountKey, Media, Mention, Post, PostKey, parse_time, utc
from .base import MALFORMED, Problem, Record, Source
from .cells import NOT_AN_ID, split_multi
from .columns import (
    ColumnPlan,
    account_extras,
    accounts_table,
    count,
    derived_post_id,
    scan_plan,
    text_enrich,
)
from .csvrows import check_binary, iter_csv_rows
from .fields import FIELDS, match_columns, normalise
from .jsonio import first_non_space, is_jsonl, iter_json_lines, read_head
from .media import PathRefused, hash_confined
from .tabular import is_xlsx, iter_sheet_rows

_CSV_DELIMITERS = ",;\t"
#: File names read as JSON lines whatever their first line holds.
JSONL_SUFFIXES = (".jsonl", ".ndjson")


def parse_row_time(value: Any, fmt: str | None) -> datetime:
    if value is None:
        raise KeyError("missing timestamp")
    try:
        if fmt and isinstance(value, str):
            return utc(datetime.strptime(value, fmt))
        return parse_time(value)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad timestamp: {value!r}") from exc


def mapping_path(path: Path) -> Path:
    return path.with_name(path.name + ".mapping.json")


@dataclass(slots=True)
class ColumnMapping:
    columns: dict[str, str] = field(default_factory=dict)
    platform: str | None = None
    delimiter: str | None = None
    timestamp_format: str | None = None
    date_order: str | None = None
    sheet: str | None = None


_OPTIONS = ("platform", "delimiter", "timestamp_format", "date_order", "sheet")


def load_mapping(path: Path) -> ColumnMapping:
    """The sidecar ``<file>.mapping.json``, or an empty mapping when there is none."""
    sidecar = mapping_path(path)
    if not sidecar.is_file():
        return ColumnMapping()
    try:
        data = orjson.loads(sidecar.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise FormatError(f"{sidecar}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise FormatError(f"{sidecar}: expected a JSON object of field -> column name")
    columns = data.get("columns", {k: v for k, v in data.items() if k not in _OPTIONS})
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise FormatError(f"{sidecar}: unknown fields {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    return ColumnMapping(
        {k: str(v) for k, v in columns.items()}, *(str(data[o]) if data.get(o) else None for o in _OPTIONS)
    )


def known_format_line(obj: Any) -> bool:
    """A JSON line that another importer reads (twarc2, Mastodon, Rocket.Chat, ActivityPub)."""
    if not isinstance(obj, dict):
        return True
    if "__twarc" in obj or "edit_history_tweet_ids" in obj or "referenced_tweets" in obj:
        return True
    if isinstance(obj.get("data"), dict | list) and ("includes" in obj or "meta" in obj):
        return True
    if isinstance(obj.get("account"), dict) and "acct" in obj["account"]:
        return True
    if "rid" in obj and "_id" in obj and isinstance(obj.get("u"), dict):
        return True
    return "@context" in obj or obj.get("type") in ("Create", "Announce", "Note")


def _csv_header(head: bytes, delimiter: str | None = None) -> tuple[list[str], str] | None:
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first or first.lstrip().startswith(("{", "[")):
        return None
    if delimiter is None:
        counts = {d: first.count(d) for d in _CSV_DELIMITERS}
        delimiter = max(counts, key=lambda d: counts[d])
        if counts[delimiter] == 0:
            return None
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error:  # a stray carriage return in the first line
        return None
    return [h.strip() for h in header], delimiter


class GenericSource(Source):
    """Any platform's posts as CSV or JSONL, columns matched by name or by a mapping file."""

    name = "generic"
    default_platform = ""

    def __init__(self, path: Path, platform: str | None = None) -> None:
        super().__init__(path, platform)
        self.mapping = load_mapping(self.path)
        self.fixed_platform = platform or self.mapping.platform
        self.platform = self.fixed_platform or "(platform column)"
        self.sheet = self.mapping.sheet
        self._plan: ColumnPlan | None = None
        self._latest: dict[str, Any] = {}  # account -> time of the row its profile came from
        self._accounts_only = False  # a CSV/sheet of accounts: no time and no text column

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        if path.is_dir() or not head:
            return 0.0
        has_mapping = mapping_path(path).is_file()
        if is_xlsx(path, head):
            return 0.5 if has_mapping else 0.2
        tabular = path.suffix.lower() in (".csv", ".tsv", ".tab", ".jsonl", ".ndjson")
        if first_non_space(head) == b"{":
            if not is_jsonl(head):
                return 0.0
            first = orjson.loads(head.lstrip().split(b"\n", 1)[0])
            if known_format_line(first):
                return 0.0
            columns = list(first)
        else:
            parsed = _csv_header(head)
            if parsed is None:
                return 0.0
            columns = parsed[0]
        if has_mapping:
            return 0.5
        found = match_columns(columns, {})
        if "post_id" in found and "text" in found:
            return 0.3
        # a dataset without ids (scraped tweets): its columns say who posted what and when
        return (
            0.2 if tabular and len(found.keys() & {"text", "handle", "account_id", "timestamp"}) >= 2 else 0.0
        )

    # -- reading -------------------------------------------------------------------------

    def _rows(self) -> Iterator[tuple[str, dict[str, Any]] | Problem]:
        head = read_head(self.path, 65536)
        if is_xlsx(self.path, head):
            self._is_csv = True
            yield from iter_sheet_rows(self.path, self.sheet)
            return
        # JSON lines by name too: a damaged first line must not turn the file into "CSV".
        self._is_csv = first_non_space(head) != b"{" and self.path.suffix.lower() not in JSONL_SUFFIXES
        if not self._is_csv:
            for found in iter_json_lines(self.path):
                if isinstance(found, Problem) or isinstance(found[1], dict):
                    yield found
                else:
                    yield Problem(str(self.path), found[0], "not a JSON object")
            return
        check_binary(self.path, head)
        parsed = _csv_header(head, self.mapping.delimiter)
        if parsed is None:
            raise FormatError(f"{self.path}: neither JSON lines nor a CSV file with a header row")
        # Unclosed quotes, over-long records, binary files, no header row: see csvrows.
        yield from iter_csv_rows(self.path, parsed[1], self._known_column)

    def _known_column(self, cell: str) -> bool:
        """A header cell naming a field (by a default name or alias) or a mapping file column."""
        name = normalise(cell)
        return (
            any(name in aliases for aliases in FIELDS.values())
            or cell.strip() in self.mapping.columns.values()
        )

    def plan(self) -> ColumnPlan:
        """Which column is which field and why, with each date column's order decided (a
        first pass over that column only); the same plan for every row of the import."""
        if self._plan is None:
            first: list[tuple[str, dict[str, Any]]] = []
            for found in self._rows():
                if isinstance(found, tuple):
                    first.append(found)
                    if len(first) >= 200 or (first and set(found[1]) != set(first[0][1])):
                        break
            self._plan = scan_plan(
                self._rows,
                first,
                self.mapping.columns,
                FIELDS,
                self.mapping.date_order,
                self.mapping.timestamp_format,
                str(self.path),
                mapping_path(self.path).name,
            )
            if self._is_csv and accounts_table(self._plan.columns):
                self._plan.derived_ids = False
                self._plan.notes = ["no time and no text column: read as a table of accounts"]
        return self._plan

    @property
    def notes(self) -> list[str]:
        """What the import's summary says once: derived ids, the date order decided."""
        return self.plan().notes

    def records(self) -> Iterator[Record]:
        plan = self.plan()
        explicit = {**self.mapping.columns, **{k: v for k, v in plan.columns.items() if k == "text"}}
        # JSONL rows may each carry a different set of keys: match columns per key set.
        matched: dict[tuple[str, ...], dict[str, str]] = {}
        for found in self._rows():
            if isinstance(found, Problem):
                yield found
                continue
            location, row = found
            keys = tuple(row)
            columns = matched.get(keys)
            if columns is None:
                columns = matched[keys] = match_columns(list(row), explicit)
                if len(matched) == 1:
                    self._check_columns(columns, header=self._is_csv)
            try:
                built = self._row(row, columns, location)
            except MALFORMED as exc:
                reason = str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)
                yield Problem(str(self.path), location, reason)
                continue
            yield from built

    def _check_columns(self, columns: dict[str, str], header: bool) -> None:
        """Stop before importing anything when the first row shows the file cannot work: no
        platform at all, or (CSV, where the header holds for every row) no post id or time column.
        JSONL lines may each carry other keys, so there a missing one is that line's error."""
        sidecar = mapping_path(self.path).name
        self._accounts_only = header and accounts_table(columns)
        if not self.fixed_platform and "platform" not in columns:
            raise FormatError(
                f"{self.path}: no platform: give --platform NAME, add a 'platform' column, "
                f'or set "platform" in {sidecar}'
            )
        for required in ("timestamp",) if header and not self._accounts_only else ():  # no post id: derived
            if required not in columns:
                raise FormatError(
                    f"{self.path}: no {required} column (names tried: "
                    f"{', '.join(FIELDS[required])}); map one in {sidecar}"
                )

    # -- mapping -------------------------------------------------------------------------

    def _row(self, row: dict[str, Any], columns: dict[str, str], location: str = "") -> list[Record]:
        def get(name: str) -> Any:
            column = columns.get(name)
            if column is None:
                return None
            value = _lookup(row, column)
            if isinstance(value, str):
                value = value.strip()
            return None if value in ("", None) else value

        def text_of(name: str) -> str | None:
            value = get(name)
            return None if value is None else str(value)

        platform = self.fixed_platform or text_of("platform")
        if not platform:
            raise KeyError("missing platform")
        handle = text_of("handle")
        handle = handle.lstrip("@") if handle else None
        account_id = text_of("account_id") or handle
        if not account_id:
            raise KeyError("missing account")
        if self._accounts_only:
            return [
                Account(
                    AccountKey(platform, account_id),
                    handle=handle,
                    display_name=text_of("display_name"),
                    bio=text_of("bio"),
                    followers=count(get("followers")),
                    metadata=account_extras(get),
                )
            ]
        timestamp = self._time(get("timestamp"), columns.get("timestamp"), "timestamp")
        post_id = text_of("post_id")
        if not post_id and "post_id" not in columns:
            post_id = derived_post_id(platform, account_id, timestamp, text_of("text") or "")
        if not post_id:
            raise KeyError("missing post id")
        chat = f"{account_id}/" if platform == "telegram" else ""  # Telegram ids: "<chat>/<message>"
        if chat and "/" not in post_id and "post_id" in columns:
            post_id = chat + post_id
        account = Account(
            AccountKey(platform, account_id),
            handle=handle,
            display_name=text_of("display_name"),
            bio=text_of("bio"),
            metadata=account_extras(get),
        )
        account.followers = count(get("followers"))
        avatar = text_of("avatar_url")
        if avatar:
            account.avatar = Media(url=avatar)
        if get("account_created_at") is not None:
            account.created_at = self._time(
                get("account_created_at"), columns.get("account_created_at"), "account_created_at"
            )

        def ref(name: str) -> PostKey | None:
            value = text_of(name)
            if value and value.startswith("["):  # a one-id list cell (``[123]``): its id
                value = None if "{" in value else next(iter(split_multi(value)), None)  # objects: users
            if not value or value.lower() in NOT_AN_ID:
                return None
            return PostKey(platform, chat + value if chat and "/" not in value else value)

        mentions = [Mention(handle=h.lstrip("@")) for h in split_multi(get("mentions"))]
        mentions += [Mention(account_id=i) for i in split_multi(get("mention_ids"))]
        media = [Media(url=u) for u in split_multi(get("media_urls"))]
        refused: list[Record] = []
        for name in split_multi(get("media_files")):
            try:  # a file named by the export, read only from inside the export's folder
                media.append(hash_confined(self.path.parent, name, self.boundary))
            except PathRefused as exc:
                refused.append(
                    Problem(str(self.path), f"{location}: media_files", f"media path refused: {exc}")
                )
        reply_account = text_of("reply_to_account")
        forward_from = text_of("forward_from")
        meta: dict[str, Any] = {}
        if text_of("url"):
            meta["url"] = text_of("url")
        post = Post(
            PostKey(platform, post_id),
            account.key,
            timestamp,
            text=text_of("text") or "",
            language=text_of("language"),
            urls=split_multi(get("urls")),
            hashtags=[h.lstrip("#") for h in split_multi(get("hashtags"))],
            mentions=mentions,
            reply_to=ref("reply_to"),
            reply_to_account=AccountKey(platform, reply_account) if reply_account else None,
            repost_of=ref("repost_of"),
            quote_of=ref("quote_of"),
            forward_from=AccountKey(platform, forward_from) if forward_from else None,
            forward_from_name=text_of("forward_from_name"),
            media=media,
            raw=orjson.dumps(row).decode(),
            metadata=meta,
        )
        if "text" in columns:
            text_enrich(post, set(columns))
        # per-account columns: the latest row's values win (rows come in any order)
        latest = self._latest.get(account_id)
        if latest is not None and timestamp < latest:
            return [post, *refused]
        self._latest[account_id] = timestamp
        return [account, post, *refused]

    def _time(self, value: Any, column: str | None, name: str) -> datetime:
        dates = self.plan().dates.get(name)
        if dates is None or self.mapping.timestamp_format or value is None:
            return parse_row_time(value, self.mapping.timestamp_format)
        try:
            return dates.parse(value)
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise ValueError(f"bad timestamp: {value!r} in column {column!r} ({exc})") from exc


def _lookup(row: dict[str, Any], column: str) -> Any:
    """A column's value; a dotted name reaches into nested objects when no key has that name."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
