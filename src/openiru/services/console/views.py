"""Read-only views the web console needs beyond the REST resources: people by key with their
handles and profiles, the triage queue with filters and a total, the whole interaction network,
and what covers a post or an account (referrals).

Every function reads only; the console router (``api/routers/console.py``) adapts them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...store import schema, tables_detect, tables_referral
from ..detect.assignees import assigned_condition, assignments

#: An alert's assignment fields when no analyst has it.
UNASSIGNED: dict[str, Any] = {"assigned_to": None, "assigned_by": None, "assigned_at": None}
#: The most accounts one lookup resolves (the console asks for one page of people at a time).
MAX_KEYS = 500


def split_key(key: str) -> tuple[str, str] | None:
    platform, sep, rest = key.partition(":")
    return (platform, rest.lstrip("@")) if sep and platform and rest else None


def accounts_by_key(
    engine: sa.Engine, keys: list[tuple[str, str]], profile: bool = False
) -> list[dict[str, Any]]:
    """Each known account's handle, display name and status (``profile``: also bio, followers,
    avatar, number of posts and the first and last post's time), in the order asked."""
    a, p = schema.accounts, schema.posts
    keys = list(dict.fromkeys(keys))[:MAX_KEYS]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    with engine.connect() as conn:
        for i in range(0, len(keys), 100):
            chunk = keys[i : i + 100]
            cond = sa.tuple_(a.c.platform, a.c.account_id).in_(chunk)
            for r in conn.execute(sa.select(a).where(cond)):
                row = {
                    "platform": r.platform,
                    "account_id": r.account_id,
                    "handle": r.handle,
                    "display_name": r.display_name,
                    "status": r.status,
                }
                if profile:
                    row.update(
                        bio=r.bio,
                        followers=r.followers,
                        avatar_media=r.avatar_media,
                        created_at=r.created_at,
                        status_changed_at=r.status_changed_at,
                    )
                found[(r.platform, r.account_id)] = row
        if profile:
            for key, row in found.items():
                first, last, n = conn.execute(
                    sa.select(sa.func.min(p.c.timestamp), sa.func.max(p.c.timestamp), sa.func.count()).where(
                        p.c.platform == key[0], p.c.account_id == key[1]
                    )
                ).one()
                row.update(first_post=first, last_post=last, posts=int(n))
    return [
        found.get(k)
        or {
            "platform": k[0],
            "account_id": k[1],
            "handle": None,
            "display_name": None,
            "status": "unknown",
            "unknown": True,
        }
        for k in keys
    ]


def _alert_filters(filters: dict[str, Any]) -> list[Any]:
    al, p, h = tables_detect.detect_alerts, schema.posts, tables_detect.detect_hits
    conds: list[Any] = []
    if filters.get("status") and filters["status"] != "all":
        conds.append(al.c.status == filters["status"])
    if filters.get("platform"):
        conds.append(al.c.platform == filters["platform"])
    if filters.get("language"):
        conds.append(p.c.language == filters["language"])
    if filters.get("min_score") is not None:
        conds.append(al.c.priority >= filters["min_score"])
    if filters.get("since") is not None:
        conds.append(p.c.timestamp >= filters["since"])
    if filters.get("until") is not None:
        conds.append(p.c.timestamp < filters["until"])
    hit_conds = []
    if filters.get("signal"):
        hit_conds.append(h.c.matcher == filters["signal"])
    if filters.get("bank"):
        hit_conds.append(h.c.bank == filters["bank"])
    if filters.get("assigned"):
        conds.append(assigned_condition(al.c.platform, al.c.post_id, filters["assigned"]))
    if hit_conds:
        conds.append(
            sa.exists().where(
                h.c.platform == al.c.platform,
                h.c.post_id == al.c.post_id,
                h.c.suppressed.is_(False),
                *hit_conds,
            )
        )
    return conds


def alerts(
    engine: sa.Engine, filters: dict[str, Any], limit: int, after: tuple[float, str, str] | None
) -> dict[str, Any]:
    """The triage queue by priority (highest first) under ``filters``, keyset-paged on
    (priority, platform, post id), with the total the filters match and each alert's author
    (handle, display name), post text, language, evidence hits and assignment (``assigned_to``,
    ``assigned_by``, ``assigned_at``; filter ``assigned``: a user, ``none`` or ``any``)."""
    al, p, a, h = tables_detect.detect_alerts, schema.posts, schema.accounts, tables_detect.detect_hits
    joined = al.join(p, sa.and_(p.c.platform == al.c.platform, p.c.post_id == al.c.post_id))
    conds = _alert_filters(filters)
    q = (
        sa.select(
            al.c.platform,
            al.c.post_id,
            al.c.account_id,
            al.c.priority,
            al.c.strength,
            al.c.status,
            al.c.reason,
            al.c.decided_by,
            al.c.model_probability,
            p.c.timestamp,
            p.c.text,
            p.c.language,
            a.c.handle,
            a.c.display_name,
        )
        .select_from(
            joined.outerjoin(a, sa.and_(a.c.platform == al.c.platform, a.c.account_id == al.c.account_id))
        )
        .where(*conds)
    )
    if after is not None:
        pr, pl, pid = after
        q = q.where(
            sa.or_(
                al.c.priority < pr,
                sa.and_(
                    al.c.priority == pr,
                    sa.or_(al.c.platform > pl, sa.and_(al.c.platform == pl, al.c.post_id > pid)),
                ),
            )
        )
    q = q.order_by(al.c.priority.desc(), al.c.platform, al.c.post_id).limit(limit + 1)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(joined).where(*conds)).scalar_one()
        page = rows[:limit]
        hits: dict[tuple[str, str], list[dict[str, Any]]] = {}
        keys = [(r.platform, r.post_id) for r in page]
        assigned = assignments(conn, keys)
        if page:
            for r in conn.execute(
                sa.select(h)
                .where(sa.tuple_(h.c.platform, h.c.post_id).in_(keys), h.c.suppressed.is_(False))
                .order_by(h.c.strength.desc())
            ):
                hits.setdefault((r.platform, r.post_id), []).append(
                    {
                        "matcher": r.matcher,
                        "bank": r.bank,
                        "item": r.item,
                        "label": r.label,
                        "distance": r.distance,
                        "similarity": r.similarity,
                        "term": r.term,
                        "strength": r.strength,
                        "source": (r.detail or {}).get("source"),
                    }
                )
    items = [
        {
            "id": f"{r.platform}:{r.post_id}",
            "post": {"platform": r.platform, "post_id": r.post_id},
            "account": {
                "platform": r.platform,
                "account_id": r.account_id,
                "handle": r.handle,
                "display_name": r.display_name,
            },
            "priority": r.priority,
            "strength": r.strength,
            "status": r.status,
            "reason": r.reason,
            "decided_by": r.decided_by,
            "model_probability": r.model_probability,
            "timestamp": r.timestamp,
            "language": r.language,
            "text": (r.text or "")[:600],
            "hits": hits.get((r.platform, r.post_id), []),
            **(assigned.get((r.platform, r.post_id)) or UNASSIGNED),
        }
        for r in page
    ]
    more = len(rows) > limit and page
    return {
        "items": items,
        "total": int(total),
        "next_key": [page[-1].priority, page[-1].platform, page[-1].post_id] if more else None,
    }


def alert_facets(engine: sa.Engine) -> dict[str, list[str]]:
    """The values the triage filters offer: platforms, languages, signals and banks in use, and
    the analysts alerts can be assigned to."""
    al, p, h = tables_detect.detect_alerts, schema.posts, tables_detect.detect_hits
    with engine.connect() as conn:
        platforms = [r[0] for r in conn.execute(sa.select(al.c.platform).distinct().order_by(al.c.platform))]
        languages = [
            r[0]
            for r in conn.execute(
                sa.select(p.c.language).distinct().where(p.c.language.is_not(None)).order_by(p.c.language)
            )
        ]
        signals = [r[0] for r in conn.execute(sa.select(h.c.matcher).distinct().order_by(h.c.matcher))]
        banks = [
            r[0]
            for r in conn.execute(
                sa.select(h.c.bank).distinct().where(h.c.bank.is_not(None)).order_by(h.c.bank)
            )
        ]
        u = schema.users
        analysts = [
            r[0]
            for r in conn.execute(
                sa.select(u.c.name)
                .where(u.c.role.in_(("analyst", "admin")), u.c.disabled.is_(False))
                .order_by(u.c.name)
            )
        ]
    return {
        "platforms": platforms,
        "languages": languages,
        "signals": signals,
        "banks": banks,
        "analysts": analysts,
    }


def network(
    engine: sa.Engine,
    ranked: dict[tuple[str, str], dict[str, Any]],
    limit: int,
    platforms: list[str] | None = None,
    community: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The interaction graph among the ``limit`` most active accounts (by interactions in the
    window), optionally of some platforms or one community, each node with its handle, display
    name, role, community and score from the ranking ``ranked``."""
    e = schema.edges
    conds: list[Any] = [e.c.target_account_id.is_not(None), e.c.source_account_id != e.c.target_account_id]
    if since is not None:
        conds.append(e.c.time >= since)
    if until is not None:
        conds.append(e.c.time < until)
    if platforms:
        conds += [e.c.platform.in_(platforms), e.c.target_platform.in_(platforms)]
    pairs: dict[tuple[tuple[str, str], tuple[str, str]], dict[str, int]] = {}
    with engine.connect() as conn:
        for r in conn.execute(
            sa.select(
                e.c.platform,
                e.c.source_account_id,
                e.c.target_platform,
                e.c.target_account_id,
                e.c.kind,
                sa.func.count().label("n"),
            )
            .where(*conds)
            .group_by(
                e.c.platform, e.c.source_account_id, e.c.target_platform, e.c.target_account_id, e.c.kind
            )
        ):
            s, t = (r.platform, r.source_account_id), (r.target_platform, r.target_account_id)
            if community is not None and not (
                ranked.get(s, {}).get("community") == community
                and ranked.get(t, {}).get("community") == community
            ):
                continue
            kinds = pairs.setdefault((s, t), {})
            kinds[r.kind] = kinds.get(r.kind, 0) + int(r.n)
        weight: dict[tuple[str, str], int] = {}
        for (s, t), kinds in pairs.items():
            n = sum(kinds.values())
            weight[s] = weight.get(s, 0) + n
            weight[t] = weight.get(t, 0) + n
        chosen = sorted(weight, key=lambda k: (-weight[k], k))[:limit]
        inside = set(chosen)
        names = (
            {(x["platform"], x["account_id"]): x for x in accounts_by_key(engine, chosen)} if chosen else {}
        )
    nodes = []
    for key in chosen:
        info, rank = names.get(key, {}), ranked.get(key, {})
        nodes.append(
            {
                "id": f"{key[0]}:{key[1]}",
                "platform": key[0],
                "account_id": key[1],
                "handle": info.get("handle"),
                "display_name": info.get("display_name"),
                "role": rank.get("role"),
                "community": rank.get("community"),
                "score": rank.get("score"),
                "weight": weight[key],
            }
        )
    edges = [
        {"source": f"{s[0]}:{s[1]}", "target": f"{t[0]}:{t[1]}", "count": sum(k.values()), "kinds": k}
        for (s, t), k in pairs.items()
        if s in inside and t in inside
    ]
    return {"nodes": nodes, "edges": edges, "accounts_in_window": len(weight)}


def referrals_covering(engine: sa.Engine, keys: list[str]) -> list[dict[str, Any]]:
    """Referrals with a target among ``keys`` (``platform:post_id`` or ``platform:account_id``)."""
    r, t = tables_referral.referrals, tables_referral.referral_targets
    if not keys:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(r.c.id, r.c.reference, r.c.state, r.c.provider, r.c.kind, t.c.key)
            .join(t, t.c.referral_id == r.c.id)
            .where(t.c.key.in_(keys[:MAX_KEYS]))
            .order_by(r.c.id)
        ).all()
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        item = out.setdefault(
            row.id,
            {
                "id": row.id,
                "reference": row.reference,
                "state": row.state,
                "provider": row.provider,
                "kind": row.kind,
                "targets": [],
            },
        )
        item["targets"].append(row.key)
    return list(out.values())


def account_referrals(engine: sa.Engine, platform: str, account_id: str) -> list[dict[str, Any]]:
    """Referrals of the account itself or of any of its posts."""
    t, p = tables_referral.referral_targets, schema.posts
    with engine.connect() as conn:
        post_keys = [
            f"{platform}:{r.post_id}"
            for r in conn.execute(
                sa.select(p.c.post_id)
                .join(
                    t,
                    sa.and_(
                        t.c.platform == p.c.platform,
                        t.c.kind == "post",
                        t.c.key == sa.literal(platform + ":") + p.c.post_id,
                    ),
                )
                .where(p.c.platform == platform, p.c.account_id == account_id)
            )
        ]
    return referrals_covering(engine, [f"{platform}:@{account_id}", *post_keys])


def search_accounts(
    engine: sa.Engine, text: str | None, platform: str | None, limit: int, after: tuple[str, str] | None
) -> dict[str, Any]:
    """Accounts whose handle, display name or id contains ``text`` (any case), by (platform,
    account id), keyset-paged."""
    a = schema.accounts
    q = sa.select(
        a.c.platform, a.c.account_id, a.c.handle, a.c.display_name, a.c.status, a.c.followers, a.c.last_seen
    )
    if platform:
        q = q.where(a.c.platform == platform)
    if text:
        like = (
            "%" + text.lower().lstrip("@").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        q = q.where(
            sa.or_(
                sa.func.lower(a.c.handle).like(like, escape="\\"),
                sa.func.lower(a.c.display_name).like(like, escape="\\"),
                sa.func.lower(a.c.account_id).like(like, escape="\\"),
            )
        )
    if after is not None:
        q = q.where(
            sa.or_(a.c.platform > after[0], sa.and_(a.c.platform == after[0], a.c.account_id > after[1]))
        )
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(a.c.platform, a.c.account_id).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [dict(r._mapping) for r in page],
        "next_key": [page[-1].platform, page[-1].account_id] if len(rows) > limit and page else None,
    }


def evidence_file(engine: sa.Engine, referral_id: int, evidence_id: int) -> tuple[str, str]:
    """The preserved file of one evidence row of a referral, as (path, download name), only if
    it is still there and its SHA-256 is the one recorded when it was preserved."""
    import hashlib
    from pathlib import Path

    from ...errors import NotFoundError

    ev = tables_referral.evidence
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(ev).where(ev.c.id == evidence_id, ev.c.referral_id == referral_id)
        ).first()
    if row is None:
        raise NotFoundError(f"no evidence {evidence_id} in referral {referral_id}")
    path = Path(row.path) if row.path else None
    if row.purged_at is not None or path is None or not path.is_file():
        raise NotFoundError(
            f"evidence {evidence_id} has no file here (purged after the retention period, "
            "never captured, or the server's OPENIRU_DATA is not where it was preserved)"
        )
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if row.sha256 and digest.hexdigest() != row.sha256:
        raise NotFoundError(
            f"evidence {evidence_id}: the file no longer has the SHA-256 recorded when it was "
            "preserved; it is not served"
        )
    return str(path), path.name


def assignment_of(engine: sa.Engine, platform: str, post_id: str) -> dict[str, Any] | None:
    """Whom the post's alert is assigned to (assignee, by whom, when), or None."""
    with engine.connect() as conn:
        return assignments(conn, [(platform, post_id)]).get((platform, post_id))
