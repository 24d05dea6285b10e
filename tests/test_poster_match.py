"""The pdq+OCR signal (issue 18, item 2): a known poster re-made on a new background.

Posters are drawn here with Pillow (DejaVu Sans Bold where installed, neutral text): the known
one on a dark striped background; re-makes with the same words on a noise field or a gradient,
in other colours, the text shifted; another poster with other words on the very background of
the known one.  ``bank add`` stores the known poster's PDQ, MD5 and OCR text; a scan then alerts
on the re-makes (PDQ beyond 31, so the ``pdq`` matcher misses them) with both figures in the
evidence, and not on the other poster, whose PDQ is about as far but whose text is not alike.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from openiru.cli import app
from openiru.detect import ocr
from openiru.detect.poster_match import LOOSE_PDQ_DISTANCE, ocr_value, parse_ocr_value, text_similarity
from openiru.model import AccountKey, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.sources.media import hash_file
from openiru.store.db import open_database
from source_support import ListSource

runner = CliRunner()
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
KNOWN = ["HARBOUR FESTIVAL", "volunteers meet at", "the north gate at noon", "bring gloves and bags"]
OTHER = ["GARDEN READING", "the lantern society", "opens the old hall", "every friday evening"]
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="Tesseract not installed (make ocr)")


def poster(path: Path, lines: list[str], background: str, colour: tuple[int, int, int], seed: int) -> Path:
    """A 960x540 poster: text on stripes, a smooth noise field or a gradient."""
    rng = np.random.default_rng(seed)
    if background == "noise":
        grid = rng.integers(0, 256, size=(9, 16, 3), dtype=np.uint8)
        field = Image.fromarray(grid).resize((960, 540), Image.Resampling.BICUBIC)
        image = Image.blend(field, Image.new("RGB", (960, 540), colour), 0.5)
    elif background == "gradient":
        a = np.linspace(0, 1, 960)[None, :, None]
        row = np.array(colour)[None, None, :] * (1 - a) + np.array(colour[::-1])[None, None, :] * a
        image = Image.fromarray(np.repeat(row, 540, 0).astype(np.uint8))
    else:
        image = Image.new("RGB", (960, 540), colour)
        stripe = tuple(min(255, c + 25) for c in colour)
        for x in range(0, 960, 40):
            ImageDraw.Draw(image).line([(x, 0), (x + 200, 540)], fill=stripe, width=6)
    font = ImageFont.truetype(FONT, 54) if Path(FONT).exists() else ImageFont.load_default(size=54)
    shift = 20 if background == "gradient" else 0
    for n, line in enumerate(lines):
        ImageDraw.Draw(image).text((50 + shift, 90 + n * 110), line, font=font, fill=(250, 240, 200))
    image.save(path)
    return path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@needs_ocr
def test_poster_remade_on_new_backgrounds_alerts_with_pdq_distance_and_text_similarity(
    sqlite_url: str, tmp_path: Path
) -> None:
    known = poster(tmp_path / "known.png", KNOWN, "stripes", (25, 35, 70), 1)
    posts = {
        "noise": poster(tmp_path / "remade1.png", KNOWN, "noise", (90, 20, 20), 2),
        "gradient": poster(tmp_path / "remade2.png", KNOWN, "gradient", (10, 80, 40), 3),
        "other": poster(tmp_path / "other.png", OTHER, "stripes", (25, 35, 70), 1),
    }
    added = json.loads(run("bank", "add", str(known), "--bank", "posters", "--json", "--db", sqlite_url))
    assert added["added"] == 3  # PDQ, MD5 and the poster's OCR text
    engine = open_database(sqlite_url)
    records = [
        Post(PostKey("x", name), AccountKey("x", "a1"), T0, text="new", media=[hash_file(path)])
        for name, path in posts.items()
    ]
    ingest_source(engine, ListSource(records, "x"))  # its detection hook scans the new posts
    engine.dispose()
    run("scan", "--json", "--db", sqlite_url)
    alerts = {a["post"]["post_id"]: a for a in json.loads(run("alerts", "--json", "--db", sqlite_url))}
    assert set(alerts) == {"noise", "gradient"}  # the other poster's text is not alike
    for alert in alerts.values():
        assert {h["matcher"] for h in alert["hits"]} == {"pdq+ocr"}  # PDQ alone misses a re-make
        (hit,) = alert["hits"]
        assert hit["item"] == "known.png" and hit["bank"] == "posters"
        assert 31 < hit["pdq_distance"] <= LOOSE_PDQ_DISTANCE and hit["text_similarity"] >= 0.8
        assert "HARBOUR FESTIVAL" in hit["ocr_text"] and "HARBOUR FESTIVAL" in hit["bank_text"]


def test_ocr_values_and_text_similarity() -> None:
    value = ocr_value("AB" * 32, "HARBOUR FESTIVAL\nvolunteers  meet")
    assert value == "ab" * 32 + " HARBOUR FESTIVAL volunteers meet" and "\n" not in value
    assert parse_ocr_value(value) == ("ab" * 32, "HARBOUR FESTIVAL volunteers meet")
    assert parse_ocr_value("not-a-hash text") is None and parse_ocr_value("ab" * 32 + "  ") is None
    read = "harbour festlval volunteers meet at the north gate at noon"  # one misread letter
    assert text_similarity(read, "harbour festival volunteers meet at the north gate at noon") > 0.95
    assert text_similarity("garden reading the lantern society", "harbour festival volunteers") < 0.5


@needs_ocr
def test_match_reads_an_images_text_and_reports_terms_texts_and_remade_posters(
    sqlite_url: str, tmp_path: Path
) -> None:
    """``openiru match IMAGE --json``: the OCR text, a lexicon term found in it with its span, a
    known text printed on it, and a re-made known poster (``pdq+ocr``); a plain image finds nothing."""
    known = poster(tmp_path / "known.png", KNOWN, "stripes", (25, 35, 70), 1)
    remade = poster(tmp_path / "remade.png", KNOWN, "noise", (90, 20, 20), 2)
    slogan = poster(
        tmp_path / "slogan.png", ["JOIN THE NORTH", "MERIDIAN CAUSE", "TODAY"], "gradient", (10, 80, 40), 3
    )
    quote = poster(tmp_path / "quote.png", OTHER, "noise", (60, 60, 60), 4)
    plain = poster(tmp_path / "plain.png", ["SPRING MARKET", "SATURDAY"], "stripes", (90, 20, 20), 5)
    run("bank", "add", str(known), "--bank", "posters", "--db", sqlite_url)
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(
        "term,language,kind,label\nmeridian cause,en,term,fictional slogan\n", encoding="utf-8"
    )
    run("lexicon", "import", str(lexicon), "--name", "slogans", "--db", sqlite_url)
    texts = tmp_path / "known.jsonl"
    texts.write_text(
        json.dumps({"id": "reading-1", "text": " ".join(OTHER).lower()}) + "\n", encoding="utf-8"
    )
    run("known-texts", "import", str(texts), "--db", sqlite_url)
    out = run("match", str(remade), str(slogan), str(quote), str(plain), "--json", "--db", sqlite_url)
    found = {Path(r["input"]).stem: r for r in map(json.loads, out.splitlines())}
    assert all(r["media"] == "image" for r in found.values())
    (m,) = found["remade"]["matches"]
    assert (m["kind"], m["item"]) == ("pdq+ocr", "known.png")
    assert 31 < m["pdq_distance"] <= LOOSE_PDQ_DISTANCE and m["text_similarity"] >= 0.8
    assert "HARBOUR FESTIVAL" in found["remade"]["ocr_text"]
    (t,) = found["slogan"]["matches"]
    assert (t["kind"], t["term"], t["origin"]) == ("term", "meridian cause", "ocr")
    start, end = t["text_span"]
    assert found["slogan"]["ocr_text"][start:end].upper() == "MERIDIAN CAUSE"
    (k,) = found["quote"]["matches"]
    assert (k["kind"], k["item"]) == ("text", "reading-1") and k["similarity"] >= 0.8
    assert found["plain"]["matches"] == [] and "SPRING MARKET" in found["plain"]["ocr_text"]
