"""End-to-end detection benchmark over a synthetic stream of posts.

Rules: a 1,000,000-hash PDQ bank, a 10,000-term multilingual lexicon (Latin,
Cyrillic and Arabic script), 10,000 known texts, and a classifier trained on
generated decisions.  Streams: text-only posts, and posts of which 20 % carry a
JPEG image (hashed with PDQ during the scan, as ``openiru scan`` does for local
files).  Printed: posts per second of the detection pipeline
(:class:`openiru.detect.pipeline.Detector`, in memory: no database), the share of
posts with hits, peak memory, and beside it pdqhash's own images per second on
the same images (python-threatexchange's ``pdq_from_file``), the bound for image
posts.  Also language-identification accuracy per language on short posts
(the hand-written corpus ``benchmarks/data/short_posts_langid.tsv``; the full
table, with length bands and lingua's own detector beside it: ``benchmarks/langid.py``).

All text is generated from fictional vocabularies (neutral placeholder words).

"posts/CPU-s" divides by the CPU time used (this process, plus its worker
processes in the parallel row; the machine is shared: wall-clock rates depend on
what else runs).  One process is single-threaded except the PDQ kernel; the
parallel row runs :class:`openiru.detect.parallel.ParallelScanner` (``--workers``
forked processes, the rules compiled once), as ``openiru scan`` does.

Usage: ``.venv/bin/python benchmarks/detect.py [--posts 50000] [--bank 1000000]``
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file

from openiru.detect import classifier as clf
from openiru.detect.evidence import ScanMedia, ScanPost
from openiru.detect.language import detect_languages, detector
from openiru.detect.lexicon import Term
from openiru.detect.parallel import ParallelScanner
from openiru.detect.pdq import pdq_of_file
from openiru.detect.pdq_index import PDQIndex
from openiru.detect.pipeline import BankItem, BankSpec, Detector, PackedPDQ, Ruleset

OUT = Path(__file__).parent / "out" / "detect"
ALPHABETS = {
    "latin": "abcdefghijklmnopqrstuvwxyz",
    "cyrillic": "абвгдежзиклмнопрстуфхцчшыэюя",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
}


def word(rng: random.Random, script: str) -> str:
    return "".join(rng.choice(ALPHABETS[script]) for _ in range(rng.randint(3, 9)))


def vocabulary(rng: random.Random, size: int) -> dict[str, list[str]]:
    return {s: [word(rng, s) for _ in range(size)] for s in ALPHABETS}


def sentence(rng: random.Random, vocab: list[str], n: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n)).capitalize() + "."


def make_rules(
    rng: random.Random, bank_size: int, n_terms: int, n_texts: int, vocab: dict[str, list[str]]
) -> tuple[Ruleset, list[str], list[str], np.ndarray]:
    hashes = np.random.default_rng(1).integers(0, 256, size=(bank_size, 32), dtype=np.uint8)
    # PDQ items packed as arrays, as the scan service loads them from its cache
    packed = PackedPDQ(
        PDQIndex(hashes),
        np.arange(bank_size, dtype=np.int64),
        np.full(bank_size, 31, dtype=np.int16),
        np.full(bank_size, 50, dtype=np.int16),
    )
    items: list[BankItem] = []
    scripts = list(ALPHABETS)
    terms = []
    for i in range(n_terms):
        script = scripts[i % 3]
        t = word(rng, script) + ("" if i % 4 else " " + word(rng, script))
        terms.append(
            Term(
                i,
                t,
                {"latin": "en", "cyrillic": "ru", "arabic": "ar"}[script],
                "hashtag" if i % 10 == 0 else "term",
            )
        )
    texts = []
    for i in range(n_texts):
        script = scripts[i % 3]
        texts.append(" ".join(sentence(rng, vocab[script], rng.randint(8, 14)) for _ in range(3)))
    items += [BankItem(bank_size + i, "texts", "text", t, f"text-{i}") for i, t in enumerate(texts)]
    banks = {"pdq-bank": BankSpec("pdq-bank", "pdq"), "texts": BankSpec("texts", "text")}

    def lookup(ids: list[int]) -> dict[int, BankItem]:
        return {i: BankItem(i, "pdq-bank", "pdq", bytes(hashes[i]).hex(), f"img-{i}") for i in ids}

    ruleset = Ruleset(banks, items, terms, packed_pdq=packed, lookup_items=lookup)
    return ruleset, [t.term for t in terms], texts, hashes


def train_classifier(rng: random.Random, vocab: dict[str, list[str]]) -> clf.TrainedModel:
    flagged = {s: v[:200] for s, v in vocab.items()}
    benign = {s: v[200:400] for s, v in vocab.items()}
    texts, labels = [], []
    for script in ALPHABETS:
        for label, pool in ((1, flagged[script]), (0, benign[script])):
            for _ in range(300):
                texts.append(sentence(rng, pool, rng.randint(6, 14)))
                labels.append(label)
    return clf.TrainedModel(1, clf.train(texts, labels))


def image(path: Path, rng: random.Random) -> Path:
    size = (rng.choice((480, 640, 800)), rng.choice((360, 480, 600)))
    img = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.ellipse(
            (x, y, x + rng.randrange(30, 200), y + rng.randrange(30, 200)),
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    img.save(path, quality=88)
    return path


def make_posts(
    rng: random.Random,
    n: int,
    vocab: dict[str, list[str]],
    terms: list[str],
    texts: list[str],
    images: list[Path],
    image_share: float,
) -> list[ScanPost]:
    posts = []
    scripts = list(ALPHABETS)
    for i in range(n):
        script = scripts[i % 3]
        roll = rng.random()
        if roll < 0.02:
            text = rng.choice(texts).replace(" ", "  ", 2)
        else:
            text = " ".join(
                sentence(rng, vocab[script], rng.randint(5, 12)) for _ in range(rng.randint(1, 2))
            )
            if roll < 0.07:
                text += " " + rng.choice(terms)
        if roll > 0.98:
            text += " https://files.example-host.net/x?utm_source=a"
        media = []
        if images and rng.random() < image_share:
            path = rng.choice(images)
            media.append(ScanMedia(f"path:{path}-{i}", path=str(path), mime="image/jpeg"))
        posts.append(ScanPost("bench", str(i), f"acct{i % 5000}", text, media=media))
    return posts


def run_parallel(
    det: Detector, posts: list[ScanPost], workers: int, batch: int = 2000
) -> tuple[float, float, int]:
    """The same stream through :class:`ParallelScanner` (``workers`` forked processes sharing
    the compiled rules), results returned to this process as the scan service gets them:
    ``(posts per wall second, posts per CPU second of all processes, posts flagged)``."""
    cpu_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ParallelScanner(det, workers) as scanner:
        scanner.scan(posts[: 200 * workers])  # warm-up: each worker touches its copy of the rules
        start, cpu = time.perf_counter(), time.process_time()
        flagged = 0
        for s in range(0, len(posts), batch):
            flagged += sum(1 for r in scanner.scan(posts[s : s + batch]) if r.alerting_hits)
        seconds, parent_cpu = time.perf_counter() - start, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime + after.ru_stime) - (cpu_children.ru_utime + cpu_children.ru_stime)
    return len(posts) / seconds, len(posts) / (parent_cpu + children), flagged


def run_stream(det: Detector, posts: list[ScanPost], batch: int = 2000) -> tuple[float, float, int]:
    """``(posts per wall second, posts per CPU second of this process, posts flagged)``."""
    flagged = 0
    start, cpu = time.perf_counter(), time.process_time()
    for s in range(0, len(posts), batch):
        chunk = posts[s : s + batch]
        for post in chunk:  # what the scan service does for local images
            for m in post.media:
                if m.path and not m.pdq:
                    m.pdq, m.pdq_quality = pdq_of_file(m.path)
        flagged += sum(1 for r in det.scan(chunk) if r.alerting_hits)
    return len(posts) / (time.perf_counter() - start), len(posts) / (time.process_time() - cpu), flagged


LANGID_CORPUS = Path(__file__).parent / "data" / "short_posts_langid.tsv"


def language_accuracy() -> None:
    """Accuracy per language on the hand-written corpus of ``benchmarks/langid.py``, which
    prints the full table (length bands, confusions, throughput, lingua with all languages)."""
    lines = LANGID_CORPUS.read_text(encoding="utf-8").splitlines()[1:]  # "lang<TAB>text", header
    posts: dict[str, list[str]] = {}
    for lang, text in (line.split("\t", 1) for line in lines if line):
        posts.setdefault(lang, []).append(text)
    print("\nlanguage identification (lingua, 9 languages, posts under 100 characters)")
    print(f"{'language':>9} {'posts':>6} {'accuracy':>9}")
    for code in ("en", "fr", "de", "ru", "tr", "ar", "fa", "ur", "id"):
        texts = posts[code]
        found = detect_languages(texts)
        print(f"{code:>9} {len(texts):>6} {sum(f == code for f in found) / len(texts):9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--bank", type=int, default=1_000_000)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=200, help="distinct image files in the image stream")
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel rows (0: none)")
    args = parser.parse_args()
    rng = random.Random(1)
    vocab = vocabulary(rng, 3000)
    t = time.perf_counter()
    ruleset, terms, texts, _ = make_rules(rng, args.bank, args.terms, args.texts, vocab)
    model = train_classifier(rng, vocab)
    ruleset.classifier, ruleset.classifier_version = model.predict_normalised, model.version
    ruleset.classifier_min_probability = 0.9
    det = Detector(ruleset)
    detector()  # lingua models preloaded
    print(
        f"rules: {args.bank:,} PDQ hashes, {args.terms:,} terms, {args.texts:,} known texts, classifier; "
        f"compiled in {time.perf_counter() - t:.1f} s"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    images = [image(OUT / f"img{i}.jpg", rng) for i in range(args.images)]
    text_posts = make_posts(rng, args.posts, vocab, terms, texts, [], 0.0)
    image_posts = make_posts(rng, args.posts // 5, vocab, terms, texts, images, 0.2)
    det.scan(text_posts[:500])  # warm-up (caches)
    print(f"\n{'stream':>28} {'posts':>8} {'posts/s':>9} {'posts/CPU-s':>12} {'flagged':>8}")
    qps, cps, flagged = run_stream(det, text_posts)
    print(f"{'text only':>28} {len(text_posts):8,} {qps:9,.0f} {cps:12,.0f} {flagged:8,}")
    if args.workers:  # before any PDQ search: numba's OpenMP threads must not exist when forking
        qps, cps, flagged = run_parallel(det, text_posts, args.workers)
        print(
            f"{f'text only, {args.workers} processes':>28} {len(text_posts):8,} {qps:9,.0f} {cps:12,.0f} "
            f"{flagged:8,}"
        )
    qps, cps, flagged = run_stream(det, image_posts)
    print(f"{'20% with a JPEG (PDQ)':>28} {len(image_posts):8,} {qps:9,.0f} {cps:12,.0f} {flagged:8,}")
    sample = images * max(1, 400 // len(images))
    t = time.perf_counter()
    for p in sample:
        pdq_from_file(p)
    reference = len(sample) / (time.perf_counter() - t)
    t = time.perf_counter()
    for p in sample:
        pdq_of_file(p)
    ours = len(sample) / (time.perf_counter() - t)
    print(
        f"\nPDQ images/s on these JPEGs: pdqhash via python-threatexchange {reference:,.0f}, "
        f"OpenIRU pdq_of_file {ours:,.0f}"
    )
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    language_accuracy()


if __name__ == "__main__":
    main()
