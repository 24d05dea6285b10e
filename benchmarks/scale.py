"""Scale-out: detection throughput with 1, 2 and 4 worker processes over NATS JetStream and
PostgreSQL, against the single-process import + scan in the same run, and the latency from
publish to committed scan at a paced rate.

Each configuration gets a fresh PostgreSQL database and a fresh stream set on a private
``nats-server -js`` (free loopback port, temporary store).  The posts are generated JSONL
files (fictional outlets of a lexicon, placeholder text; one post in three flagged).

- **reference**: ``openiru ingest FILES --db PG`` (import, scan in the importing process).
- **K workers**: K ``openiru worker --role detect`` processes, started and ready first;
  then ``openiru ingest FILES --db PG --nats URL`` (import, publish each file's keys after its
  commit); the clock stops when every post is scanned.  Wall seconds from the start of the
  import, posts/s end to end, and the detection time after the last publish.
- **latency**: the posts imported unscanned, then their keys published at ``--rate`` posts/s
  (messages of ``--batch``) with 2 workers running; each worker logs publish-to-commit
  seconds of each message (JetStream's stored timestamp); p50 and p99.

    .venv/bin/python benchmarks/scale.py --posts 20000 --workers 1,2,4 --rate 1000 --seconds 10

- **pages** (``--pages-db N``, benchmarks/scale_pages.py): the triage, account, posts and
  referral pages of the API on an N-post PostgreSQL database, each beside its bare SQL.

    .venv/bin/python benchmarks/scale.py --pages-db 10000000 [--reuse] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the private nats-server of the tests

import scale_pages  # noqa: E402
from nats_support import NatsServer  # noqa: E402
from openiru.services.collect.ingest import ingest_source, source_for  # noqa: E402
from openiru.services.detect.banks import import_lexicon  # noqa: E402
from openiru.services.workers import stream  # noqa: E402
from openiru.services.workers.stream import Topology  # noqa: E402
from openiru.store.db import open_database  # noqa: E402

OPENIRU = [sys.executable, "-c", "from openiru.cli import main; main()"]
PG_ADMIN = os.environ.get("OPENIRU_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
OUTLETS = [f"Velmor Herald {i}" for i in range(200)]


def write_posts(folder: Path, n: int, files: int) -> None:
    folder.mkdir(parents=True)
    per = -(-n // files)
    for f in range(files):
        with (folder / f"part{f:02d}.jsonl").open("wb") as fh:
            for i in range(f * per, min(n, (f + 1) * per)):
                text = (
                    f"{OUTLETS[i % 200]} item {i} placeholder"
                    if i % 3 == 0
                    else f"neutral placeholder text number {i} about the weather"
                )
                fh.write(
                    orjson.dumps(
                        {
                            "platform": "x",
                            "id": str(i),
                            "author_id": f"a{i % 997}",
                            "text": text,
                            "timestamp": "2024-01-01T00:00:00Z",
                        }
                    )
                    + b"\n"
                )


class Database:
    """A fresh PostgreSQL database with the lexicon imported; dropped on exit."""

    def __init__(self, lexicon: Path) -> None:
        self.name = f"openiru_scale_{uuid.uuid4().hex[:10]}"
        self.admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"
        self.engine = open_database(self.url)
        import_lexicon(self.engine, lexicon)

    def scanned(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(scanned_at) FROM posts")).scalar() or 0)

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


class Workers:
    """K detect workers; their stderr lines collected by threads."""

    def __init__(self, k: int, url: str, nats_url: str, env: dict[str, str]) -> None:
        self.procs = [
            subprocess.Popen(
                [*OPENIRU, "worker", "--role", "detect", "--db", url, "--nats", nats_url, "--fetch", "2"],
                env=env,
                stderr=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(k)
        ]
        self.lines: list[str] = []
        self.ready = threading.Semaphore(0)
        for p in self.procs:
            threading.Thread(target=self._read, args=(p,), daemon=True).start()
        for _ in self.procs:
            if not self.ready.acquire(timeout=60):
                raise RuntimeError("a worker did not start: " + "".join(self.lines[-20:]))

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)
            if line.startswith("detect worker ready"):
                self.ready.release()

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=60)

    def latencies(self) -> list[float]:
        return [
            float(x.split(" posts ")[1].split(" s after")[0]) for x in self.lines if x.startswith("scanned")
        ]


def wait_scanned(db: Database, n: int, limit: float = 600) -> float:
    deadline = time.monotonic() + limit
    while db.scanned() < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {db.scanned()} of {n} posts scanned after {limit} s")
        time.sleep(0.05)
    return time.perf_counter()


def parts(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.glob("*.jsonl"))]


def env_for(prefix: str) -> dict[str, str]:
    return {**os.environ, "OPENIRU_NATS_PREFIX": prefix}


def reference(folder: Path, lexicon: Path, n: int) -> float:
    db = Database(lexicon)
    try:
        t = time.perf_counter()
        subprocess.run(
            [*OPENIRU, "ingest", *parts(folder), "--format", "jsonl", "--db", db.url],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - t
        assert db.scanned() == n
        return wall
    finally:
        db.close()


def queued(folder: Path, lexicon: Path, n: int, k: int, nats_url: str) -> tuple[float, float]:
    db = Database(lexicon)
    env = env_for(f"s{uuid.uuid4().hex[:8]}")
    workers = Workers(k, db.url, nats_url, env)
    try:
        t = time.perf_counter()
        subprocess.run(
            [*OPENIRU, "ingest", *parts(folder), "--format", "jsonl", "--db", db.url, "--nats", nats_url],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        published = time.perf_counter()
        done = wait_scanned(db, n)
        return done - t, done - published
    finally:
        workers.stop()
        db.close()


def latency(
    folder: Path, lexicon: Path, n: int, rate: int, seconds: float, batch: int, nats_url: str
) -> tuple[list[float], float]:
    db = Database(lexicon)
    prefix = f"l{uuid.uuid4().hex[:8]}"
    for part in sorted(folder.glob("*.jsonl")):  # stored, unscanned
        ingest_source(db.engine, source_for(part, "jsonl", None), after_batch=())
    keys = [("x", str(i)) for i in range(min(n, int(rate * seconds)))]
    workers = Workers(2, db.url, nats_url, env_for(prefix))
    topo = Topology(prefix=prefix)

    async def pace() -> float:
        nc = await stream.connect(nats_url)
        js = nc.jetstream()
        start = time.perf_counter()
        for i in range(0, len(keys), batch):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            await js.publish(topo.subject, stream.encode_keys(keys[i : i + batch]), stream=topo.stream)
        await nc.close()
        return time.perf_counter() - start

    try:
        took = asyncio.run(pace())
        wait_scanned(db, len(keys))
        time.sleep(0.5)  # the last log lines
        return workers.latencies(), len(keys) / took
    finally:
        workers.stop()
        db.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=20000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--rate", type=int, default=1000, help="posts/s published in the latency run")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=50, help="post keys per message in the latency run")
    scale_pages.add_arguments(ap)
    args = ap.parse_args()
    if args.pages_db:
        scale_pages.main(args)
        return
    if shutil.which("nats-server") is None:
        sys.exit("nats-server is not installed")
    with tempfile.TemporaryDirectory(prefix="openiru-scale-") as tmp:
        folder, lexicon = Path(tmp) / "posts", Path(tmp) / "lexicon.csv"
        write_posts(folder, args.posts, args.files)
        lexicon.write_text(
            "term,language,kind,label\n" + "".join(f"{o},en,outlet,org\n" for o in OUTLETS), encoding="utf-8"
        )
        server = NatsServer(Path(tmp) / "nats")
        server.start()
        try:
            print(
                f"{args.posts} posts in {args.files} JSONL files; PostgreSQL; {os.cpu_count()} cores; load average "
                f"{os.getloadavg()[0]:.1f} at the start\n"
            )
            print("| run | wall s | posts/s end to end | detection s after last publish |")
            print("|---|---:|---:|---:|")
            ref = reference(folder, lexicon, args.posts)
            print(
                f"| reference: one process, ingest + scan | {ref:.2f} | {args.posts / ref:,.0f} | - |",
                flush=True,
            )
            for k in (int(x) for x in args.workers.split(",")):
                wall, tail = queued(folder, lexicon, args.posts, k, server.url)
                print(
                    f"| ingest --nats + {k} worker{'s' if k > 1 else ''} | {wall:.2f} | {args.posts / wall:,.0f} "
                    f"| {tail:.2f} |",
                    flush=True,
                )
            lat, achieved = latency(
                folder, lexicon, args.posts, args.rate, args.seconds, args.batch, server.url
            )
            print(
                f"\nlatency, publish -> committed scan, 2 workers, {achieved:,.0f} posts/s published in messages "
                f"of {args.batch} ({len(lat)} messages): p50 {pct(lat, 0.5):.3f} s, p99 {pct(lat, 0.99):.3f} s, "
                f"max {max(lat):.3f} s; load average {os.getloadavg()[0]:.1f} at the end"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
