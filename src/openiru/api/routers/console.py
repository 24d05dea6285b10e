"""Read-only views for the web console: people with their handles, the filtered triage queue
with its total, the whole interaction network, an account's or a post's links to other
records (re-creations, other platforms, coordination groups, referrals), and time series.

Thin adapters over ``services.console_views`` and ``services.console_stats``; the analytics
results (ranking, coordination, re-creations, migration, domains) come from the same cache
as the ``/api/v1/graph`` routes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...errors import NotFoundError
from ...services.console import series as console_stats
from ...services.console import views as console_views
from ...services.detect import assign
from ..analytics import run_graph
from ..deps import UNIT, Principal, current_principal, engine_of, read_engine_of, roles
from ..pagination import PageParams, encode_cursor, page_params

router = APIRouter(prefix="/api/v1/console", tags=["console"])


def _cached(request: Request, key: Any, name: str, *args: Any) -> Any:
    engine = engine_of(request)
    return request.app.state.analytics.get(key, lambda: run_graph(engine, name, *args))


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _ranked(request: Request) -> dict[tuple[str, str], dict[str, Any]]:
    """The ranking by account (role, community, score), rebuilt when the cached ranking changes."""
    from . import graph as graph_routes

    ranking = graph_routes._key_accounts(request)
    held = getattr(request.app.state, "console_ranked", None)
    if held is None or held[0] is not ranking:
        rows = (ranking.row(i) for i in range(1, len(ranking.json) + 1))
        by_key = {
            (r["platform"], r["account_id"]): {
                "role": r.get("role"),
                "community": r.get("community"),
                "score": r.get("score"),
                "evidence": r.get("evidence"),
            }
            for r in rows
        }
        held = request.app.state.console_ranked = (ranking, by_key)
    return held[1]  # type: ignore[no-any-return]


@router.get("/people", **roles(*UNIT))
def people(
    request: Request,
    key: list[str] = Query(..., max_length=console_views.MAX_KEYS),
    profile: bool = Query(False),
) -> dict[str, Any]:
    """Accounts by ``PLATFORM:ACCOUNT_ID`` key: handle, display name, status (``profile``: bio,
    followers, avatar, posts, first and last post)."""
    keys = [k for k in (console_views.split_key(x) for x in key) if k is not None]
    return {
        "items": console_views.accounts_by_key(read_engine_of(request), keys, profile),
        "next_cursor": None,
    }


@router.get("/alerts", **roles(*UNIT))
def alerts(
    request: Request,
    page: PageParams = Depends(page_params),
    status: str = Query("open", pattern="^(open|confirmed|rejected|all)$"),
    platform: str | None = Query(None, max_length=100),
    language: str | None = Query(None, max_length=16),
    signal: str | None = Query(None, max_length=32),
    bank: str | None = Query(None, max_length=100),
    min_score: float | None = Query(None, ge=0, le=1),
    since: datetime | None = None,
    until: datetime | None = None,
    assigned: str | None = Query(None, max_length=100),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """The triage queue filtered (platform, language, signal, bank, score, time, assignment:
    ``me``, ``none``, ``any`` or a user), with the total it matches; keyset pagination on
    (priority, platform, post id)."""
    after = page.key(float, str, str)
    filters = {
        "status": status,
        "platform": platform,
        "language": language,
        "signal": signal,
        "bank": bank,
        "min_score": min_score,
        "since": _utc(since),
        "until": _utc(until),
        "assigned": principal.name if assigned == "me" else assigned,
    }
    out = console_views.alerts(read_engine_of(request), filters, page.limit, after)  # type: ignore[arg-type]
    key = out.pop("next_key")
    return {**out, "next_cursor": encode_cursor(key) if key else None}


class Assignment(BaseModel):
    posts: list[str] = Field(min_length=1, max_length=assign.MAX_POSTS)
    #: The analyst to assign to; ``None`` lifts the assignment.  ``me``: the caller (claim).
    to: str | None = Field(max_length=100)


@router.post("/assign", **roles("admin", "analyst"))
def assign_alerts(
    body: Assignment, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Assign alerts to an analyst (``to: "me"`` claims them), or lift the assignment (``to: null``),
    as ``openiru assign POST... --to USER``."""
    to = principal.name if body.to == "me" else body.to
    return assign.assign(engine_of(request), body.posts, to, actor=principal.name)


@router.get("/accounts", **roles(*UNIT))
def accounts(
    request: Request,
    page: PageParams = Depends(page_params),
    q: str | None = Query(None, max_length=255),
    platform: str | None = Query(None, max_length=100),
) -> dict[str, Any]:
    """Accounts whose handle, display name or id contains ``q`` (any case); keyset pagination."""
    out = console_views.search_accounts(read_engine_of(request), q, platform, page.limit, page.key(str, str))  # type: ignore[arg-type]
    key = out.pop("next_key")
    return {**out, "next_cursor": encode_cursor(key) if key else None}


@router.get("/alert-facets", **roles(*UNIT))
def alert_facets(request: Request) -> dict[str, Any]:
    """Platforms, languages, signals and banks the triage filters can choose from."""
    return console_views.alert_facets(read_engine_of(request))


@router.get("/network", **roles(*UNIT))
async def network(
    request: Request,
    platform: list[str] = Query([], max_length=20),
    community: int | None = Query(None, ge=0),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(300, ge=10, le=3000),
) -> dict[str, Any]:
    """The interaction graph of the most active accounts (in a time window, of some platforms,
    or of one community), with role, community and score of each node."""

    def compute() -> dict[str, Any]:
        ranked = _ranked(request)
        out = console_views.network(
            read_engine_of(request), ranked, limit, platform or None, community, _utc(since), _utc(until)
        )
        counts: dict[int, int] = {}
        for info in ranked.values():
            if info.get("community") is not None:
                counts[info["community"]] = counts.get(info["community"], 0) + 1
        out["communities"] = [
            {"community": c, "accounts": n} for c, n in sorted(counts.items(), key=lambda kv: -kv[1])[:50]
        ]
        return out

    return await run_in_threadpool(compute)


@router.get("/neighbourhood", **roles(*UNIT))
def neighbourhood(
    request: Request,
    platform: str = Query(..., max_length=100),
    account_id: str = Query(..., max_length=255),
    limit: int = Query(40, ge=1, le=200),
) -> dict[str, Any]:
    """``/api/v1/graph/neighbourhood`` with each node's display name, role, community and score."""
    from ...services.collect import content

    out = content.neighbourhood(engine_of(request), platform, account_id, limit)
    ranked = _ranked(request)
    names = {
        (p["platform"], p["account_id"]): p
        for p in console_views.accounts_by_key(
            read_engine_of(request), [(n["platform"], n["account_id"]) for n in out["nodes"]]
        )
    }
    for n in out["nodes"]:
        key = (n["platform"], n["account_id"])
        info = ranked.get(key) or {}
        n.update(
            display_name=names.get(key, {}).get("display_name"),
            role=info.get("role"),
            community=info.get("community"),
            score=info.get("score"),
        )
    return out


@router.get("/account-links", **roles(*UNIT))
def account_links(
    request: Request, platform: str = Query(..., max_length=100), account_id: str = Query(..., max_length=255)
) -> dict[str, Any]:
    """What else the analysis knows about an account: the accounts it re-creates and that
    re-create it, its accounts on other platforms, its coordination groups, its referrals."""
    me = (platform, account_id)
    engine = read_engine_of(request)
    if console_views.accounts_by_key(engine, [me])[0].get("unknown"):
        raise NotFoundError(f"no account {platform}:@{account_id}")
    links = _cached(request, ("recreated",), "resurgence")
    predecessors: list[dict[str, Any]] = []
    successors: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    for row in links:
        new, old = (
            (row["platform"], row["account_id"]),
            (row["predecessor_platform"], row["predecessor_account_id"]),
        )
        cross = bool((row.get("evidence") or {}).get("cross_platform")) or new[0] != old[0]
        kind = (row.get("evidence") or {}).get("link")
        if me not in (new, old):
            continue
        partner = old if new == me else new
        entry = {"platform": partner[0], "account_id": partner[1], "score": row.get("score"), "link": kind}
        if kind == "recreated" or not cross:
            (predecessors if new == me else successors).append(entry)
        else:
            other.append(entry)
    ranked = _ranked(request).get(me) or {}
    same = (ranked.get("evidence") or {}).get("same_actor")
    if (
        isinstance(same, dict)
        and same.get("platform")
        and not any((o["platform"], o["account_id"]) == (same["platform"], same["account_id"]) for o in other)
    ):
        other.append(
            {
                "platform": same["platform"],
                "account_id": same["account_id"],
                "score": None,
                "link": "same actor (ranking)",
            }
        )
    groups = [
        {"index": i, "kind": g["kind"], "score": g["score"], "accounts": len(g["accounts"])}
        for i, g in enumerate(_cached(request, ("coordination",), "coordination"))
        if any((a["platform"], a["account_id"]) == me for a in g["accounts"])
    ]
    people = {
        (p["platform"], p["account_id"]): p
        for p in console_views.accounts_by_key(
            engine, [(x["platform"], x["account_id"]) for x in (*predecessors, *successors, *other)]
        )
    }
    for x in (*predecessors, *successors, *other):
        p = people.get((x["platform"], x["account_id"]), {})
        x.update(handle=p.get("handle"), display_name=p.get("display_name"), status=p.get("status"))
    return {
        "predecessors": predecessors,
        "successors": successors,
        "other_platforms": other,
        "coordination": groups,
        "referrals": console_views.account_referrals(engine, platform, account_id),
        "role": ranked.get("role"),
        "community": ranked.get("community"),
    }


@router.get("/post-links", **roles(*UNIT))
def post_links(
    request: Request, platform: str = Query(..., max_length=100), post_id: str = Query(..., max_length=255)
) -> dict[str, Any]:
    """The referrals that cover a post, and whom its alert is assigned to (``assignment``: null
    when no one)."""
    engine = read_engine_of(request)
    return {
        "referrals": console_views.referrals_covering(engine, [f"{platform}:{post_id}"]),
        "assignment": console_views.assignment_of(engine, platform, post_id),
    }


@router.get("/evidence/{referral_id}/{evidence_id}", **roles(*UNIT))
def evidence_download(
    request: Request, referral_id: int = Path(ge=1), evidence_id: int = Path(ge=1)
) -> FileResponse:
    """One preserved evidence file of a referral (the record, a media copy or the WARC capture),
    served only while its SHA-256 is the one recorded when it was preserved."""
    path, name = console_views.evidence_file(read_engine_of(request), referral_id, evidence_id)
    media = "application/warc" if name.endswith((".warc", ".warc.gz")) else None
    return FileResponse(path, filename=name, media_type=media)


@router.get("/timeseries", **roles(*UNIT, "auditor"))
def timeseries(
    request: Request, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Alerts, confirmations, referrals and removals per day, hours to removal, posts per
    platform per week; with the community's migration across platforms and emerging domains
    (their weeks that overlap the range)."""
    out = console_stats.timeseries(read_engine_of(request), _utc(since), _utc(until))
    try:
        out["migration"], out["emerging_domains"] = console_stats.weeks_in_range(
            _cached(request, ("migration",), "community_migration"),
            _cached(request, ("platforms", True), "platforms", True)[:30],
            _utc(since),
            _utc(until),
        )
    except Exception:  # noqa: BLE001 - no analysis possible on an empty store: the charts say so
        out["migration"], out["emerging_domains"] = [], []
    return out
