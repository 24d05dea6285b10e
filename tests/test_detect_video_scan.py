"""The ``vpdq`` matcher in the detector: video media against a vPDQ bank, with the evidence."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from openiru.detect.evidence import ScanMedia, ScanPost
from openiru.detect.pipeline import Detector
from openiru.detect.rules import BankItem, BankSpec, Ruleset
from openiru.detect.video import hash_video, to_lines, to_signal
from openiru.detect.video_matcher import VideoMatcher, is_video

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None,
    reason="ffmpeg is not installed (Debian: apt-get install ffmpeg; `make video`)",
)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("scan-videos")
    # two neutral synthetic scenes from ffmpeg's generators; mandelbrot's zoom is slow at 5 fps
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "mandelbrot=size=160x120:rate=5",
        "-t",
        "12",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        str(d / "known.mp4"),
    )
    _ffmpeg(
        "-i", str(d / "known.mp4"), "-vf", "scale=224:168", "-c:v", "mpeg4", "-q:v", "8", str(d / "copy.avi")
    )
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=5",
        "-t",
        "12",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        str(d / "other.mp4"),
    )
    (d / "broken.mp4").write_bytes(b"not a video at all")
    return {p.stem: p for p in d.iterdir()}


def _ruleset(signal: str) -> Ruleset:
    return Ruleset(
        banks={"videos": BankSpec("videos", "vpdq")},
        items=[
            BankItem(7, "videos", "vpdq", signal, "release-1", "fictional-label"),
            BankItem(8, "videos", "vpdq", "not a signal", "bad"),
        ],
    )


def _post(n: int, media: list[ScanMedia]) -> ScanPost:
    return ScanPost("example", f"p{n}", "a1", "", media=media)


@pytest.mark.parametrize("form", [to_signal, to_lines])
def test_detector_finds_the_re_encoded_copy_with_percentages_and_ranges(files, form):
    detector = Detector(_ruleset(form(hash_video(files["known"]))))
    assert "vpdq" in [m.name for m in detector.matchers]
    posts = [
        _post(1, [ScanMedia("m1", path=str(files["copy"]), mime="video/x-msvideo")]),
        _post(2, [ScanMedia("m2", path=str(files["other"]))]),
        _post(3, [ScanMedia("m3", path=str(files["broken"]), mime="video/mp4")]),
    ]
    first, second, third = detector.scan(posts)
    hits = [h for h in first.hits if h.matcher == "vpdq"]
    assert len(hits) == 1
    evidence = hits[0].evidence()
    assert evidence["item"] == "release-1" and evidence["media_key"] == "m1"
    assert evidence["query_match_percent"] >= 80 and evidence["compared_match_percent"] >= 80
    assert evidence["query_ranges"] == [[0.0, 11.0]] and evidence["compared_ranges"] == [[0.0, 11.0]]
    assert not [h for h in second.hits if h.matcher == "vpdq"]
    assert not third.hits  # undecodable: no vPDQ hit, no crash


def test_matcher_reports_what_it_could_not_use(files):
    matcher = VideoMatcher(_ruleset(to_signal(hash_video(files["known"]))))
    assert matcher.invalid == [8]
    results = Detector(matcher.ruleset, [matcher]).scan(
        [_post(1, [ScanMedia("m3", path=str(files["broken"]), mime="video/mp4")])]
    )
    assert not results[0].hits and "broken.mp4" in matcher.skipped["m3"]


def test_only_videos_are_hashed():
    assert is_video(ScanMedia("a", mime="video/webm"))
    assert is_video(ScanMedia("b", path="x/clip.MP4"))
    assert not is_video(ScanMedia("c", path="x/poster.jpg"))
    assert not is_video(ScanMedia("d", path="x/clip.mp4", mime="image/jpeg"))
