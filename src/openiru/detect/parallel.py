"""Detection over several worker processes: the compiled rules built once, posts in batches.

The text matchers are pure Python and numpy calls that hold the GIL, so one
process uses one core.  :class:`ParallelScanner` forks ``workers`` processes that
inherit an already compiled :class:`~openiru.detect.pipeline.Detector` (automaton,
LSH tables and classifier are shared copy-on-write, never pickled), and splits each
batch of posts between them.  Workers run the text, link and classifier matchers
and send back only what those add (hits, signals, language, model probability);
the media matchers (exact hashes, PDQ) run here, in the parent, since the PDQ
kernel is multi-threaded (numba) and threads do not survive a fork.  Media hits
come first and do not depend on the text's, so :meth:`ParallelScanner.scan`
returns exactly what ``Detector.scan`` returns for the same posts, in order.

Fork, not spawn: spawning would rebuild the rules in every worker.  The workers are
forked in the constructor.  Quarantine decisions taken in the parent
(:meth:`Detector.quarantine`) travel with every batch, so workers suppress the same
items.  ``on_fork`` runs in each worker first (a service passes what makes its
database engine fork-safe).  Should a worker die, the pool reports it (rather than
waiting for ever) and the scan goes on in this process.
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .evidence import Hit, ScanMedia, ScanPost, ScanResult, Signal
from .pipeline import Detector

log = logging.getLogger(__name__)

#: Posts per task: small enough to balance two workers, large enough for numpy to pay off.
TASK_POSTS = 1000

_DETECTORS: dict[int, Detector] = {}
_TOKENS = itertools.count()
_Outcome = tuple[list[Hit], list[Signal], str | None, float | None]


def _start_worker(on_fork: Callable[[], None] | None) -> None:
    if on_fork is not None:
        on_fork()


def _ready() -> bool:
    return True


def _pack(post: ScanPost) -> tuple[Any, ...]:
    """A post as plain tuples: slotted dataclasses pickle through Python-level
    ``__getstate__``, several times slower than a tuple."""
    media = [(m.key, m.sha256, m.md5, m.pdq, m.pdq_quality, m.path, m.mime) for m in post.media]
    return (
        post.platform,
        post.post_id,
        post.account_id,
        post.text,
        post.urls,
        post.hashtags,
        media,
        post.timestamp,
        post.language,
    )


def _unpack(packed: tuple[Any, ...]) -> ScanPost:
    post = ScanPost(*packed)
    post.media = [ScanMedia(*m) for m in packed[6]]
    return post


def _scan_task(token: int, packed: list[tuple[Any, ...]], quarantined: frozenset[int]) -> list[_Outcome]:
    detector = _DETECTORS[token]
    if quarantined - detector.quarantined_ids:
        detector.quarantine(quarantined)
    return [
        (r.hits, r.signals, r.language, r.model_probability)
        for r in detector.scan([_unpack(p) for p in packed], media=False)
    ]


def freeze_gc() -> bool:
    """Move the objects alive now out of the garbage collector's passes, unless a freeze is already
    in place (the API server's, taken at start-up for the process's life, or an enclosing scan's);
    whether this call froze, for :func:`unfreeze_gc`.  ``gc.unfreeze`` releases every frozen object,
    so only the caller that froze may release them."""
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def unfreeze_gc(froze: bool) -> None:
    """Release what :func:`freeze_gc` froze (nothing where it froze nothing)."""
    if froze:
        gc.unfreeze()


class ParallelScanner:
    """``Detector.scan`` over ``workers`` forked processes (use as a context manager)."""

    def __init__(
        self,
        detector: Detector,
        workers: int = 2,
        *,
        task_posts: int = TASK_POSTS,
        on_fork: Callable[[], None] | None = None,
    ) -> None:
        self.detector = detector
        self.workers = workers
        self.task_posts = task_posts
        self._token = next(_TOKENS)
        _DETECTORS[self._token] = detector  # inherited by the forked workers
        # the rules' objects stay out of the workers' collections (fewer copied pages)
        self._froze = freeze_gc()
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(on_fork,),
        )
        # a fork context starts every worker on the first submission: now, before any PDQ search here
        self._pool.submit(_ready).result()

    def scan(self, posts: Sequence[ScanPost]) -> list[ScanResult]:
        posts = list(posts)
        if not posts:
            return []
        if self._pool is None:
            return self.detector.scan(posts)
        size = max(1, min(self.task_posts, -(-len(posts) // self.workers)))
        quarantined = frozenset(self.detector.quarantined_ids)
        starts = range(0, len(posts), size)
        try:
            futures = [
                self._pool.submit(
                    _scan_task, self._token, [_pack(p) for p in posts[s : s + size]], quarantined
                )
                for s in starts
            ]
            media = self.detector.scan_media(posts)  # meanwhile, here
            outcomes = [f.result() for f in futures]
        except BrokenProcessPool:
            log.warning("a detection worker died; scanning in this process from now on")
            self._pool = None
            return self.detector.scan(posts)
        for start, chunk in zip(starts, outcomes, strict=True):
            for result, (hits, signals, language, probability) in zip(
                media[start : start + size], chunk, strict=True
            ):
                result.hits.extend(hits)
                result.signals, result.language, result.model_probability = signals, language, probability
        return media

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        _DETECTORS.pop(self._token, None)
        unfreeze_gc(self._froze)
        self._froze = False

    def __enter__(self) -> ParallelScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
