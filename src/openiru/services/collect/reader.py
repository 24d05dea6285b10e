"""Reading an import's source: the per-record loop, in this process or in a child process.

:func:`read_records` turns a Source's records into batches and counts what it met
(posts read, platforms, accounts, skipped and malformed records); the import runs it
in its own process for small inputs.  For large ones (:func:`reads_in_child`) it runs
in a child process, :func:`read_in_child`: the reading thread (file, JSON, model
objects, the batch's rows) and the writing thread (SQL) of one process did not run at
the same time (the writer took the GIL back ~50 times a batch and waited each time,
see docs/benchmarks/ingest.md), two processes do.  The child sends each batch's
finished rows (:class:`~openiru.store.batch.BatchRows`, plain tuples, pickled) through a
pipe; the parent writes them, runs the ingest hooks with the batch's connection (the
``Post`` objects travel too, only when there are hooks) and commits, as before.

The child is a new interpreter (``python -c``, as multiprocessing's ``spawn`` starts
one, but without running the parent's main script again, which ``spawn`` does and
which breaks any script without a ``__main__`` guard; ``fork`` is out, the importing
process may have threads), on the parent's ``sys.path``, talking over a socket pair
(multiprocessing's ``Connection``).  It ignores Ctrl-C (the parent asks it to stop at
the next batch, and commits what was read), and dies with its parent
(``PR_SET_PDEATHSIG`` on Linux; elsewhere at its next send).  Whatever ends the reading in the child (the end of the input, a
``--strict`` abort, an exception) comes back as the last message, after the batch
read so far, and the parent raises the same error as an import in one process.
"""

from __future__ import annotations

import ctypes
import gc
import io
import os
import pickle
import signal
import socket
import subprocess
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

from ...errors import OpenIRUError, RecordError
from ...model import Account, AccountKey, Media, Mention, Post, PostKey
from ...sources.base import Problem, Source
from ...store.batch import Batch, BatchRows, SeenTimes, batch_rows, cached_sqlite_time
from ...store.clean import check_account, check_post, describe
from .summary import IngestSummary

#: Inputs of at least this many bytes are read in a child process: below it the start
#: of a Python process (~0.3 s) outweighs the overlap.  ``None`` turns the child off.
CHILD_MIN_BYTES: int | None = 16 << 20
#: Problems kept in a summary (all are counted).
MAX_PROBLEMS = 1000
#: Socket buffer asked for (Linux caps it at net.core.wmem_max, often 4 MiB, and doubles
#: it).  With the default (~200 KiB) a batch of 10,000 tweets (~7 MiB) crossed in ~35
#: hand-overs between the two processes, each waiting for the scheduler when the machine
#: is busy; now in one or two, and the child reads on while the parent writes.
SOCKET_BUFFER = 8 << 20
#: Seconds the parent waits for the child's last batch after a Ctrl-C.
STOP_WAIT_S = 30.0


def reason_key(reason: str) -> str:
    """A short category for counting: the reason up to its first colon."""
    return reason.split(":", 1)[0][:80]


@dataclass
class ReadCounts:
    """What the reading counts, as an :class:`IngestSummary` holds it (the child's summary:
    this module imports no SQLAlchemy, so the child starts in ~0.1 s rather than ~0.3 s)."""

    posts_read: int = 0
    platforms: set[str] = field(default_factory=set)
    skipped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    aborted: str | None = None
    repaired: Counter[str] = field(default_factory=Counter)
    repairs: list[str] = field(default_factory=list)


def store_check(
    source: Source,
    summary: IngestSummary | ReadCounts,
    record: Post | Account,
    refused: str | None,
    repairs: list[str],
    strict: bool,
) -> bool:
    """Count what :mod:`~openiru.store.clean` repaired in ``record`` or why it refused it;
    True when refused (a malformed record: ``strict`` stops the import at it)."""
    where = describe(record)
    for reason in repairs:
        summary.repaired[reason] += 1
        if len(summary.repairs) < MAX_PROBLEMS:
            summary.repairs.append(f"{source.path}:{where}: {reason}")
    if refused is None:
        return False
    problem = Problem(str(source.path), where, f"cannot be stored: {refused}")
    summary.errors[reason_key(problem.reason)] += 1
    if len(summary.problems) < MAX_PROBLEMS:
        summary.problems.append(str(problem))
    if strict:
        summary.aborted = str(problem)
        raise RecordError(problem.file, problem.location, problem.reason)
    return True


class Reading:
    """The batch being filled; the caller commits it when the reading stops early."""

    def __init__(self) -> None:
        self.batch = Batch()


def read_records(
    source: Source,
    summary: IngestSummary | ReadCounts,
    accounts_seen: set[tuple[str, str]],
    strict: bool,
    batch_size: int,
    submit: Callable[[Batch], None],
    reading: Reading,
) -> None:
    """Read ``source`` into batches of ``batch_size`` records, handed to ``submit``; the
    last, partial one is left in ``reading.batch``.  A malformed record is counted in
    ``summary``; with ``strict`` it raises :class:`RecordError` (``summary.aborted`` set)."""
    # The loop is per record (hundreds of thousands a second): methods and sets are
    # bound once, and the batch's size is counted here rather than by len(batch).
    batch = reading.batch
    platforms_add, seen_add = summary.platforms.add, accounts_seen.add
    add_post, add_account = batch.add_post, batch.add_account
    pending = 0
    for record in source.records():
        kind = type(record)
        if kind is Post or (kind is not Account and isinstance(record, Post)):
            refused, repairs = check_post(record)  # type: ignore[arg-type]
            if (repairs or refused) and store_check(source, summary, record, refused, repairs, strict):  # type: ignore[arg-type]
                continue
            summary.posts_read += 1
            platforms_add(record.key.platform)  # type: ignore[union-attr]
            seen_add((record.account.platform, record.account.account_id))  # type: ignore[union-attr]
            add_post(record)  # type: ignore[arg-type]
        elif isinstance(record, Account):
            refused, repairs = check_account(record)
            if (repairs or refused) and store_check(source, summary, record, refused, repairs, strict):
                continue
            seen_add((record.key.platform, record.key.account_id))
            add_account(record)
        elif isinstance(record, Problem):
            if record.kind == "skipped":
                summary.skipped[reason_key(record.reason)] += 1
                continue
            summary.errors[reason_key(record.reason)] += 1
            if len(summary.problems) < MAX_PROBLEMS:
                summary.problems.append(str(record))
            if strict:
                summary.aborted = str(record)
                raise RecordError(record.file, record.location, record.reason)
        pending += 1
        if pending >= batch_size and len(batch) >= batch_size:
            full, batch = batch, Batch()
            reading.batch = batch
            add_post, add_account = batch.add_post, batch.add_account
            submit(full)
            pending = 0


def prepare(
    batch: Batch,
    seen_times: SeenTimes,
    sqlite: bool,
    widened: dict[tuple[str, str], list[Any]] | None = None,
    times: Any = None,
) -> tuple[BatchRows, SeenTimes | None, SeenTimes]:
    """A batch's rows, the seen-times to apply with it (when ``seen_times`` is full) and
    the tracker to go on with; ``widened``: see :meth:`SeenTimes.take`; ``times``: see
    :func:`~openiru.store.batch.batch_rows`."""
    seen_times.take(batch, widened)
    seen_times.note(batch)  # written by this batch's transaction, or the import stops
    flush = None
    if len(seen_times) >= seen_times.limit:  # bounded memory: applied with this batch
        flush, seen_times = seen_times, SeenTimes(seen_times.limit)
    return batch_rows(batch, sqlite, times), flush, seen_times


def input_bytes(source: Source) -> int:
    """The size of a source's input: its file, or the files directly in its folder."""
    try:
        if source.path.is_dir():
            return sum(p.stat().st_size for p in source.path.iterdir() if p.is_file())
        return source.path.stat().st_size
    except OSError:
        return 0


def reads_in_child(source: Source) -> bool:
    """Whether ``source`` is large enough to be read in a child process, and can be sent
    to one (a Source defined where a new process cannot import it stays here)."""
    if (
        CHILD_MIN_BYTES is None
        or os.name != "posix"
        or not sys.executable
        or input_bytes(source) < CHILD_MIN_BYTES
    ):
        return False
    if type(source).__module__ in ("__main__", "__mp_main__"):  # the child runs no script of ours
        return False
    try:
        pickle.dumps(source)
    except Exception:
        return False
    return True


# -- the child -------------------------------------------------------------------------------


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent ends; exit if it already has."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _fast_dumps(message: tuple[Any, ...]) -> memoryview:
    """``message`` pickled without the memo (``Pickler.fast``): a batch's rows are a
    few hundred thousand small tuples and strings, none shared or cyclic, and the memo
    was two thirds of the time (34 -> 13 ms a batch of 10,000 tweets).  Only for values
    without datetimes (see :func:`_dumps`)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(message)
    return out.getbuffer()


def _dumps(value: Any) -> bytes | None:
    """``value`` pickled with the memo (None stays None): for what holds aware datetimes
    (the widened seen-times, the posts for the hooks, rows for PostgreSQL).  Without the
    memo each datetime pickled its time zone again, through ``copyreg`` in Python: the
    ~67,000 widened times of 100,000 tweets cost 1.15 s to pickle and 0.65 s to unpickle,
    with it 0.22 s and 0.11 s."""
    return None if value is None else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(blob: bytes | None) -> Any:
    return None if blob is None else pickle.loads(blob)


def _pack_posts(posts: list[Post]) -> Any:
    """The posts for the ingest hooks as plain tuples (pickling the slotted dataclasses
    went through Python-level ``__getstate__`` for every object: ~0.2 s a batch of
    10,000 tweets, the child's slowest step); :func:`_unpack_posts` rebuilds them equal.
    Any subclass of the model's classes goes pickled as it is."""
    if any(type(p) is not Post for p in posts) or any(type(m) is not Media for p in posts for m in p.media):
        return pickle.dumps(posts, pickle.HIGHEST_PROTOCOL)
    return [
        (
            p.key.platform,
            p.key.post_id,
            p.account.platform,
            p.account.account_id,
            p.timestamp,
            p.text,
            p.language,
            p.urls,
            p.hashtags,
            [(m.handle, m.account_id) for m in p.mentions] if p.mentions else None,
            _key(p.reply_to),
            _key(p.reply_to_account),
            _key(p.repost_of),
            _key(p.quote_of),
            _key(p.forward_from),
            p.forward_from_name,
            [
                (
                    m.sha256,
                    m.md5,
                    m.mime,
                    m.size,
                    m.path,
                    m.url,
                    m.pdq,
                    m.pdq_quality,
                    m.missing,
                    m.native_key,
                )
                for m in p.media
            ]
            if p.media
            else None,
            p.raw,
            p.metadata,
        )
        for p in posts
    ]


def _wanted(posts: list[Post], which: bool | str) -> list[Post]:
    """Every post, or with ``"media"`` those with a local file to store (what
    :meth:`~openiru.services.collect.media.MediaStore.put_media` takes)."""
    if which != "media":
        return posts
    return [p for p in posts if p.media and any(not m.missing and m.sha256 and m.path for m in p.media)]


def _key(key: PostKey | AccountKey | None) -> tuple[str, str] | None:
    if key is None:
        return None
    return (key.platform, key.post_id) if isinstance(key, PostKey) else (key.platform, key.account_id)


def _unpack_posts(packed: Any) -> list[Post]:
    if isinstance(packed, bytes):
        posts: list[Post] = pickle.loads(packed)
        return posts
    return [
        Post(
            PostKey(t[0], t[1]),
            AccountKey(t[2], t[3]),
            t[4],
            t[5],
            t[6],
            t[7],
            t[8],
            [Mention(*m) for m in t[9]] if t[9] else [],
            PostKey(*t[10]) if t[10] else None,
            AccountKey(*t[11]) if t[11] else None,
            PostKey(*t[12]) if t[12] else None,
            PostKey(*t[13]) if t[13] else None,
            AccountKey(*t[14]) if t[14] else None,
            t[15],
            [Media(*m) for m in t[16]] if t[16] else [],
            t[17],
            t[18],
        )
        for t in packed
    ]


def _portable(exc: BaseException) -> Any:
    """``exc`` in a form that survives pickling: a RecordError as its parts, another
    error as itself if it pickles, else a RuntimeError with its type and message; an
    unexpected error (not an OpenIRUError) carries the child's traceback as a note."""
    if isinstance(exc, RecordError):
        return ("RecordError", exc.file, exc.location, exc.reason)
    try:
        pickle.loads(pickle.dumps(exc))
        out = exc
    except Exception:
        out = RuntimeError(f"{type(exc).__name__}: {exc}")
    if not isinstance(exc, OpenIRUError):
        out.add_note("in the import's reading process:\n" + "".join(traceback.format_exception(exc)))
    out.__traceback__ = None
    out.__context__ = out.__cause__ = None
    return out


def _restore(error: Any) -> BaseException:
    if isinstance(error, tuple):
        return RecordError(*error[1:])
    assert isinstance(error, BaseException)
    return error


def child_main(conn: Connection) -> None:
    """The child process (:data:`CHILD_CODE`): read the import's arguments, send its batches."""
    try:
        source, strict, batch_size, sqlite, with_posts, parent_pid = pickle.loads(conn.recv_bytes())
    except EOFError:
        return
    try:
        _read_and_send(conn, source, strict, batch_size, sqlite, with_posts, parent_pid)
    except (BrokenPipeError, ConnectionResetError):  # the parent has gone: so does the child
        os._exit(1)


def _read_and_send(
    conn: Connection,
    source: Source,
    strict: bool,
    batch_size: int,
    sqlite: bool,
    with_posts: bool | str,
    parent_pid: int,
) -> None:
    _die_with_parent(parent_pid)
    gc.disable()  # as in the parent: millions of short-lived acyclic objects
    summary = ReadCounts()
    accounts_seen: set[tuple[str, str]] = set()
    reading = Reading()
    state = {"seen": SeenTimes()}
    send = conn.send_bytes
    dumps, protocol = pickle.dumps, pickle.HIGHEST_PROTOCOL

    class Stop(Exception):
        pass

    def submit(batch: Batch) -> None:
        if not len(batch):
            return
        # The times this batch widens are applied with it (the parent has time to spare while
        # the child reads), not all at the end, after the reading (~0.25 s at 100,000 tweets).
        widened: dict[tuple[str, str], list[Any]] = {}
        times = cached_sqlite_time() if sqlite else None
        rows, flush, state["seen"] = prepare(batch, state["seen"], sqlite, widened, times)
        if flush is not None:  # none of it still to apply: each batch took its own
            widened.update((k, v) for k, v in flush.times.items() if v[2])
        if times is not None:  # as text: most are times of this batch's posts, formatted already,
            # and strings cross without the datetimes' pickling (SeenTimes.write takes either)
            widened = {k: [times(v[0]), times(v[1]), True] for k, v in widened.items()}
        parts = (rows.accounts, rows.avatars, rows.media, rows.posts, rows.links, rows.edges)
        send(
            _fast_dumps(
                (
                    "batch",
                    parts if sqlite else _dumps(parts),  # SQLite's rows hold times as text
                    _dumps(_pack_posts(_wanted(batch.posts, with_posts)))
                    if with_posts not in (False, "none")
                    else None,
                    _dumps(widened or None),
                    summary.posts_read,
                )
            )
        )
        if conn.poll():  # the parent asked to stop (Ctrl-C): what is read so far is sent
            raise Stop

    error: Any = None
    try:
        read_records(source, summary, accounts_seen, strict, batch_size, submit, reading)
    except Stop:
        pass
    except BaseException as exc:
        error = _portable(exc)
    try:
        submit(reading.batch)
    except Stop:
        pass
    except BaseException as exc:
        error = error or _portable(exc)
    send(
        dumps(
            (
                "end",
                summary.posts_read,
                summary.platforms,
                len(accounts_seen),
                summary.skipped,
                summary.errors,
                summary.problems,
                summary.aborted,
                {k: v for k, v in state["seen"].times.items() if v[2]},
                error,
                summary.repaired,
                summary.repairs,
            ),
            protocol,
        )
    )
    conn.close()
    os._exit(0)  # what was sent is the parent's; freeing the heap object by object took ~0.4 s


# -- the parent ------------------------------------------------------------------------------


class Writer(Protocol):
    """What :func:`read_in_child` writes through (the import's BatchWriter)."""

    seen_times: SeenTimes

    def write_now(self, posts: list[Post], rows: BatchRows, flush: SeenTimes | None) -> None: ...


def _seen(times: dict[tuple[str, str], list[Any]] | None) -> SeenTimes | None:
    if times is None:
        return None
    tracker = SeenTimes()
    tracker.times = times
    return tracker


def read_in_child(
    source: Source,
    summary: IngestSummary,
    strict: bool,
    batch_size: int,
    sqlite: bool,
    with_posts: bool | str,
    writer: Writer,
) -> None:
    """Read ``source`` in a child process; write each batch here, in order, through
    ``writer`` (whose ``seen_times`` become the child's, still to apply, at the end).
    ``with_posts``: which of each batch's posts come too, for the ingest hooks: ``"all"``
    (or True), ``"media"`` (those with media to store) or ``"none"`` (or False).

    Fills ``summary``'s reading counts, and raises what the reading raised (after every
    batch read before it is written).
    """
    ours, theirs = socket.socketpair()
    for end in (ours, theirs):  # a batch in one go: see SOCKET_BUFFER
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
    here = Connection(ours.detach())
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD_CODE, str(theirs.fileno())],
            stdin=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
        )
    except BaseException:
        here.close()
        raise
    finally:
        theirs.close()
    interrupted: KeyboardInterrupt | None = None
    started = False
    try:
        message: list[Any] | None = None
        while True:
            try:
                if message is None:
                    if interrupted is not None and not here.poll(STOP_WAIT_S):
                        break  # the child does not answer: keep what was written
                    try:
                        if not started:
                            here.send_bytes(pickle.dumps(list(sys.path)))
                            here.send_bytes(
                                pickle.dumps(
                                    (source, strict, batch_size, sqlite, with_posts, os.getpid()),
                                    pickle.HIGHEST_PROTOCOL,
                                )
                            )
                            started = True
                        message = list(pickle.loads(here.recv_bytes()))
                    except (EOFError, OSError):  # nothing, or a message cut short
                        raise RuntimeError(
                            f"{source.path}: the import's reading process ended "
                            f"unexpectedly (exit code {_exit_code(proc)})"
                        ) from None
                if message[0] == "end":
                    break
                _, parts, posts, flush, posts_read = message
                summary.posts_read = posts_read
                if not isinstance(parts, BatchRows):  # not yet unpacked (a Ctrl-C: written again)
                    parts = message[1] = BatchRows(*(_loads(parts) if isinstance(parts, bytes) else parts))
                    if posts is not None:
                        message[2] = _unpack_posts(_loads(posts))
                    flush = message[3] = _loads(flush)
                writer.write_now(
                    message[2] or [], parts, _seen(flush)
                )  # a Ctrl-C in it: rolled back, written again
                message = None
            except KeyboardInterrupt as exc:
                if interrupted is not None:
                    raise
                interrupted = exc
                here.send_bytes(b"stop")
        if message is not None:
            (
                _,
                summary.posts_read,
                summary.platforms,
                summary.accounts,
                summary.skipped,
                summary.errors,
                summary.problems,
                summary.aborted,
                times,
                error,
                summary.repaired,
                summary.repairs,
            ) = message
            writer.seen_times = SeenTimes()
            writer.seen_times.times = times
            if interrupted is not None:
                raise interrupted
            if error is not None:
                raise _restore(error)
            return
        raise interrupted or RuntimeError("the import's reading process stopped")
    finally:
        here.close()  # the child, if still reading, ends at its next send
        if _exit_code(proc) is None:
            proc.kill()
            proc.wait()


def _exit_code(proc: subprocess.Popen[bytes]) -> int | None:
    try:
        return proc.wait(5)
    except subprocess.TimeoutExpired:
        return None


#: What the child runs: the parent's sys.path first, then the import's arguments
#: (``python -c``, so that no script of the parent's is run again, as ``spawn`` would).
CHILD_CODE = (
    "import pickle, signal, sys\n"
    "from multiprocessing.connection import Connection\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"  # the parent stops the reading (see read_in_child)
    "conn = Connection(int(sys.argv[1]))\n"
    "try:\n    sys.path[:] = pickle.loads(conn.recv_bytes())\n"
    "except EOFError:\n    sys.exit(0)\n"
    "from openiru.services.collect.reader import child_main\n"
    "child_main(conn)\n"
)
