"""Reporting is not endorsement: signals that an account writes *about* the community.

A lexicon or a hash bank matches a news report, a researcher's thread or a monitoring channel's
digest as readily as propaganda: they quote the organisation's names, hashtags and releases.  The
classes Regulation (EU) 2021/784 Art. 1(3) exempts (journalistic, research, counter-terrorism,
educational purposes) must not top a key-accounts list.  No single signal proves a class, and each
can be faked, so several are combined (each 0..1, combined as independent pieces of evidence:
``1 - prod(1 - weight x signal)``):

* **self-description** (weight 0.9): the bio or display name describes a profession of the exempt
  classes (journalist, reporter, editor, newsroom, researcher, analyst, OSINT, monitor, fact-check,
  academic ...; in the languages of the demo and the field).  A short, generic vocabulary of
  professions, not names of outlets or of any data set.  Analysts' seeds are never discounted: a
  propaganda channel calling itself a news agency is caught by the analyst marking it.
* **commentary** (0.6): the share of its flagged posts that quote, reply or address accounts
  rather than post or pass the content on (``1 - hit stance``).
* **own site** (0.6): the share of its posts with links that link to a site of its own, a domain
  no other account links to and whose posts nobody reposts: a publication linking its reports to
  its own articles.  The community's sites are linked by many of its accounts, and its outlets'
  posts are passed on, so their domains are shared.
* **outside audience** (0.3): the share of the accounts that pass on, quote, reply to or mention
  it that are far from the community (a hub cited by many unrelated accounts); from five of them.
* **reporting framing** (0.7): the share of the posts it writes itself (not passes on) that are
  framed as reporting *about* the organisation: genre labels (report, analysis, investigation, fact
  check), attribution (according to, reportedly, allegedly, claims) and outsiders' words for it
  (propaganda, disinformation, extremists); from three such posts.  A group's own voices pass its
  releases on and cheer them; they do not file reports on themselves.  A short, generic vocabulary
  in the languages of the demo and the field (:func:`reporting_framing`), not phrases of any data set.

``reporting`` >= :data:`EXEMPT_CLASS` makes an account a bystander of the exempt classes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import numpy as np

from .algorithms import unique_ints
from .data import ContentKind, GraphData, PostCode

#: Professions of the exempt classes as people describe themselves in a bio or a channel name.
_PROFESSIONS = re.compile(
    r"\b(journalis\w*|reporter\w*|correspondent\w*|newsroom\w*|editor\w*|redakt\w*|rédact\w*|"
    r"periodist\w*|giornalist\w*|gazeteci\w*|журналист\w*|репортер\w*|صحف\w*|مراسل\w*|"
    r"fact[- ]?check\w*|researcher\w*|research\w*|forscher\w*|chercheu\w*|investigador\w*|"
    r"исследовател\w*|باحث\w*|analyst\w*|analyste\w*|analytiker\w*|osint|monitor\w*|observator\w*|"
    r"watchdog\w*|professor\w*|lecturer\w*|academic\w*|phd|university|universit\w*|think[- ]tank|"
    r"counter[- ]?(?:terror\w*|extrem\w*)|p/cve|educator\w*|teacher\w*)\b",
    re.I,
)
#: How reporting is framed: genre labels, attribution, and outsiders' words for the organisation.
_FRAMING = re.compile(
    r"\b(report(?:s|ed|ing)?|reportedly|analys[ie]s|investigat\w*|fact[- ]?check\w*|according to|"
    r"allegedly|alleged|claim(?:s|ed)?|misleading|propaganda\w*|disinformation|misinformation|"
    r"extremis\w*|researchers?|experts?|sources say|bericht\w*|laut|analyse\w*|recherche\w*|"
    r"mutma(?:ß|ss)lich\w*|selon|enqu[êe]te\w*|rapport\w*|propagande|pr[ée]sum[ée]\w*|seg[úu]n|"
    r"informe\w*|an[áa]lisis|investigaci[óo]n|presunt\w*|rapor\w*|analiz\w*|g[öo]re|"
    r"по данным|анализ\w*|расследовани\w*|пропаганд\w*|экстремист\w*|تقرير|تحليل|وفقا|بحسب|تحقيق|دعاية)\b",
    re.I,
)
WEIGHTS = {
    "self_description": 0.9,
    "commentary": 0.6,
    "own_article_links": 0.6,
    "outside_audience": 0.3,
    # the same audience share again for an account with no detection hit where detection read the
    # platform: a public figure the community's members also follow, not one of its voices
    "unflagged_outside_audience": 0.3,
    # more than commentary or an own site: most of one's own posts framed as reporting is the genre
    # itself; alone (at most 0.7) it never reaches EXEMPT_CLASS, which a news-styled outlet could fake
    "framing": 0.7,
}
#: A reporting likelihood from which an account counts as one of the exempt classes.
EXEMPT_CLASS = 0.75
MIN_AUDIENCE = 5
#: Posts an account must have written itself before the share of framed ones says anything.
MIN_FRAMED_POSTS = 3


def reporting_framing(text: str | None) -> bool:
    """Whether a post's own words are framed as reporting about someone (:data:`_FRAMING`)."""
    return bool(text) and _FRAMING.search(text or "") is not None


def framing(data: GraphData) -> np.ndarray:
    """Share of the posts each account wrote itself (originals, quotes, replies: not reposts or
    forwards) framed as reporting, from :data:`MIN_FRAMED_POSTS` such posts; 0 without the flags."""
    p = data.posts
    if p.framing is None or not len(p):
        return np.zeros(data.n)
    own = ~np.isin(p.code, (PostCode.REPOST, PostCode.FORWARD))
    written = np.bincount(p.account[own], minlength=data.n).astype(np.float64)
    framed = np.bincount(p.account[own & p.framing], minlength=data.n).astype(np.float64)
    return np.where(written >= MIN_FRAMED_POSTS, framed / np.maximum(written, 1.0), 0.0)


def self_description(data: GraphData) -> np.ndarray:
    a = data.accounts
    return np.asarray(
        [
            1.0 if _PROFESSIONS.search(f"{a.bio[i] or ''} {a.display_name[i] or ''}") else 0.0
            for i in range(data.n)
        ]
    )


def own_article_links(data: GraphData) -> np.ndarray:
    """Share of each account's own posts with links that link to a site of its own: a domain no
    other account links to and no post of which another account reposts (from three such posts)."""
    n = data.n
    c = data.content
    url = c.kind == ContentKind.URL
    post, item = c.post[url], c.item[url]
    if not len(post):
        return np.zeros(n)
    account = data.posts.account[post].astype(np.int64)
    domain_of_item = {k: urlsplit(c.labels[k]).hostname or "" for k in unique_ints(item).tolist()}
    domains = {d: i for i, d in enumerate(sorted(set(domain_of_item.values())))}
    dom = np.asarray([domains[domain_of_item[k]] for k in item.tolist()], np.int64)
    pairs = unique_ints(dom * n + account)
    linkers = np.bincount(pairs // n, minlength=len(domains))
    shared = linkers > 1
    # a domain whose posts others repost spreads: it is the community's, not one publication's
    passed = {c.labels[k] for k in unique_ints(c.item[c.kind == ContentKind.REPOSTED]).tolist()}
    if passed and data.posts.post_id:
        reposted = np.fromiter(
            (f"post:{data.posts.platform[q]}:{data.posts.post_id[q]}" in passed for q in post.tolist()),
            bool,
            count=len(post),
        )
        shared[dom[reposted]] = True
    own = data.posts.code[post] == PostCode.ORIGINAL
    linked_posts = unique_ints(post[own])
    own_posts = unique_ints(post[own & ~shared[dom]])
    linked = np.bincount(data.posts.account[linked_posts], minlength=n).astype(np.float64)
    unshared = np.bincount(data.posts.account[own_posts], minlength=n).astype(np.float64)
    return np.where(linked >= 3, unshared / np.maximum(linked, 1.0), 0.0)


def outside_audience(data: GraphData, affinity: np.ndarray, near: float) -> np.ndarray:
    """Share of the distinct accounts interacting with each account whose affinity is below ``near``."""
    n = data.n
    e = data.edges
    keep = e.src != e.dst
    pairs = unique_ints(e.dst[keep].astype(np.int64) * max(n, 1) + e.src[keep])
    target, source = pairs // max(n, 1), pairs % max(n, 1)
    total = np.bincount(target, minlength=n).astype(np.float64)
    far = np.bincount(target[affinity[source] < near], minlength=n).astype(np.float64)
    # an account far from the community itself says nothing by having a far audience
    return np.where((total >= MIN_AUDIENCE) & (affinity >= near), far / np.maximum(total, 1.0), 0.0)


def relayed_reports(data: GraphData, reporting: np.ndarray) -> np.ndarray:
    """Flagged reposts and forwards of posts by accounts of the exempt classes (``reporting`` >=
    :data:`EXEMPT_CLASS`, or exempted by an analyst): passing on a news report or a researcher's
    thread that names the organisation is sharing the report, not the organisation's content.  The
    hit is the reporter's words; the account that passed it on is not thereby endorsing anything."""
    p = data.posts
    out = np.zeros(len(p), bool)
    if p.source is None or not len(p):
        return out
    reporter = reporting >= EXEMPT_CLASS
    if data.exempt_accounts:
        reporter[list(data.exempt_accounts)] = True
    known = (p.source >= 0) & (p.flag > 0)
    out[known] = reporter[p.source[known]] & (p.source[known] != p.account[known])
    return out


def combine(signals: dict[str, np.ndarray]) -> np.ndarray:
    """``1 - prod(1 - weight x signal)`` over the signals given."""
    keep = None
    for name, values in signals.items():
        term = 1.0 - WEIGHTS[name] * np.clip(values, 0.0, 1.0)
        keep = term if keep is None else keep * term
    return 1.0 - keep if keep is not None else np.zeros(0)
