"""The modus-operandi report: platform use over time, migration between platforms, emerging
platforms and domains, the effect of takedowns and survival curves.

Builds on the graph services (:func:`openiru.services.graph.analysis.community_migration`,
:func:`~openiru.services.graph.analysis.platforms`, :func:`~openiru.services.graph.analysis.resurgence`) and
the pure :mod:`openiru.report.modus`; every figure is defined in docs/reports.md.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...model import utc
from ...report import charts, modus
from ...report.render import Document, Section, Table
from ...store import schema, tables_detect
from .statistics import Filters, _week, load_referrals

Key = tuple[str, str]


def _flagged(conn: sa.Connection, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Flagged posts (with a detection alert) with time, platform, language and labels."""
    p, al, h, bi = (
        schema.posts,
        tables_detect.detect_alerts,
        tables_detect.detect_hits,
        tables_detect.detect_bank_items,
    )
    q = (
        sa.select(p.c.platform, p.c.post_id, p.c.timestamp, p.c.language)
        .join(al, sa.and_(al.c.platform == p.c.platform, al.c.post_id == p.c.post_id))
        .where(al.c.status != "rejected")
    )
    if since is not None:
        q = q.where(p.c.timestamp >= since)
    if until is not None:
        q = q.where(p.c.timestamp < until)
    rows = {
        (r.platform, r.post_id): {
            "platform": r.platform,
            "time": utc(r.timestamp),
            "language": r.language,
            "labels": set(),
        }
        for r in conn.execute(q)
    }
    lq = (
        sa.select(h.c.platform, h.c.post_id, sa.func.coalesce(bi.c.organisation, h.c.label))
        .select_from(h.outerjoin(bi, bi.c.id == h.c.item_id))
        .where(h.c.suppressed.is_(False))
    )
    for platform, post_id, label in conn.execute(lq):
        if label and (platform, post_id) in rows:
            rows[(platform, post_id)]["labels"].add(label)
    return list(rows.values())


def _platform_use(flagged: list[dict[str, Any]]) -> Section:
    weekly: dict[str, Counter[str]] = defaultdict(Counter)
    by_label: Counter[tuple[str, str]] = Counter()
    by_language: Counter[tuple[str, str]] = Counter()
    for f in flagged:
        weekly[f["platform"]][_week(f["time"].date())] += 1
        for lab in f["labels"] or {"(no label)"}:
            by_label[(lab, f["platform"])] += 1
        by_language[(f["language"] or "(unknown)", f["platform"])] += 1
    weeks = sorted({w for c in weekly.values() for w in c})
    top = sorted(weekly, key=lambda pl: -sum(weekly[pl].values()))[:6]
    chart = charts.line_chart(
        "Flagged posts per platform per week",
        weeks,
        {pl: [weekly[pl][w] for w in weeks] for pl in top},
        "week (starting Monday)",
        "posts",
    )
    return Section(
        "Platform use over time",
        [
            "Flagged posts (posts with a detection alert not rejected by an analyst) per platform and week, "
            "and per organisation label and language."
        ],
        [
            Table(
                "Per organisation label and platform",
                ["label", "platform", "flagged posts"],
                [[a, b, n] for (a, b), n in sorted(by_label.items())],
                "by_label",
            ),
            Table(
                "Per language and platform",
                ["language", "platform", "flagged posts"],
                [[a, b, n] for (a, b), n in sorted(by_language.items())],
                "by_language",
            ),
        ],
        [chart],
    )


def _migration(loaded: tuple[Any, Any]) -> tuple[Section, list[dict[str, Any]]]:
    """As :func:`openiru.services.graph.analysis.community_migration` (all of the community), on the graph
    the report has loaded and ranked once for its migration and domain sections."""
    import numpy as np

    from ...graph.platforms import migration

    data, ranking = loaded
    member = np.asarray([r != "bystander" for r in ranking.role], bool)
    chosen = np.flatnonzero(member[data.posts.account]) if data.n else np.zeros(0, np.int64)
    rows = migration(data.posts.time[chosen], [data.posts.platform[k] for k in chosen.tolist()])
    platforms = sorted({p for r in rows for p in r["platforms"]})
    weeks = [r["week"] for r in rows]
    share = {p: [r["platforms"].get(p, {}).get("share", 0.0) * 100 for r in rows] for p in platforms}
    moves = []
    for i in range(1, len(rows)):
        for p in platforms:
            change = share[p][i] - share[p][i - 1]
            if abs(change) >= 20 and rows[i]["posts"] >= 5:
                moves.append([weeks[i], p, round(share[p][i - 1], 1), round(share[p][i], 1)])
    top = sorted(platforms, key=lambda p: -sum(share[p]))[:6]
    chart = charts.line_chart(
        "Share of the community's posts per platform",
        weeks,
        {p: share[p] for p in top},
        "ISO week",
        "share of posts (%)",
        y_max=100,
    )
    cols = _flow_weeks(weeks, [m[0] for m in moves])
    stacks = [{p: share[p][weeks.index(w)] for p in platforms if share[p][weeks.index(w)] > 0} for w in cols]
    flows = [modus.transfers(stacks[i], stacks[i + 1]) for i in range(len(cols) - 1)]
    flow_rows = [
        [cols[i], cols[i + 1], a, b, round(v, 1)]
        for i, f in enumerate(flows)
        for (a, b), v in sorted(f.items())
        if a != b
    ]
    flow_chart = charts.flow_chart(
        "Flows of the community's posts between platforms",
        cols,
        stacks,
        flows,
        "ISO week (the first, the last, and each move with the week before)",
        "% of posts",
    )
    return Section(
        "Migration between platforms",
        [
            "Share of the posts of the community's accounts (the accounts the ranking does not call bystanders) "
            "per platform and ISO week; a move is a week in which a platform's share changed by 20 points or more.",
            "The flows are estimated from the shares: what a platform keeps stays, what the shrinking platforms "
            "lose goes to the growing ones in proportion to their gain; widths are percentage points of the posts.",
        ],
        [
            Table("Moves", ["week", "platform", "share before (%)", "share after (%)"], moves, "moves"),
            Table(
                "Flows between platforms",
                ["from week", "to week", "from platform", "to platform", "share moved (points)"],
                flow_rows,
                "flows",
            ),
        ],
        [chart, flow_chart],
    ), rows


def _flow_weeks(weeks: list[str], moved: list[str], most: int = 10) -> list[str]:
    """The weeks the flow chart shows: all when few, else the first, the last, and each week of
    a move with the week before it (the earliest moves first, ``most`` weeks at most)."""
    if len(weeks) <= most:
        return weeks
    chosen = {weeks[0], weeks[-1]}
    for w in sorted(set(moved)):
        i = weeks.index(w)
        if len(chosen | {weeks[i - 1], w}) > most:
            break
        chosen |= {weeks[i - 1], w}
    return sorted(chosen)


def _emerging(engine: sa.Engine, loaded: tuple[Any, Any]) -> tuple[Section, list[dict[str, Any]]]:
    from ..graph.analysis import platforms

    rows = sorted(platforms(engine, loaded=loaded), key=lambda d: (-int(d["emerging"]), -d["flagged_links"]))[
        :20
    ]
    table = Table(
        "Domains flagged content links to",
        ["domain", "platform", "known", "flagged links", "first seen", "growth", "emerging"],
        [
            [
                d["domain"],
                d["platform"],
                d["known"],
                d["flagged_links"],
                (d["first_seen"] or "")[:10],
                d["growth"],
                d["emerging"],
            ]
            for d in rows
        ],
        "domains",
    )
    return Section(
        "Emerging platforms and domains",
        [
            "Domains linked from flagged content, with their first appearance and growth; 'emerging' marks "
            "unknown domains with a growing share (openiru platforms)."
        ],
        [table],
    ), rows


def _times(
    conn: sa.Connection, table: Any, key_cols: tuple[Any, Any], time_col: Any, keys: set[Key]
) -> dict[Key, list[float]]:
    out: dict[Key, list[float]] = defaultdict(list)
    wanted = sorted(keys)
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        for a, b, t in conn.execute(
            sa.select(key_cols[0], key_cols[1], time_col).where(
                sa.tuple_(key_cols[0], key_cols[1]).in_(chunk)
            )
        ):
            out[(a, b)].append(utc(t).timestamp())
    for v in out.values():
        v.sort()
    return out


def _in(times: list[float], start: float, end: float) -> int:
    return bisect_right(times, end) - bisect_left(times, start)


def _takedowns(engine: sa.Engine, window: timedelta) -> tuple[Section, dict[str, Any], list[modus.Removed]]:
    from ..graph.analysis import resurgence

    a, p, e = schema.accounts, schema.posts, schema.edges
    links = resurgence(engine)
    succ: dict[Key, list[Key]] = defaultdict(list)
    for link in links:
        succ[(link["predecessor_platform"], link["predecessor_account_id"])].append(
            (link["platform"], link["account_id"])
        )
    with engine.connect() as conn:
        gone = conn.execute(
            sa.select(a.c.platform, a.c.account_id, a.c.status_changed_at, a.c.followers).where(
                a.c.status.in_(("suspended", "deleted"))
            )
        ).all()
        keys = {(g.platform, g.account_id) for g in gone} | {s for v in succ.values() for s in v}
        followers = (
            {
                (r.platform, r.account_id): r.followers or 0
                for r in conn.execute(sa.select(a.c.platform, a.c.account_id, a.c.followers))
            }
            if keys
            else {}
        )
        posts = _times(conn, p, (p.c.platform, p.c.account_id), p.c.timestamp, keys)
        reach = _times(conn, e, (e.c.target_platform, e.c.target_account_id), e.c.time, keys)
    w = window.total_seconds()
    removed = []
    for g in gone:
        k = (g.platform, g.account_id)
        own = posts.get(k, [])
        at = utc(g.status_changed_at).timestamp() if g.status_changed_at else (own[-1] if own else None)
        if at is None:
            continue
        successors = [
            {
                "platform": s[0],
                "account_id": s[1],
                "posts": _in(posts.get(s, []), at, at + w),
                "reach": _in(reach.get(s, []), at, at + w),
                "audience": followers.get(s, 0),
            }
            for s in succ.get(k, [])
        ]
        removed.append(
            modus.Removed(
                g.platform,
                g.account_id,
                at,
                _in(own, at - w, at),
                _in(reach.get(k, []), at - w, at),
                g.followers or 0,
                successors,
            )
        )
    effect = modus.takedown_effect(removed)
    days = window.days
    table = Table(
        "Before and after",
        ["measure", f"{days} days before removal", f"{days} days after (re-creations)", "after / before"],
        [
            [m, effect["before"][k], effect["after"][k], effect["retained"][k]]
            for m, k in (
                ("posts", "posts"),
                ("reach (interactions received)", "reach"),
                ("audience (followers)", "audience"),
            )
        ],
        "takedown_effect",
    )
    flows = Table(
        "Where they re-appeared",
        ["from", "to", "accounts", "posts after", "reach after", "audience"],
        [
            [f["from"], f["to"], f["accounts"], f["posts_after"], f["reach_after"], f["audience_after"]]
            for f in effect["flows"]
        ],
        "recreation_flows",
    )
    chart = charts.bar_chart(
        "Removed accounts and their re-creations",
        ["posts", "reach", "audience"],
        {
            "before removal": [effect["before"][k] for k in ("posts", "reach", "audience")],
            "after (re-created)": [effect["after"][k] for k in ("posts", "reach", "audience")],
        },
        "measure",
        "count",
    )
    rate = effect["recreation_rate"]
    return (
        Section(
            "Effect of takedowns",
            [
                f"{effect['removed_accounts']} removed (suspended or deleted) accounts; {effect['recreated_accounts']} "
                f"re-appeared under a new account (re-creation rate "
                f"{'-' if rate is None else f'{rate * 100:.1f} %'}). The removal time is the status change where the "
                "source gives it, else the account's last post."
            ],
            [table, flows],
            [chart],
        ),
        effect,
        removed,
    )


def _survival(
    engine: sa.Engine, removed: list[modus.Removed], now: datetime
) -> tuple[Section, dict[str, Any]]:
    with engine.connect() as conn:
        refs = [
            r for r in load_referrals(conn, Filters()) if r.sent_at is not None and r.state != "withdrawn"
        ]
        first = {
            (pl, ac): utc(t).timestamp()
            for pl, ac, t in conn.execute(
                sa.select(
                    schema.posts.c.platform, schema.posts.c.account_id, sa.func.min(schema.posts.c.timestamp)
                ).group_by(schema.posts.c.platform, schema.posts.c.account_id)
            )
        }
        data_end = conn.execute(sa.select(sa.func.max(schema.posts.c.timestamp))).scalar()
    # censored at the later of now and the last time the store knows (a demo's clock may run ahead)
    known = [t for r in refs for t in (r.sent_at, r.resolved_at) if t is not None]
    now = max([now, *known])
    hours = [0.0, 1, 2, 6, 12, 24, 48, 72, 168]
    content = modus.survival(
        [
            r.removal_s if r.down and r.removal_s is not None else (now - r.sent_at).total_seconds()
            for r in refs
            if r.sent_at is not None
        ],
        [r.down and r.removal_s is not None for r in refs],
        [h * 3600 for h in hours],
    )
    end = utc(data_end).timestamp() if data_end else now.timestamp()
    removed_at = {(r.platform, r.account_id): r.removed_at for r in removed}
    recreated = {(s["platform"], s["account_id"]) for r in removed for s in r.successors}
    dur, obs = [], []
    for k in sorted(recreated):
        if k in first:
            stop = removed_at.get(k)
            dur.append((stop if stop is not None else end) - first[k])
            obs.append(stop is not None)
    days = [1.0, 2, 7, 14, 30, 60, 90]
    accounts = modus.survival(dur, obs, [d * 86400 for d in days])
    chart = charts.line_chart(
        "Referred content still online (Kaplan-Meier)",
        [f"{h:g}" for h in hours],
        {"content online": [p["survival"] * 100 for p in content["at"]]},
        "hours since the referral was sent",
        "still online (%)",
        y_max=100,
    )
    rows = [
        [
            "referred content",
            content["n"],
            content["events"],
            content["censored"],
            None if content["median_s"] is None else round(content["median_s"] / 3600, 2),
            "hours",
        ],
        [
            "re-created accounts",
            accounts["n"],
            accounts["events"],
            accounts["censored"],
            None if accounts["median_s"] is None else round(accounts["median_s"] / 86400, 2),
            "days",
        ],
    ]
    return Section(
        "Survival",
        [
            "Kaplan-Meier estimates: referred content from sending until removal or disabling (still online: "
            "censored now); re-created accounts from their first post until their own removal (still active: "
            "censored at the last post in the store)."
        ],
        [Table("Survival", ["what", "n", "ended", "censored", "median", "unit"], rows, "survival")],
        [chart],
    ), {"referred_content": content, "recreated_accounts": accounts}


def modus_operandi(
    engine: sa.Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    window_days: int = 28,
    now: datetime | None = None,
) -> Document:
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        flagged = _flagged(conn, since, until)
    use = _platform_use(flagged)
    from ..graph.analysis import ranked

    loaded = ranked(engine)
    migration, migration_rows = _migration(loaded)
    emerging, domain_rows = _emerging(engine, loaded)
    takedowns, effect, removed = _takedowns(engine, timedelta(days=window_days))
    survival, curves = _survival(engine, removed, now)
    fig = {
        "kind": "modus-operandi",
        "flagged_posts": len(flagged),
        "migration": migration_rows,
        "domains": domain_rows,
        "takedown_effect": effect,
        "window_days": window_days,
        "survival": curves,
        "platform_use": [{"label": t.title, "rows": t.as_dicts()} for t in use.tables],
    }
    span = f"{since:%Y-%m-%d} to {until:%Y-%m-%d}" if since and until else "all data"
    return Document(
        "Modus operandi",
        f"Platforms, migration, takedowns and survival - {span}",
        [use, migration, emerging, takedowns, survival],
        fig,
    )
