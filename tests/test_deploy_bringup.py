"""deploy/ brought up as documented on a machine without containers (issue 16).

The systemd units of ``deploy/systemd`` are read and their commands run as systemd would run
them: ``EnvironmentFile`` lines (``deploy/openiru.env.example`` as ``/etc/openiru/openiru.env``,
``worker-<role>.env``), ``ExecStartPre`` then ``ExecStart``, ``%i`` as the role, ``$VAR`` from
those files, ``/opt/openiru/bin/openiru`` as this environment's ``openiru``.  Only what the
installation guide tells an operator to change is changed: the ``CHANGE-ME`` secrets, where the
database and NATS are (a fresh PostgreSQL database, a private ``nats-server -js``), the data
folder, and the ports and listening address (free loopback ports: tests bind to 127.0.0.1).

Then the API and the detect and graph workers must answer ``/readyz`` as ready, an import
published for detection must be scanned by the detect worker (every flagged post hit once),
the workers' ``/metrics`` must count it, and each process must stop on SIGTERM (``systemctl
stop``; an exit by the signal itself is clean to systemd).
(``docker compose -f deploy/compose.yaml up`` is the other documented way; this machine has no
Docker daemon and no registry to pull the PostgreSQL and NATS images from.)
"""

from __future__ import annotations

import configparser
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from nats_support import NatsServer
from server_support import free_port

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
OPENIRU_BIN = str(Path(sys.executable).parent / "openiru")


def unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / name).read_text(encoding="utf-8"))
    return parser["Service"]


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def environment(role: str | None, overrides: dict[str, str]) -> dict[str, str]:
    """What the unit's EnvironmentFile lines give, with the guide's edits (secrets, where things are)."""
    env = dict(os.environ)
    files = [DEPLOY / "openiru.env.example"]
    if role:
        files.append(DEPLOY / "systemd" / f"worker-{role}.env")
    for path in files:
        for key, value in env_file(path).items():
            env[key] = secrets.token_urlsafe(32) if value.startswith("CHANGE-ME") else value
    env.update(overrides)
    return env


def command(line: str, env: dict[str, str], role: str | None, ports: dict[str, int]) -> list[str]:
    """A unit's Exec line as systemd runs it, with ports and the listening address made local."""
    words: list[str] = []
    for word in shlex.split(line.replace("%i", role or "")):
        if word.startswith("$"):
            words += shlex.split(env.get(word[1:], ""))
        else:
            words.append(OPENIRU_BIN if word == "/opt/openiru/bin/openiru" else word)
    for option, port in ports.items():
        if option in words:
            words[words.index(option) + 1] = str(port)
    for option in ("--host", "--metrics-host"):
        if option in words:
            words[words.index(option) + 1] = "127.0.0.1"
    return words


def get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(base: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{proc.args} exited with {proc.returncode}"
        try:
            status, body = get(f"{base}/readyz")
            last = json.loads(body)
            if status == 200:
                return dict(last)  # type: ignore[call-overload]
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{base}/readyz never ready: {last}")


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_systemd_units_bring_the_stack_up_and_it_detects(
    pg_url: str, nats: NatsServer, tmp_path: Path
) -> None:
    where = {
        "OPENIRU_DB": pg_url,
        "OPENIRU_NATS": nats.url,
        "OPENIRU_NATS_PREFIX": f"d{uuid.uuid4().hex[:10]}",
        "OPENIRU_DATA": str(tmp_path / "var-lib-openiru"),
    }
    api_unit, worker_unit = unit("openiru-api.service"), unit("openiru-worker@.service")
    assert api_unit["EnvironmentFile"] == "/etc/openiru/openiru.env"
    api_env = environment(None, where)
    pre = subprocess.run(
        command(api_unit["ExecStartPre"], api_env, None, {}), env=api_env, capture_output=True, text=True
    )
    assert pre.returncode == 0, pre.stderr
    api_port = free_port()
    ports = {"detect": free_port(), "graph": free_port()}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        with (logs / "api.log").open("wb") as out:
            procs["api"] = subprocess.Popen(
                command(api_unit["ExecStart"], api_env, None, {"--port": api_port}),
                env=api_env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        for role, port in ports.items():
            env = environment(role, where)
            words = command(worker_unit["ExecStart"], env, role, {"--metrics-port": port})
            assert words[1:4] == ["worker", "--role", role]
            if "--concurrency" in words:  # one process: the next metrics port is not reserved here
                words[words.index("--concurrency") + 1] = "1"
            with (logs / f"{role}.log").open("wb") as out:
                procs[role] = subprocess.Popen(words, env=env, stdout=out, stderr=subprocess.STDOUT)
        ready = {
            "api": wait_ready(f"http://127.0.0.1:{api_port}", procs["api"]),
            **{role: wait_ready(f"http://127.0.0.1:{port}", procs[role]) for role, port in ports.items()},
        }
        for name, answer in ready.items():
            assert answer["ready"] is True and answer["checks"]["nats"] == "ok", (name, answer)
            assert answer["checks"]["database"] == "ok" and answer["checks"]["migrations"] == "ok"

        # docs/scale-out.md "Running it": rules, then an import published for the detect workers
        lexicon = tmp_path / "lexicon.csv"
        lexicon.write_text("term,language,kind,label\nVelmor Herald,en,outlet,org\n", encoding="utf-8")
        posts = tmp_path / "posts.jsonl"
        flagged = {str(i) for i in range(0, 60, 3)}
        posts.write_text(
            "".join(
                json.dumps(
                    {
                        "platform": "x",
                        "id": str(i),
                        "author_id": f"a{i % 5}",
                        "text": f"Velmor Herald item {i}" if str(i) in flagged else f"placeholder {i}",
                        "timestamp": "2026-01-01T00:00:00Z",
                    }
                )
                + "\n"
                for i in range(60)
            ),
            encoding="utf-8",
        )
        for args in (
            ["lexicon", "import", str(lexicon), "--name", "outlets"],
            ["ingest", str(posts), "--format", "jsonl", "--nats", nats.url],
        ):
            done = subprocess.run([OPENIRU_BIN, *args], env=api_env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        deadline = time.monotonic() + 90
        try:
            while True:
                with engine.connect() as conn:
                    left = conn.execute(
                        sa.text("SELECT count(*) FROM posts WHERE scanned_at IS NULL")
                    ).scalar()
                    hits = conn.execute(sa.text("SELECT post_id FROM detect_hits")).scalars().all()
                if left == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            engine.dispose()
        assert left == 0 and sorted(hits) == sorted(flagged)  # each flagged post hit once
        status, metrics = get(f"http://127.0.0.1:{ports['detect']}/metrics")
        assert status == 200 and b"openiru_worker_posts_scanned_total 60.0" in metrics
        status, metrics = get(f"http://127.0.0.1:{api_port}/metrics")
        assert status == 200 and b"openiru_posts_scanned" in metrics
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {}
        for name, proc in procs.items():
            try:
                codes[name] = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = "killed"
    # systemd counts an exit on SIGTERM as clean (the server's default SIGTERM handling)
    assert all(code in (0, -signal.SIGTERM) for code in codes.values()), (
        codes,
        {p.name: p.read_text()[-1500:] for p in logs.glob("*.log")},
    )
