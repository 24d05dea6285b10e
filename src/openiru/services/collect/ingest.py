"""Import service: choose a Source, stream its records into the store in batches.

Each batch is one transaction, so an interrupted import keeps everything
committed before it and a re-run finishes the job with no duplicates.  A
malformed record is reported with file, line and reason, counted and skipped;
with ``strict`` the run stops at the first one, after committing what came
before it.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...errors import FormatError, RecordError
from ...model import Post
from ...plugins import INGEST_HOOK_GROUP as INGEST_HOOK_GROUP  # re-exported: where it always was
from ...plugins import ingest_hooks, sources
from ...sources.base import Source
from ...sources.jsonio import read_head
from ...store.batch import Batch, BatchRows
from ...store.retry import Unit, reason, row_error, write_apart
from ...store.writer import BatchCounts, PostAuthors, SeenTimes, resolve_edges, write_rows
from . import runs as import_runs
from .reader import MAX_PROBLEMS as MAX_PROBLEMS  # re-exported: where it always was
from .reader import Reading, prepare, read_in_child, read_records, reads_in_child
from .summary import MAX_PROBLEMS_SHOWN as MAX_PROBLEMS_SHOWN  # re-exported: where they always were
from .summary import IngestSummary as IngestSummary

#: Records per batch (one transaction).  10,000 rather than 5,000: half the commits and half
#: the writing thread's GIL hand-overs per record (see docs/benchmarks/ingest.md).
BATCH_SIZE = 10_000
#: SQLite settings of the importing connection: page cache (KiB) and WAL pages between checkpoints.
SQLITE_IMPORT_CACHE_KIB = 131072
SQLITE_IMPORT_CHECKPOINT_PAGES = 16384


def available_sources() -> dict[str, type[Source]]:
    """Every source plugin that loads, by format name (``openiru.sources`` entry points: the
    built-ins and installed plug-ins).  One that fails to load is left out with a warning
    (:func:`openiru.plugins.load_group`)."""
    return sources()


def detect_format(path: Path) -> type[Source]:
    """The source whose ``sniff`` is most confident about ``path``."""
    head = read_head(path)
    best: tuple[float, type[Source]] | None = None
    for cls in available_sources().values():
        score = cls.sniff(path, head)
        if score > 0 and (best is None or score > best[0]):
            best = (score, cls)
    if best is None:
        raise FormatError(
            f"{path}: cannot tell its format; give --format ({', '.join(sorted(available_sources()))})"
        )
    return best[1]


#: Other names people give the built-in formats (platform names, tool names).
FORMAT_ALIASES = {
    "x": "twarc2",
    "twitter": "twarc2",
    "twarc": "twarc2",
    "x-v2": "twarc2",
    "telegram-desktop": "telegram",
    "tdesktop": "telegram",
    "fediverse": "mastodon",
    "ap": "activitypub",
    "outbox": "activitypub",
    "rocket.chat": "rocketchat",
    "rocket-chat": "rocketchat",
    "jsonl": "generic",
    "csv": "generic",
}


def source_for(path: Path, fmt: str = "auto", platform: str | None = None) -> Source:
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    fmt = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if fmt == "auto":
        cls = detect_format(path)
    else:
        known = available_sources()
        if fmt not in known:
            raise FormatError(f"unknown format {fmt!r}; known: auto, {', '.join(sorted(known))}")
        cls = known[fmt]
    return cls(path, platform=platform)


BatchHook = Callable[[sa.Connection, list[Post]], None]


def default_hooks(engine: sa.Engine) -> list[BatchHook]:
    """One hook per ``openiru.ingest_hooks`` entry point: each names a factory
    ``factory(engine) -> BatchHook`` called once per import; the hook runs inside every
    batch's transaction (detection registers one to scan new posts)."""
    return [factory(engine) for factory in ingest_hooks().values()]


#: What a hook needs of each batch's posts, least first (a hook's optional ``wants()``
#: says which; a hook without it gets every post): none, those with media to store
#: (a local file with its SHA-256, :meth:`MediaStore.put_media`), all.
POSTS_WANTED = ("none", "media", "all")


def posts_wanted(hooks: list[BatchHook]) -> str:
    """The most any of ``hooks`` wants of the posts (see :data:`POSTS_WANTED`): an import
    read in a child process sends only those to the writing process (the posts of a
    batch of 10,000 tweets cost ~0.2 s to pack, send and rebuild, for hooks that most
    often have nothing to do: no rules to detect with, no local media)."""
    most = 0
    for hook in hooks:
        wants = getattr(hook, "wants", None)
        said = wants() if callable(wants) else "all"
        most = max(most, POSTS_WANTED.index(said) if said in POSTS_WANTED else 2)
    return POSTS_WANTED[most]


class BatchWriter:
    """Writes batches in a worker thread, in order, one transaction each.

    While a batch is written the caller reads the next one: the database's own work
    (sqlite3 and psycopg release the GIL) overlaps the parsing on a second core.  The
    caller also turns each batch into rows (:meth:`submit`), so that the worker does
    little but run SQL and seldom needs the GIL.  At most one batch waits in the
    queue, so memory stays bounded.  A failed write stops the import: :meth:`submit`
    and :meth:`raise_error` re-raise it in the caller.  Without ``threaded`` there is
    no worker: batches read in a child process are written by :meth:`write_now`.
    """

    def __init__(
        self,
        engine: sa.Engine,
        hooks: list[BatchHook],
        summary: IngestSummary,
        on_progress: Callable[[IngestSummary], None] | None,
        threaded: bool = True,
    ) -> None:
        self.engine, self.hooks, self.summary, self.on_progress = engine, hooks, summary, on_progress
        self.sqlite = engine.dialect.name == "sqlite"
        self.seen_times = SeenTimes()
        self.post_authors = PostAuthors()
        self.error: BaseException | None = None
        #: Records the database refused (see _write_apart), added to the summary at the end.
        self.refused: list[str] = []
        self.heartbeat: Callable[[sa.Connection], None] | None = None
        self._queue: queue.Queue[tuple[list[Post], BatchRows, SeenTimes | None] | None] = queue.Queue(
            maxsize=1
        )
        self._thread = threading.Thread(target=self._run, name="openiru-ingest-writer", daemon=True)
        if threaded:
            self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is None:
                try:
                    self._write(*item)
                except BaseException as exc:  # handed to the caller
                    self.error = exc

    def write_now(self, posts: list[Post], rows: BatchRows, flush: SeenTimes | None) -> None:
        """Write a batch read elsewhere, in this thread; a failure also stops :meth:`submit`."""
        self.raise_error()
        try:
            self._write(posts, rows, flush)
        except Exception as exc:
            self.error = exc
            raise

    def _write(self, posts: list[Post], rows: BatchRows, flush: SeenTimes | None) -> None:
        try:
            counts = self._transaction(posts, rows, flush)
        except Exception as exc:
            if not row_error(exc):
                raise
            counts = self._write_apart(posts, rows, flush)
        self.summary.posts += counts.posts
        self.summary.edges += counts.edges
        self.summary.media += counts.media
        if self.on_progress:
            self.on_progress(self.summary)

    def _write_apart(self, posts: list[Post], rows: BatchRows, flush: SeenTimes | None) -> BatchCounts:
        """The batch failed on a value the database refused: written again in parts, so that
        only the records it refuses are lost, each reported (see :mod:`openiru.store.retry`)."""

        by_key: dict[tuple[str, str], list[Post]] = {}
        for post in posts:
            by_key.setdefault((post.key.platform, post.key.post_id), []).append(post)

        def write(part: BatchRows, keys: list[tuple[str, str]]) -> BatchCounts:
            return self._transaction([p for k in keys for p in by_key.get(k, ())], part, None)

        def refused(unit: Unit, exc: BaseException) -> None:
            self.refused.append(f"{self.summary.path}:{unit.label}: the database refused it: {reason(exc)}")

        total = BatchCounts()
        for counts in write_apart(rows, write, refused):
            total.posts, total.edges, total.media = (
                total.posts + counts.posts,
                total.edges + counts.edges,
                total.media + counts.media,
            )
        if flush is not None:
            with self.engine.begin() as conn:
                flush.write(conn)
        return total

    def _transaction(self, posts: list[Post], rows: BatchRows, flush: SeenTimes | None) -> BatchCounts:
        with self.engine.begin() as conn:
            if self.sqlite and not conn.info.get("openiru_import"):
                # Larger page cache and fewer WAL checkpoints while importing (profiled: -13 %
                # of the write time at 100,000 posts); both stay bounded, whatever the input.
                # Set once per DBAPI connection (conn.info lives as long as it does).
                conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={SQLITE_IMPORT_CHECKPOINT_PAGES}")
                conn.info["openiru_import"] = True
            counts = write_rows(conn, rows, self.post_authors)
            for hook in self.hooks:
                hook(conn, posts)
            if flush is not None:
                flush.write(conn)
            if self.heartbeat is not None:
                self.heartbeat(conn)
        return counts

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, batch: Batch) -> None:
        """Hand a batch to the worker, as rows built here, in the caller's thread."""
        self.raise_error()
        if not len(batch):
            return
        rows, flush, self.seen_times = prepare(batch, self.seen_times, self.sqlite)
        self._queue.put((batch.posts, rows, flush))

    def close(self) -> None:
        """Wait until every submitted batch is written (or has failed)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


def ingest_source(
    engine: sa.Engine,
    source: Source,
    *,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    on_progress: Callable[[IngestSummary], None] | None = None,
    after_batch: Iterable[BatchHook] | None = None,
    label: str | None = None,
) -> IngestSummary:
    """Import one source.  ``after_batch`` defaults to the registered ingest hooks;
    pass ``()`` to import without them.  ``label`` names the input in the summary, its
    problems and ``import_runs`` in place of its path (the API: the uploaded file's
    name, not the server's temporary folder)."""
    summary = IngestSummary(label or str(source.path), source.name, source.platform)
    summary.notes = list(getattr(source, "notes", ()))  # before anything is written: may refuse the file
    hooks = list(after_batch) if after_batch is not None else default_hooks(engine)
    run_id = import_runs.start_run(engine, summary.path, source.name, source.platform)

    in_child = reads_in_child(source)
    writer = BatchWriter(engine, hooks, summary, on_progress, threaded=not in_child)
    writer.heartbeat = import_runs.Heartbeat(run_id)
    reading = Reading()
    accounts_seen: set[tuple[str, str]] = set()

    def finish(status: str) -> None:
        """Commit what was read, resolve edges, record the run (also after --strict or Ctrl-C)."""
        try:
            try:
                writer.submit(reading.batch)
            finally:
                writer.close()
            writer.raise_error()
        finally:
            _settle_summary(summary, writer, source, label)
        if not in_child:  # the child counts its accounts
            summary.accounts = len(accounts_seen)
        with engine.begin() as conn:
            writer.seen_times.write(conn)
        with engine.connect() as conn:  # in chunks, each committed: memory and WAL stay bounded
            resolve_edges(conn, summary.platforms or None, commit=True)
        import_runs.finish_run(engine, run_id, status, summary.as_dict())

    # An import allocates millions of short-lived, acyclic objects (parsed JSON, records,
    # rows); reference counting frees them, and the cyclic collector's repeated passes
    # over them cost ~20 % of the import time (profiled), so it is paused meanwhile.
    collector_was_on = gc.isenabled()
    gc.disable()
    try:
        if in_child:  # parsing in another process, writing here: both cores busy
            read_in_child(source, summary, strict, batch_size, writer.sqlite, posts_wanted(hooks), writer)
        else:
            read_records(source, summary, accounts_seen, strict, batch_size, writer.submit, reading)
    except RecordError:
        finish(import_runs.ABORTED)
        raise
    except BaseException as exc:
        try:
            finish(import_runs.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else import_runs.FAILED)
        except BaseException:  # the original error matters more than a failed clean-up
            import_runs.end(run_id)  # the next import closes the run
        raise
    finally:
        if collector_was_on:
            gc.enable()
    try:
        finish(import_runs.FINISHED)
    except BaseException:
        import_runs.end(run_id)
        raise
    return summary


def _settle_summary(summary: IngestSummary, writer: BatchWriter, source: Source, label: str | None) -> None:
    """Add the records the database refused to the summary's problems, and name the input
    by ``label`` in every problem (not the server's path of it)."""
    for line in writer.refused:
        summary.errors["the database refused it"] += 1
        if len(summary.problems) < MAX_PROBLEMS:
            summary.problems.append(line)
    writer.refused.clear()
    if label:
        path = str(source.path)
        summary.problems = [p.replace(path, label) for p in summary.problems]
        summary.repairs = [p.replace(path, label) for p in summary.repairs]
        if summary.aborted:
            summary.aborted = summary.aborted.replace(path, label)


def ingest_path(
    engine: sa.Engine, path: Path, fmt: str = "auto", platform: str | None = None, **kwargs: Any
) -> IngestSummary:
    return ingest_source(engine, source_for(Path(path), fmt, platform), **kwargs)
