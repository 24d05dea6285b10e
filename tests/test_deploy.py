"""deploy/: the compose file and the systemd units name real commands with real options.

Docker is not runnable on the test machines, so the compose file is checked by parsing it:
every OpenIRU service's command is parsed by the CLI's own click command (an unknown option
or a bad value fails here as it would in the container), worker roles are implemented ones,
dependencies and volumes exist, health checks ask the probe paths the API and the workers
serve, and Prometheus scrapes the ports the workers listen on.  The systemd units' command
lines are checked the same way, with ``%i`` and the role's options file filled in.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from openiru.api.routers import health
from openiru.cli import COMMANDS, SUBCOMMANDS_FROM, build_command
from openiru.services.workers import ROLES

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def check_cli(argv: list[str]) -> None:
    """Parse ``openiru ARGV`` with the real command (raises on an unknown command or option)."""
    name, *rest = argv
    assert name in COMMANDS, f"openiru {name}: no such command"
    module = COMMANDS[name][0]
    also = tuple(m for n, m in SUBCOMMANDS_FROM.items() if n == name)
    command = build_command(module, name, also)
    assert command is not None, name
    ctx = command.make_context(name, list(rest))
    if name == "worker":
        assert ctx.params["role"] in ROLES, f"worker role {ctx.params['role']!r} is not implemented"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_check_cli_refuses_what_the_cli_would() -> None:
    check_cli(["worker", "--role", "detect", "--concurrency", "2"])
    for bad in (
        ["worker", "--role", "detect", "--no-such-option"],
        ["nosuch"],
        ["worker", "--role", "paint"],
        ["worker", "--role", "detect", "--metrics-port", "0"],
    ):
        with pytest.raises((AssertionError, Exception)):
            check_cli(bad)


def test_every_compose_service_runs_a_real_command() -> None:
    spec = compose()
    services = spec["services"]
    ours = {name: s for name, s in services.items() if s.get("image") == "openiru:local"}
    assert {"migrate", "api", "worker-detect"} <= set(ours)
    assert {"postgres", "nats"} <= set(services)
    assert "-js" in services["nats"]["command"]  # JetStream on
    for name, service in ours.items():
        check_cli(service["command"])
        env = service["environment"]
        assert (
            env["OPENIRU_DB"].startswith("postgresql+psycopg://")
            and env["OPENIRU_NATS"] == "nats://nats:4222"
        )
        assert service["env_file"] == "openiru.env" and (DEPLOY / "openiru.env.example").is_file()
        for dep in service.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in spec["volumes"], volume
    roles = [
        s["command"][s["command"].index("--role") + 1] for s in ours.values() if s["command"][0] == "worker"
    ]
    assert set(roles) == set(ROLES)  # one service per implemented role
    assert (DEPLOY / "Dockerfile").is_file()


def test_health_checks_and_scrapes_point_at_the_served_probes() -> None:
    services = compose()["services"]
    paths = {route.path for route in health.router.routes}  # type: ignore[attr-defined]
    assert {"/healthz", "/readyz", "/metrics"} <= paths
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/readyz" in api_check and "--port" in services["api"]["command"]
    worker = services["worker-detect"]["command"]
    port = int(worker[worker.index("--metrics-port") + 1])
    concurrency = int(worker[worker.index("--concurrency") + 1])
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(services["worker-detect"]["healthcheck"]["test"])
    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in scrape["scrape_configs"]}
    assert jobs["openiru-api"]["static_configs"][0]["targets"] == ["api:8000"]
    scraped = {
        c["port"] for c in jobs["openiru-workers"]["dns_sd_configs"] if c["names"] == ["worker-detect"]
    }
    assert scraped == set(range(port, port + concurrency))  # one port per worker process


def _exec_lines(unit: Path) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith(("ExecStart=", "ExecStartPre="))
    ]


def test_systemd_units_run_real_commands() -> None:
    api = _exec_lines(DEPLOY / "systemd" / "openiru-api.service")
    assert len(api) == 2
    for line in api:
        argv = shlex.split(line)
        assert argv[0] == "/opt/openiru/bin/openiru"
        check_cli(argv[1:])
    [worker] = _exec_lines(DEPLOY / "systemd" / "openiru-worker@.service")
    role_files = sorted((DEPLOY / "systemd").glob("worker-*.env"))
    assert {f.stem.removeprefix("worker-") for f in role_files} == set(ROLES)
    for env in role_files:
        role = env.stem.removeprefix("worker-")
        values = dict(
            line.split("=", 1)
            for line in env.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")
        )
        line = worker.replace("%i", role).replace("$OPENIRU_WORKER_ARGS", values["OPENIRU_WORKER_ARGS"])
        check_cli(shlex.split(line)[1:])
