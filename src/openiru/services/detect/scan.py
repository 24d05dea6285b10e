"""Scanning: run detection over posts not yet scanned, on demand and during ingest.

``scan`` walks the posts whose ``scanned_at`` is empty in key order, in batches
(one transaction each, so an interrupted scan resumes where it stopped), computes
PDQ for local images that have none, runs the :class:`~openiru.detect.pipeline.Detector`
(in forked worker processes, :class:`~openiru.detect.parallel.ParallelScanner`,
when there is more than one batch) and writes hits, signals and alerts.  A bank or lexicon change clears
``scanned_at`` everywhere (see :func:`~openiru.services.detect.banks.ruleset_changed`; new lexicon
terms alone: only on the posts the token index of :mod:`.tokens` names), so the next scan
re-matches old posts.

Quarantine: a bank item that suddenly matches far more posts than it used to (at
least ``quarantine_min`` posts it did not match before, in one run, and more than
``quarantine_factor`` times what it matched until then; only items that were
already in the banks at an earlier scan) is set aside pending review: its hits are kept
but no longer alert.  ``openiru bank release`` puts it back.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ...model import Post, utc
from ...store import schema
from ...store import tables_detect as td
from ...store.writer import dialect_insert

if TYPE_CHECKING:
    from ...detect.evidence import ScanPost, ScanResult
    from ...detect.parallel import ParallelScanner
    from ...detect.pipeline import Detector

# Detection itself (the matchers, numba kernels, the media features) is imported where it
# runs, not here: every import loads this module for its ingest hook (the entry point),
# and an import into a database without rules never needs it (~2 s of imports saved).

BATCH_SIZE = 2000
QUARANTINE_MIN = 50
QUARANTINE_FACTOR = 10.0
#: worker processes for a scan of more than one batch, at most (one per core)
DEFAULT_WORKERS = 2


@dataclass
class ScanSummary:
    posts: int = 0
    hits: int = 0
    alerts: int = 0
    signals: int = 0
    media_hashed: int = 0
    quarantined: list[int] = field(default_factory=list)
    seconds: float = 0.0
    ruleset_version: int = 0
    #: Posts waiting to be scanned when the scan began (counted for a progress display only).
    to_scan: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "hits": self.hits,
            "alerts": self.alerts,
            "signals": self.signals,
            "media_hashed": self.media_hashed,
            "quarantined": self.quarantined,
            "seconds": round(self.seconds, 3),
            "ruleset_version": self.ruleset_version,
        }


_ACTIVE_MODEL = sa.select(td.detect_models.c.version).where(td.detect_models.c.active.is_(True)).limit(1)


def build_detector(conn: sa.Connection) -> Detector:
    """The ruleset in the database (banks, lexicons, active classifier), compiled; PDQ items
    come packed from the on-disk cache of :func:`~openiru.services.detect.match.pdq_bank_index`."""
    from ...detect.pipeline import Detector
    from .banks import load_ruleset
    from .match import item_lookup, pdq_bank_index

    ruleset = load_ruleset(conn, include_pdq=False)
    ruleset.packed_pdq = pdq_bank_index(conn.engine)
    ruleset.lookup_items = item_lookup(conn.engine)
    if conn.execute(_ACTIVE_MODEL).first() is not None:  # scikit-learn (~1 s) only when a model exists
        from .classifier import active_model

        model = active_model(conn)
        if model is not None:
            ruleset.classifier, ruleset.classifier_version = model.predict_normalised, model.version
    return Detector(ruleset)  # every registered matcher: the built-ins and installed plug-ins


class Quarantine:
    """Counts the posts each bank item newly matches during a run; quarantines sudden spikes.

    Only *established* items are watched: items that were already in the banks
    when an earlier scan ran (a freshly imported item has no "used to" yet).
    Growth is measured in posts the item did not match before, so a retroactive
    re-scan of old posts is not a spike.
    """

    def __init__(
        self,
        minimum: int = QUARANTINE_MIN,
        factor: float = QUARANTINE_FACTOR,
        established_before: datetime | None = None,
    ) -> None:
        self.minimum, self.factor = minimum, factor
        self.established_before = established_before
        self.baseline: dict[int, int | None] = {}
        self.run: Counter[int] = Counter()

    def check(self, conn: sa.Connection, detector: Detector, results: list[ScanResult]) -> list[int]:
        """Items to quarantine after this batch; their hits in ``results`` are suppressed."""
        if self.established_before is None:
            return []
        batch: Counter[int] = Counter()
        for r in results:
            for item_id in {
                h.item_id
                for h in r.hits
                if h.item_id is not None and h.matcher != "term" and not h.suppressed
            }:
                batch[item_id] += 1
        if not batch:
            return []
        from .store import item_counts

        unknown = [i for i in batch if i not in self.baseline]
        if unknown:
            t = td.detect_bank_items
            for row in conn.execute(
                sa.select(t.c.id, t.c.match_count, t.c.added_at).where(t.c.id.in_(unknown))
            ):
                established = utc(row.added_at) < self.established_before
                self.baseline[row.id] = row.match_count if established else None
        before = item_counts(conn, [(r.post.platform, r.post.post_id) for r in results])
        for item_id, n in batch.items():
            growth = n - before.get(item_id, 0)
            if growth > 0:
                self.run[item_id] += growth
        spiking = []
        for item_id, n in self.run.items():
            baseline = self.baseline.get(item_id)
            if baseline is None or item_id in detector.quarantined_ids:
                continue
            if n >= self.minimum and n > self.factor * max(baseline, 1):
                spiking.append(item_id)
        if spiking:
            detector.quarantine(spiking)
            t = td.detect_bank_items
            conn.execute(
                sa.update(t)
                .where(t.c.id.in_(spiking))
                .values(status="quarantined", quarantined_at=datetime.now(UTC))
            )
            for r in results:
                for h in r.hits:
                    if h.item_id in spiking and h.matcher != "term":
                        h.suppressed = True
                        h.detail["quarantined"] = True
        return spiking


def previous_scan_time(conn: sa.Connection, record: bool) -> datetime | None:
    """When the last scan started (None if never); with ``record``, now becomes the last scan time."""
    st = td.detect_state
    row = conn.execute(sa.select(st.c.value).where(st.c.key == "last_scan_at")).first()
    if record:
        now = datetime.now(UTC).isoformat()
        stmt = dialect_insert(conn, st).values(key="last_scan_at", value=now)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": now}))
    return datetime.fromisoformat(row.value) if row else None


def _unscanned(conn: sa.Connection, after: tuple[str, str] | None, limit: int) -> list[tuple[str, str]]:
    p = schema.posts
    stmt = sa.select(p.c.platform, p.c.post_id).where(p.c.scanned_at.is_(None))
    if after is not None:
        stmt = stmt.where(
            sa.tuple_(p.c.platform, p.c.post_id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    rows = conn.execute(stmt.order_by(p.c.platform, p.c.post_id).limit(limit)).all()
    return [(r.platform, r.post_id) for r in rows]


def scan_workers() -> int:
    """Worker processes for a scan: ``OPENIRU_SCAN_WORKERS`` if set, else one per core (at most 2)."""
    configured = os.environ.get("OPENIRU_SCAN_WORKERS", "").strip()
    if configured:
        return max(1, int(configured))
    return max(1, min(DEFAULT_WORKERS, os.cpu_count() or 1))


def _forkable(engine: sa.Engine) -> bool:
    """Whether worker processes can reach this database (not an in-memory SQLite one)."""
    return engine.url.get_backend_name() != "sqlite" or engine.url.database not in (None, "", ":memory:")


def scan(
    engine: sa.Engine,
    *,
    batch_size: int = BATCH_SIZE,
    limit: int | None = None,
    rescan: bool = False,
    quarantine_min: int = QUARANTINE_MIN,
    quarantine_factor: float = QUARANTINE_FACTOR,
    on_progress: Callable[[ScanSummary], None] | None = None,
    workers: int | None = None,
) -> ScanSummary:
    """Scan every post not yet scanned (all posts with ``rescan``).

    With more than one batch to scan, detection runs in ``workers`` forked processes
    (default :func:`scan_workers` when called from the main thread, as the command
    does; one process when called from another thread, as the web API does) sharing
    the compiled rules; reading posts, hashing
    local images, quarantine and writing results stay in this process, one
    transaction per batch as before.
    """
    from ...detect.parallel import ParallelScanner, freeze_gc, unfreeze_gc
    from .banks import ruleset_version
    from .features import fill_media_features
    from .store import hash_missing_pdq, load_posts, write_results

    started = time.perf_counter()
    summary = ScanSummary()
    if workers is None:  # forking from a server's worker thread could inherit other threads' locks
        workers = scan_workers() if threading.current_thread() is threading.main_thread() else 1
    workers = max(1, workers)
    with engine.begin() as conn:
        if rescan:
            from .tokens import mark_complete

            conn.execute(sa.update(schema.posts).values(scanned_at=None))
            mark_complete(conn)  # every post scanned from here on is in the token index
        detector = build_detector(conn)
        summary.ruleset_version = ruleset_version(conn)
        previous = previous_scan_time(conn, record=True)
        if on_progress:  # the total for a progress display (counts, rate, time left)
            waiting = conn.execute(
                sa.select(sa.func.count())
                .select_from(schema.posts)
                .where(schema.posts.c.scanned_at.is_(None))
            ).scalar_one()
            summary.to_scan = waiting if limit is None else min(limit, waiting)
            on_progress(summary)
    quarantine = Quarantine(quarantine_min, quarantine_factor, previous)
    after: tuple[str, str] | None = None
    parallel: ParallelScanner | None = None
    # The objects alive now (modules, the compiled rules) are left out of the garbage collector's
    # passes until the scan ends: every batch's posts and results survive long enough to reach the
    # oldest generation, whose collections then walked the whole heap (7 of them, ~1 of the 9 CPU s
    # of a 36,566-post scan).  Unfrozen at the end, so nothing is kept longer than the scan; in the
    # API server, whose start-up freeze must outlive any scan, nothing is frozen or unfrozen here.
    froze = freeze_gc()
    try:
        while limit is None or summary.posts < limit:
            size = batch_size if limit is None else min(batch_size, limit - summary.posts)
            with engine.begin() as conn:
                keys = _unscanned(conn, after, size)
                if not keys:
                    break
                after = keys[-1]
                posts = load_posts(conn, keys)
                summary.media_hashed += hash_missing_pdq(conn, posts)
                fill_media_features(conn, posts)  # vPDQ, OCR and document text, read once and stored
                more = len(keys) == size and (limit is None or summary.posts + size < limit)
                if (
                    parallel is None
                    and workers > 1
                    and more
                    and not detector.ruleset.empty
                    and _forkable(engine)
                ):
                    # forked before this process runs any PDQ search (see openiru.detect.parallel)
                    parallel = ParallelScanner(
                        detector, workers, on_fork=partial(engine.dispose, close=False)
                    )
                results = parallel.scan(posts) if parallel is not None else detector.scan(posts)
                summary.quarantined += quarantine.check(conn, detector, results)
                counts = write_results(conn, results, loaded=True)
            summary.posts += len(keys)
            summary.hits += counts["hits"]
            summary.alerts += counts["alerts"]
            summary.signals += counts["signals"]
            if on_progress:
                on_progress(summary)
    finally:
        unfreeze_gc(froze)
        if parallel is not None:
            parallel.close()
    summary.seconds = time.perf_counter() - started
    return summary


def scan_post_objects(posts: list[Post]) -> list[ScanPost]:
    """ScanPosts from freshly imported domain posts (the ingest hook's input)."""
    from ...detect.evidence import ScanMedia, ScanPost

    out = []
    for post in posts:
        media = [
            ScanMedia(m.key, m.sha256, m.md5, m.pdq, m.pdq_quality, m.path, m.mime)
            for m in post.media
            if not m.missing or m.pdq or m.md5 or m.sha256
        ]
        out.append(
            ScanPost(
                post.key.platform,
                post.key.post_id,
                post.account.account_id,
                post.text or "",
                list(post.urls),
                list(post.hashtags),
                media,
                utc(post.timestamp),
                post.language,
            )
        )
    return out


def has_rules(conn: sa.Connection) -> bool:
    """Whether the database holds anything to detect with: a bank item, a lexicon term or an
    active model (else the compiled ruleset is empty, :attr:`Ruleset.empty`); three
    look-ups on indexed tables, no detection code loaded."""
    for stmt in (
        sa.select(td.detect_bank_items.c.id).limit(1),
        sa.select(td.detect_lexicon_terms.c.id).limit(1),
        _ACTIVE_MODEL,
    ):
        if conn.execute(stmt).first() is not None:
            return True
    return False


def ingest_hook(engine: sa.Engine) -> Callable[[sa.Connection, list[Post]], None]:
    """Entry point of ``openiru.ingest_hooks``: scan each imported batch in its transaction.

    The ruleset is compiled on the first batch, or found empty when the import asks
    what the hook wants (``hook.wants``, before reading: no banks, lexicons or model);
    with an empty one the hook does nothing (the posts stay unscanned for a later
    ``openiru scan``) and the import need not hand it the posts.
    """
    state: dict[str, Any] = {}

    def wants() -> str:
        """``"all"`` posts, or ``"none"`` when the ruleset is empty (decided now, for good)."""
        if "detector" not in state:
            with engine.connect() as conn:
                if not has_rules(conn):
                    state["detector"] = None
        return "none" if "detector" in state and state["detector"] is None else "all"

    def hook(conn: sa.Connection, posts: list[Post]) -> None:
        if "detector" not in state:
            state["detector"] = build_detector(conn) if has_rules(conn) else None
            if state["detector"] is not None:
                state["quarantine"] = Quarantine(established_before=previous_scan_time(conn, record=False))
        detector: Detector | None = state["detector"]
        if detector is None or detector.ruleset.empty or not posts:
            return
        from ..collect.media import MediaStore
        from .features import fill_media_features
        from .store import hash_missing_pdq, write_results

        seen: set[tuple[str, str]] = set()
        unique = []
        for p in posts:
            if (p.key.platform, p.key.post_id) not in seen:
                seen.add((p.key.platform, p.key.post_id))
                unique.append(p)
        MediaStore().put_media(m for p in unique for m in p.media)  # PDQ reads the store only
        scan_posts = scan_post_objects(unique)
        hash_missing_pdq(conn, scan_posts)
        fill_media_features(conn, scan_posts)  # vPDQ, OCR and document text, read once and stored
        results = detector.scan(scan_posts)
        state["quarantine"].check(conn, detector, results)
        write_results(conn, results)

    hook.wants = wants  # type: ignore[attr-defined]
    return hook
