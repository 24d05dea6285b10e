"""``openiru statistics``: detection and referral figures over a period, filtered and grouped.

Reads the store (posts, detection alerts and hits, referrals with their targets and
history, providers, users, operations) and computes the figures with the pure
:mod:`openiru.report.figures`.  Every figure and every JSON key is defined in docs/reports.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError
from ...model import utc
from ...referral import deadlines
from ...report import figures
from ...store import schema, tables_detect, tables_referral
from ..referral.providers import list_providers

GROUPS = ("platform", "provider", "language", "week")
#: Matchers of media hashes: a hit of one of these is a known file uploaded again.
HASH_MATCHERS = ("pdq", "md5", "sha256", "video")


@dataclass(slots=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    platform: str | None = None
    provider: str | None = None
    language: str | None = None
    label: str | None = None
    agency: str | None = None
    operation: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
            "platform": self.platform,
            "provider": self.provider,
            "language": self.language,
            "label": self.label,
            "agency": self.agency,
            "operation": self.operation,
        }


def _range(column: Any, f: Filters) -> list[Any]:
    conds = []
    if f.since is not None:
        conds.append(column >= f.since)
    if f.until is not None:
        conds.append(column < f.until)
    return conds


def _labelled_posts(conn: sa.Connection, label: str) -> set[tuple[str, str]]:
    """Posts with an unsuppressed hit whose label, or whose bank item's organisation, is ``label``."""
    h, bi = tables_detect.detect_hits, tables_detect.detect_bank_items
    orgs = sa.select(bi.c.id).where(bi.c.organisation == label)
    q = (
        sa.select(h.c.platform, h.c.post_id)
        .where(h.c.suppressed.is_(False), sa.or_(h.c.label == label, h.c.item_id.in_(orgs)))
        .distinct()
    )
    return {(p, i) for p, i in conn.execute(q)}


def load_referrals(
    conn: sa.Connection, f: Filters, member_state: str | None = None
) -> list[figures.Referral]:
    """Referrals created in the period that pass the filters, as pure records (items filtered
    by platform and language; a referral left with no item is dropped).  Three queries whatever
    the number of referrals: the referrals, their targets and their holds, each joined to the
    same selection."""
    r, rt, ev = tables_referral.referrals, tables_referral.referral_targets, tables_referral.referral_events
    conds = _range(r.c.created_at, f)
    if f.provider:
        conds.append(r.c.provider == f.provider)
    if f.operation is not None:
        conds.append(r.c.operation_id == f.operation)
    if f.agency:
        conds.append(
            r.c.created_by.in_(sa.select(schema.users.c.name).where(schema.users.c.agency == f.agency))
        )
    cols = (
        r.c.id,
        r.c.kind,
        r.c.state,
        r.c.provider,
        r.c.created_by,
        r.c.created_at,
        r.c.sent_at,
        r.c.acknowledged_at,
        r.c.resolved_at,
        sa.cast(r.c.pauses, sa.Text).label("pauses"),
        r.c.operation_id,
    )
    rows = conn.execute(sa.select(*cols).where(*conds).order_by(r.c.id)).all()
    domains = {
        d: (pl[0] if pl else d)
        for pl, ds in conn.execute(
            sa.select(tables_referral.providers.c.platforms, tables_referral.providers.c.domains)
        )
        for d in (ds or [])
    }
    items: dict[int, list[figures.Item]] = defaultdict(list)
    tq = (
        sa.select(rt.c.referral_id, rt.c.platform, rt.c.language, rt.c.key, rt.c.url)
        .select_from(rt.join(r, r.c.id == rt.c.referral_id))
        .where(*conds)
        .order_by(rt.c.id)
    )
    for rid, platform, language, key, url in conn.execute(tq):
        items[rid].append(figures.Item(platform or (_host(url, domains) if url else None), language, key))
    held = set(
        conn.execute(
            sa.select(ev.c.referral_id)
            .select_from(ev.join(r, r.c.id == ev.c.referral_id))
            .where(*conds, ev.c.to_state == "on_hold")
            .distinct()
        ).scalars()
    )
    agencies = dict(conn.execute(sa.select(schema.users.c.name, schema.users.c.agency)).all())
    establishment = dict(
        conn.execute(
            sa.select(tables_referral.providers.c.name, tables_referral.providers.c.main_establishment)
        ).all()
    )
    labelled = _labelled_posts(conn, f.label) if f.label else None
    out = []
    for row in rows:
        its = items.get(row.id, [])
        if f.platform or f.language or labelled is not None:
            its = [
                i
                for i in its
                if (not f.platform or i.platform == f.platform)
                and (not f.language or i.language == f.language)
                and (labelled is None or tuple(i.key.split(":", 1)) in labelled)
            ]
        if not its:
            continue
        sent = _aware(row.sent_at)
        resolved = _aware(row.resolved_at)
        down = resolved if row.state in ("removed", "access_disabled") else None
        if row.pauses and row.pauses not in ("[]", "null"):  # JSON text: decoded only where a clock stopped
            pauses = [deadlines.Pause.from_dict(d) for d in json.loads(row.pauses)]
            ack_s = _s(deadlines.elapsed_excluding_pauses(sent, _aware(row.acknowledged_at), pauses))
            removal_s = _s(deadlines.elapsed_excluding_pauses(sent, down, pauses))
        else:  # no clock stop: plain differences (the common case, kept cheap for large reports)
            ack = _aware(row.acknowledged_at)
            ack_s = (ack - sent).total_seconds() if sent is not None and ack is not None else None
            removal_s = (down - sent).total_seconds() if sent is not None and down is not None else None
        main = establishment.get(row.provider)
        out.append(
            figures.Referral(
                id=row.id,
                kind=row.kind,
                state=row.state,
                provider=row.provider,
                created_at=utc(row.created_at),
                sent_at=sent,
                items=its,
                ack_s=ack_s,
                removal_s=removal_s,
                resolved_at=resolved,
                held=row.id in held,
                agency=agencies.get(row.created_by),
                operation_id=row.operation_id,
                cross_border=(main != member_state) if main and member_state else None,
            )
        )
    return out


_ZERO = timedelta(0)


def _aware(value: datetime | None) -> datetime | None:
    """Aware and at UTC offset 0 (a UTC session's own zone object is kept: no conversion)."""
    if value is None or (value.tzinfo is not None and value.utcoffset() == _ZERO):
        return value
    return utc(value)


def _s(delta: timedelta | None) -> float | None:
    return delta.total_seconds() if delta is not None else None


def _host(url: str, domains: dict[str, str]) -> str | None:
    """A URL's platform: the first platform of the provider serving its host, else the host."""
    from ...referral.targets import url_host

    host = url_host(url)
    return domains.get(host, host) or None


def _week(day: Any) -> str:
    d = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


def detection_counts(
    conn: sa.Connection, f: Filters, weekly: bool = True, languages: bool = True
) -> list[dict[str, Any]]:
    """Rows ``{platform, language, week, posts, alerts, confirmed, rejected, reuploads}``: posts
    by their time, alerts by creation, decisions by their time, re-uploads by the post's time.
    Without ``weekly`` the counts are not split by day in SQL (``week`` is None); without
    ``languages`` (and no language filter) alerts are counted from their own table, with no
    join to the posts: the cheaper queries for figures over a whole period."""
    p, al, h = schema.posts, tables_detect.detect_alerts, tables_detect.detect_hits
    bi, oi = tables_detect.detect_bank_items, tables_referral.operation_items
    r, rt = tables_referral.referrals, tables_referral.referral_targets
    need_posts = languages or bool(f.language)

    def conds(platform: Any, post_id: Any) -> list[Any]:
        post_key = platform + ":" + post_id  # a referral target's / operation item's key
        c = []
        if f.platform:
            c.append(platform == f.platform)
        if f.language:
            c.append(p.c.language == f.language)
        if f.label:  # as _labelled_posts, in SQL (a label may cover millions of posts)
            c.append(
                sa.exists().where(
                    h.c.platform == platform,
                    h.c.post_id == post_id,
                    h.c.suppressed.is_(False),
                    sa.or_(
                        h.c.label == f.label,
                        h.c.item_id.in_(sa.select(bi.c.id).where(bi.c.organisation == f.label)),
                    ),
                )
            )
        if f.operation is not None:
            c.append(
                sa.or_(
                    sa.exists().where(oi.c.operation_id == f.operation, oi.c.target_key == post_key),
                    sa.exists().where(
                        rt.c.referral_id == r.c.id,
                        r.c.operation_id == f.operation,
                        rt.c.kind == "post",
                        rt.c.key == post_key,
                    ),
                )
            )
        return c

    names = ("posts", "alerts", "confirmed", "rejected", "reuploads")
    rows: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))

    def run(
        counts: dict[str, Any], platform: Any, language: Any, time_col: Any, joined: Any, where: list[Any]
    ) -> None:
        day = sa.func.date(time_col) if weekly else sa.literal(None)
        groups = [platform, language, day] if weekly else [platform, language]
        q = (
            sa.select(platform, language, day, *counts.values())
            .select_from(joined)
            .where(*where)
            .group_by(*[g for g in groups if not isinstance(g, sa.sql.elements.Null)])
        )
        for pl, lang, d, *ns in conn.execute(q):
            row = rows[(pl, lang or "", _week(d) if d is not None else "")]
            for name, n in zip(counts, ns, strict=True):
                row[name] += int(n or 0)

    run(
        {"posts": sa.func.count()},
        p.c.platform,
        p.c.language,
        p.c.timestamp,
        p,
        [*conds(p.c.platform, p.c.post_id), *_range(p.c.timestamp, f)],
    )
    # driven from the hits (few) rather than tested for every post (many)
    hashed = (
        sa.select(h.c.platform, h.c.post_id)
        .where(h.c.matcher.in_(HASH_MATCHERS), h.c.suppressed.is_(False))
        .distinct()
        .subquery()
    )
    run(
        {"reuploads": sa.func.count()},
        p.c.platform,
        p.c.language,
        p.c.timestamp,
        p.join(hashed, sa.and_(hashed.c.platform == p.c.platform, hashed.c.post_id == p.c.post_id)),
        [*conds(p.c.platform, p.c.post_id), *_range(p.c.timestamp, f)],
    )
    joined = (
        al.join(p, sa.and_(al.c.platform == p.c.platform, al.c.post_id == p.c.post_id)) if need_posts else al
    )
    language = p.c.language if need_posts else sa.null()
    base = conds(al.c.platform, al.c.post_id)

    def between(col: Any) -> Any:
        return sa.and_(col.is_not(None), *_range(col, f))

    def decided(status: str) -> Any:
        return sa.and_(al.c.status == status, between(al.c.decided_at))

    if weekly:  # each count on its own day column
        run(
            {"alerts": sa.func.count()},
            al.c.platform,
            language,
            al.c.created_at,
            joined,
            [*base, between(al.c.created_at)],
        )
        for name, status in (("confirmed", "confirmed"), ("rejected", "rejected")):
            run(
                {name: sa.func.count()},
                al.c.platform,
                language,
                al.c.decided_at,
                joined,
                [*base, decided(status)],
            )
    else:  # one pass over the alerts
        run(
            {
                "alerts": sa.func.sum(sa.case((between(al.c.created_at), 1), else_=0)),
                "confirmed": sa.func.sum(sa.case((decided("confirmed"), 1), else_=0)),
                "rejected": sa.func.sum(sa.case((decided("rejected"), 1), else_=0)),
            },
            al.c.platform,
            language,
            al.c.created_at,
            joined,
            [*base, sa.or_(between(al.c.created_at), between(al.c.decided_at))],
        )
    return [
        {"platform": k[0], "language": k[1] or None, "week": k[2] or None, **v}
        for k, v in sorted(rows.items())
    ]


def _deadline_s(kind: str) -> float:
    return deadlines.policy_for(kind).total_seconds()


def _summary(det: list[dict[str, Any]], refs: list[figures.Referral]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: sum(d[k] for d in det) for k in ("posts", "alerts", "confirmed", "rejected", "reuploads")
    }
    out = {
        "posts_collected": out["posts"],
        "alerts": out["alerts"],
        "confirmed": out["confirmed"],
        "rejected": out["rejected"],
        "reuploads_caught": out["reuploads"],
    }
    out.update(figures.referral_figures(refs))
    return out


def statistics(
    engine: sa.Engine, f: Filters, by: str | None = None, refs: list[figures.Referral] | None = None
) -> dict[str, Any]:
    """The figures of docs/reports.md over the filters; with ``by`` one row per group too.
    ``refs``: the referrals of ``f`` when the caller has loaded them already."""
    if by is not None and by not in GROUPS:
        raise ConfigError(f"--by must be one of {', '.join(GROUPS)}")
    registry = list_providers(engine)
    platform_provider = {pl: p.name for p in registry for pl in p.platforms}
    if f.provider and f.provider not in {p.name for p in registry}:
        raise ConfigError(f"unknown provider {f.provider!r}")
    with engine.connect() as conn:
        det = detection_counts(conn, f, weekly=by == "week", languages=by == "language")
        if refs is None:
            refs = load_referrals(conn, f)
    if f.provider:
        det = [d for d in det if platform_provider.get(d["platform"]) == f.provider]
    result: dict[str, Any] = {
        "filters": f.as_dict(),
        "by": by,
        **_summary(det, refs),
        "provider_compliance": figures.compliance(refs, _deadline_s),
    }
    if by:
        det_groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in det:
            key = {
                "platform": d["platform"],
                "language": d["language"] or "(unknown)",
                "week": d["week"],
                "provider": platform_provider.get(d["platform"], "(none)"),
            }[by]
            det_groups[key].append(d)
        ref_groups = figures.split(refs, by)
        result["groups"] = [
            {"group": k, **_summary(det_groups.get(k, []), ref_groups.get(k, []))}
            for k in sorted(set(det_groups) | set(ref_groups))
        ]
    return result


#: Columns of the CSV (one row per group, or one row for the whole selection).
CSV_COLUMNS = (
    "group",
    "posts_collected",
    "alerts",
    "confirmed",
    "rejected",
    "reuploads_caught",
    "referrals",
    "items_referred",
    "items_sent",
    "removed",
    "access_disabled",
    "refused",
    "no_response",
    "pending",
    "on_hold",
    "withdrawn",
    "not_sent",
    "removal_rate",
    "deconfliction_holds",
    "ack_median_s",
    "ack_p90_s",
    "ack_share_within_1h",
    "ack_share_within_2h",
    "removal_median_s",
    "removal_p90_s",
    "removal_share_within_1h",
    "removal_share_within_2h",
)


def csv_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = result.get("groups") or [{"group": "all", **result}]
    out = []
    for g in rows:
        ack, rem = g["time_to_acknowledgement"], g["time_to_removal"]
        flat = {
            **g,
            "ack_median_s": ack["median_s"],
            "ack_p90_s": ack["p90_s"],
            "ack_share_within_1h": ack["share_within_1h"],
            "ack_share_within_2h": ack["share_within_2h"],
            "removal_median_s": rem["median_s"],
            "removal_p90_s": rem["p90_s"],
            "removal_share_within_1h": rem["share_within_1h"],
            "removal_share_within_2h": rem["share_within_2h"],
        }
        out.append({c: flat.get(c) for c in CSV_COLUMNS})
    return out
