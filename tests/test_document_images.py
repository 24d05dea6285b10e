"""PDQ of the images inside PDFs (issue 18, item 3): ``match DOC.pdf`` finds a known image printed
in a magazine, naming its page; ``bank add DOC.pdf`` adds its images' PDQ, so a re-issue with new
text and the same pictures matches them.  The PDFs are made here with fpdf2, the pictures with
Pillow (smooth colour fields); no tool beyond the Python packages is needed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from openiru.cli import app
from openiru.detect.document_images import pdf_images
from openiru.detect.pdq import hamming, pdq_of_file

runner = CliRunner()
FILLER = "A neutral page about the fictional town's library opening hours and its reading room. " * 8


def picture(path: Path, seed: int, size: tuple[int, int] = (480, 320)) -> Path:
    grid = np.random.default_rng(seed).integers(0, 256, size=(6, 9, 3), dtype=np.uint8)
    Image.fromarray(grid).resize(size, Image.Resampling.BICUBIC).save(path)
    return path


def pdf(path: Path, pages: list[tuple[str, list[Path]]]) -> Path:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("helvetica", size=11)
    for text, images in pages:
        doc.add_page()
        doc.multi_cell(0, 6, text)
        for k, image in enumerate(images):
            doc.image(str(image), x=20, y=120 + 70 * k, w=90)
    doc.output(str(path))
    return path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_images_inside_a_pdf_are_hashed_with_their_page(tmp_path: Path) -> None:
    known, other = picture(tmp_path / "known.png", 1), picture(tmp_path / "other.png", 2)
    icon = picture(tmp_path / "icon.png", 3, size=(40, 40))
    doc = pdf(tmp_path / "m.pdf", [("Issue 4", [icon]), (FILLER, [known, other]), (FILLER, [known])])
    found = pdf_images(doc)
    assert [(i.page, i.number) for i in found] == [(2, 1), (2, 2)]  # the icon too small; known once
    assert hamming(found[0].pdq, pdq_of_file(known)[0]) <= 8 and found[0].quality >= 50
    assert hamming(found[1].pdq, pdq_of_file(other)[0]) <= 8


def test_match_and_bank_add_of_a_pdf_use_the_images_inside(sqlite_url: str, tmp_path: Path) -> None:
    known, other = picture(tmp_path / "known.png", 1), picture(tmp_path / "other.png", 2)
    run("bank", "add", str(known), "--bank", "pictures", "--db", sqlite_url)
    magazine = pdf(tmp_path / "magazine.pdf", [("Issue 4", []), (FILLER, [known])])
    plain = pdf(tmp_path / "plain.pdf", [(FILLER, [other])])
    out = run("match", str(magazine), str(plain), "--bank", "pictures", "--json", "--db", sqlite_url)
    found, miss = [json.loads(line) for line in out.splitlines()]
    (m,) = found["matches"]
    assert (m["kind"], m["item"], m["page"]) == ("pdq", "known.png", 2) and m["distance"] <= 8
    assert miss["matches"] == [] and "images" not in found
    added = json.loads(run("bank", "add", str(magazine), "--bank", "docs", "--json", "--db", sqlite_url))
    assert added["added"] == 3  # MD5, the long page's text, the image's PDQ
    reissue = pdf(tmp_path / "reissue.pdf", [("New cover, new words entirely " * 5, [known])])
    (again,) = [json.loads(run("match", str(reissue), "--bank", "docs", "--json", "--db", sqlite_url))]
    assert [(m["kind"], m["item"], m["page"]) for m in again["matches"]] == [
        ("pdq", "magazine.pdf img.2.1", 1)
    ]


def test_scan_hashes_the_images_inside_a_posted_pdf_once(sqlite_url: str, tmp_path: Path) -> None:
    """A collected post carrying a PDF whose page prints a known picture raises a pdq hit on that
    medium naming the page; the images' PDQ are stored in ``media_features`` so a re-scan reads no
    file; a PDF of other pictures raises nothing."""
    import shutil
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from openiru.model import AccountKey, Post, PostKey
    from openiru.services.collect.ingest import ingest_source
    from openiru.services.collect.media import MediaStore
    from openiru.sources.media import hash_file
    from openiru.store import tables_media
    from openiru.store.db import open_database
    from source_support import ListSource

    known, other = picture(tmp_path / "known.png", 1), picture(tmp_path / "other.png", 2)
    magazine = pdf(tmp_path / "magazine.pdf", [("Issue 4", []), (FILLER, [known])])
    plain = pdf(tmp_path / "plain.pdf", [(FILLER, [other])])
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    engine = open_database(sqlite_url)
    ingest_source(
        engine,
        ListSource(
            [
                Post(
                    PostKey("rocketchat", p),
                    AccountKey("rocketchat", "u1"),
                    t0,
                    text="issue",
                    media=[hash_file(f)],
                )
                for p, f in (("m1", magazine), ("m2", plain))
            ]
        ),
    )
    run("bank", "add", str(known), "--bank", "pictures", "--db", sqlite_url)
    summary = json.loads(run("scan", "--json", "--db", sqlite_url))
    assert summary["posts"] == 2 and summary["alerts"] == 1
    (alert,) = json.loads(run("alerts", "--json", "--db", sqlite_url))
    assert alert["post"] == {"platform": "rocketchat", "post_id": "m1"}
    (hit,) = [h for h in alert["hits"] if h["matcher"] == "pdq"]
    assert (hit["item"], hit["page"], hit["origin"]) == ("known.png", 2, "document-image")
    assert hit["distance"] <= 8
    with engine.connect() as conn:
        stored = {
            r.media_key: json.loads(r.image_pdqs)
            for r in conn.execute(sa.select(tables_media.media_features))
        }
    assert sorted(len(v) for v in stored.values()) == [1, 1] and stored[hit["media_key"]][0][0] == 2
    # a PDF read before image_pdqs existed (NULL) has its images hashed at the next scan
    with engine.begin() as conn:
        conn.execute(sa.update(tables_media.media_features).values(image_pdqs=None))
    assert json.loads(run("scan", "--rescan", "--json", "--db", sqlite_url))["alerts"] == 1
    with engine.connect() as conn:
        refilled = [r.image_pdqs for r in conn.execute(sa.select(tables_media.media_features))]
    assert all(v is not None for v in refilled)
    shutil.rmtree(MediaStore().root)  # a re-scan uses the stored hashes, no file is read
    assert json.loads(run("scan", "--rescan", "--json", "--db", sqlite_url))["alerts"] == 1
    engine.dispose()
