"""The detection pipeline: every matcher over a batch of posts, pure and in memory.

A :class:`Ruleset` is what the banks and lexicons hold (loaded by the detect
services); a :class:`Detector` compiles it once (PDQ index, exact-hash tables,
Aho-Corasick automaton, MinHash LSH of known texts, URL lists) and scans batches
of :class:`~openiru.detect.evidence.ScanPost`.  Suppression banks veto matches on
the same media or text; quarantined bank items still produce hits, marked
suppressed, so their evidence is kept without alerting.  Further matchers plug in
through the ``openiru.matchers`` entry-point group (see :class:`Matcher`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .evidence import (
    TERM_STRENGTH,
    Hit,
    ScanPost,
    ScanResult,
    Signal,
    pdq_strength,
)
from .lexicon import LexiconMatcher, Term
from .neardup import KnownText, KnownTextIndex, TextMatch
from .normalise import normalise, normalise_with_offsets, original_span
from .pdq import DEFAULT_MAX_DISTANCE, DEFAULT_MIN_QUALITY, hex_to_bytes, is_pdq_hex
from .pdq_index import PDQIndex
from .urls import UrlClassifier, domain_of, normalise_url, urls_in_text
from .wallets import find_wallets, wallet_key

BANK_KINDS = ("pdq", "md5", "sha256", "url", "text", "video")
EXACT_KINDS = ("md5", "sha256", "url", "video")


@dataclass(frozen=True, slots=True)
class BankSpec:
    name: str
    kind: str
    purpose: str = "match"  # match | suppression
    pdq_max_distance: int = DEFAULT_MAX_DISTANCE
    pdq_min_quality: int = DEFAULT_MIN_QUALITY
    text_min_similarity: float = 0.8


@dataclass(frozen=True, slots=True)
class BankItem:
    id: int
    bank: str
    kind: str
    value: str
    item: str | None = None
    label: str | None = None
    status: str = "active"  # active | quarantined


@dataclass
class PackedPDQ:
    """PDQ bank items as arrays (a million-hash bank without a million Python objects):
    position in ``index`` -> bank item id, that bank's distance threshold and minimum quality."""

    index: PDQIndex
    item_ids: np.ndarray
    max_distance: np.ndarray
    min_quality: np.ndarray


@dataclass
class Ruleset:
    banks: dict[str, BankSpec] = field(default_factory=dict)
    items: list[BankItem] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    url_expansions: dict[str, str] = field(default_factory=dict)
    #: ``normalised texts -> probabilities`` of the active classifier, if one is trained
    classifier: Callable[[list[str]], np.ndarray] | None = None
    classifier_version: int | None = None
    classifier_min_probability: float = 0.5
    #: PDQ items packed as arrays, used instead of PDQ entries in ``items`` when given
    packed_pdq: PackedPDQ | None = None
    #: item id -> BankItem for packed PDQ matches (only matched items are looked up)
    lookup_items: Callable[[list[int]], dict[int, BankItem]] | None = None
    #: ids of quarantined items not listed in ``items``
    quarantined: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        packed = self.packed_pdq is not None and len(self.packed_pdq.index) > 0
        return not self.items and not self.terms and self.classifier is None and not packed


class Matcher(ABC):
    """A plug-in matcher: ``openiru.matchers`` entry points name factories
    ``factory(ruleset) -> Matcher``."""

    name: str = "plugin"

    @abstractmethod
    def scan(self, posts: Sequence[ScanPost], normalised: Sequence[str]) -> list[list[Hit]]:
        """Hits per post, in order."""


class Detector:
    """A compiled ruleset."""

    def __init__(self, ruleset: Ruleset, plugins: Iterable[Matcher] = ()) -> None:
        self.ruleset = ruleset
        self.plugins = list(plugins)
        banks = ruleset.banks
        self.exact: dict[tuple[str, str], list[BankItem]] = {}
        pdq_items: dict[str, list[BankItem]] = {}
        known: list[KnownText] = []
        self.text_items: dict[int, BankItem] = {}
        for item in ruleset.items:
            spec = banks.get(item.bank)
            if spec is None:
                continue
            if item.kind == "pdq" and is_pdq_hex(item.value):
                pdq_items.setdefault(item.value, []).append(item)
            elif item.kind in EXACT_KINDS:
                kind = "md5" if item.kind == "video" else item.kind
                value = normalise_url(item.value) if kind == "url" else item.value.lower()
                self.exact.setdefault((kind, value), []).append(item)
            elif item.kind == "text":
                known.append(KnownText(item.id, item.value, item.item, item.label, item.bank,
                                       spec.text_min_similarity))
                self.text_items[item.id] = item
        self._pdq_values = list(pdq_items)
        self._pdq_lists = [pdq_items[v] for v in self._pdq_values]
        self.pdq_index = PDQIndex(hex_to_bytes(self._pdq_values)) if pdq_items else None
        self.pdq_radius = max([b.pdq_max_distance for b in banks.values()] or [DEFAULT_MAX_DISTANCE])
        self.packed = ruleset.packed_pdq if ruleset.packed_pdq is not None and len(ruleset.packed_pdq.index) else None
        self.known_texts = KnownTextIndex(known)
        self.lexicon = LexiconMatcher(ruleset.terms)
        outlet_domains = {t.term.lower(): (t.label or t.term) for t in ruleset.terms
                          if t.kind == "outlet" and "." in t.term and " " not in t.term.strip()}
        self.urls = UrlClassifier(outlet_domains, ruleset.url_expansions)

    # ------------------------------------------------------------------ scan
    def scan(self, posts: Sequence[ScanPost], *, media: bool = True) -> list[ScanResult]:
        """Every matcher over a batch of posts; ``media=False`` leaves out the media matchers
        (hashes and PDQ), whose hits :meth:`scan_media` gives on their own: media hits come
        first in a post's hits and do not depend on the text's, so the two add up to
        :meth:`scan` (see :mod:`openiru.detect.parallel`)."""
        results = [ScanResult(p) for p in posts]
        normalised = [normalise(p.text) for p in posts]
        if media:
            self._media(results)
        text_matches = self.known_texts.find_batch(normalised)
        for result, norm, matches in zip(results, normalised, text_matches, strict=True):
            self._text(result, norm, matches)
            self._links(result)
        self._classify(results, normalised)
        for plugin in self.plugins:
            for result, hits in zip(results, plugin.scan(posts, normalised), strict=True):
                result.hits.extend(hits)
        return results

    def scan_media(self, posts: Sequence[ScanPost]) -> list[ScanResult]:
        """Only the media matchers' results (exact hashes and PDQ, with suppression)."""
        results = [ScanResult(p) for p in posts]
        if any(p.media for p in posts):
            self._media(results)
        return results

    def _bank(self, item: BankItem) -> BankSpec:
        return self.ruleset.banks[item.bank]

    def _media(self, results: list[ScanResult]) -> None:
        queries: list[tuple[ScanResult, int]] = []
        hexes: list[str] = []
        for result in results:
            for position, media in enumerate(result.post.media):
                for kind, value in (("md5", media.md5), ("sha256", media.sha256)):
                    for item in self.exact.get((kind, (value or "").lower()), ()):
                        result.hits.append(Hit(kind, 1.0, item.bank, item.id, item.item, item.label,
                                               media_key=media.key, distance=0))
                if media.pdq and (self.pdq_index is not None or self.packed is not None) and \
                        is_pdq_hex(media.pdq):
                    queries.append((result, position))
                    hexes.append(media.pdq)
        if queries and self.packed is not None:
            self._media_packed(queries, hexes)
        if queries and self.pdq_index is not None:
            found = self.pdq_index.search(hex_to_bytes(hexes), self.pdq_radius)
            for (result, position), (idx, dist) in zip(queries, found.per_query(len(queries)), strict=True):
                media = result.post.media[position]
                for i, d in zip(idx.tolist(), dist.tolist(), strict=True):
                    for item in self._pdq_lists[i]:
                        spec = self._bank(item)
                        if d > spec.pdq_max_distance:
                            continue
                        if media.pdq_quality is not None and media.pdq_quality < spec.pdq_min_quality:
                            continue
                        result.hits.append(Hit("pdq", pdq_strength(d, spec.pdq_max_distance), item.bank,
                                               item.id, item.item, item.label, media_key=media.key,
                                               distance=int(d)))
        for result in results:
            self._apply_suppression(result, media_level=True)

    def _media_packed(self, queries: list[tuple[ScanResult, int]], hexes: list[str]) -> None:
        packed = self.packed
        assert packed is not None
        radius = int(packed.max_distance.max())
        found = packed.index.search(hex_to_bytes(hexes), radius)
        keep = found.distance <= packed.max_distance[found.index]
        q_pos, positions, distances = found.query[keep], found.index[keep], found.distance[keep]
        if not len(q_pos):
            return
        item_ids = packed.item_ids[positions]
        lookup = self.ruleset.lookup_items
        items = lookup(sorted(set(item_ids.tolist()))) if lookup is not None else {}
        for qp, pos, d, item_id in zip(q_pos.tolist(), positions.tolist(), distances.tolist(), item_ids.tolist(),
                                       strict=True):
            result, position = queries[qp]
            media = result.post.media[position]
            if media.pdq_quality is not None and media.pdq_quality < packed.min_quality[pos]:
                continue
            item = items.get(item_id)
            if item is None:
                continue
            spec = self._bank(item)
            result.hits.append(Hit("pdq", pdq_strength(d, spec.pdq_max_distance), item.bank, item.id, item.item,
                                   item.label, media_key=media.key, distance=int(d)))

    def _text(self, result: ScanResult, norm: str, text_matches: list[TextMatch]) -> None:
        text = result.post.text
        for match in text_matches:
            item = self.text_items[match.known.id]
            result.hits.append(Hit("text", match.similarity, item.bank, item.id, item.item, item.label,
                                   similarity=match.similarity))
        term_matches = self.lexicon.find(norm)
        hashtags = {"#" + normalise(h).lstrip("#") for h in result.post.hashtags}
        if hashtags:
            seen = {m.term.id for m in term_matches}
            extra = self.lexicon.find(" ".join(sorted(hashtags)))
            # positions past the text mark matches found only in the hashtag list
            term_matches += [type(m)(m.term, len(norm) + 1, len(norm) + 1) for m in extra
                             if m.term.id not in seen]
        offsets: list[int] | None = None
        for m in term_matches:
            span = None
            if m.end <= len(norm):  # not a match found only among the post's hashtag list
                if offsets is None:
                    _, offsets = normalise_with_offsets(text)
                span = original_span(offsets, m.start, m.end, len(text))
            result.hits.append(Hit("term", TERM_STRENGTH.get(m.term.kind, 0.5), m.term.lexicon, m.term.id,
                                   m.term.term, m.term.label, term=m.term.term, span=span,
                                   detail={"kind": m.term.kind, "language": m.term.language or None}))
        self._apply_suppression(result, media_level=False)

    def _apply_suppression(self, result: ScanResult, media_level: bool) -> None:
        """Suppression-bank matches veto the other matches on the same media (or the text);
        quarantined items' hits are kept but do not alert."""
        vetoed_media: set[str | None] = set()
        text_vetoed = False
        for hit in result.hits:
            spec = self.ruleset.banks.get(hit.bank or "")
            if spec is not None and spec.purpose == "suppression":
                hit.suppressed = True
                hit.detail["suppression"] = True
                if hit.media_key is not None:
                    vetoed_media.add(hit.media_key)
                elif hit.matcher == "text":
                    text_vetoed = True
        for hit in result.hits:
            if hit.media_key is not None and hit.media_key in vetoed_media:
                hit.suppressed = True
            if not media_level and text_vetoed and hit.matcher in ("text", "term"):
                hit.suppressed = True
            if hit.item_id is not None and hit.matcher != "term" and self._quarantined(hit.item_id):
                hit.suppressed = True
                hit.detail["quarantined"] = True

    def _quarantined(self, item_id: int) -> bool:
        return item_id in self.quarantined_ids

    @property
    def quarantined_ids(self) -> set[int]:
        cached = getattr(self, "_quarantined_ids", None)
        if cached is None:
            cached = {i.id for i in self.ruleset.items if i.status == "quarantined"} | self.ruleset.quarantined
            self._quarantined_ids = cached
        return cached

    def quarantine(self, item_ids: Iterable[int]) -> None:
        """Treat these bank items as quarantined from now on."""
        self.quarantined_ids.update(item_ids)

    def _links(self, result: ScanResult) -> None:
        post = result.post
        seen: set[str] = set()
        in_text = self.urls.learn(urls_in_text(post.text), list(post.urls))
        for url in list(post.urls) + in_text:
            info = self.urls.classify(url)
            if info.url in seen:
                continue
            seen.add(info.url)
            for item in self.exact.get(("url", info.url), ()):
                result.hits.append(Hit("url", 0.8, item.bank, item.id, item.item, item.label,
                                       detail={"url": info.url}))
            kind = {"outlet": "outlet-link", "file-host": "file-host", "paste": "paste",
                    "donation": "donation-link", "unknown": "unknown-domain"}.get(info.category)
            if kind:
                result.signals.append(Signal(kind, info.url if kind != "unknown-domain" else
                                             domain_of(info.url), info.label))
        for wallet in find_wallets(post.text):
            result.signals.append(Signal("wallet", wallet_key(wallet), wallet.currency))

    def _classify(self, results: list[ScanResult], normalised: list[str]) -> None:
        model = self.ruleset.classifier
        if model is None:
            return
        todo = [i for i, n in enumerate(normalised) if len(n) >= 10]
        if not todo:
            return
        probabilities = model([normalised[i] for i in todo])
        for i, p in zip(todo, probabilities.tolist(), strict=True):
            results[i].model_probability = round(p, 4)
            if p >= self.ruleset.classifier_min_probability:
                results[i].hits.append(Hit("classifier", 0.8 * p, None, None,
                                           f"model v{self.ruleset.classifier_version}", None,
                                           similarity=round(p, 4),
                                           detail={"probability": round(p, 4)}))
