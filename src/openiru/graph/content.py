"""Shared-content items of posts: media hashes, exact and near-duplicate text, URLs, hashtag sets,
reposted posts.

Each post is reduced to the items it carries; two accounts posting the same item is the raw signal
of coordination (:mod:`.coordination`) and of originality (the first poster of an item is credited
with later copies, :mod:`.features`).  Near-duplicate text uses MinHash LSH over the
words and word pairs of text normalised as detection normalises it, confirmed by the exact Jaccard
of the shingle sets (:mod:`.neardup`), then short texts joined to their copies with one word inserted
(:func:`join_inserted_words`), which the 0.8 Jaccard of a short text does not absorb.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ..detect.normalise import normalise
from .data import Content, ContentKind, PostCode
from .neardup import NEAR_TEXT_JACCARD, NUM_PERM, near_duplicate_clusters

#: Jaccard similarity of shingle sets for near-duplicate text (coordination-network-toolkit's
#: co_similar_tweet default is 0.8): :data:`.neardup.NEAR_TEXT_JACCARD`.
MIN_TEXT_TOKENS = 5
#: Texts up to this many words are joined to copies with one word inserted (:func:`join_inserted_words`);
#: longer ones keep enough shingles (24 words: Jaccard 0.92) for MinHash banding to find them.
MAX_EDIT_WORDS = 24
__all__ = ["NEAR_TEXT_JACCARD", "NUM_PERM", "build_content", "near_duplicate_clusters", "normalise_text"]

_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.I)
_MENTION_RE = re.compile(r"(?<!\w)@\w+")
_RT_RE = re.compile(r"^rt\s+@\w+:?\s*", re.I)
_WORD_RE = re.compile(r"[^\W_]+", re.U)


def normalise_text(text: str) -> str:
    """The words of a text without URLs, mentions and punctuation, in detection's matching form
    (:func:`openiru.detect.normalise.normalise`: case, compatibility forms, combining marks such as
    accents and Arabic harakat, tatweel, zero-width and other format characters, Cyrillic and Greek
    homoglyphs, leetspeak inside words, emoji and other symbols), so a copy edited the ways
    detection sees through is the same text here too."""
    text = text or ""
    # each pass only where it can match: most posts carry no URL and no mention
    if "@" in text:
        text = _RT_RE.sub("", text)
    if "://" in text or "www." in text.lower():
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _MENTION_RE.sub(" ", text)
    return " ".join(_WORD_RE.findall(normalise(text)))


def normalise_url(url: str) -> str | None:
    """Lower-case host without ``www.``, no fragment, no tracking parameters, no trailing slash."""
    url = (url or "").strip()
    if not url:
        return None
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return None
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in ("fbclid", "gclid", "s")
        ]
    )
    path = parts.path.rstrip("/")
    return urlunsplit(("https", host, path, query, ""))


def domain_of(url: str) -> str | None:
    """The host of a URL, lower case, without ``www.``."""
    norm = normalise_url(url)
    return urlsplit(norm).hostname if norm else None


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class _Interner:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.labels: list[str] = []

    def __call__(self, label: str) -> int:
        found = self.ids.get(label)
        if found is None:
            found = self.ids[label] = len(self.labels)
            self.labels.append(label)
        return found


def join_inserted_words(
    words_by_post: Mapping[int, Sequence[str]], clusters: Mapping[int, int]
) -> dict[int, int]:
    """Near-duplicate clusters (post -> representative, the lowest post) joined where one text is
    another with one word inserted or dropped (up to :data:`MAX_EDIT_WORDS` words).

    An inserted word costs a short text more of its word and word-pair shingles than the 0.8 Jaccard
    allows (eight words: 0.78), and near the threshold MinHash banding finds a pair only about half
    the time: a ring posting short edited copies of one statement, each with a word of its own,
    would fall apart into single posts.  Exact, and linear in the words, on arrays: each distinct
    text's bag of words is hashed (a sum of random word hashes, with its length); each text with one
    word removed is looked up among them, and a hit is confirmed by comparing the words in order.
    Texts shorter than ``MIN_TEXT_TOKENS`` are not in ``words_by_post``, so a dropped word never joins
    two fragments.  A replaced word is not joined here (``post number 1`` and ``post number 2`` are
    templated boilerplate, not copies); the MinHash pass judges those."""
    first: dict[tuple[str, ...], int] = {}
    for p in sorted(words_by_post):
        if len(words_by_post[p]) <= MAX_EDIT_WORDS:
            first.setdefault(tuple(words_by_post[p]), p)
    seqs, reps = list(first), list(first.values())
    if len(seqs) < 2:
        return dict(clusters)
    length = np.fromiter((len(seq) for seq in seqs), np.int64, count=len(seqs))
    starts = np.r_[0, np.cumsum(length)[:-1]]
    # Python's string hash (SipHash): a lookup key within this call only, every hit is confirmed
    word_hash = np.fromiter((hash(w) for seq in seqs for w in seq), np.int64, count=int(length.sum())).view(
        np.uint64
    )
    bag = np.add.reduceat(word_hash, starts)  # wraps modulo 2**64, as a hash should
    mix = np.uint64(0x9E3779B97F4A7C15)
    key = bag * mix + length.astype(np.uint64)
    owner = np.repeat(np.arange(len(seqs)), length)
    dropped = (bag[owner] - word_hash) * mix + (length[owner] - 1).astype(np.uint64)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    at = np.searchsorted(sorted_key, dropped)
    hit = np.flatnonzero(
        (at < len(sorted_key)) & (sorted_key[np.minimum(at, len(sorted_key) - 1)] == dropped)
    )
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for j in hit.tolist():
        longer = int(owner[j])
        k = j - int(starts[longer])
        shorter_seq = seqs[longer][:k] + seqs[longer][k + 1 :]
        pos = int(at[j])
        while pos < len(sorted_key) and sorted_key[pos] == dropped[j]:  # equal bags: confirm in order
            shorter = int(order[pos])
            if seqs[shorter] == shorter_seq:
                a, b = find(clusters[reps[longer]]), find(clusters[reps[shorter]])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            pos += 1
    # two copies that each insert a word of their own into one text (the text itself need not be
    # posted): their one-word-removed variants coincide, at different places (at the same place the
    # two differ by one replaced word: boilerplate, not joined)
    by_variant = np.argsort(dropped, kind="stable")
    cuts = np.r_[0, np.flatnonzero(np.diff(dropped[by_variant]) != 0) + 1, len(by_variant)]
    shared = np.flatnonzero(np.diff(cuts) >= 2)
    for lo, hi in zip(cuts[shared].tolist(), cuts[shared + 1].tolist(), strict=True):
        run = by_variant[lo:hi]
        places: dict[tuple[str, ...], list[tuple[int, int]]] = defaultdict(list)
        for j in run.tolist():
            text = int(owner[j])
            k = j - int(starts[text])
            places[seqs[text][:k] + seqs[text][k + 1 :]].append((k, text))
        for found in places.values():
            texts = [text for _, text in found]
            for other in texts[1:] if len({k for k, _ in found}) >= 2 else ():
                a, b = find(clusters[reps[texts[0]]]), find(clusters[reps[other]])
                if a != b:
                    parent[max(a, b)] = min(a, b)
    if not parent:
        return dict(clusters)
    return {p: find(rep) for p, rep in clusters.items()}


def build_content(
    codes: Sequence[int],
    texts: Sequence[str],
    urls: Sequence[Sequence[str] | None],
    hashtags: Sequence[Sequence[str] | None],
    media: Sequence[Sequence[str] | None],
    reposted: Sequence[str | None],
) -> Content:
    """Content occurrences of posts given column-wise (one entry per post, same order)."""
    intern = _Interner()
    post_idx: list[int] = []
    item_idx: list[int] = []
    kinds: list[int] = []

    def add(p: int, kind: ContentKind, label: str) -> None:
        post_idx.append(p)
        item_idx.append(intern(label))
        kinds.append(int(kind))

    # per-post Python is the cost at a million posts: hot paths bound to locals, and URLs and texts
    # normalised once per distinct value (reposted links and copied texts repeat)
    add_post, add_item, add_kind = post_idx.append, item_idx.append, kinds.append
    passed_on = frozenset((int(PostCode.REPOST), int(PostCode.FORWARD)))
    k_repost, k_media, k_url, k_tags, k_exact = (
        int(k)
        for k in (
            ContentKind.REPOSTED,
            ContentKind.MEDIA,
            ContentKind.URL,
            ContentKind.HASHTAGS,
            ContentKind.TEXT_EXACT,
        )
    )
    url_cache: dict[str, str | None] = {}
    text_cache: dict[str, tuple[list[str], str] | None] = {}
    words_by_post: dict[int, list[str]] = {}
    exact_of: dict[int, str] = {}
    for p, code in enumerate(codes):
        if code in passed_on:
            target = reposted[p]
            if target:
                add_post(p), add_item(intern(target)), add_kind(k_repost)
            continue  # a pass-on carries the original's content; it is counted as a repost
        if media[p]:
            for m in dict.fromkeys(media[p] or ()):
                add_post(p), add_item(intern("media:" + m)), add_kind(k_media)
        if urls[p]:
            normalised = []
            for u in urls[p] or ():
                if u not in url_cache:
                    url_cache[u] = normalise_url(u)
                normalised.append(url_cache[u])
            for nu in dict.fromkeys(filter(None, normalised)):
                add_post(p), add_item(intern(nu)), add_kind(k_url)
        if hashtags[p]:
            tags = sorted({t.lstrip("#").casefold() for t in hashtags[p] or () if t})
            if len(tags) >= 2:  # one hashtag alone is what a whole community uses: not a shared set
                add_post(p), add_item(intern("#" + " #".join(tags))), add_kind(k_tags)
        text = texts[p]
        if text in text_cache:
            found = text_cache[text]
        else:
            words = normalise_text(text).split()
            found = text_cache[text] = (
                (words, "text:" + _digest(" ".join(words))) if len(words) >= MIN_TEXT_TOKENS else None
            )
        if found is not None:
            exact_of[p] = found[1]
            add_post(p), add_item(intern(found[1])), add_kind(k_exact)
            words_by_post[p] = found[0]
    for p, rep in join_inserted_words(words_by_post, near_duplicate_clusters(words_by_post)).items():
        add(p, ContentKind.TEXT_NEAR, "similar:" + exact_of[rep])
    return Content(
        np.asarray(post_idx, np.int32),
        np.asarray(item_idx, np.int32),
        np.asarray(kinds, np.int8),
        intern.labels,
    )
