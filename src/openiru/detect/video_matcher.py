"""The ``vpdq`` matcher: video media against vPDQ bank items (hits ``vpdq``).

A ``vpdq`` bank item's value is a vPDQ signal in ThreatExchange's form (a JSON list of
``"<pdq hex>,<quality>,<timestamp>"`` strings, or one feature a line).  All the items' frame
hashes go into one :class:`~openiru.detect.video_match.VideoIndex`.  A scanned medium is a
video when its MIME type is ``video/*`` or its file name ends in a video extension; its
signal is ``ScanMedia.vpdq`` where the video was hashed already, else its file
(``ScanMedia.path``) is hashed with :func:`~openiru.detect.video.hash_video` once per scan
batch.  A video that cannot be hashed (no ffmpeg, an undecodable file) is left to the MD5
matcher, and the reason is kept in :attr:`VideoMatcher.skipped`.

A hit carries the query-match and compare-match percentages and the matched time ranges
(seconds, in the scanned video and in the bank's video) in its evidence; its strength is
the larger of the two percentages / 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .evidence import Hit, ScanMedia, ScanPost, ScanResult
from .matcher import MEDIA, BuiltinMatcher, MatcherExample
from .rules import BankItem, BankSpec, Ruleset
from .video import VideoFrameHash, VideoHashError, from_signal, hash_video, to_signal
from .video_match import QUERY_MATCH_PERCENT, VideoIndex

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".mpg", ".mpeg", ".ts", ".3gp", ".flv", ".wmv", ".ogv"}
)


def is_video(media: ScanMedia) -> bool:
    """Whether a scanned medium is a video (by MIME type, else by file name)."""
    if media.mime:
        return media.mime.lower().startswith("video/")
    return bool(media.path) and Path(media.path or "").suffix.lower() in VIDEO_SUFFIXES


class VideoMatcher(BuiltinMatcher):
    """vPDQ: a video matches a bank video when query% >= 80, or the bank video lies whole in it."""

    name, kind, order = "vpdq", MEDIA, 25

    def __init__(self, ruleset: Ruleset, query_percent: float = QUERY_MATCH_PERCENT) -> None:
        self.ruleset = ruleset
        self.query_percent = query_percent
        self.items: list[BankItem] = []
        signals: list[tuple[str, list[VideoFrameHash]]] = []
        self.invalid: list[int] = []
        for item in ruleset.items:
            if item.kind != "vpdq" or item.bank not in ruleset.banks:
                continue
            try:
                features = from_signal(item.value)
            except ValueError:
                self.invalid.append(item.id)
                continue
            self.items.append(item)
            signals.append((str(len(signals)), features))
        quality = min([ruleset.banks[i.bank].pdq_min_quality for i in self.items] or [50])
        self.index = VideoIndex(signals, min_quality=quality) if signals else None
        self.radius = max([ruleset.banks[i.bank].pdq_max_distance for i in self.items] or [31])
        self.skipped: dict[str, str] = {}

    def _hash(
        self, media: ScanMedia, cache: dict[str, list[VideoFrameHash] | None]
    ) -> list[VideoFrameHash] | None:
        if media.vpdq:
            try:
                return from_signal(media.vpdq)
            except ValueError as exc:
                self.skipped[media.key] = str(exc)
                return None
        path = media.path or ""
        if path not in cache:
            try:
                cache[path] = hash_video(path)
            except (VideoHashError, OSError) as exc:
                cache[path] = None
                self.skipped[media.key] = str(exc)
        return cache[path]

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        if self.index is None:
            return
        cache: dict[str, list[VideoFrameHash] | None] = {}
        for result in results:
            for media in result.post.media:
                if not media.vpdq and not (media.path and is_video(media)):
                    continue
                features = self._hash(media, cache)
                if not features:
                    continue
                for match in self.index.search(features, self.radius):
                    if not match.is_match(self.query_percent):
                        continue
                    item = self.items[int(match.key)]
                    strength = max(match.query_match_percent, match.compared_match_percent) / 100.0
                    detail = {
                        "query_match_percent": round(match.query_match_percent, 2),
                        "compared_match_percent": round(match.compared_match_percent, 2),
                        "query_ranges": [list(r) for r in match.query_ranges],
                        "compared_ranges": [list(r) for r in match.compared_ranges],
                    }
                    result.hits.append(
                        Hit(
                            "vpdq",
                            min(1.0, strength),
                            item.bank,
                            item.id,
                            item.item,
                            item.label,
                            media_key=media.key,
                            detail=detail,
                        )
                    )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        rng = np.random.default_rng(18)
        known = rng.integers(0, 256, size=(12, 32), dtype=np.uint8)
        noisy = known.copy()
        noisy[:, :2] ^= 0x11  # 4 bits off per frame: a re-encode
        other = rng.integers(0, 256, size=(12, 32), dtype=np.uint8)

        def signal(frames: np.ndarray) -> str:
            return to_signal([VideoFrameHash(bytes(f).hex(), 90, float(t)) for t, f in enumerate(frames)])

        rules = Ruleset(
            banks={"v": BankSpec("v", "vpdq")},
            items=[BankItem(1, "v", "vpdq", signal(known), "video-1", "fictional")],
        )
        post = ScanPost("example", "v1", "a1", media=[ScanMedia("m1", vpdq=signal(noisy[2:10]))])
        miss = [
            ScanPost("example", "v2", "a1", media=[ScanMedia("m2", vpdq=signal(other))]),
            ScanPost("example", "v3", "a1", media=[ScanMedia("m3", vpdq="not a signal")]),
        ]
        return [MatcherExample(rules, [post], miss)]
