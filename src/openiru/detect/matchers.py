"""The built-in matchers, registered as ``openiru.matchers`` entry points like any plug-in.

Media: exact MD5/SHA-256 (``hashes``, also video MD5) and PDQ (``pdq``: the bank's own
multi-index, or the packed on-disk index).  Text: known texts by MinHash-LSH (``text``),
lexicon terms and hashtags by Aho-Corasick (``term``), links (``url``: URL banks and the
outlet/file-host/paste/donation/unknown-domain signals), wallets (``wallet`` signals) and
the active classifier (``classifier``).  Each compiles the part of the ruleset it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .evidence import TERM_STRENGTH, Hit, ScanMedia, ScanPost, ScanResult, Signal, pdq_strength
from .lexicon import LexiconMatcher, Term
from .matcher import MEDIA, TEXT, BuiltinMatcher, MatcherExample
from .neardup import KnownText, KnownTextIndex
from .normalise import normalise, normalise_with_offsets, original_span
from .pdq import DEFAULT_MAX_DISTANCE, hex_to_bytes, is_pdq_hex
from .pdq_index import PDQIndex
from .rules import EXACT_KINDS, BankItem, BankSpec, Ruleset
from .urls import UrlClassifier, domain_of, normalise_url, urls_in_text
from .wallets import find_wallets, wallet_key

PLACEHOLDER = (
    "the fictional outlet north meridian bulletin issued its weekly placeholder notice about "
    "the harbour festival schedule and the volunteer rota for the spring cleaning days"
)
OTHER = "a neutral note about the weather in a fictional town, with nothing that any rule names"


def _post(n: int, text: str = "", **kw: object) -> ScanPost:
    return ScanPost("example", f"p{n}", "a1", text, **kw)  # type: ignore[arg-type]


def exact_items(ruleset: Ruleset, kinds: Sequence[str]) -> dict[tuple[str, str], list[BankItem]]:
    """``(kind, value) -> items`` of the ruleset's exact items of these kinds (video items as MD5)."""
    exact: dict[tuple[str, str], list[BankItem]] = {}
    for item in ruleset.items:
        if item.kind not in kinds or item.kind not in EXACT_KINDS or item.bank not in ruleset.banks:
            continue
        kind = "md5" if item.kind == "video" else item.kind
        value = normalise_url(item.value) if kind == "url" else item.value.lower()
        exact.setdefault((kind, value), []).append(item)
    return exact


class HashMatcher(BuiltinMatcher):
    """Exact MD5 and SHA-256 of media files (hits ``md5``/``sha256``)."""

    name, kind, order = "hashes", MEDIA, 10

    def __init__(self, ruleset: Ruleset) -> None:
        self.exact = exact_items(ruleset, ("md5", "sha256", "video"))

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        if not self.exact:
            return
        for result in results:
            for media in result.post.media:
                for kind, value in (("md5", media.md5), ("sha256", media.sha256)):
                    for item in self.exact.get((kind, (value or "").lower()), ()):
                        result.hits.append(
                            Hit(
                                kind,
                                1.0,
                                item.bank,
                                item.id,
                                item.item,
                                item.label,
                                media_key=media.key,
                                distance=0,
                            )
                        )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        md5, sha = (
            "0cc175b9c0f1b6a831c399e269772661",
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
        )
        rules = Ruleset(
            banks={"h": BankSpec("h", "md5"), "s": BankSpec("s", "sha256")},
            items=[BankItem(1, "h", "md5", md5.upper(), "item-1"), BankItem(2, "s", "sha256", sha)],
        )
        return [
            MatcherExample(
                rules,
                [_post(1, media=[ScanMedia("m1", md5=md5)]), _post(2, media=[ScanMedia("m2", sha256=sha)])],
                [_post(3, media=[ScanMedia("m3", md5="f" * 32, sha256="e" * 64)]), _post(4, OTHER)],
            )
        ]


class PDQMatcher(BuiltinMatcher):
    """PDQ within each bank's distance, above its minimum quality (hits ``pdq``)."""

    name, kind, order = "pdq", MEDIA, 20

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        by_value: dict[str, list[BankItem]] = {}
        for item in ruleset.items:
            if item.kind == "pdq" and item.bank in ruleset.banks and is_pdq_hex(item.value):
                by_value.setdefault(item.value, []).append(item)
        self._values = list(by_value)
        self._lists = [by_value[v] for v in self._values]
        self.index = PDQIndex(hex_to_bytes(self._values)) if by_value else None
        self.radius = max([b.pdq_max_distance for b in ruleset.banks.values()] or [DEFAULT_MAX_DISTANCE])
        packed = ruleset.packed_pdq
        self.packed = packed if packed is not None and len(packed.index) else None

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        if self.index is None and self.packed is None:
            return
        # (result, medium, its quality, detail): a posted image, or an image inside a document
        queries: list[tuple[ScanResult, ScanMedia, int | None, dict[str, Any]]] = []
        hexes: list[str] = []
        for result in results:
            for media in result.post.media:
                if media.pdq and is_pdq_hex(media.pdq):
                    queries.append((result, media, media.pdq_quality, {}))
                    hexes.append(media.pdq)
                for page, pdq, image_quality in media.images or ():
                    if is_pdq_hex(pdq):
                        detail = {"origin": "document-image", "page": page}
                        queries.append((result, media, image_quality, detail))
                        hexes.append(pdq)
        if queries and self.packed is not None:
            self._packed(queries, hexes)
        if queries and self.index is not None:
            found = self.index.search(hex_to_bytes(hexes), self.radius)
            for (result, media, quality, detail), (idx, dist) in zip(
                queries, found.per_query(len(queries)), strict=True
            ):
                for i, d in zip(idx.tolist(), dist.tolist(), strict=True):
                    for item in self._lists[i]:
                        spec = self.ruleset.banks[item.bank]
                        if d > spec.pdq_max_distance:
                            continue
                        if quality is not None and quality < spec.pdq_min_quality:
                            continue
                        result.hits.append(self._hit(item, spec, media, int(d), detail))

    @staticmethod
    def _hit(item: BankItem, spec: BankSpec, media: ScanMedia, d: int, detail: dict[str, Any]) -> Hit:
        return Hit(
            "pdq",
            pdq_strength(d, spec.pdq_max_distance),
            item.bank,
            item.id,
            item.item,
            item.label,
            media_key=media.key,
            distance=d,
            detail=dict(detail),
        )

    def _packed(
        self, queries: list[tuple[ScanResult, ScanMedia, int | None, dict[str, Any]]], hexes: list[str]
    ) -> None:
        packed = self.packed
        assert packed is not None
        found = packed.index.search(hex_to_bytes(hexes), int(packed.max_distance.max()))
        keep = found.distance <= packed.max_distance[found.index]
        q_pos, positions, distances = found.query[keep], found.index[keep], found.distance[keep]
        if not len(q_pos):
            return
        item_ids = packed.item_ids[positions]
        lookup = self.ruleset.lookup_items
        items = lookup(sorted(set(item_ids.tolist()))) if lookup is not None else {}
        for qp, pos, d, item_id in zip(
            q_pos.tolist(), positions.tolist(), distances.tolist(), item_ids.tolist(), strict=True
        ):
            result, media, quality, detail = queries[qp]
            if quality is not None and quality < packed.min_quality[pos]:
                continue
            item = items.get(item_id)
            if item is None:
                continue
            result.hits.append(self._hit(item, self.ruleset.banks[item.bank], media, int(d), detail))

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        known = "8f3c" * 16
        near = "8f3d" + "8f3c" * 15  # one bit away
        rules = Ruleset(banks={"p": BankSpec("p", "pdq")}, items=[BankItem(1, "p", "pdq", known, "item-1")])
        return [
            MatcherExample(
                rules,
                [_post(1, media=[ScanMedia("m1", pdq=near, pdq_quality=90)])],
                [
                    _post(2, media=[ScanMedia("m2", pdq="70c3" * 16, pdq_quality=90)]),
                    _post(3, media=[ScanMedia("m3", pdq=near, pdq_quality=10)]),
                ],
            )
        ]


class KnownTextMatcher(BuiltinMatcher):
    """Near-duplicates of known texts (hits ``text``)."""

    name, kind, order = "text", TEXT, 10

    def __init__(self, ruleset: Ruleset) -> None:
        known: list[KnownText] = []
        self.items: dict[int, BankItem] = {}
        for item in ruleset.items:
            spec = ruleset.banks.get(item.bank)
            if item.kind == "text" and spec is not None:
                known.append(
                    KnownText(item.id, item.value, item.item, item.label, item.bank, spec.text_min_similarity)
                )
                self.items[item.id] = item
        self.index = KnownTextIndex(known)

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        for result, matches in zip(results, self.index.find_batch(list(normalised)), strict=True):
            for match in matches:
                item = self.items[match.known.id]
                result.hits.append(
                    Hit(
                        "text",
                        match.similarity,
                        item.bank,
                        item.id,
                        item.item,
                        item.label,
                        similarity=match.similarity,
                    )
                )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        rules = Ruleset(
            banks={"t": BankSpec("t", "text")}, items=[BankItem(1, "t", "text", PLACEHOLDER, "item-1")]
        )
        return [
            MatcherExample(
                rules, [_post(1, PLACEHOLDER.upper()), _post(2, PLACEHOLDER + " today")], [_post(3, OTHER)]
            )
        ]


class TermMatcher(BuiltinMatcher):
    """Lexicon terms, hashtags and outlet names, with their span in the original text (hits ``term``)."""

    name, kind, order = "term", TEXT, 20

    def __init__(self, ruleset: Ruleset) -> None:
        self.lexicon = LexiconMatcher(ruleset.terms)

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        for result, norm in zip(results, normalised, strict=True):
            self._one(result, norm)

    def _one(self, result: ScanResult, norm: str) -> None:
        text = result.post.text
        term_matches = self.lexicon.find(norm)
        hashtags = {"#" + normalise(h).lstrip("#") for h in result.post.hashtags}
        if hashtags:
            seen = {m.term.id for m in term_matches}
            extra = self.lexicon.find(" ".join(sorted(hashtags)))
            # positions past the text mark matches found only in the hashtag list
            term_matches += [
                type(m)(m.term, len(norm) + 1, len(norm) + 1) for m in extra if m.term.id not in seen
            ]
        offsets: list[int] | None = None
        for m in term_matches:
            span = None
            if m.end <= len(norm):  # not a match found only among the post's hashtag list
                if offsets is None:
                    _, offsets = normalise_with_offsets(text)
                span = original_span(offsets, m.start, m.end, len(text))
            result.hits.append(
                Hit(
                    "term",
                    TERM_STRENGTH.get(m.term.kind, 0.5),
                    m.term.lexicon,
                    m.term.id,
                    m.term.term,
                    m.term.label,
                    term=m.term.term,
                    span=span,
                    detail={"kind": m.term.kind, "language": m.term.language or None},
                )
            )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        rules = Ruleset(
            terms=[
                Term(1, "north meridian", "en", "outlet", "fictional outlet"),
                Term(2, "#harbourfest", "en", "hashtag"),
            ]
        )
        return [
            MatcherExample(
                rules,
                [
                    _post(1, "News from NORTH  Meridian today"),
                    _post(2, "see you there", hashtags=["HarbourFest"]),
                ],
                [_post(3, OTHER), _post(4, "north and meridian apart")],
            )
        ]


class UrlMatcher(BuiltinMatcher):
    """URL-bank items among a post's links (hits ``url``) and what its links point to (signals)."""

    name, kind, order, text_veto = "url", TEXT, 30, False

    def __init__(self, ruleset: Ruleset) -> None:
        self.exact = exact_items(ruleset, ("url",))
        outlets = {
            t.term.lower(): (t.label or t.term)
            for t in ruleset.terms
            if t.kind == "outlet" and "." in t.term and " " not in t.term.strip()
        }
        self.urls = UrlClassifier(outlets, ruleset.url_expansions)

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        for result in results:
            post = result.post
            seen: set[str] = set()
            in_text = self.urls.learn(urls_in_text(post.text), list(post.urls))
            for url in list(post.urls) + in_text:
                info = self.urls.classify(url)
                if info.url in seen:
                    continue
                seen.add(info.url)
                for item in self.exact.get(("url", info.url), ()):
                    result.hits.append(
                        Hit("url", 0.8, item.bank, item.id, item.item, item.label, detail={"url": info.url})
                    )
                kind = {
                    "outlet": "outlet-link",
                    "file-host": "file-host",
                    "paste": "paste",
                    "donation": "donation-link",
                    "unknown": "unknown-domain",
                }.get(info.category)
                if kind:
                    result.signals.append(
                        Signal(
                            kind, info.url if kind != "unknown-domain" else domain_of(info.url), info.label
                        )
                    )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        rules = Ruleset(
            banks={"u": BankSpec("u", "url")},
            items=[BankItem(1, "u", "url", "https://files.example.net/item-1", "item-1")],
        )
        return [
            MatcherExample(
                rules,
                [
                    _post(1, urls=["https://files.example.net/item-1"]),
                    _post(2, "mirror: https://files.example.net/item-1"),
                ],
                [_post(3, OTHER)],
            )
        ]


class WalletMatcher(BuiltinMatcher):
    """Checksum-valid cryptocurrency addresses in the text (``wallet`` signals)."""

    name, kind, order, text_veto = "wallet", TEXT, 40, False

    def __init__(self, ruleset: Ruleset) -> None:
        pass

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        for result in results:
            for wallet in find_wallets(result.post.text):
                result.signals.append(Signal("wallet", wallet_key(wallet), wallet.currency))

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        return [
            MatcherExample(
                Ruleset(),
                [_post(1, "donations: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")],
                [_post(2, OTHER), _post(3, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr")],
            )
        ]


class ClassifierMatcher(BuiltinMatcher):
    """The active classifier's probability on texts of 10 characters or more (hits ``classifier``
    at or above the ruleset's minimum probability)."""

    name, kind, order, text_veto = "classifier", TEXT, 50, False

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
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
                results[i].hits.append(
                    Hit(
                        "classifier",
                        0.8 * p,
                        None,
                        None,
                        f"model v{self.ruleset.classifier_version}",
                        None,
                        similarity=round(p, 4),
                        detail={"probability": round(p, 4)},
                    )
                )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        def model(texts: list[str]) -> np.ndarray:  # stands in for a trained model's predict_normalised
            return np.array([0.97 if "meridian" in t else 0.02 for t in texts])

        rules = Ruleset(classifier=model, classifier_version=1)
        return [MatcherExample(rules, [_post(1, PLACEHOLDER)], [_post(2, OTHER), _post(3, "meridian")])]
