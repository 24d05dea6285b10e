"""The referral demo step: confirmed alerts through the whole workflow, against local fakes.

Registered under ``openiru.demo_steps``.  It confirms the top detection
alerts (or takes planted posts when detection found none), refers them,
puts one on a deconfliction hold, approves with four eyes, preserves
evidence, sends by email to a local SMTP server and by signed webhook to a
local HTTP server (both on 127.0.0.1, nothing leaves the machine), records
provider feedback, verifies removal against a local fake of the provider's
pages, runs a Referral Action Day report, verifies the audit chain and
writes the interop exports under ``OUT/referrals/``.  The clock is injected
and moved by hand, so deadlines play out in the demo without waiting: it starts
:data:`SPAN` before the real time and never moves past it, so no event the demo
records is dated after the demo has finished.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..clock import Clock, system_now
from ..errors import NotFoundError
from ..services.access import audit
from ..services.access.users import add_user, get_user
from ..services.referral import action_days as operations
from ..services.referral import deconfliction, delivery
from ..services.referral import export as referrals_export
from ..services.referral import verify as referrals_verify
from ..services.referral import workflow as referrals
from .provider_fake import LocalProvider

ANALYST, SECOND, APPROVER, LIAISON = "demo-analyst", "demo-analyst2", "demo-approver", "demo-liaison"
AGENCY = "Demo Agency (fictional)"
SECRET = "demo-webhook-secret"


#: How far before the real time the demo's clock starts: more than the demo moves it
#: (about four and a half hours: approvals, sending, answers, a verification 3 h later).
SPAN = timedelta(hours=6)


class DemoClock:
    """A hand-moved clock that starts ``span`` before ``real()`` and never passes it."""

    def __init__(self, span: timedelta = SPAN, real: Clock = system_now) -> None:
        self.real = real
        self.at = (self.real() - span).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at = min(self.at + timedelta(**kw), self.real().replace(microsecond=0))


def _users(engine: sa.Engine) -> None:
    for name, role, agency in (
        (ANALYST, "analyst", None),
        (SECOND, "analyst", None),
        (APPROVER, "approver", None),
        (LIAISON, "liaison", AGENCY),
    ):
        try:
            get_user(engine, name)
        except NotFoundError:
            add_user(engine, name, role, agency=agency)


def _targets(engine: sa.Engine, truth: dict[str, Any], clock: DemoClock, n: int = 6) -> tuple[list[str], str]:
    """Up to ``n`` items, spread over the platforms a registered provider hosts."""
    from ..services.referral.providers import list_providers

    # Platforms with a provider that can be contacted, plus the federated ones (each server
    # is its own provider, registered below from the post's address).
    hosted = {p.lower() for prov in list_providers(engine) if prov.contacts for p in prov.platforms}
    hosted |= {"mastodon", "activitypub"}
    from ..services.detect.alerts import decide, list_alerts

    per_platform: dict[str, int] = {}
    for alert in list_alerts(engine, limit=500, status="open"):
        platform = alert["post"]["platform"]
        if platform not in hosted or per_platform.get(platform, 0) >= 2:
            continue
        per_platform[platform] = per_platform.get(platform, 0) + 1
        decide(
            engine, alert["id"], "confirm", "demo: confirmed terrorist content", actor=ANALYST, now=clock()
        )
        if sum(per_platform.values()) >= n:
            break
    keys = referrals.targets_from_alerts(engine, limit=n)
    if keys:
        return keys, "confirmed detection alerts"
    posts = [m["post"] for m in truth.get("planted_media", [])] + [
        t["post"] for t in truth.get("planted_texts", [])
    ]
    by_platform: dict[str, list[str]] = {}
    for p in posts:
        if p["platform"] in hosted:
            keys_of = by_platform.setdefault(p["platform"], [])
            key = f"{p['platform']}:{p['post_id']}"
            if key not in keys_of:
                keys_of.append(key)
    keys = []
    while len(keys) < n and any(by_platform.values()):  # round-robin over platforms
        for platform in sorted(by_platform):
            if by_platform[platform] and len(keys) < n:
                keys.append(by_platform[platform].pop(0))
    return keys, "planted posts (no confirmed alerts)"


def _smtp_server() -> tuple[Any, int] | None:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:  # a development dependency: without it the demo sends by file export
        return None

    class Inbox:
        count = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Inbox.count += 1
            return "250 accepted"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def demo_step(engine: sa.Engine, out: Path, truth: dict[str, Any]) -> list[str]:
    # Evidence goes under the demo's output folder unless a data folder is configured.
    configured = os.environ.get("OPENIRU_DATA")
    if configured is None:
        os.environ["OPENIRU_DATA"] = str(Path(out) / "referrals" / "data")
    try:
        return _demo(engine, out, truth)
    finally:
        if configured is None:
            os.environ.pop("OPENIRU_DATA", None)


def _demo(engine: sa.Engine, out: Path, truth: dict[str, Any]) -> list[str]:
    clock = DemoClock()
    _users(engine)
    keys, origin = _targets(engine, truth, clock)
    if not keys:
        return ["referrals: nothing to refer"]
    lines: list[str] = []
    fake = LocalProvider()
    smtp = _smtp_server()
    if smtp is None:
        lines.append(
            "referrals: no local SMTP server (aiosmtpd, in the dev extra: pip install 'openiru[dev]'); "
            "e-mail shown by file export"
        )
    try:
        op = operations.create(
            engine,
            ANALYST,
            f"Demo Action Day {clock.at:%Y%m%d%H%M%S}",
            [AGENCY, "Unit"],
            hours=48,
            start=clock.at,
            now=clock,
        )
        with engine.connect() as conn:
            from ..referral.targets import parse_target
            from ..services.referral.records import enrich

            infos = [enrich(conn, parse_target(k)) for k in keys]
        texts = {info.target.key: info.text or "placeholder" for info in infos}
        for info in infos:
            fake.publish(info.url or info.target.key, texts[info.target.key])
        _register_instance_operators(engine, infos, clock)
        # The liaison's agency investigates the last item: a hands-off entry on that post.
        deconfliction.add_entry(engine, LIAISON, "post", keys[-1], "DEMO-INV-1", now=clock)
        made = []
        for n, key in enumerate(keys):
            made += referrals.create_referrals(
                engine,
                ANALYST if n % 2 == 0 else SECOND,
                [key],
                kind="removal-order" if n == 0 else "referral",
                reason="demo referral (fictional content)",
                operation_id=op["id"],
                now=clock,
            )
        operations.link_referrals(engine, op["id"], made)
        lines.append(
            f"referrals: {len(keys)} {origin} -> {len(made)} referral(s) to "
            f"{', '.join(sorted({r['provider'] or '?' for r in made}))}"
        )
        held = [r for r in made if r["state"] == "on_hold"]
        lines.append(f"referrals: deconfliction put {len(held)} on hold; the owning agency was notified")
        ready = [r for r in made if r["state"] == "draft" and r["provider"]]
        clock.advance(minutes=10)
        for r in ready:
            referrals.approve(engine, APPROVER, r["id"], now=clock)
        channels = ["email" if smtp else "export", "webhook"] + ["portal"] * len(ready)
        sent = []
        for r, channel in zip(ready, channels, strict=False):
            options: dict[str, Any] = {}
            if channel == "email" and smtp:
                options = {"host": "127.0.0.1", "port": smtp[1], "to": "abuse@provider.invalid"}
            elif channel == "webhook":
                options = {"url": fake.base + "/webhook", "secret": SECRET}
            elif channel == "export":
                options = {"outbox": str(Path(out) / "referrals" / "outbox")}
            result = delivery.send(
                engine,
                APPROVER,
                r["id"],
                channel,
                now=clock,
                fetch=fake.fetch,
                channel_options=options,
                sleep=lambda s: None,
                client=fake.client,
            )
            sent.append(result)
        lines.append(
            "referrals: sent "
            + ", ".join(f"{r['id']} by {r['channel']}" for r in sent)
            + f" (evidence preserved; email to local SMTP, webhook signed to {fake.base})"
        )
        clock.advance(minutes=25)
        for n, r in enumerate(sent):
            if n == len(sent) - 1 and len(sent) > 2:
                continue  # the provider never answers this one
            outcome = "access_disabled" if n == 1 else "removed"
            referrals.feedback(engine, APPROVER, r["id"], outcome, now=clock)
            for target in r["target_details"]:
                fake.take_down(target["url"] or target["key"])
            clock.advance(minutes=7)
        # One item comes back after removal: verification re-opens it.
        if sent:
            first = sent[0]["target_details"][0]
            fake.publish(first["url"] or first["key"], texts.get(first["key"], "placeholder"))
        clock.advance(hours=3)
        checked = referrals_verify.verify_due(engine, APPROVER, now=clock, fetch=fake.fetch)
        outcomes: dict[str, int] = {}
        for c in checked:
            outcomes[c["verification"]["outcome"]] = outcomes.get(c["verification"]["outcome"], 0) + 1
        lines.append("referrals: verification " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
        report = operations.report(engine, op["id"], now=clock)
        rate = f"{report['removal_rate'] * 100:.0f} %" if report["removal_rate"] is not None else "n/a"
        median = (
            f"{report['median_time_to_removal_s'] / 60:.0f} min"
            if report["median_time_to_removal_s"] is not None
            else "n/a"
        )
        lines.append(
            f"referrals: action day report: {report['summary']}; removal rate {rate}, "
            f"median time to removal {median}"
        )
        folder = Path(out) / "referrals"
        folder.mkdir(parents=True, exist_ok=True)
        for fmt, name in (
            ("stix", "stix-bundle.json"),
            ("misp", "misp-event.json"),
            ("dsa", "dsa-statements.json"),
            ("lumen", "lumen-notices.json"),
            ("hashes", "hashes.csv"),
        ):
            (folder / name).write_text(referrals_export.export(engine, fmt, now=clock), "utf-8")
        lines.append(f"referrals: exports (STIX, MISP, DSA, Lumen, hash list) written to {folder}")
        chain = audit.verify(engine)
        state = (
            "intact"
            if chain.ok
            else "UNVERIFIABLE (no anchor)"
            if chain.status == audit.UNVERIFIABLE
            else "BROKEN"
        )
        lines.append(
            f"referrals: audit chain {state} ({chain.entries} entries); "
            f"email received {fake_count(smtp)}, webhook calls {len(fake.webhook_calls)}"
        )
    finally:
        fake.close()
        if smtp:
            smtp[0].stop()
    return lines


def _register_instance_operators(engine: sa.Engine, infos: list[Any], clock: DemoClock) -> None:
    """A federated server is its own hosting provider: add the demo's fictional servers."""
    from ..referral.providers import resolve
    from ..referral.targets import url_host
    from ..services.referral.providers import list_providers, merge, save_provider

    registry = list_providers(engine)
    for info in infos:
        if info.url and resolve(registry, info.url, info.target.platform) is None:
            host = url_host(info.url)
            provider = merge(
                None,
                f"{host} (server operator)",
                domains=[host],
                languages=["en"],
                contacts={"email": f"abuse@{host}"},
                kind="decentralised",
                notes="fictional demo server",
            )
            save_provider(engine, ANALYST, provider, now=clock)
            registry = list_providers(engine)


def fake_count(smtp: tuple[Any, int] | None) -> int:
    if not smtp:
        return 0
    return int(type(smtp[0].handler).count)
