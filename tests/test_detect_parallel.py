"""Detection in worker processes gives exactly what one process gives: the
ParallelScanner against Detector.scan, and the scan service with workers against
without; the compiled near-duplicate kernels against datasketch and scipy."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from datasketch import MinHash, MinHashLSH

from openiru.detect import classifier as clf
from openiru.detect import parallel as detect_parallel
from openiru.detect.evidence import ScanMedia, ScanPost, ScanResult
from openiru.detect.lexicon import Term
from openiru.detect.neardup import NUM_PERM, SHINGLE, KnownText, KnownTextIndex
from openiru.detect.ngrams import batch_ngrams
from openiru.detect.normalise import normalise
from openiru.detect.parallel import ParallelScanner
from openiru.detect.pipeline import BankItem, BankSpec, Detector, Ruleset
from openiru.model import AccountKey, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.services.detect import alerts as detect_alerts
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import scan as detect_scan
from openiru.store.db import open_database
from source_support import ListSource

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _post(pid: str, account: str, text: str) -> Post:
    return Post(PostKey("testnet", pid), AccountKey("testnet", account), T0, text=text)


WORDS = [
    "alder",
    "brisk",
    "cobalt",
    "dune",
    "ember",
    "fjord",
    "glen",
    "heron",
    "islet",
    "jasper",
    "kelp",
    "lumen",
    "marsh",
    "nook",
    "orchid",
    "pebble",
    "quill",
    "reed",
    "sable",
    "thistle",
]


def _texts(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 16))) for _ in range(n)]


def _ruleset(rng: random.Random) -> tuple[Ruleset, list[str]]:
    known = _texts(rng, 40)
    items = [BankItem(i, "texts", "text", t, f"text-{i}") for i, t in enumerate(known)]
    items.append(BankItem(100, "fp", "text", known[0], "fp-0"))
    items.append(BankItem(200, "files", "md5", "ab" * 16, "file-0"))
    terms = [Term(1, "ember glen"), Term(2, "#quill", kind="hashtag"), Term(3, "маршрут", "ru")]
    train = _texts(rng, 60)
    labels = [1 if i % 2 else 0 for i in range(60)]
    train = [t + (" ember" if y else " reed") for t, y in zip(train, labels, strict=True)]
    model = clf.TrainedModel(1, clf.train(train, labels))
    banks = {
        "texts": BankSpec("texts", "text", text_min_similarity=0.6),
        "fp": BankSpec("fp", "text", purpose="suppression"),
        "files": BankSpec("files", "md5"),
    }
    return Ruleset(banks, items, terms, classifier=model.predict_normalised, classifier_version=1), known


def _posts(rng: random.Random, known: list[str], n: int) -> list[ScanPost]:
    posts = []
    for i, text in enumerate(_texts(rng, n)):
        if i % 7 == 0:
            text = rng.choice(known) + " " + rng.choice(WORDS)
        if i % 11 == 0:
            text += " ember glen #quill маршрут bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        media = [ScanMedia(f"m{i}", md5="ab" * 16)] if i % 17 == 0 else []
        posts.append(
            ScanPost("t", str(i), f"a{i % 9}", text, hashtags=["quill"] if i % 13 == 0 else [], media=media)
        )
    return posts


def _evidence(results: list[ScanResult]) -> list[tuple]:
    return [
        (
            r.post.post_id,
            [h.evidence() for h in r.hits],
            [(s.kind, s.value) for s in r.signals],
            r.model_probability,
        )
        for r in results
    ]


def test_parallel_scanner_matches_one_process() -> None:
    rng = random.Random(5)
    ruleset, known = _ruleset(rng)
    posts = _posts(rng, known, 300)
    one = Detector(ruleset).scan(posts)
    expected = _evidence(one)
    text_item = next(h.item_id for r in one for h in r.hits if h.matcher == "text" and not h.suppressed)
    detector = Detector(ruleset)
    with ParallelScanner(detector, 2, task_posts=64) as scanner:
        assert _evidence(scanner.scan(posts)) == expected
        assert scanner.scan([]) == []
        # a quarantine decided in this process reaches the workers
        detector.quarantine([text_item])
        after = scanner.scan(posts)
    flagged = [h for r in after for h in r.hits if h.item_id == text_item and h.matcher == "text"]
    assert flagged and all(h.suppressed and h.detail.get("quarantined") for h in flagged)
    assert any(h.matcher == "text" and not h.suppressed for r in after for h in r.hits)
    assert any(h.matcher == "md5" for r in after for h in r.hits)


def test_minhash_and_lsh_candidates_equal_datasketch() -> None:
    rng = random.Random(9)
    texts = [normalise(t) for t in _texts(rng, 400)]
    index = KnownTextIndex([KnownText(i, t) for i, t in enumerate(texts[:200])])
    a, b = (p.astype(np.uint64)[:, None] for p in index._permutations)
    lsh = MinHashLSH(threshold=0.3, num_perm=NUM_PERM)

    def reference(text: str) -> MinHash | None:
        grams = batch_ngrams([text], (SHINGLE,), unique=True).hashes
        if not len(grams):
            return None
        with np.errstate(over="ignore"):
            values = ((a * grams[None, :] + b) % np.uint64((1 << 61) - 1)) & np.uint64((1 << 32) - 1)
        return MinHash(
            seed=1, hashvalues=values.min(axis=1), permutations=index._permutations, scheme="legacy"
        )

    for i, text in enumerate(texts[:200]):
        ref = reference(text)
        if ref is not None:
            lsh.insert(i, ref)
    queries = [t for t in texts if len(t) >= SHINGLE]
    _, signatures, nonempty, _ = next(index._signatures(queries, list(range(len(queries)))))
    mine: dict[int, set[int]] = {}
    for q, k in index._candidates(signatures):
        mine.setdefault(int(nonempty[q]), set()).add(index._known[k].id)
    pairs = 0
    for row, text in enumerate(queries):
        ref = reference(text)
        if ref is None:
            continue
        ours = index.signature(text)
        assert ours is not None and np.array_equal(ours.hashvalues, ref.hashvalues)
        assert set(lsh.query(ref)) == mine.get(row, set())
        pairs += len(mine.get(row, ()))
    assert pairs > len(queries) // 2  # the comparison covered real candidates


def test_ngram_count_matrix_equals_scipy_sum_duplicates() -> None:
    rng = random.Random(2)
    texts = ["".join(rng.choice("ab cé") for _ in range(rng.randint(0, 60))) for _ in range(300)] + ["", "a"]
    ours = clf.CharNgramHasher().transform(texts)
    grams = batch_ngrams(texts, (2, 3, 4, 5), unique=False, pad=True)
    columns = (grams.hashes % np.uint64(clf.N_FEATURES)).astype(np.int64)
    ref = sp.csr_matrix(
        (np.ones(len(columns), np.float32), (grams.text_of, columns)), shape=(len(texts), clf.N_FEATURES)
    )
    ref.sum_duplicates()
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(ours, name), getattr(ref, name))


def test_scan_service_with_workers_equals_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []

    class Counted(ParallelScanner):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self.workers)

    monkeypatch.setattr(detect_parallel, "ParallelScanner", Counted)  # the scan imports it when it runs
    results = []
    for workers in (1, 2):
        engine = open_database(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        known = tmp_path / "known.jsonl"
        known.write_text(
            json.dumps({"id": "k", "text": "the assembly meets at the northern gate"}) + "\n",
            encoding="utf-8",
        )
        detect_banks.import_hash_list(engine, known, "texts", fmt="jsonl", kind="text")
        lex = tmp_path / "lex.csv"
        lex.write_text("term,language,kind,label\nsilver dawn,en,term,org\n", encoding="utf-8")
        detect_banks.import_lexicon(engine, lex, "lex")
        posts = [
            _post(
                str(i),
                f"u{i % 4}",
                [
                    "the assembly meets at the northern gate tonight",
                    "silver dawn rises",
                    "a plain post about bread",
                ][i % 3],
            )
            for i in range(30)
        ]
        ingest_source(engine, ListSource(posts), after_batch=())
        summary = detect_scan.scan(engine, batch_size=4, workers=workers)
        alerts = sorted(
            (a["id"], [(h["matcher"], h.get("item"), h.get("term")) for h in a["hits"]])
            for a in detect_alerts.list_alerts(engine, limit=None)
        )
        results.append((summary.posts, summary.hits, summary.alerts, alerts))
        engine.dispose()
    assert started == [2]  # one pool, for the run with workers
    assert results[0] == results[1] and results[0][2] == 20
