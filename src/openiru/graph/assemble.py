"""Assemble :class:`GraphData` from plain rows (as the store or a test gives them).

The services read the store's tables in bulk and hand the rows here; tests and the synthetic
ecosystem generator call the same function, so one code path turns records into arrays.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from .content import build_content, normalise_text
from .data import EDGE_CODES, Accounts, Edges, GraphData, PostCode, Posts
from .stance import reporting_framing


@dataclass
class AccountRow:
    platform: str
    account_id: str
    handle: str | None = None
    display_name: str | None = None
    bio: str | None = None
    status: str = "unknown"
    status_changed_at: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    followers: int | None = None
    avatar_pdq: str | None = None
    created_at: datetime | None = None
    avatar_key: str | None = None  # the avatar file (sha256:..., or its media key) where no PDQ is known


@dataclass
class PostRow:
    platform: str
    post_id: str
    account_id: str
    timestamp: datetime | float  # Unix seconds where the loader converted them in bulk
    text: str = ""
    urls: Sequence[str] | None = None
    hashtags: Sequence[str] | None = None
    reply_to: str | None = None
    repost_of: str | None = None
    quote_of: str | None = None
    forward_from: str | None = None
    forward_from_name: str | None = None
    mentions: Sequence[str] = ()  # mentioned account ids (kept for writing rows back as records)


@dataclass
class EdgeRow:
    platform: str
    source_account_id: str
    target_platform: str
    target_account_id: str
    kind: str
    time: datetime | float


@dataclass
class Flag:
    platform: str
    post_id: str
    strength: float
    status: str  # matched | confirmed | rejected
    exemption: str | None = None


def _ts(value: datetime | float | None) -> float:
    if value is None:
        return np.nan
    return value if isinstance(value, float) else value.timestamp()


def post_code(p: PostRow) -> PostCode:
    if p.repost_of:
        return PostCode.REPOST
    if p.forward_from or p.forward_from_name:
        return PostCode.FORWARD
    if p.quote_of:
        return PostCode.QUOTE
    if p.reply_to:
        return PostCode.REPLY
    return PostCode.ORIGINAL


def forward_sources(accounts: Iterable[AccountRow], posts: Sequence[PostRow]) -> dict[tuple[str, str], str]:
    """The account a forward's source *title* names, where only one account on that platform is known
    by it: an export names a forward's source by id where it can and by its title only otherwise
    (privacy settings, another client), so forwards of one post by one ring would split into an
    id item and a title item.  Titles come from the accounts (display name) and from forwards that
    carry both; a title two accounts share stays a title."""
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a in accounts:
        if a.display_name:
            ids[(a.platform, a.display_name)].add(a.account_id)
    for p in posts:
        if p.forward_from and p.forward_from_name:
            ids[(p.platform, p.forward_from_name)].add(p.forward_from)
    return {key: next(iter(found)) for key, found in ids.items() if len(found) == 1}


def _reposted(
    p: PostRow,
    code: PostCode,
    media: Sequence[str] | None = None,
    sources: Mapping[tuple[str, str], str] | None = None,
) -> str | None:
    """The item a pass-on carries: the reposted post, or for a forward (which names only its source)
    the source (its id, or the one account known by its title: :func:`forward_sources`) and the
    forwarded text, or the forwarded media when there is no text (a channel's photos forwarded
    without a caption are as many items as photos, not one)."""
    if code == PostCode.REPOST:
        return f"post:{p.platform}:{p.repost_of}"
    if code == PostCode.FORWARD:
        words = normalise_text(p.text)
        what = words if words or not media else "media:" + " ".join(sorted(media))
        digest = hashlib.blake2b(what.encode(), digest_size=8).hexdigest()
        source = p.forward_from or (sources or {}).get((p.platform, p.forward_from_name or ""))
        return f"forward:{p.platform}:{source or p.forward_from_name}:{digest}"
    return None


def _framing(posts: Sequence[PostRow], codes: Sequence[PostCode]) -> np.ndarray:
    """Whether each post's own words are framed as reporting (pass-ons carry others' words: False)."""
    seen: dict[str, bool] = {}
    out = np.zeros(len(posts), bool)
    for k, (p, code) in enumerate(zip(posts, codes, strict=True)):
        if code in (PostCode.REPOST, PostCode.FORWARD) or not p.text:
            continue
        found = seen.get(p.text)
        if found is None:
            found = seen[p.text] = reporting_framing(p.text)
        out[k] = found
    return out


def _passed_on_from(
    posts: Sequence[PostRow],
    codes: Sequence[PostCode],
    post_account: np.ndarray,
    post_index: Mapping[tuple[str, str], int],
    accounts: Mapping[tuple[str, str], int],
    sources: Mapping[tuple[str, str], str],
) -> np.ndarray:
    """The author of the post each repost or forward passes on (the reposted post's account, or the
    forward's source by id or by the one account known by its title), -1 where unknown."""
    out = np.full(len(posts), -1, np.int32)
    for k, (p, code) in enumerate(zip(posts, codes, strict=True)):
        if code == PostCode.REPOST:
            j = post_index.get((p.platform, p.repost_of or ""))
            out[k] = -1 if j is None else post_account[j]
        elif code == PostCode.FORWARD:
            source = p.forward_from or sources.get((p.platform, p.forward_from_name or ""))
            out[k] = accounts.get((p.platform, source), -1) if source else -1
    return out


def assemble(
    accounts: Iterable[AccountRow],
    posts: Sequence[PostRow],
    edges: Iterable[EdgeRow],
    media: Mapping[tuple[str, str], Sequence[str]] | None = None,
    flags: Iterable[Flag] = (),
    exemptions: Mapping[tuple[str, str], str] | None = None,
    seeds: Mapping[tuple[str, str], str | None] | None = None,
) -> GraphData:
    rows: dict[tuple[str, str], AccountRow] = {}
    for a in accounts:
        rows[(a.platform, a.account_id)] = a

    def index(platform: str, account_id: str) -> int:
        key = (platform, account_id)
        if key not in rows:
            rows[key] = AccountRow(platform, account_id)
        return list_index.setdefault(key, len(list_index))

    list_index: dict[tuple[str, str], int] = {k: i for i, k in enumerate(rows)}
    post_account = np.asarray([index(p.platform, p.account_id) for p in posts], np.int32)
    edge_list = [
        (
            index(e.platform, e.source_account_id),
            index(e.target_platform, e.target_account_id),
            EDGE_CODES[e.kind],
            _ts(e.time),
        )
        for e in edges
        if e.kind in EDGE_CODES
    ]
    ordered = sorted(list_index, key=list_index.__getitem__)
    acc = [rows[k] for k in ordered]
    account_arrays = Accounts(
        [a.platform for a in acc],
        [a.account_id for a in acc],
        [a.handle for a in acc],
        [a.display_name for a in acc],
        [a.bio for a in acc],
        [a.status or "unknown" for a in acc],
        np.asarray([_ts(a.status_changed_at) for a in acc]),
        np.asarray([_ts(a.first_seen) for a in acc]),
        np.asarray([_ts(a.last_seen) for a in acc]),
        np.asarray([a.followers if a.followers is not None else 0 for a in acc], np.float64),
        [a.avatar_pdq for a in acc],
        np.asarray([_ts(a.created_at) for a in acc], np.float64),
        [a.avatar_key for a in acc],
    )
    codes = [post_code(p) for p in posts]
    post_index = {(p.platform, p.post_id): k for k, p in enumerate(posts)}
    flag = np.zeros(len(posts), np.float32)
    exempt = np.zeros(len(posts), bool)
    for f in flags:
        k = post_index.get((f.platform, f.post_id))
        if k is None or f.status == "rejected":
            continue
        flag[k] = max(flag[k], float(f.strength or 1.0))
        exempt[k] |= bool(f.exemption)
    sources = forward_sources(acc, posts)
    post_arrays = Posts(
        post_account,
        np.asarray([_ts(p.timestamp) for p in posts], np.float64),
        np.asarray(codes, np.int8),
        flag,
        exempt,
        [p.platform for p in posts],
        [p.post_id for p in posts],
        np.asarray([len(p.mentions or ()) for p in posts], np.int16),
        _framing(posts, codes),
        _passed_on_from(posts, codes, post_account, post_index, list_index, sources),
    )
    media = media or {}
    started = time.perf_counter()
    content = build_content(
        codes,
        [p.text for p in posts],
        [p.urls for p in posts],
        [p.hashtags for p in posts],
        [media.get((p.platform, p.post_id)) for p in posts],
        [
            _reposted(p, c, media.get((p.platform, p.post_id)), sources)
            for p, c in zip(posts, codes, strict=True)
        ],
    )
    content_seconds = time.perf_counter() - started
    e = np.asarray([x[:3] for x in edge_list], np.int64).reshape(-1, 3)
    edge_arrays = Edges(
        e[:, 0].astype(np.int32),
        e[:, 1].astype(np.int32),
        e[:, 2].astype(np.int8),
        np.asarray([x[3] for x in edge_list], np.float64),
    )
    data = GraphData(account_arrays, post_arrays, edge_arrays, content)
    data.timings["content items"] = content_seconds
    for key, by in (seeds or {}).items():
        if key in list_index:
            data.seeds[list_index[key]] = by or ""
    for key, reason in (exemptions or {}).items():
        if key in list_index:
            data.exempt_accounts[list_index[key]] = reason
    data.detection = bool(flag.any())
    return data


def account_key(data: GraphData, i: int) -> dict[str, Any]:
    return {"platform": data.accounts.platform[i], "account_id": data.accounts.account_id[i]}
