"""Media of collected posts, downloaded and hashed as an import hashes an export's files.

A connector maps a post's media as the importer does from an export: an item with the URL the
platform gave (Mastodon attachments, Telegram Bot API file ids are not URLs and stay as they
are) and no hash.  Before a page is stored, :func:`fetch_media` downloads each such URL through
the SSRF-safe outbound client (internal addresses refused unless ``OPENIRU_FETCH_ALLOW``
names them; ``OPENIRU_FETCH_MAX_BYTES``, time limit) into a folder the caller removes after the
page is stored, hashes it (SHA-256, MD5, MIME, size: :func:`openiru.sources.media.hash_file`),
and the page's ingest hooks copy it into the media store (``$OPENIRU_DATA/media/<sha256>``)
where detection (PDQ, vPDQ) reads it.  A download that fails leaves the item as it was (its
URL kept, no hash) and is counted; the post is stored either way.  ``OPENIRU_COLLECT_MEDIA=0``
turns downloading off.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...model import Post
from ...sources.media import hash_file


def enabled() -> bool:
    return os.environ.get("OPENIRU_COLLECT_MEDIA", "1").strip().lower() not in ("0", "false", "no", "off")


@dataclass
class MediaFetched:
    downloaded: int = 0
    failed: int = 0


def wanted(records: list[Any]) -> bool:
    """Whether any post of the page has a media URL without a hash."""
    return any(isinstance(r, Post) and any(m.url and not m.sha256 for m in r.media) for r in records)


def fetch_media(records: list[Any], client: Any, folder: Path) -> MediaFetched:
    """Download and hash the media URLs of ``records``' posts into ``folder`` (see the module's note)."""
    done = MediaFetched()
    cache: dict[str, Any] = {}
    for record in records:
        if not isinstance(record, Post):
            continue
        for index, item in enumerate(record.media):
            if not item.url or item.sha256 or not item.url.startswith(("http://", "https://")):
                continue
            hashed = cache.get(item.url)
            if hashed is None:
                hashed = cache[item.url] = _download(item.url, client, folder)
            if hashed is None:
                done.failed += 1
                continue
            record.media[index] = type(hashed)(
                sha256=hashed.sha256,
                md5=hashed.md5,
                mime=item.mime or hashed.mime,
                size=hashed.size,
                path=hashed.path,
                url=item.url,
                native_key=item.native_key,
            )
            done.downloaded += 1
    return done


def _download(url: str, client: Any, folder: Path) -> Any:
    try:
        response = client.get(url)
    except Exception:  # noqa: BLE001 - refused, too large, timed out, dropped: the item stays a URL
        return None
    if response.status_code != 200 or not response.content:
        return None
    path = folder / hashlib.sha256(url.encode()).hexdigest()
    path.write_bytes(response.content)
    hashed = hash_file(path)
    return None if hashed.missing else hashed
