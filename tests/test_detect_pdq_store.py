"""Image hashes at scan time come from the media store only (issue 19, deliverable 1).

A media row names a ``path`` (where an import once found the file); a forged or old
row can name any file on the server.  ``hash_missing_pdq`` must read the image from
the media store by the row's SHA-256 and never open the recorded path.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from openiru.detect.evidence import ScanMedia, ScanPost
from openiru.detect.pdq import pdq_of_file
from openiru.services.collect.media import MediaStore
from openiru.services.detect.store import hash_missing_pdq
from openiru.store import schema


def _image(path: Path, seed: int) -> str:
    rng = random.Random(seed)
    image = Image.new("RGB", (200, 160), (rng.randrange(256), 0, 0))
    for _ in range(400):
        image.putpixel((rng.randrange(200), rng.randrange(160)), (0, rng.randrange(256), 255))
    image.save(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _row(conn: sa.Connection, key: str, sha256: str, path: str) -> list[ScanPost]:
    conn.execute(
        sa.insert(schema.media).values(
            media_key=key, sha256=sha256, path=path, mime="image/png", missing=False
        )
    )
    media = ScanMedia(key, sha256=sha256, path=path, mime="image/png")
    return [ScanPost("testnet", "1", "a", media=[media])]


def _stored_pdq(conn: sa.Connection, key: str) -> str | None:
    return conn.execute(sa.select(schema.media.c.pdq).where(schema.media.c.media_key == key)).scalar_one()


def test_a_forged_row_pointing_outside_is_not_opened(
    sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside" / "secret.png"
    outside.parent.mkdir()
    sha = _image(outside, 1)
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(file: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(str(file))
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    with sqlite_engine.begin() as conn:
        posts = _row(conn, "m:forged", sha, str(outside))
        assert hash_missing_pdq(conn, posts) == 0
        assert posts[0].media[0].pdq is None and _stored_pdq(conn, "m:forged") is None
    assert str(outside) not in opened


def test_the_image_is_read_from_the_store_by_hash(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    source = tmp_path / "export" / "photo.png"
    source.parent.mkdir()
    sha = _image(source, 2)
    store = MediaStore(tmp_path / "store")
    assert store.put(source, sha)
    expected = pdq_of_file(source)
    source.unlink()  # the recorded path is gone; the row below even names another file
    with sqlite_engine.begin() as conn:
        posts = _row(conn, "m:stored", sha, "/etc/passwd")
        assert hash_missing_pdq(conn, posts, store) == 1
        assert (posts[0].media[0].pdq, posts[0].media[0].pdq_quality) == expected
        assert _stored_pdq(conn, "m:stored") == expected[0]


def test_a_row_without_a_hash_or_with_a_non_hash_is_skipped(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    image = tmp_path / "x.png"
    _image(image, 3)
    with sqlite_engine.begin() as conn:
        for key, sha in (("m:none", ""), ("m:odd", "../../etc/passwd")):
            assert hash_missing_pdq(conn, _row(conn, key, sha, str(image)), MediaStore(tmp_path)) == 0
