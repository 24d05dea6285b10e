"""vPDQ video hashes: frames sampled at a set rate, each hashed with PDQ, with quality and time.

The algorithm is the one of Meta's vPDQ (ThreatExchange ``vpdq/README.md``): decode the
video, keep one frame every ``seconds_per_hash`` seconds (1 s by default), hash each kept
frame with PDQ and annotate it with its quality (0-100) and timestamp in seconds.

Two hashers give the same features: the ``vpdq`` package itself (Meta's C++ hasher, used when
it imports), and, where it cannot be installed, this module's own: ``vpdq`` is published on
PyPI as a source distribution only and its build needs cmake, Cython and FFmpeg's libav*
development headers, which a fresh machine may lack.  The fallback decodes with Debian's
``ffmpeg`` binary (PPM frames through a pipe, nothing written to disk), keeps decoded frame
``n`` when ``n % int(seconds_per_hash * frame rate) == 0`` (vPDQ's rule, frame rate as
ffprobe reads it) and hashes it with ``pdqhash`` (Meta's reference PDQ); on the test videos
its features are bit-identical to ``vpdq.computeHash``'s.

Serialisation follows python-threatexchange's ``VideoVPDQSignal``: one feature is the string
``"<pdq hex>,<quality>,<timestamp>"``; a signal is a JSON list of those strings.  Files of one
feature per line (the form of the ``vpdq`` command-line hasher) are read and written too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pdqhash

try:  # Meta's compiled hasher, where it could be built (cmake + FFmpeg's libav* headers)
    import vpdq as vpdq  # re-exported: the services ask whether it is there
except ImportError:  # pragma: no cover - depends on the machine
    vpdq = None

from .pdq import is_pdq_hex

#: Seconds between hashed frames (vPDQ's default: one frame per second).
DEFAULT_SECONDS_PER_HASH = 1.0
#: Decimals kept for timestamps in the serialised form (``VPDQ_TIMESTAMP_PRECISION``).
TIMESTAMP_PRECISION = 3


class VideoHashError(RuntimeError):
    """A video could not be hashed (no ffmpeg, or a file ffmpeg cannot decode)."""


@dataclass(frozen=True, slots=True)
class VideoFrameHash:
    """One vPDQ feature: the PDQ hash of a frame, its quality and its time in seconds."""

    pdq_hex: str
    quality: int
    timestamp: float

    def __str__(self) -> str:
        return f"{self.pdq_hex},{self.quality},{self.timestamp:.{TIMESTAMP_PRECISION}f}"

    @classmethod
    def from_str(cls, text: str) -> VideoFrameHash:
        """The inverse of ``str()``; a malformed feature is a ``ValueError`` naming it."""
        parts = text.strip().split(",")
        try:
            pdq_hex, quality_text, time_text = parts
            feature = cls(pdq_hex.lower(), int(quality_text), float(time_text))
        except ValueError:
            raise ValueError(f"invalid vPDQ feature: {text.strip()[:100]!r}") from None
        if not is_pdq_hex(feature.pdq_hex) or not 0 <= feature.quality <= 100 or not feature.timestamp >= 0:
            raise ValueError(f"invalid vPDQ feature: {text.strip()[:100]!r}")
        return feature


def ffmpeg_path() -> str | None:
    """The ``ffmpeg`` executable, or None where it is not installed."""
    return shutil.which("ffmpeg")


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise VideoHashError("ffmpeg's frame stream ended inside a frame")
    return data


def _ppm_frames(stream: IO[bytes]) -> Iterator[np.ndarray]:
    """``(h, w, 3)`` uint8 frames from a stream of binary PPM (P6, maxval 255) images."""
    while True:
        tokens: list[bytes] = []
        while len(tokens) < 4:
            line = stream.readline()
            if not line:
                if tokens:
                    raise VideoHashError("ffmpeg's frame stream ended inside a header")
                return
            tokens.extend(line.split(b"#", 1)[0].split())
        magic, width, height, maxval = tokens
        if magic != b"P6" or maxval != b"255":
            raise VideoHashError("unexpected frame format from ffmpeg")
        w, h = int(width), int(height)
        yield np.frombuffer(_read_exact(stream, w * h * 3), dtype=np.uint8).reshape(h, w, 3)


def _frame_rate(binary: str, path: str | Path) -> float:
    """The stream's average frame rate (its ``r_frame_rate`` where that is unset), as vPDQ reads it."""
    probe = str(Path(binary).with_name("ffprobe"))
    if not Path(probe).exists():
        probe = shutil.which("ffprobe") or "ffprobe"
    out = subprocess.run(
        [
            probe,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=avg_frame_rate,r_frame_rate",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    for value in out.stdout.strip().splitlines()[0].split(",") if out.stdout.strip() else []:
        num, _, den = value.partition("/")
        try:
            rate = float(num) / float(den or 1)
        except (ValueError, ZeroDivisionError):
            continue
        if rate > 0:
            return rate
    raise VideoHashError(f"ffmpeg finds no video stream in {Path(path).name}")


def _hash_with_ffmpeg(binary: str, path: str | Path, seconds_per_hash: float) -> list[VideoFrameHash]:
    # vPDQ's rule: hash decoded frame n when n % int(seconds_per_hash * frame rate) == 0,
    # timestamp n / frame rate.
    rate = _frame_rate(binary, path)
    every = max(1, int(seconds_per_hash * rate))
    command = [
        binary,
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-an",
        "-sn",
        "-dn",
        "-vf",
        f"select=not(mod(n\\,{every}))",
        "-fps_mode",
        "passthrough",
        "-f",
        "image2pipe",
        "-vcodec",
        "ppm",
        "-pix_fmt",
        "rgb24",
        "-",
    ]
    features: list[VideoFrameHash] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            for i, frame in enumerate(_ppm_frames(proc.stdout)):
                bits, quality = pdqhash.compute(frame)
                features.append(
                    VideoFrameHash(
                        np.packbits(bits.astype(np.uint8)).tobytes().hex(),
                        int(quality),
                        round(i * every / rate, TIMESTAMP_PRECISION),
                    )
                )
        finally:
            proc.stdout.close()
            errors = proc.stderr.read().decode("utf-8", "replace").strip()
            proc.wait()
    if proc.returncode != 0:
        reason = errors.splitlines()[-1] if errors else f"exit status {proc.returncode}"
        raise VideoHashError(f"ffmpeg could not decode {Path(path).name}: {reason}")
    return features


def hash_video(
    path: str | Path, seconds_per_hash: float = DEFAULT_SECONDS_PER_HASH, use_vpdq: bool = True
) -> list[VideoFrameHash]:
    """The vPDQ features of a video file, one per ``seconds_per_hash`` seconds.

    With ``use_vpdq`` and the ``vpdq`` package built, its ``computeHash`` does the work;
    otherwise ffmpeg decodes and ``pdqhash`` hashes (same frame rule, same PDQ).
    """
    if seconds_per_hash <= 0:
        raise ValueError("seconds_per_hash must be positive")
    if not Path(path).is_file():
        raise VideoHashError(f"no such video file: {path}")
    if use_vpdq and vpdq is not None:
        try:
            raw = vpdq.computeHash(str(path), seconds_per_hash=seconds_per_hash)
        except Exception as exc:  # the binding raises a bare Exception on decode failures
            raise VideoHashError(f"vpdq could not decode {Path(path).name}: {exc}") from None
        features = [
            VideoFrameHash(f.hex, int(f.quality), round(float(f.timestamp), TIMESTAMP_PRECISION)) for f in raw
        ]
    else:
        binary = ffmpeg_path()
        if binary is None:
            raise VideoHashError(
                "neither the vpdq package nor ffmpeg is installed "
                "(Debian: apt-get install ffmpeg); videos are matched by MD5 only"
            )
        features = _hash_with_ffmpeg(binary, path, seconds_per_hash)
    if not features:
        raise VideoHashError(f"no video frames in {Path(path).name}")
    return features


# -- serialisation ---------------------------------------------------------------------------


def to_signal(features: list[VideoFrameHash]) -> str:
    """ThreatExchange's ``VideoVPDQSignal`` string: a JSON list of feature strings."""
    return json.dumps([str(f) for f in features])


def from_signal(text: str) -> list[VideoFrameHash]:
    """Features of a signal string: a JSON list of feature strings, or one feature a line."""
    text = text.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid vPDQ signal: {exc.msg}") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError("invalid vPDQ signal: expected a JSON list of strings")
        return [VideoFrameHash.from_str(i) for i in items]
    return [VideoFrameHash.from_str(line) for line in text.splitlines() if line.strip()]


def to_lines(features: list[VideoFrameHash]) -> str:
    """One feature a line, as the ``vpdq`` hasher prints them."""
    return "".join(f"{f}\n" for f in features)
