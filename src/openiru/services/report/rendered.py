"""Rendered reports: the TCO Art. 8 transparency report, the unit's annual report and the
Referral Action Day report, each a :class:`~openiru.report.render.Document` with the figures
as JSON beside it.  Figures come from :mod:`.statistics` (and :mod:`.operations` for action
days); their definitions are in docs/reports.md.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import ConfigError
from ...report import charts, figures
from ...report.render import MISSING, Document, Section, Table
from ...store import tables_detect, tables_referral
from ..referral import action_days as operations
from .statistics import Filters, _deadline_s, load_referrals, statistics

KINDS = ("tco-art8", "annual", "action-day", "modus-operandi")

#: Fields of Art. 8(1) a unit fills by hand: key -> what it asks.
MANUAL_FIELDS = {
    "orders_scrutinised_art4": "Removal orders scrutinised under Art. 4 (received from other Member States)",
    "scrutiny_infringements_found": "Art. 4 scrutiny decisions finding a serious or manifest infringement",
    "specific_measures_decisions": "Decisions on specific measures under Art. 5(4), (6) and (7)",
    "reviews": "Orders and decisions subject to administrative or judicial review, with their outcome",
    "penalties": "Decisions imposing penalties under Art. 18, with the type of penalty",
}


def year_range(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def period(
    year: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> tuple[datetime, datetime, str]:
    """``[since, until)`` and its label: a calendar year, or the dates given (a missing end is
    the end of the start's year, a missing start the start of the end's year)."""
    if since is None and until is None:
        y = year if year is not None else datetime.now(UTC).year
        return (*year_range(y), str(y))
    if since is None and until is not None:
        since = year_range((until - timedelta(microseconds=1)).year)[0]
    assert since is not None
    if until is None:
        until = year_range(since.year)[1]
    if until <= since:
        raise ConfigError("the end of the period must come after its start")
    if (since, until) == year_range(since.year):
        return since, until, str(since.year)
    return since, until, f"{since:%d %B %Y} to {until - timedelta(microseconds=1):%d %B %Y}"


def _months(since: datetime, until: datetime) -> list[str]:
    out: list[str] = []
    y, m = since.year, since.month
    while datetime(y, m, 1, tzinfo=UTC) < until and len(out) < 120:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def load_manual(path: Path | None) -> dict[str, Any]:
    """The hand-filled fields from a JSON or YAML file (YAML needs PyYAML installed)."""
    if path is None:
        return {}
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ImportError:
        raise ConfigError(f"{path}: reading YAML needs PyYAML; give the fields as JSON instead") from None
    except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError
        raise ConfigError(
            f"{path}: not valid {'YAML' if path.suffix.lower() in ('.yaml', '.yml') else 'JSON'}: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f'{path}: expected an object of fields, e.g. {{"penalties": 0}}')
    unknown = sorted(set(data) - set(MANUAL_FIELDS) - {"authority", "member_state", "notes"})
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {unknown}; known: {', '.join(MANUAL_FIELDS)}")
    return data


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def _timing_rows(f: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for label, key in (
        ("Time to acknowledgement", "time_to_acknowledgement"),
        ("Time to removal or disabling", "time_to_removal"),
    ):
        d = f[key]
        rows.append(
            [
                label,
                d["n"],
                _hours(d["median_s"]),
                _hours(d["p90_s"]),
                d["share_within_1h"],
                d["share_within_2h"],
            ]
        )
    return rows


TIMING_COLUMNS = ["measure", "referrals", "median (h)", "p90 (h)", "share within 1 h", "share within 2 h"]


def _compliance_table(rows: list[dict[str, Any]]) -> Table:
    return Table(
        "Per provider",
        [
            "provider",
            "items sent",
            "removed",
            "disabled",
            "refused",
            "no response",
            "pending",
            "removal rate",
            "median to removal (h)",
            "within deadline",
        ],
        [
            [
                c["provider"],
                c["items_sent"],
                c["removed"],
                c["access_disabled"],
                c["refused"],
                c["no_response"],
                c["pending"],
                c["removal_rate"],
                _hours(c["median_time_to_removal_s"]),
                c["share_within_deadline"],
            ]
            for c in rows
        ],
        "providers",
    )


def _member_state() -> str:
    from ...interop.tco import authority_from_env

    return authority_from_env().member_state


def tco_art8(
    engine: sa.Engine,
    year: int | None = None,
    manual: dict[str, Any] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Document:
    """Art. 8(1) TCO Regulation: removal orders issued in ``year`` or the period (by the time
    they were sent)."""
    manual = manual or {}
    from ...interop.tco import authority_from_env

    auth = authority_from_env()
    since, until, label = period(year, since, until)
    with engine.connect() as conn:
        refs = [
            r
            for r in load_referrals(
                conn, Filters(since=since - timedelta(days=366), until=until), member_state=auth.member_state
            )
            if r.kind == "removal-order" and r.sent_at is not None and since <= r.sent_at < until
        ]
    f = figures.referral_figures(refs)
    cross = [r for r in refs if r.cross_border]
    fc = figures.referral_figures(cross)
    removed_or_disabled = f["removed"] + f["access_disabled"]
    not_removed = f["items_sent"] - removed_or_disabled
    auto = {
        "removal_orders_issued": len(refs),
        "items_in_orders": f["items_sent"],
        "led_to_removal": f["removed"],
        "led_to_access_disabled": f["access_disabled"],
        "not_removed": not_removed,
        "refused": f["refused"],
        "no_response": f["no_response"],
        "pending": f["pending"],
        "removal_rate": f["removal_rate"],
        "cross_border_orders": len(cross),
        "cross_border_removal_rate": fc["removal_rate"],
        "time_to_removal": f["time_to_removal"],
        "time_to_acknowledgement": f["time_to_acknowledgement"],
        "providers": f["providers"],
    }
    hand = {k: manual.get(k) for k in MANUAL_FIELDS}
    fig = {
        "kind": "tco-art8",
        "period": {"from": since.isoformat(), "to": until.isoformat(), "label": label},
        "authority": manual.get("authority") or auth.name,
        "member_state": manual.get("member_state") or auth.member_state,
        **auto,
        "provider_compliance": figures.compliance(refs, _deadline_s),
        "manual": hand,
        "missing_manual_fields": [k for k, v in hand.items() if v is None],
    }
    orders = Table(
        "Removal orders (Art. 8(1)(a))",
        ["figure", "value"],
        [
            ["Removal orders issued", len(refs)],
            ["Items (URLs) in those orders", f["items_sent"]],
            ["Items removed", f["removed"]],
            ["Items with access disabled", f["access_disabled"]],
            ["Items not removed or disabled", not_removed],
            ["  of which refused by the provider", f["refused"]],
            ["  of which no response", f["no_response"]],
            ["  of which still pending", f["pending"]],
            ["Removal rate (removed or disabled / items)", f["removal_rate"]],
            ["Orders to a provider established in another Member State (Art. 4(1))", len(cross)],
            ["Removal rate of those cross-border orders", fc["removal_rate"]],
        ],
        "orders",
    )
    by_hand = Table(
        "Fields filled by the unit",
        ["field", "value"],
        [[label, MISSING if manual.get(k) is None else manual[k]] for k, label in MANUAL_FIELDS.items()],
        "manual",
    )
    chart = charts.bar_chart(
        "Outcome of removal orders",
        ["removed", "disabled", "refused", "no response", "pending"],
        {"items": [f["removed"], f["access_disabled"], f["refused"], f["no_response"], f["pending"]]},
        "outcome",
        "items",
    )
    sections = [
        Section(
            "Removal orders and their implementation",
            [
                f"Removal orders under Art. 3 of Regulation (EU) 2021/784 sent by {fig['authority']} "
                f"({fig['member_state']}) from {since:%d %B %Y} to {until - timedelta(microseconds=1):%d %B %Y}. "
                "An order counts in the period in which it was sent to the provider."
            ],
            [orders],
            [chart],
        ),
        Section(
            "How fast (Art. 3(3): within one hour of receipt)",
            [
                "Times run from sending to the provider's acknowledgement and to removal or disabling; "
                "clock stops for force majeure or clarification (Art. 3(7), 3(8)) are left out."
            ],
            [
                Table("Times", TIMING_COLUMNS, _timing_rows(f), "times"),
                _compliance_table(fig["provider_compliance"]),
            ],
        ),
        Section(
            "Scrutiny, specific measures, review and penalties (Art. 8(1)(a)-(d))",
            [
                "These figures are not kept by OpenIRU; the unit gives them in the --manual file. "
                f"Fields still to be completed are marked {MISSING}."
            ],
            [by_hand],
        ),
    ]
    return Document(
        f"Transparency report {label} - TCO Regulation Art. 8",
        f"{fig['authority']} ({fig['member_state']}), generated {datetime.now(UTC):%Y-%m-%d}",
        sections,
        fig,
    )


def _breakdown(title: str, groups: dict[str, list[figures.Referral]], name: str, label: str) -> Table:
    rows = []
    for k, refs in groups.items():
        f = figures.referral_figures(refs)
        rows.append(
            [
                k,
                f["items_referred"],
                f["items_sent"],
                f["removed"] + f["access_disabled"],
                f["removal_rate"],
                _hours(f["time_to_removal"]["median_s"]),
            ]
        )
    return Table(
        title,
        [
            label,
            "items referred",
            "items sent",
            "removed or disabled",
            "removal rate",
            "median to removal (h)",
        ],
        rows,
        name,
    )


def _assessed(conn: sa.Connection, since: datetime, until: datetime, refs: list[figures.Referral]) -> int:
    al, oi = tables_detect.detect_alerts, tables_referral.operation_items
    keys = {
        f"{p}:{i}"
        for p, i in conn.execute(
            sa.select(al.c.platform, al.c.post_id).where(
                al.c.decided_at >= since, al.c.decided_at < until, al.c.status.in_(("confirmed", "rejected"))
            )
        )
    }
    keys |= set(
        conn.execute(
            sa.select(oi.c.target_key).where(oi.c.added_at >= since, oi.c.added_at < until)
        ).scalars()
    )
    keys |= {i.key for r in refs for i in r.items}
    return len(keys)


def annual(
    engine: sa.Engine, year: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> Document:
    """The unit's figures for a year (or period) in the shape the EU IRU publishes."""
    since, until, label = period(year, since, until)
    with engine.connect() as conn:
        refs = load_referrals(conn, Filters(since=since, until=until))
        assessed = _assessed(conn, since, until, refs)
    stats = statistics(engine, Filters(since=since, until=until), refs=refs)
    fig = {
        "kind": "annual",
        "period": {"from": since.isoformat(), "to": until.isoformat(), "label": label},
        "items_assessed": assessed,
        **{k: v for k, v in stats.items() if k not in ("filters", "by")},
        "platform_count": len(stats["platforms"]),
        "language_count": len(stats["languages"]),
        "provider_count": len(stats["providers"]),
    }
    headline = (
        f"In {label} the unit assessed {assessed:,} items and referred {stats['items_referred']:,} on "
        f"{len(stats['platforms'])} platforms in {len(stats['languages'])} languages to "
        f"{len(stats['providers'])} providers; "
        + (
            f"{stats['removal_rate'] * 100:.1f} % of the items sent were removed or disabled."
            if stats["removal_rate"] is not None
            else "no item was sent."
        )
    )
    summary = Table(
        "Figures",
        ["figure", "value"],
        [
            ["Posts collected", stats["posts_collected"]],
            ["Detection alerts", stats["alerts"]],
            ["Alerts confirmed", stats["confirmed"]],
            ["Alerts rejected", stats["rejected"]],
            ["Re-uploads caught by the hash banks", stats["reuploads_caught"]],
            ["Items assessed", assessed],
            ["Items referred", stats["items_referred"]],
            ["Items sent", stats["items_sent"]],
            ["Removed", stats["removed"]],
            ["Access disabled", stats["access_disabled"]],
            ["Refused", stats["refused"]],
            ["No response", stats["no_response"]],
            ["Pending", stats["pending"]],
            ["Removal rate", stats["removal_rate"]],
            ["Deconfliction holds", stats["deconfliction_holds"]],
        ],
        "figures",
    )
    months = _months(since, until)
    per_month: dict[tuple[str, str], int] = {}
    for r in refs:
        k = ("referred", f"{r.created_at.year}-{r.created_at.month:02d}")
        per_month[k] = per_month.get(k, 0) + len(r.items)
        if r.down and r.resolved_at:
            k = ("removed", f"{r.resolved_at.year}-{r.resolved_at.month:02d}")
            per_month[k] = per_month.get(k, 0) + len(r.items)
    referred = [per_month.get(("referred", m), 0) for m in months]
    removed = [per_month.get(("removed", m), 0) for m in months]
    by_month = charts.bar_chart(
        f"Items referred and removed per month, {label}",
        months,
        {"referred": referred, "removed or disabled": removed},
        "month",
        "items",
    )
    by_platform = figures.split(refs, "platform")
    platform_chart = charts.bar_chart(
        "Items referred per platform",
        list(by_platform),
        {"items": [sum(len(r.items) for r in v) for v in by_platform.values()]},
        "platform",
        "items",
    )
    sections = [
        Section("Summary", [headline], [summary], [by_month]),
        Section(
            "Platforms and languages",
            [],
            [
                _breakdown("Per platform", by_platform, "platforms", "platform"),
                _breakdown("Per language", figures.split(refs, "language"), "languages", "language"),
            ],
            [platform_chart],
        ),
        Section(
            "Providers and response times",
            [],
            [
                _compliance_table(stats["provider_compliance"]),
                Table("Times", TIMING_COLUMNS, _timing_rows(stats), "times"),
            ],
        ),
    ]
    return Document(
        f"Annual report {label}",
        "Internet Referral Unit - items assessed, referred and removed",
        sections,
        fig,
    )


def action_day(engine: sa.Engine, op_ref: str | int, now: Clock | None = None) -> Document:
    """A Referral Action Day: its figures, per provider and language, the hours of its window
    and the items still online (referred but not removed or disabled)."""
    base = operations.report(engine, op_ref, now=now or system_now)
    op = base["operation"]
    with engine.connect() as conn:
        refs = load_referrals(conn, Filters(operation=op["id"]))
    starts, ends = operations.parse_iso(op["starts_at"]), operations.parse_iso(op["ends_at"])
    hours = max(1, int((ends - starts).total_seconds() // 3600))
    labels = [f"+{h}" for h in range(hours + 1)]

    def cumulative(times: list[tuple[datetime | None, int]]) -> list[float]:
        return [
            float(sum(n for t, n in times if t is not None and t <= starts + timedelta(hours=h)))
            for h in range(hours + 1)
        ]

    series = {
        "referred": cumulative([(r.created_at, len(r.items)) for r in refs]),
        "sent": cumulative([(r.sent_at, len(r.items)) for r in refs]),
        "removed or disabled": cumulative([(r.resolved_at if r.down else None, len(r.items)) for r in refs]),
    }
    timeline = charts.line_chart(
        f"{op['name']}: items over the {hours} hours",
        labels,
        series,
        "hours since the start",
        "items (cumulative)",
    )
    online = [
        [i.key, i.platform, i.language, r.provider, r.state] for r in refs if not r.down for i in r.items
    ]
    f = figures.referral_figures(refs)
    fig = {
        "kind": "action-day",
        **base,
        "time_to_removal": f["time_to_removal"],
        "time_to_acknowledgement": f["time_to_acknowledgement"],
        "timeline": {"hours": list(range(hours + 1)), **series},
        "still_online": [
            dict(zip(("target", "platform", "language", "provider", "state"), r, strict=True)) for r in online
        ],
    }
    summary = Table(
        "Figures",
        ["figure", "value"],
        [
            ["Status", base["status"]],
            ["Agencies", ", ".join(op["agencies"])],
            ["Items assessed", base["items_assessed"]],
            ["Items referred", base["items_referred"]],
            ["Items sent", base["items_sent"]],
            ["Items removed or disabled", base["items_removed"]],
            ["Removal rate", base["removal_rate"]],
            ["Items still online", len(online)],
        ],
        "figures",
    )
    step = max(1, hours // 12)
    hourly = Table(
        "Timeline (cumulative items)",
        ["hour", *series],
        [[labels[h], *(int(v[h]) for v in series.values())] for h in range(0, hours + 1, step)],
        "timeline",
    )
    sections = [
        Section("Summary", [base["summary"] + "."], [summary]),
        Section(
            "Per provider and per language",
            [],
            [
                _compliance_table(figures.compliance(refs, _deadline_s)),
                _breakdown("Per language", figures.split(refs, "language"), "languages", "language"),
                Table("Times", TIMING_COLUMNS, _timing_rows(f), "times"),
            ],
        ),
        Section(f"The {hours} hours", [f"From {op['starts_at']} to {op['ends_at']}."], [hourly], [timeline]),
        Section(
            "Items still online",
            ["Referred items whose referral has not (yet) led to removal or disabling."],
            [
                Table(
                    "Still online",
                    ["target", "platform", "language", "provider", "state"],
                    online,
                    "still_online",
                )
            ],
        ),
    ]
    return Document(
        f"Referral Action Day report: {op['name']}", f"{op['starts_at']} to {op['ends_at']}", sections, fig
    )
