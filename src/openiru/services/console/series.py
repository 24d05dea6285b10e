"""Time series for the console's statistics page: detection alerts, confirmations, referrals
and removals per day, time to removal, and posting per platform per week, in a time range.

Counting is grouped by calendar day in SQL (``date()``, which SQLite and PostgreSQL both
have); weeks (ISO, starting on Monday) are summed from the days here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...store import schema, tables_detect, tables_referral


def _day(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, date | datetime) else str(value)[:10]


def _per_day(conn: sa.Connection, column: Any, *conds: Any) -> dict[str, int]:
    day = sa.func.date(column)
    q = sa.select(day, sa.func.count()).where(column.is_not(None), *conds).group_by(day)
    return {_day(d): int(n) for d, n in conn.execute(q) if d is not None}


def _range(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    conds = []
    if since is not None:
        conds.append(column >= since)
    if until is not None:
        conds.append(column < until)
    return conds


def _week(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def timeseries(
    engine: sa.Engine, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """``days``: every day in the range with alerts created, flagged posts (by the post's
    time), alerts confirmed, rejected, referred and
    removed; ``removal_hours``: each removed referral's hours from sending to removal;
    ``posts_per_week``: posts per platform per ISO week."""
    al, dec, p = tables_detect.detect_alerts, tables_detect.detect_decisions, schema.posts
    r, ev = tables_referral.referrals, tables_referral.referral_events
    with engine.connect() as conn:
        alerts = _per_day(conn, al.c.created_at, *_range(al.c.created_at, since, until))
        flagged_q = (
            sa.select(sa.func.date(p.c.timestamp), sa.func.count())
            .join(al, sa.and_(al.c.platform == p.c.platform, al.c.post_id == p.c.post_id))
            .where(*_range(p.c.timestamp, since, until))
            .group_by(sa.func.date(p.c.timestamp))
        )
        flagged = {_day(d): int(n) for d, n in conn.execute(flagged_q) if d is not None}
        confirmed = _per_day(
            conn, dec.c.decided_at, dec.c.decision == "confirm", *_range(dec.c.decided_at, since, until)
        )
        rejected = _per_day(
            conn, dec.c.decided_at, dec.c.decision == "reject", *_range(dec.c.decided_at, since, until)
        )
        referred = _per_day(conn, r.c.created_at, *_range(r.c.created_at, since, until))
        removed = _per_day(
            conn, ev.c.at, ev.c.to_state.in_(("removed", "access_disabled")), *_range(ev.c.at, since, until)
        )
        sent_at = {
            row.referral_id: row.at
            for row in conn.execute(
                sa.select(ev.c.referral_id, sa.func.min(ev.c.at).label("at"))
                .where(ev.c.to_state == "sent")
                .group_by(ev.c.referral_id)
            )
        }
        removal_hours = []
        for row in conn.execute(
            sa.select(ev.c.referral_id, sa.func.min(ev.c.at).label("at"))
            .where(ev.c.to_state.in_(("removed", "access_disabled")), *_range(ev.c.at, since, until))
            .group_by(ev.c.referral_id)
        ):
            start = sent_at.get(row.referral_id)
            if start is not None and row.at is not None:
                removal_hours.append(
                    {
                        "referral": row.referral_id,
                        "removed_at": row.at,
                        "hours": round((_aware(row.at) - _aware(start)).total_seconds() / 3600, 2),
                    }
                )
        day = sa.func.date(p.c.timestamp)
        weekly: dict[str, dict[str, int]] = {}
        for platform, d, n in conn.execute(
            sa.select(p.c.platform, day, sa.func.count())
            .where(*_range(p.c.timestamp, since, until))
            .group_by(p.c.platform, day)
        ):
            if d is None:
                continue
            week = weekly.setdefault(platform, {})
            w = _week(_day(d))
            week[w] = week.get(w, 0) + int(n)
    names = set(alerts) | set(flagged) | set(confirmed) | set(rejected) | set(referred) | set(removed)
    days = []
    if names:
        first, last = date.fromisoformat(min(names)), date.fromisoformat(max(names))
        while first <= last:
            k = first.isoformat()
            days.append(
                {
                    "day": k,
                    "alerts": alerts.get(k, 0),
                    "flagged_posts": flagged.get(k, 0),
                    "confirmed": confirmed.get(k, 0),
                    "rejected": rejected.get(k, 0),
                    "referred": referred.get(k, 0),
                    "removed": removed.get(k, 0),
                }
            )
            first += timedelta(days=1)
    weeks = sorted({w for v in weekly.values() for w in v})
    return {
        "days": days,
        "removal_hours": removal_hours,
        "posts_per_week": {
            "weeks": weeks,
            "platforms": {pl: [v.get(w, 0) for w in weeks] for pl, v in sorted(weekly.items())},
        },
    }


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _week_in_range(week: str, since: datetime | None, until: datetime | None) -> bool:
    """Whether the ISO week ``YYYY-Www`` overlaps [since, until)."""
    try:
        year, number = week.split("-W")
        monday = datetime.combine(date.fromisocalendar(int(year), int(number), 1), datetime.min.time(), UTC)
    except ValueError:
        return True  # not an ISO week: kept, never silently dropped
    return (until is None or monday < until) and (since is None or monday + timedelta(days=7) > since)


def weeks_in_range(
    migration: list[dict[str, Any]],
    domains: list[dict[str, Any]],
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The community's weekly platform shares and the domains' weekly links cut to the weeks
    that overlap [since, until); domains with no flagged link in those weeks are left out."""
    if since is None and until is None:
        return migration, domains
    mig = [w for w in migration if _week_in_range(str(w.get("week")), since, until)]
    doms = []
    for d in domains:
        weekly = [w for w in d.get("weekly") or [] if _week_in_range(str(w.get("week")), since, until)]
        if any(w.get("links") for w in weekly):
            doms.append({**d, "weekly": weekly})
    return mig, doms
