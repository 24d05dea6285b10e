"""Issue 18's Done-when through the CLI: videos (vPDQ), posters (OCR) and PDFs (page texts).

* ``bank add`` of a video, then ``match --json`` of a re-encode at another size and bitrate and of a
  10-second clip cut from it: both match its vPDQ item, with percentages and time ranges;
* a collected post whose poster carries a lexicon term in its burned-in text: ``scan`` raises an
  alert whose evidence cites the OCR text, and the OCR text is stored (a re-scan reads no file);
* a PDF whose page holds a known text matches it (``match``), page named; ``bank add`` of a PDF
  adds its MD5 and its pages' texts, so a re-made copy matches page by page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from openiru import cli
from openiru.cli import app
from openiru.detect import ocr
from openiru.model import AccountKey, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.services.collect.media import MediaStore
from openiru.sources.media import hash_file
from openiru.store import tables_media
from openiru.store.db import open_database
from source_support import ListSource
from test_media_text import KNOWN, pdf, poster

runner = CliRunner()
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed (make video)")
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="Tesseract not installed (make ocr)")


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@needs_ffmpeg
def test_reencoded_copy_and_ten_second_clip_match_the_banked_video(sqlite_url: str, tmp_path: Path) -> None:
    original = tmp_path / "release.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "mandelbrot=size=320x240:rate=10",
        "-t",
        "24",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        "-b:v",
        "800k",
        str(original),
    )
    smaller = tmp_path / "copy.mp4"
    ffmpeg("-i", str(original), "-vf", "scale=176:132", "-c:v", "libx264", "-b:v", "90k", str(smaller))
    clip = tmp_path / "clip.mkv"
    ffmpeg("-ss", "8", "-i", str(original), "-t", "10", "-c:v", "libx264", "-crf", "30", str(clip))
    other = tmp_path / "other.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "12", "-pix_fmt", "yuv420p", str(other)
    )
    run("init", "--db", sqlite_url)
    added = json.loads(
        run(
            "bank",
            "add",
            str(original),
            "--bank",
            "videos",
            "--label",
            "fictional-release",
            "--json",
            "--db",
            sqlite_url,
        )
    )
    assert added["added"] == 2  # vPDQ + MD5
    exported = run("bank", "export", "--bank", "videos", "--format", "threatexchange", "--db", sqlite_url)
    assert "vpdq" in exported.lower()
    lines = run("match", str(smaller), str(clip), str(other), "--kind", "video", "--json", "--db", sqlite_url)
    copy_result, clip_result, other_result = [json.loads(line) for line in lines.splitlines()]
    (m,) = [m for m in copy_result["matches"] if m["kind"] == "vpdq"]
    assert (m["bank"], m["item"], m["label"]) == ("videos", "release.mp4", "fictional-release")
    assert m["query_match_percent"] >= 90 and m["compared_match_percent"] >= 90
    assert m["query_ranges"] == [[0.0, 23.0]] and m["compared_ranges"] == [[0.0, 23.0]]
    assert copy_result["media"] == "video" and copy_result["frames"] == 24
    (c,) = [m for m in clip_result["matches"] if m["kind"] == "vpdq"]
    assert c["query_match_percent"] >= 80 and 30 <= c["compared_match_percent"] <= 55  # 10 of 24 s
    ((q_start, q_end),) = c["query_ranges"]
    ((b_start, b_end),) = c["compared_ranges"]
    assert q_start <= 1.0 and q_end >= 8.0 and 7.0 <= b_start <= 9.0 and 15.0 <= b_end <= 18.0
    assert other_result["matches"] == []
    # the original itself: vPDQ and exact MD5
    kinds = {
        m["kind"] for m in json.loads(run("match", str(original), "--json", "--db", sqlite_url))["matches"]
    }
    assert kinds == {"vpdq", "md5"}


@needs_ocr
def test_poster_with_a_lexicon_term_raises_an_alert_citing_the_ocr_text(
    sqlite_url: str, tmp_path: Path
) -> None:
    image = poster(tmp_path / "poster.png", ["JOIN THE NORTH", "MERIDIAN CAUSE", "TODAY"])
    calm = poster(
        tmp_path / "calm.png", ["SPRING MARKET", "SATURDAY"], background=(230, 230, 220), ink=(20, 20, 20)
    )
    engine = open_database(sqlite_url)
    ingest_source(
        engine,
        ListSource(
            [
                Post(
                    PostKey("telegram", "-1001/1"),
                    AccountKey("telegram", "chan1"),
                    T0,
                    text="new poster",
                    media=[hash_file(image)],
                ),
                Post(
                    PostKey("telegram", "-1001/2"),
                    AccountKey("telegram", "chan1"),
                    T0,
                    text="market day",
                    media=[hash_file(calm)],
                ),
            ]
        ),
    )
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(
        "term,language,kind,label\nmeridian cause,en,term,fictional slogan\n", encoding="utf-8"
    )
    run("lexicon", "import", str(lexicon), "--name", "slogans", "--db", sqlite_url)
    summary = json.loads(run("scan", "--json", "--db", sqlite_url))
    assert summary["posts"] == 2 and summary["alerts"] == 1
    (alert,) = json.loads(run("alerts", "--json", "--db", sqlite_url))
    assert alert["post"] == {"platform": "telegram", "post_id": "-1001/1"}
    (hit,) = [h for h in alert["hits"] if h["matcher"] == "term"]
    assert hit["term"] == "meridian cause" and hit["origin"] == "ocr"
    assert "MERIDIAN CAUSE" in hit["ocr_text"] and hit["media_key"].startswith("sha256:")
    with engine.connect() as conn:
        rows = {r.media_key: r for r in conn.execute(sa.select(tables_media.media_features))}
    assert len(rows) == 2 and all(r.text_origin == "ocr" for r in rows.values())
    assert "SPRING MARKET" in rows[[k for k in rows if k != hit["media_key"]][0]].text
    # a lexicon change re-scans every post: the stored OCR text is used, no file is read again
    shutil.rmtree(MediaStore().root)
    lexicon.write_text("term,language,kind,label\nspring market,en,term,neutral\n", encoding="utf-8")
    run("lexicon", "import", str(lexicon), "--name", "more", "--db", sqlite_url)
    assert json.loads(run("scan", "--json", "--db", sqlite_url))["alerts"] == 2
    engine.dispose()


def test_pdf_whose_page_holds_a_known_text_matches_it(sqlite_url: str, tmp_path: Path) -> None:
    texts = tmp_path / "known.jsonl"
    texts.write_text(
        json.dumps({"id": "bulletin-1", "text": KNOWN, "language": "en", "label": "fictional"}) + "\n",
        encoding="utf-8",
    )
    run("known-texts", "import", str(texts), "--db", sqlite_url)
    filler = "A neutral page about the fictional town's library opening hours and its reading room. " * 10
    magazine = pdf(tmp_path / "magazine.pdf", ["Issue 9", filler, filler + " " + KNOWN + " " + filler])
    plain = pdf(tmp_path / "plain.pdf", [filler])
    found, miss = [
        json.loads(line)
        for line in run("match", str(magazine), str(plain), "--json", "--db", sqlite_url).splitlines()
    ]
    assert found["media"] == "document" and found["pages"] == 3
    (m,) = found["matches"]
    assert (m["kind"], m["item"], m["pages"]) == ("text", "bulletin-1", [3]) and m["similarity"] >= 0.8
    assert miss["matches"] == []
    # a document into a bank: MD5 and each page's text; a re-made copy matches its pages
    added = json.loads(run("bank", "add", str(magazine), "--bank", "docs", "--json", "--db", sqlite_url))
    assert added["added"] == 3  # MD5 + two pages long enough to be texts
    remade = pdf(tmp_path / "remade.pdf", ["New cover", filler + " " + KNOWN + " " + filler])
    (again,) = [
        json.loads(line)
        for line in run("match", str(remade), "--bank", "docs", "--json", "--db", sqlite_url).splitlines()
    ]
    assert "magazine.pdf p.3" in {m["item"] for m in again["matches"]}
    exact = json.loads(run("match", str(magazine), "--bank", "docs", "--json", "--db", sqlite_url))
    assert "md5" in {m["kind"] for m in exact["matches"]}


def test_bank_add_errors_are_one_line(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run("init", "--db", sqlite_url)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 nothing")
    for name, code in (("absent.mp4", 2), ("broken.pdf", 1)):  # a usage error; a file it cannot read
        monkeypatch.setattr(
            "sys.argv", ["openiru", "bank", "add", str(tmp_path / name), "--bank", "b", "--db", sqlite_url]
        )
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        out, err = capsys.readouterr()
        assert exit_info.value.code == code and out == ""
        lines = err.strip().splitlines()  # a usage error has the usage line and the help hint above
        assert len(lines) == (3 if code == 2 else 1) and name in lines[-1] and "Traceback" not in err
