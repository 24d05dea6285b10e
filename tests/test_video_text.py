"""Text in video frames (issue 18, item 2): a few frames per video, one per scene, read by OCR at
scan, matched like a poster's text, each hit naming the frame time it was read at.

The video is made here: Pillow draws the frames (smooth colour fields, and a title card with
neutral text in DejaVu Sans Bold for four seconds in the middle), ffmpeg encodes them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from openiru.cli import app
from openiru.detect import ocr
from openiru.detect.video import VideoFrameHash, hash_video
from openiru.detect.video_text import frames_text, parse_frames_text, pick_times, read_frames_text
from openiru.model import AccountKey, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.sources.media import hash_file
from openiru.store import tables_media
from openiru.store.db import open_database
from source_support import ListSource

runner = CliRunner()
T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
W, H, FPS = 640, 360, 10
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
needs_tools = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or not ocr.available(), reason="ffmpeg or Tesseract not installed"
)


def _video(path: Path) -> Path:
    """12 s: a colour field, a title card (4-8 s), another colour field."""
    rng = np.random.default_rng(5)
    fields = [
        np.asarray(
            Image.fromarray(rng.integers(0, 256, size=(9, 16, 3), dtype=np.uint8)).resize(
                (W, H), Image.Resampling.BICUBIC
            )
        )
        for _ in range(2)
    ]
    card = Image.new("RGB", (W, H), (20, 30, 60))
    font = ImageFont.truetype(FONT, 48) if Path(FONT).exists() else ImageFont.load_default(size=48)
    for n, line in enumerate(["JOIN THE NORTH", "MERIDIAN CAUSE"]):
        ImageDraw.Draw(card).text((60, 110 + n * 80), line, font=font, fill=(250, 240, 200))
    frames = [fields[0]] * (4 * FPS) + [np.asarray(card)] * (4 * FPS) + [fields[1]] * (4 * FPS)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}"]
        + ["-r", str(FPS), "-i", "-", "-c:v", "libx264", "-crf", "20", "-pix_fmt", "yuv420p", str(path)],
        input=np.stack(frames).tobytes(),
        check=True,
    )
    return path


@needs_tools
def test_one_frame_per_scene_is_read_with_its_time(tmp_path: Path) -> None:
    video = _video(tmp_path / "release.mp4")
    times = pick_times(hash_video(video))
    assert 3 <= len(times) <= 5 and any(4 <= t < 8 for t in times)  # three scenes, each read once or so
    pages = read_frames_text(video, times)
    ((seconds, text),) = [(t, x) for t, x in pages if "MERIDIAN" in x]
    assert 4 <= seconds < 8 and "MERIDIAN CAUSE" in text


@needs_tools
def test_a_term_in_a_videos_title_card_alerts_citing_the_frame_time(sqlite_url: str, tmp_path: Path) -> None:
    video = _video(tmp_path / "release.mp4")
    engine = open_database(sqlite_url)
    post = Post(PostKey("x", "v1"), AccountKey("x", "a1"), T0, text="new", media=[hash_file(video)])
    ingest_source(engine, ListSource([post], "x"))
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(
        "term,language,kind,label\nmeridian cause,en,term,fictional slogan\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["lexicon", "import", str(lexicon), "--name", "s", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["scan", "--json", "--db", sqlite_url])
    assert result.exit_code == 0 and json.loads(result.stdout)["alerts"] == 1, result.output
    (alert,) = json.loads(runner.invoke(app, ["alerts", "--json", "--db", sqlite_url]).stdout)
    (hit,) = [h for h in alert["hits"] if h["matcher"] == "term"]
    assert hit["origin"] == "video" and 4 <= hit["frame_time"] < 8 and "MERIDIAN CAUSE" in hit["ocr_text"]
    with engine.connect() as conn:
        (row,) = conn.execute(sa.select(tables_media.media_features)).all()
    assert row.text_origin == "video" and row.vpdq and "MERIDIAN" in row.text  # stored: read once
    engine.dispose()


def test_scenes_are_picked_once_and_spread_and_pages_round_trip() -> None:
    rng = np.random.default_rng(3)
    scenes = [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(8)]
    # scene k held for three seconds; a dark (low quality) frame at the start
    features = [VideoFrameHash("0" * 64, 0, 0.0)] + [
        VideoFrameHash(scenes[k], 90, float(1 + 3 * k + j)) for k in range(8) for j in range(3)
    ]
    assert pick_times(features, max_frames=10) == [float(1 + 3 * k) for k in range(8)]
    spread = pick_times(features, max_frames=3)
    assert spread == [1.0, 13.0, 22.0]  # first, middle (scene 4 of 0-7) and last scene
    pages = [(4.0, "JOIN\nMERIDIAN"), (12.5, "second card")]
    assert parse_frames_text(frames_text(pages)) == pages
    assert parse_frames_text("no header") == [(None, "no header")]


@needs_tools
def test_match_of_a_video_reads_its_frames_text(sqlite_url: str, tmp_path: Path) -> None:
    video = _video(tmp_path / "release.mp4")
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(
        "term,language,kind,label\nmeridian cause,en,term,fictional slogan\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["lexicon", "import", str(lexicon), "--name", "s", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["match", str(video), "--json", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["media"] == "video" and found["frames"] == 12
    (m,) = found["matches"]
    assert (m["kind"], m["term"], m["origin"]) == ("term", "meridian cause", "video") and 4 <= m[
        "frame_time"
    ] < 8
    assert any("MERIDIAN CAUSE" in f["text"] and 4 <= f["time"] < 8 for f in found["frames_text"])
