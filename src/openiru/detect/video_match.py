"""vPDQ matching: query-match and compare-match percentages and the matched time ranges.

The rule is the reference one (python-threatexchange ``vpdq_brute_matcher``): frames of
quality below 50 are dropped, each video's frame hashes are de-duplicated, and

* the *query-match percentage* is the share of the query's unique hashes that have a hash
  of the compared video within Hamming distance <= 31;
* the *compare-match percentage* is the share of the compared video's unique hashes that
  have a query hash within that distance.

Two videos match when the query percentage >= 80 and the compare percentage >= 0
(``VPDQ_QUERY_MATCH_THRESHOLD_PERCENT`` / ``VPDQ_INDEX_MATCH_THRESHOLD_PERCENT``): a
re-encode, or a clip cut from a known video, is found.  ``contained=True`` (the default
here) also counts the other direction, a known video shown whole inside a longer one
(compare percentage >= 80), which the query percentage alone misses; and a *segment*: a
clip of a known video inside unrelated footage, where both percentages stay low, matches
when one run of matched frames spans at least ``MIN_SEGMENT_SECONDS`` (5 s) in both videos.

The reference compares every pair of frames of every pair of videos.  Here all the bank's
unique frame hashes go into one :class:`~openiru.detect.pdq_index.PDQIndex` (exact range
search), so one search per query frame answers for every bank video at once; both
percentages come from the same (query frame, bank frame) pairs, since distance is symmetric.
The time ranges are runs of matched sampled frames (one unmatched sample inside a run is
bridged), given for the query and for the compared video as (first, last) frame times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .pdq import hex_to_bytes
from .pdq_index import PDQIndex
from .video import VideoFrameHash

DISTANCE_THRESHOLD = 31
QUALITY_THRESHOLD = 50
QUERY_MATCH_PERCENT = 80.0
COMPARE_MATCH_PERCENT = 0.0
#: a run of matched frames this long in both videos is a match whatever the percentages
MIN_SEGMENT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Prepared:
    unique: np.ndarray  # (u, 32) uint8 unique hashes of the frames of quality >= threshold
    inverse: np.ndarray  # frame -> row of ``unique``
    times: np.ndarray  # float64 timestamps of the kept frames
    step: float  # sampling step in seconds (median gap), for bridging ranges


def _prepare(features: Sequence[VideoFrameHash], min_quality: int) -> _Prepared:
    kept = [f for f in features if f.quality >= min_quality]
    hashes = hex_to_bytes([f.pdq_hex for f in kept])
    times = np.array([f.timestamp for f in kept], dtype=np.float64)
    if len(kept):
        unique, inverse = np.unique(hashes, axis=0, return_inverse=True)
    else:
        unique, inverse = hashes, np.zeros(0, dtype=np.int64)
    ordered = np.sort(times)
    gaps = np.diff(ordered)
    gaps = gaps[gaps > 0]
    step = float(np.median(gaps)) if len(gaps) else 1.0
    return _Prepared(unique, inverse.reshape(-1), times, step)


def time_ranges(times: np.ndarray, step: float) -> list[tuple[float, float]]:
    """Runs of sorted ``times`` whose gaps are at most 2.5 ``step`` (one missed sample), as (first, last)."""
    if not len(times):
        return []
    times = np.sort(times)
    breaks = np.flatnonzero(np.diff(times) > 2.5 * step + 1e-9)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(times) - 1]))
    return [(round(float(times[s]), 3), round(float(times[e]), 3)) for s, e in zip(starts, ends, strict=True)]


@dataclass(frozen=True, slots=True)
class VideoMatch:
    """How a query video matches one compared (bank) video."""

    key: str
    query_match_percent: float
    compared_match_percent: float
    query_ranges: list[tuple[float, float]]
    compared_ranges: list[tuple[float, float]]

    @property
    def segment_seconds(self) -> float:
        """The longest run of matched frames, in seconds, the shorter of the two videos' runs."""

        def longest(ranges: list[tuple[float, float]]) -> float:
            return max((last - first for first, last in ranges), default=0.0)

        return min(longest(self.query_ranges), longest(self.compared_ranges))

    def is_match(
        self,
        query_percent: float = QUERY_MATCH_PERCENT,
        compared_percent: float = COMPARE_MATCH_PERCENT,
        contained: bool = True,
        segment_seconds: float | None = MIN_SEGMENT_SECONDS,
    ) -> bool:
        """The reference rule, plus (``contained``) a compared video wholly inside the query, plus
        (``segment_seconds``, None for none) a long enough matched run in both."""
        forward = (
            self.query_match_percent >= query_percent and self.compared_match_percent >= compared_percent
        )
        segment = segment_seconds is not None and self.segment_seconds >= segment_seconds
        return forward or (contained and self.compared_match_percent >= query_percent) or segment


class VideoIndex:
    """The frame hashes of many videos in one PDQ range index."""

    def __init__(
        self, videos: Sequence[tuple[str, Sequence[VideoFrameHash]]], min_quality: int = QUALITY_THRESHOLD
    ) -> None:
        self.min_quality = min_quality
        self.keys = [key for key, _ in videos]
        self._videos = [_prepare(features, min_quality) for _, features in videos]
        sizes = np.array([len(p.unique) for p in self._videos], dtype=np.int64)
        self.unique_counts = sizes
        self.starts = np.concatenate(([0], np.cumsum(sizes)))
        self.owner = np.repeat(np.arange(len(self._videos), dtype=np.int64), sizes)
        hashes = [p.unique for p in self._videos]
        self.index = PDQIndex(np.concatenate(hashes) if hashes else np.zeros((0, 32), dtype=np.uint8))

    def __len__(self) -> int:
        return len(self.keys)

    def search(
        self, query: Sequence[VideoFrameHash], max_distance: int = DISTANCE_THRESHOLD, ranges: bool = True
    ) -> list[VideoMatch]:
        """Every indexed video sharing at least one frame with ``query``, best first."""
        q = _prepare(query, self.min_quality)
        if not len(q.unique) or not len(self.index):
            return []
        found = self.index.search(q.unique, max_distance)
        if not len(found):
            return []
        video = self.owner[found.index]
        # distinct (video, query row) and distinct bank rows, counted per video
        q_pairs = np.unique(video * len(q.unique) + found.query)
        q_counts = np.bincount(q_pairs // len(q.unique), minlength=len(self))
        bank_rows = np.unique(found.index)
        c_counts = np.bincount(self.owner[bank_rows], minlength=len(self))
        results = []
        for v in np.flatnonzero(q_counts):
            prepared = self._videos[v]
            q_rows = q_pairs[q_pairs // len(q.unique) == v] % len(q.unique)
            c_rows = bank_rows[self.owner[bank_rows] == v] - self.starts[v]
            q_ranges = time_ranges(q.times[np.isin(q.inverse, q_rows)], q.step) if ranges else []
            c_ranges = (
                time_ranges(prepared.times[np.isin(prepared.inverse, c_rows)], prepared.step)
                if ranges
                else []
            )
            results.append(
                VideoMatch(
                    self.keys[v],
                    float(100.0 * q_counts[v] / len(q.unique)),
                    float(100.0 * c_counts[v] / self.unique_counts[v]),
                    q_ranges,
                    c_ranges,
                )
            )
        results.sort(key=lambda m: (-max(m.query_match_percent, m.compared_match_percent), m.key))
        return results

    def similar_pairs(
        self, max_distance: int = DISTANCE_THRESHOLD, percent: float = QUERY_MATCH_PERCENT
    ) -> list[tuple[str, str]]:
        """Pairs of indexed videos that match each other: the share of one video's unique frame
        hashes within ``max_distance`` of the other's is at least ``percent`` (a re-encode, a clip
        cut from it, or the one shown whole inside the other).  One search of every indexed frame
        against the index (a self-join), each pair once as (smaller key, larger key); the segment
        rule (a clip inside unrelated footage) is not applied here."""
        n = len(self)
        if n < 2 or not len(self.index):
            return []
        found = self.index.search(self.index.hashes, max_distance)
        other = self.owner[found.index]
        keep = self.owner[found.query] != other
        rows, other = found.query[keep], other[keep]
        # distinct (frame row, other video), then counted per (its video, other video)
        distinct = np.unique(rows * n + other)
        pair = self.owner[distinct // n] * n + distinct % n
        codes, counts = np.unique(pair, return_counts=True)
        share = 100.0 * counts / self.unique_counts[codes // n]
        out = set()
        for code in codes[share >= percent].tolist():
            a, b = self.keys[code // n], self.keys[code % n]
            out.add((min(a, b), max(a, b)))
        return sorted(out)


def match_videos(
    query: Sequence[VideoFrameHash],
    compared: Sequence[VideoFrameHash],
    max_distance: int = DISTANCE_THRESHOLD,
    min_quality: int = QUALITY_THRESHOLD,
) -> VideoMatch:
    """The percentages and time ranges of two videos (zeros where nothing matches)."""
    found = VideoIndex([("compared", compared)], min_quality).search(query, max_distance)
    return found[0] if found else VideoMatch("compared", 0.0, 0.0, [], [])
