"""Text in video frames: a few frames of each video read with OCR (issue 18, item 2).

Releases carry their message in title cards, captions and banners as much as in images.  A
video's text is read from at most :data:`MAX_FRAMES` frames, chosen from its vPDQ features
(one a second) so that each shows another scene: frames of quality >= 50, in time order, kept
when their PDQ hash is farther than :data:`SCENE_DISTANCE` from every frame kept before (a
caption held for ten seconds is read once), then spread evenly over the video when more
scenes than that are found.  Each chosen frame is decoded by ffmpeg at its time (one PPM frame
through a pipe, nothing written to disk) and read by Tesseract (:mod:`.ocr`).

The text is stored like a document's pages, one page per frame joined by form feeds, each page
headed by its frame's time (``[12.000 s]``), so that the media-text matcher cites the frame
time of what it finds (:func:`frames_text`, :func:`parse_frames_text`).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image

from .ocr import OCRError, ocr_image
from .pdq import hex_to_bytes
from .video import VideoFrameHash, VideoHashError, ffmpeg_path

MAX_FRAMES = 5
#: frames whose PDQ hashes are this close show the same scene (the vPDQ match distance)
SCENE_DISTANCE = 31
MIN_QUALITY = 50
#: seconds ffmpeg may take to seek to and decode one frame
FRAME_TIMEOUT = 60
_HEADER = re.compile(r"\[(\d+(?:\.\d+)?) s\]\n?")


def pick_times(features: Sequence[VideoFrameHash], max_frames: int = MAX_FRAMES) -> list[float]:
    """The times of at most ``max_frames`` frames, each of another scene (see the module docstring)."""
    kept = sorted((f for f in features if f.quality >= MIN_QUALITY), key=lambda f: f.timestamp)
    if not kept or max_frames <= 0:
        return []
    hashes = hex_to_bytes([f.pdq_hex for f in kept]).view(np.uint64)  # (n, 4) words
    scenes: list[int] = []
    for i in range(len(kept)):
        if not scenes or np.bitwise_count(hashes[scenes] ^ hashes[i]).sum(axis=1).min() > SCENE_DISTANCE:
            scenes.append(i)
    if len(scenes) > max_frames:
        scenes = [scenes[round(k * (len(scenes) - 1) / (max_frames - 1))] for k in range(max_frames)]
    return [kept[i].timestamp for i in dict.fromkeys(scenes)]


def frame_at(path: str | Path, seconds: float) -> Image.Image:
    """The video's frame at ``seconds``, decoded by ffmpeg."""
    binary = ffmpeg_path()
    if binary is None:
        raise VideoHashError("ffmpeg is not installed (Debian: apt-get install ffmpeg)")
    command = [binary, "-nostdin", "-v", "error", "-ss", f"{max(0.0, seconds):.3f}", "-i", str(path)]
    command += ["-an", "-sn", "-dn", "-frames:v", "1", "-f", "image2pipe", "-vcodec", "ppm", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=FRAME_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise VideoHashError(f"ffmpeg took too long on a frame of {Path(path).name}") from None
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VideoHashError(
            f"ffmpeg could not decode {Path(path).name}: {reason[-1] if reason else 'no frame'}"
        )
    with Image.open(BytesIO(done.stdout)) as image:
        image.load()
        return image.copy()


def read_frames_text(
    path: str | Path, times: Sequence[float], languages: str | None = None
) -> list[tuple[float, str]]:
    """(time, text) of the frames at ``times`` that hold text; the same text read on two frames
    in a row is kept once.  A frame Tesseract fails on is left out; no ffmpeg or no Tesseract
    raises (:class:`~openiru.detect.video.VideoHashError`, :class:`~openiru.detect.ocr.OCRUnavailable`)."""
    pages: list[tuple[float, str]] = []
    for seconds in times:
        frame = frame_at(path, seconds)
        try:
            text = ocr_image(frame, languages).text
        except OCRError:
            continue
        if text.strip() and (not pages or pages[-1][1] != text):
            pages.append((seconds, text))
    return pages


def frames_text(pages: Sequence[tuple[float, str]]) -> str:
    """Pages of frame text joined by form feeds, each headed by its frame's time."""
    return "\f".join(f"[{seconds:.3f} s]\n{text.replace(chr(12), ' ')}" for seconds, text in pages)


def parse_frames_text(text: str) -> list[tuple[float | None, str]]:
    """The (time, text) pages of :func:`frames_text` (time None on a page without its header)."""
    pages: list[tuple[float | None, str]] = []
    for page in text.split("\f"):
        header = _HEADER.match(page)
        pages.append((float(header.group(1)), page[header.end() :]) if header else (None, page))
    return pages
