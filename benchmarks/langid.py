"""Language identification of short social-media posts: OpenIRU's detector beside lingua's own.

Corpus: ``benchmarks/data/short_posts_langid.tsv`` (``lang<TAB>text``, a header line, UTF-8):
hand-written everyday posts in the nine languages OpenIRU builds lingua for (ar, en, fr, de,
ru, tr, fa, ur, id), at least 60 each, all under 100 characters (code points), about ten per
language under 30.  See docs/benchmarks/detect.md for how it was written and its limits.

Detectors, run side by side on the same posts in the same process:

* ``openiru``: :func:`openiru.detect.language.detect_languages` (lingua built with
  ``from_languages(<the 9>)``, models preloaded, minimum relative distance 0).
* ``lingua-all``: ``LanguageDetectorBuilder.from_all_languages()`` (75 languages), models
  preloaded, the same settings and the same parallel batch call.  It is *not* restricted
  before detecting: it is scored afterwards against the 9 labels, so any answer outside the
  9 (Hindi, Spanish...) is an error and shows as the confusion.  The gap between the two
  columns is what restricting lingua to the unit's languages buys.
* ``langid``: langid.py restricted to the 9 languages, only if it is already installed (it
  is not a dependency of OpenIRU; fastText's language-ID model is not shipped either).

Printed per language and per length band (< 30 and 30-99 characters): posts, accuracy, the
most common confusion (``code xN``: the wrong answer and how often; ``-`` for none), and
throughput in posts per second of wall time (the cell's posts in one batch call, repeated
for ``--seconds``; small cells mostly measure the per-call cost of lingua's parallel batch
API; the machine is shared, so wall rates move between runs) and in posts per CPU-second of
the process (all of lingua's threads), steadier when other jobs share the cores.

A last line shows ``openiru`` on the same posts with URLs and @mentions removed first, to show
how much of its error comes from those Latin-script tokens (OpenIRU does not remove them).

Usage: ``.venv/bin/python benchmarks/langid.py [--seconds 0.5] [--markdown] [--errors]``
"""

from __future__ import annotations

import argparse
import importlib.metadata
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from lingua import LanguageDetectorBuilder

from openiru.detect.language import DEFAULT_LANGUAGES, detect_languages, detector

CORPUS = Path(__file__).parent / "data" / "short_posts_langid.tsv"
BANDS = (("< 30", 0, 30), ("30-99", 30, 100))
#: URLs and @mentions: Latin-script tokens that lingua reads as words of the post.
Detect = Callable[[Sequence[str]], list[str | None]]


def load_corpus(path: Path = CORPUS) -> list[tuple[str, str]]:
    """``(language code, text)`` pairs of the corpus file, in file order (header skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(lang, text) for lang, text in (line.split("\t", 1) for line in lines[1:] if line)]


def lingua_all() -> Detect:
    """lingua with every language it knows, as a user of lingua alone would build it."""
    det = (
        LanguageDetectorBuilder.from_all_languages()
        .with_preloaded_language_models()
        .with_minimum_relative_distance(0.0)
        .build()
    )

    def run(texts: Sequence[str]) -> list[str | None]:
        found = det.detect_languages_in_parallel_of(list(texts))
        return [lang.iso_code_639_1.name.lower() if lang is not None else None for lang in found]

    return run


def langid_reference() -> Detect | None:
    """langid.py restricted to the 9 languages, if installed (this file shadows its name)."""
    try:
        importlib.metadata.version("langid")
    except importlib.metadata.PackageNotFoundError:
        return None
    here = str(Path(__file__).parent.resolve())
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(here)]
    try:
        from langid.langid import LanguageIdentifier, model  # type: ignore[import-not-found]
    finally:
        sys.path[:] = saved
    ident = LanguageIdentifier.from_modelstring(model, norm_probs=False)
    ident.set_languages(list(DEFAULT_LANGUAGES))
    return lambda texts: [ident.classify(t)[0] for t in texts]


def score(
    detect: Detect, posts: list[tuple[str, str]], seconds: float
) -> tuple[float, str, float, float, list]:
    """``(accuracy, most common confusion, posts per wall second, posts per CPU second,
    [(lang, found, text) errors])``; the posts are detected in one batch call, again and
    again for at least ``seconds``.  CPU time is the whole process's (all lingua threads)."""
    texts = [t for _, t in posts]
    passes, start, cpu = 0, time.perf_counter(), time.process_time()
    while not passes or time.perf_counter() - start < seconds:
        found = detect(texts)
        passes += 1
    rate = len(texts) * passes / (time.perf_counter() - start)
    cpu_rate = len(texts) * passes / max(time.process_time() - cpu, 1e-9)
    errors = [(lang, f, t) for (lang, t), f in zip(posts, found, strict=True) if f != lang]
    confusions = Counter(f"{f or 'none'}" for _, f, _ in errors).most_common(1)
    top = f"{confusions[0][0]} x{confusions[0][1]}" if confusions else "-"
    return 1 - len(errors) / len(posts), top, rate, cpu_rate, errors


def cells(corpus: list[tuple[str, str]]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """``(language, band, posts)`` per language and band, per language, and for the corpus."""
    out = []
    for lang in [*DEFAULT_LANGUAGES, "all"]:
        mine = [p for p in corpus if lang in ("all", p[0])]
        for band, low, high in BANDS:
            out.append((lang, band, [p for p in mine if low <= len(p[1]) < high]))
        out.append((lang, "all", mine))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--seconds",
        type=float,
        default=0.5,
        help="time each detector spends on each cell (repeated batch calls)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--errors", action="store_true", help="list every misidentified post")
    args = parser.parse_args()
    corpus = load_corpus(args.corpus)
    print(
        f"corpus: {args.corpus.name}, {len(corpus)} posts, "
        f"{sum(len(t) < 30 for _, t in corpus)} under 30 characters"
    )

    detectors: dict[str, Detect] = {}
    for name, build in (
        ("openiru", lambda: (detector(), detect_languages)[1]),
        ("lingua-all", lingua_all),
        ("langid", langid_reference),
    ):
        rss, t = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
        made = build()
        if made is None:
            print(f"{name}: not installed (not added: no new dependency for a reference)")
            continue
        made([t for _, t in corpus[:50]])  # warm-up
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
        print(f"{name}: built and warmed in {time.perf_counter() - t:.1f} s, max RSS +{grown:,.0f} MB")
        detectors[name] = made
    if "langid" not in detectors:
        try:
            importlib.metadata.version("fasttext")
            print("fasttext: installed, but no language-ID model is shipped: not run")
        except importlib.metadata.PackageNotFoundError:
            print("fasttext: not installed")

    rows, errors = [], {}
    for lang, band, posts in cells(corpus):
        row = [lang, band, str(len(posts))]
        for name, detect in detectors.items():
            acc, top, rate, cpu_rate, errs = score(detect, posts, args.seconds)
            row += [f"{acc:.3f}", top, f"{rate:,.0f}", f"{cpu_rate:,.0f}"]
            if band == "all" and lang != "all":
                errors.setdefault(name, []).extend(errs)
        rows.append(row)
    head = ["lang", "band", "posts"]
    for name in detectors:
        head += [f"{name} acc", f"{name} confusion", f"{name} posts/s", f"{name} posts/CPU-s"]
    if args.markdown:
        print("\n| " + " | ".join(head) + " |")
        print(
            "|" + "|".join("---" if i < 2 or "confusion" in h else "---:" for i, h in enumerate(head)) + "|"
        )
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        print()
        for row in [head, *rows]:
            print(" ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))

    def raw_nine(texts: list[str]) -> list[str | None]:  # the same 9-language detector, text as is
        found = detector().detect_languages_in_parallel_of(list(texts))
        return [lang.iso_code_639_1.name.lower() if lang is not None else None for lang in found]

    acc, _, _, _, raw_errs = score(raw_nine, corpus, 0)
    print(
        f"\nlingua with the same 9 languages on the raw text (without OpenIRU's removal of links and "
        f"@handles): accuracy {acc:.3f}, {len(raw_errs)} misidentified"
    )
    errors["lingua 9 languages, raw text"] = raw_errs
    if args.errors:
        for name, errs in errors.items():
            print(f"\n{name}: {len(errs)} misidentified")
            for lang, found, text in errs:
                print(f"  {lang} -> {found or 'none'}: {text}")


if __name__ == "__main__":
    main()
