"""vPDQ hashing and matching on videos generated here with ffmpeg (neutral synthetic scenes).

A "known" video is eight 2-second shots of smooth random colour fields, each panning slowly
(as camera footage does); the copies are made from it with ffmpeg: re-encoded with another
codec and size, trimmed, and shown inside a longer video.  Unrelated videos are other seeds
and ffmpeg's own test pattern.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openiru.detect import video as video_mod
from openiru.detect.video import VideoFrameHash, VideoHashError, from_signal, hash_video, to_lines, to_signal
from openiru.detect.video_match import VideoIndex, match_videos, time_ranges

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None,
    reason="ffmpeg is not installed (Debian: apt-get install ffmpeg; `make ffmpeg`)",
)

FPS = 10
W, H = 160, 120


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def _scenes(path: Path, seed: int, shots: int, seconds: int = 2) -> Path:
    """Shots of smooth random colour fields, each panning two pixels a second, encoded with x264."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(shots):
        grid = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        field = np.asarray(Image.fromarray(grid).resize((W + 40, H + 40), Image.Resampling.BILINEAR))
        for f in range(seconds * FPS):
            frames.append(field[f // 10 : f // 10 + H, f // 5 : f // 5 + W])
    raw = np.stack(frames).tobytes()
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{W}x{H}",
            "-r",
            str(FPS),
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-crf",
            "18",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        input=raw,
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("videos")
    known = _scenes(d / "known.mp4", seed=1, shots=8)
    other = _scenes(d / "other.mp4", seed=2, shots=4)
    _ffmpeg("-i", str(known), "-vf", "scale=240:180", "-c:v", "mpeg4", "-q:v", "12", str(d / "reencoded.avi"))
    _ffmpeg(
        "-ss",
        "3.4",
        "-i",
        str(known),
        "-t",
        "10",
        "-vf",
        "scale=128:96",
        "-c:v",
        "libx264",
        "-crf",
        "32",
        str(d / "clip.mp4"),
    )
    _ffmpeg(
        "-i",
        str(other),
        "-i",
        str(known),
        "-filter_complex",
        "[0]split[a][b];[a]trim=duration=4,setpts=PTS-STARTPTS[head];"
        "[b]trim=start=4,setpts=PTS-STARTPTS[tail];[head][1][tail]concat=n=3:v=1:a=0,format=yuv420p",
        "-c:v",
        "libx264",
        "-crf",
        "23",
        str(d / "longer.mp4"),
    )
    _ffmpeg(
        "-i",
        str(other),
        "-i",
        str(known),
        "-filter_complex",  # 7 s of the known video amid other footage
        "[0]split[a][b];[a]trim=duration=4,setpts=PTS-STARTPTS[head];[1]trim=start=4:end=11,setpts=PTS-STARTPTS"
        "[mid];[b]trim=start=4,setpts=PTS-STARTPTS[tail];[head][mid][tail]concat=n=3:v=1:a=0,format=yuv420p",
        "-c:v",
        "libx264",
        "-crf",
        "23",
        str(d / "segment.mp4"),
    )
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={W}x{H}:rate={FPS}",
        "-t",
        "12",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        str(d / "pattern.mp4"),
    )
    _scenes(d / "unrelated.mp4", seed=3, shots=8)
    return {p.stem: p for p in d.iterdir()}


@pytest.fixture(scope="module")
def hashes(videos: dict[str, Path]) -> dict[str, list[VideoFrameHash]]:
    return {name: hash_video(path) for name, path in videos.items()}


def test_one_feature_per_second_with_quality(hashes):
    known = hashes["known"]
    assert [f.timestamp for f in known] == [float(t) for t in range(16)]
    assert all(len(f.pdq_hex) == 64 and 0 <= f.quality <= 100 for f in known)
    assert len({f.pdq_hex for f in known}) >= 12  # shots differ; frames within a shot pan


def test_reencoded_resized_copy_matches_whole(hashes):
    m = match_videos(hashes["reencoded"], hashes["known"])
    assert m.query_match_percent >= 90 and m.compared_match_percent >= 90
    assert m.is_match()
    assert m.query_ranges == [(0.0, 15.0)] and m.compared_ranges == [(0.0, 15.0)]


def test_trimmed_clip_matches_with_its_time_range(hashes):
    m = match_videos(hashes["clip"], hashes["known"])
    assert m.query_match_percent >= 80, m
    assert m.is_match()
    assert 50 <= m.compared_match_percent <= 80  # the clip is 10 of the 16 seconds
    ((q_start, q_end),) = m.query_ranges
    ((c_start, c_end),) = m.compared_ranges
    assert q_start <= 1.0 and q_end >= 8.0
    assert 3.0 <= c_start <= 5.0 and 11.0 <= c_end <= 14.0


def test_known_video_inside_a_longer_one_matches_with_its_place(hashes):
    m = match_videos(hashes["longer"], hashes["known"])
    assert m.compared_match_percent >= 90
    assert m.query_match_percent < 80  # half the longer video is something else
    assert not m.is_match(contained=False, segment_seconds=None)  # the reference rule alone misses it
    assert m.is_match()
    ((q_start, q_end),) = m.query_ranges
    assert 3.0 <= q_start <= 5.0 and 18.0 <= q_end <= 20.0


def test_clip_amid_other_footage_matches_as_a_segment(hashes):
    m = match_videos(hashes["segment"], hashes["known"])
    assert m.query_match_percent < 80 and m.compared_match_percent < 80  # neither percentage rule sees it
    assert m.segment_seconds >= 5.0 and m.is_match()
    ((q_start, q_end),) = m.query_ranges
    ((c_start, c_end),) = m.compared_ranges
    assert 3.0 <= q_start <= 5.0 and 9.0 <= q_end <= 11.0 and 3.0 <= c_start <= 5.0 and 9.0 <= c_end <= 11.0


@pytest.mark.parametrize("name", ["unrelated", "pattern", "other"])
def test_unrelated_videos_do_not_match(hashes, name):
    m = match_videos(hashes[name], hashes["known"])
    assert not m.is_match()
    assert m.query_match_percent < 20 and m.compared_match_percent < 20


def test_index_over_many_videos_names_the_right_one(hashes):
    bank = VideoIndex([(name, hashes[name]) for name in ("unrelated", "known", "pattern")])
    found = bank.search(hashes["clip"])
    assert found and found[0].key == "known" and found[0].is_match()
    assert all(not m.is_match() for m in found[1:])
    assert [m.key for m in bank.search(hashes["reencoded"]) if m.is_match()] == ["known"]


def test_similar_pairs_join_the_copies_of_one_video_and_nothing_else(hashes):
    """The corpus's own videos compared with each other (no bank): the re-encode, the clip and the
    longer video holding the known one are pairs with it; the segment (below both percentages),
    the unrelated scenes and the test pattern are in no pair."""
    names = ["known", "reencoded", "clip", "longer", "unrelated", "pattern", "segment"]
    pairs = VideoIndex([(name, hashes[name]) for name in names]).similar_pairs()
    with_known = {b if a == "known" else a for a, b in pairs if "known" in (a, b)}
    assert with_known == {"reencoded", "clip", "longer"}
    assert not any(name in pair for pair in pairs for name in ("unrelated", "pattern"))
    assert all(a < b for a, b in pairs)


def test_fallback_hasher_equals_vpdq(videos, hashes):
    if video_mod.vpdq is None:
        pytest.skip("the vpdq package is not built here: nothing to compare the ffmpeg hasher with")
    for name in ("known", "clip"):
        assert hash_video(videos[name], use_vpdq=False) == hashes[name]


def test_signal_round_trip_in_both_forms(hashes):
    known = hashes["known"]
    signal = to_signal(known)
    assert signal.startswith('["') and f'"{known[1].pdq_hex},{known[1].quality},1.000"' in signal
    assert from_signal(signal) == known
    assert from_signal(to_lines(known)) == known
    for bad in ('["abc,100,0"]', "0" * 64 + ",101,0", "0" * 64 + ",50", '{"a": 1}'):
        with pytest.raises(ValueError):
            from_signal(bad)


def test_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"plain text, not a video")
    for use_vpdq in (True, False):
        with pytest.raises(VideoHashError):
            hash_video(bad, use_vpdq=use_vpdq)


def test_time_ranges_bridge_one_missed_sample_only():
    assert time_ranges(np.array([5.0, 0.0, 1.0, 2.0, 4.0, 9.0]), 1.0) == [(0.0, 5.0), (9.0, 9.0)]
