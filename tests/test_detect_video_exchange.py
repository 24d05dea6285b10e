"""vPDQ signals in the exchanges' format: a bank of kind ``vpdq`` imported from and exported to
python-threatexchange's local-file format (``vpdq <JSON list of "hex,quality,seconds">``), then
matched by the detector against a video file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from openiru.detect.evidence import ScanMedia, ScanPost
from openiru.detect.pipeline import Detector
from openiru.detect.video import VideoFrameHash, from_signal, hash_video, to_signal
from openiru.interop.hashlists import read_hash_list, write_hash_list
from openiru.services.detect import banks as detect_banks
from openiru.sources.base import Problem

FRAMES = [VideoFrameHash(f"{i:02x}" * 32, 90 - i, float(i)) for i in range(5)]


def test_threatexchange_lines_read_validated_and_written_back(tmp_path: Path) -> None:
    path = tmp_path / "signals.txt"
    path.write_text(
        f'vpdq {to_signal(FRAMES)}\npdq {"ab" * 32}\nvpdq ["zz,100,0.000"]\nvpdq []\n', encoding="utf-8"
    )
    records = list(read_hash_list(path, "threatexchange"))
    good = [r for r in records if not isinstance(r, Problem)]
    bad = [r for r in records if isinstance(r, Problem)]
    assert [r.kind for r in good] == ["vpdq", "pdq"]
    assert from_signal(good[0].value) == FRAMES
    assert [p.location for p in bad] == ["line 3", "line 4"]
    written = write_hash_list(good, "threatexchange")
    assert written.splitlines()[0] == f"vpdq {to_signal(FRAMES)}"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (`make video`)")
def test_bank_import_export_and_scan(tmp_path: Path, sqlite_engine) -> None:
    known, copy = tmp_path / "known.mp4", tmp_path / "copy.webm"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=size=160x120:rate=5",
            "-t",
            "8",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            str(known),
        ],
        check=True,
    )
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(known),
            "-vf",
            "scale=200:150",
            "-c:v",
            "libvpx",
            "-b:v",
            "300k",
            str(copy),
        ],
        check=True,
    )
    signal = to_signal(hash_video(known))
    listing = tmp_path / "bank.txt"
    listing.write_text(f"vpdq {signal}\n", encoding="utf-8")
    summary = detect_banks.import_hash_list(sqlite_engine, listing, "videos", fmt="threatexchange")
    assert summary.added == 1
    exported = detect_banks.export_bank(sqlite_engine, "videos", "threatexchange")
    assert exported == f"vpdq {signal}\n"
    with sqlite_engine.connect() as conn:
        ruleset = detect_banks.load_ruleset(conn)
    assert ruleset.banks["videos"].kind == "vpdq"
    post = ScanPost("example", "p1", "a1", "", media=[ScanMedia("m1", path=str(copy), mime="video/webm")])
    hits = [h for h in Detector(ruleset).scan([post])[0].hits if h.matcher == "vpdq"]
    assert len(hits) == 1 and hits[0].bank == "videos"
    assert hits[0].detail["query_match_percent"] >= 80 and hits[0].detail["query_ranges"] == [[0.0, 7.0]]
