"""Hash-list formats: read and write the lists hash-sharing consortia exchange.

Formats (``--format``):

* ``plain``: one hash (or URL) per line; ``#`` comments and blank lines ignored;
* ``csv``: a header naming the hash column (``hash``, ``signal``, ``value``, ``url``,
  ``text`` or ``hash_digest``) and optional label columns ``kind`` (or
  ``signal_type``/``algorithm``), ``organisation``, ``outlet``, ``item``, ``label``,
  ``source``, ``language`` (the demo's ``hashes.csv`` is one);
* ``threatexchange``: python-threatexchange's local-file exchange
  (``LocalFileSignalExchangeAPI``): ``<signal type> <signal>`` per line, e.g.
  ``pdq 3d1f...``, ``video_md5 9e10...`` or ``vpdq ["<pdq hex>,<quality>,<seconds>", ...]``;
* ``tat``: Tech Against Terrorism hash-list API pages (JSON with ``results`` of
  ``{hash_digest, algorithm, ideology, file_type, deleted, id...}``), as
  python-threatexchange's TAT exchange fetches them; ``deleted`` entries remove
  hashes; PDQ, MD5 and SHA-256 are kept (python-threatexchange keeps only PDQ
  and video MD5);
* ``jsonl``: known texts, one ``{"id", "text", "language", "label"}`` per line.

Every signal is validated with python-threatexchange's signal types
(``PdqSignal``, ``VideoMD5Signal``, ``VideoSHA256Signal``, ``URLSignal``); a bad
line is reported with file, line and reason, and skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.sha256 import VideoSHA256Signal
from threatexchange.signal_type.url import URLSignal

from ..detect.video import from_signal, to_signal
from ..model import HashRecord
from ..sources.base import Problem

FORMATS = ("auto", "plain", "csv", "threatexchange", "tat", "jsonl")
KINDS = ("pdq", "md5", "sha256", "url", "text", "video", "vpdq")

#: python-threatexchange signal type names -> OpenIRU bank kinds.
TX_TYPES = {
    "pdq": "pdq",
    "video_md5": "md5",
    "photo_md5": "md5",
    "md5": "md5",
    "video_sha256": "sha256",
    "sha256": "sha256",
    "url": "url",
    "raw_text": "text",
    "text": "text",
    "vpdq": "vpdq",
    "video_vpdq": "vpdq",
}
#: OpenIRU kinds -> the python-threatexchange names written on export.
TX_NAMES = {
    "pdq": "pdq",
    "md5": "video_md5",
    "sha256": "video_sha256",
    "url": "url",
    "text": "raw_text",
    "video": "video_md5",
    "vpdq": "vpdq",
}
_HASH_COLUMNS = ("hash", "signal", "value", "hash_digest", "url", "text")
_KIND_COLUMNS = ("kind", "signal_type", "algorithm", "type")


def validate(kind: str, value: str) -> str:
    """The canonical form of a signal of ``kind``; ValueError if it is not one."""
    value = value.strip()
    if kind == "pdq":
        return PdqSignal.validate_signal_str(value.lower())
    if kind in ("md5", "video"):
        return VideoMD5Signal.validate_signal_str(value).lower()
    if kind == "sha256":
        checked = VideoSHA256Signal.validate_signal_str(value).lower()
        if len(checked) != 64 or any(c not in "0123456789abcdef" for c in checked):
            raise ValueError("invalid SHA-256 hash")
        return checked
    if kind == "url":
        return URLSignal.validate_signal_str(value)
    if kind == "vpdq":  # VideoVPDQSignal: a JSON list of "<pdq hex>,<quality>,<timestamp>"
        features = from_signal(value)
        if not features:
            raise ValueError("empty vPDQ signal")
        return to_signal(features)
    if kind == "text":
        if not value:
            raise ValueError("empty text")
        return value
    raise ValueError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")


def guess_kind(value: str, default: str | None) -> str:
    """The kind of a bare signal: given, else by shape (32 hex digits: MD5; a URL)."""
    if default:
        return default
    v = value.strip()
    if len(v) == 32 and all(c in "0123456789abcdefABCDEF" for c in v):
        return "md5"
    if v.lower().startswith(("http://", "https://")):
        return "url"
    if len(v) == 64:
        raise ValueError("64 hex digits can be PDQ or SHA-256: give --kind")
    raise ValueError("cannot tell the kind of this signal: give --kind")


def _kind_name(raw: str | None, default: str | None, file_type: str | None = None) -> str | None:
    if not raw:
        return default
    name = raw.strip().lower().replace("-", "_")
    if name in ("md5",) and file_type and file_type.lower() in ("mp4", "mov", "m4v", "webm"):
        return "video"
    return TX_TYPES.get(name, name)


def sniff_format(path: Path) -> str:
    """The format of a hash-list file, from its name and first bytes."""
    head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if path.suffix.lower() == ".jsonl":
        return "jsonl"
    if head.startswith(b"{") or head.startswith(b"["):
        first_line = head.split(b"\n", 1)[0]
        if b'"hash_digest"' in head or b'"results"' in head:
            return "tat"
        return "jsonl" if first_line.rstrip().endswith(b"}") and b'"text"' in first_line else "tat"
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    if "," in first and any(c in first.split(",") for c in _HASH_COLUMNS):
        return "csv"
    if " " in first and first.split(" ", 1)[0] in TX_TYPES:
        return "threatexchange"
    return "plain"


def read_hash_list(path: Path, fmt: str = "auto", kind: str | None = None) -> Iterator[HashRecord | Problem]:
    """Records of a hash-list file; bad lines become :class:`Problem` records."""
    path = Path(path)
    if fmt == "auto":
        fmt = sniff_format(path)
    readers = {
        "plain": _read_plain,
        "csv": _read_csv,
        "threatexchange": _read_tx,
        "tat": _read_tat,
        "jsonl": _read_jsonl,
        "texts": _read_texts,
    }
    if fmt not in readers:
        raise ValueError(f"unknown hash-list format {fmt!r}; formats: {', '.join(FORMATS)}")
    for record in readers[fmt](path, kind):
        if isinstance(record, Problem):
            yield record
            continue
        location, rec = record
        try:
            yield HashRecord(
                rec.kind,
                validate(rec.kind, rec.value),
                rec.item,
                rec.label,
                rec.organisation,
                rec.outlet,
                rec.source,
                rec.language,
                rec.deleted,
            )
        except ValueError as exc:
            yield Problem(str(path), location, f"invalid {rec.kind} signal: {exc}")


_Raw = Iterator[tuple[str, HashRecord] | Problem]


def _read_plain(path: Path, kind: str | None) -> _Raw:
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            value = line.strip()
            if not value or value.startswith("#"):
                continue
            try:
                yield f"line {lineno}", HashRecord(guess_kind(value, kind), value)
            except ValueError as exc:
                yield Problem(str(path), f"line {lineno}", str(exc))


def _read_tx(path: Path, kind: str | None) -> _Raw:
    # the format of threatexchange.exchanges.impl.file_api.LocalFileSignalExchangeAPI
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            type_name, _, signal = text.partition(" ")
            if not signal:
                type_name, signal = "", type_name
            found = _kind_name(type_name, kind)
            if found is None:
                yield Problem(str(path), f"line {lineno}", "no signal type on the line: give --kind")
                continue
            yield f"line {lineno}", HashRecord(found, signal.strip(), source="threatexchange")


def _cell(row: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return value.strip()
    return None


def _read_csv(path: Path, kind: str | None) -> _Raw:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        reader.fieldnames = fields
        value_col = next((c for c in _HASH_COLUMNS if c in fields), None)
        if value_col is None:
            yield Problem(str(path), "line 1", f"no hash column (one of {', '.join(_HASH_COLUMNS)})")
            return
        for lineno, row in enumerate(reader, 2):
            value = _cell(row, value_col)
            if not value:
                yield Problem(str(path), f"line {lineno}", f"empty {value_col}")
                continue
            try:
                found = _kind_name(_cell(row, *_KIND_COLUMNS), kind, _cell(row, "file_type"))
                if found is None:
                    found = (
                        "url"
                        if value_col == "url"
                        else "text"
                        if value_col == "text"
                        else guess_kind(value, None)
                    )
            except ValueError as exc:
                yield Problem(str(path), f"line {lineno}", str(exc))
                continue
            yield (
                f"line {lineno}",
                HashRecord(
                    found,
                    value,
                    _cell(row, "item", "id"),
                    _cell(row, "label", "ideology"),
                    _cell(row, "organisation", "organization"),
                    _cell(row, "outlet"),
                    _cell(row, "source"),
                    _cell(row, "language"),
                    (_cell(row, "deleted") or "").lower() in ("1", "true", "yes"),
                ),
            )


def _read_tat(path: Path, kind: str | None) -> _Raw:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        yield Problem(str(path), "document", f"invalid JSON: {exc}")
        return
    pages = (
        data
        if isinstance(data, list) and data and isinstance(data[0], dict) and "results" in data[0]
        else [data]
    )
    for p, page in enumerate(pages):
        entries = page.get("results", []) if isinstance(page, dict) else page
        for i, entry in enumerate(entries):
            where = f"page {p} results[{i}]"
            if not isinstance(entry, dict) or "hash_digest" not in entry:
                yield Problem(str(path), where, "not a hash-list entry (no hash_digest)")
                continue
            found = _kind_name(str(entry.get("algorithm", "")), kind, entry.get("file_type"))
            if found not in KINDS:
                yield Problem(str(path), where, f"unsupported algorithm {entry.get('algorithm')!r}")
                continue
            yield (
                where,
                HashRecord(
                    found,
                    str(entry["hash_digest"]),
                    str(entry["id"]) if entry.get("id") is not None else None,
                    entry.get("ideology"),
                    None,
                    None,
                    "tat",
                    None,
                    bool(entry.get("deleted")),
                ),
            )


def _read_texts(path: Path, kind: str | None) -> _Raw:
    """Known texts as plain text (blocks between blank lines, or one a line)."""
    from ..sources.term_lists import read_text_blocks

    return read_text_blocks(path, kind)


def _read_jsonl(path: Path, kind: str | None) -> _Raw:
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield Problem(str(path), f"line {lineno}", f"invalid JSON: {exc}")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                yield Problem(str(path), f"line {lineno}", "no text field")
                continue
            yield (
                f"line {lineno}",
                HashRecord(
                    kind or "text",
                    obj["text"],
                    str(obj["id"]) if obj.get("id") is not None else None,
                    obj.get("label"),
                    obj.get("organisation"),
                    obj.get("outlet"),
                    obj.get("source"),
                    obj.get("language"),
                ),
            )


def write_hash_list(records: Iterable[HashRecord], fmt: str = "csv") -> str:
    """A hash list as text in ``csv``, ``plain``, ``threatexchange``, ``tat`` or ``jsonl`` form."""
    out = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["hash", "kind", "organisation", "outlet", "item", "source", "label", "language"])
        for r in records:
            writer.writerow(
                [
                    r.value,
                    r.kind,
                    r.organisation or "",
                    r.outlet or "",
                    r.item or "",
                    r.source or "",
                    r.label or "",
                    r.language or "",
                ]
            )
    elif fmt == "plain":
        for r in records:
            out.write(r.value.replace("\n", " ") + "\n")
    elif fmt == "threatexchange":
        for r in records:
            out.write(f"{TX_NAMES.get(r.kind, r.kind)} {r.value}\n")
    elif fmt == "tat":
        # one page in the shape of the Tech Against Terrorism hash-list API (what
        # python-threatexchange's TAT exchange and ``read_hash_list(fmt="tat")`` read)
        algorithms = {"pdq": "PDQ", "md5": "MD5", "video": "MD5", "sha256": "SHA256"}
        results = [
            {
                "hash_digest": r.value,
                "algorithm": algorithms[r.kind],
                "ideology": r.label,
                "file_type": "mp4" if r.kind == "video" else None,
                "deleted": False,
                "id": r.item,
            }
            for r in records
            if r.kind in algorithms
        ]
        out.write(
            orjson.dumps(
                {"count": len(results), "next": None, "previous": None, "checkpoint": "", "results": results},
                option=orjson.OPT_INDENT_2,
            ).decode()
            + "\n"
        )
    elif fmt == "jsonl":
        for r in records:
            out.write(
                orjson.dumps(
                    {"id": r.item, "text": r.value, "language": r.language, "label": r.label}
                ).decode()
                + "\n"
            )
    else:
        raise ValueError(f"unknown export format {fmt!r}; formats: csv, plain, threatexchange, tat, jsonl")
    return out.getvalue()
