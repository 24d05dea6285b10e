"""Near-duplicate text clusters at scale: MinHash over word and word-pair shingle hashes and LSH
banding, computed on arrays for all texts at once, confirmed by the exact Jaccard of the shingle sets.

A text's shingles are its words and its pairs of neighbouring words.  Word 3-shingles (the usual
choice) lose four of a twenty-word text's eighteen shingles to one inserted word (Jaccard 0.76:
missed at 0.8); words and pairs lose one pair and gain a word and two pairs (0.87), keep some word
order, and still keep templated boilerplate apart (a 14-word template with two variable words:
0.77).  Texts are normalised as detection normalises them before (:mod:`.content`), so homoglyphs,
marks, tatweel, invisible characters and emoji do not change a shingle.

Shingle hashes, signatures and band keys come from the project's one near-duplicate engine,
:mod:`openiru.detect.minhash` (shared with detection's known-text matcher): datasketch's legacy
MinHash with its own permutations, 64 of them, and ``MinHashLSH``'s banding for 0.8 (5 bands of
11 rows), computed on arrays for all texts at once (datasketch builds one Python object per text
and hashes every shingle with SHA-1 in Python: about 0.2 ms per post, minutes on a million posts);
band keys are grouped by sorting.  Identical texts are clustered by hash before any of this.
Within a bucket each text is confirmed against one text per cluster, and a bucket that fills with
templated boilerplate keeps only the :data:`MAX_BUCKET_CLUSTERS` clusters it met most recently, so the work
stays linear in the number of texts (a million "... post number N" texts: seconds, not minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..detect.minhash import NUM_PERM as NUM_PERM  # re-exported for .content
from ..detect.minhash import band_keys, lsh_bands, permutations, signatures, word_shingles

NEAR_TEXT_JACCARD = 0.8
#: datasketch's optimal (bands, rows) for threshold 0.8 and 64 permutations (false positive and
#: false negative weights 0.5): (5, 11).
BANDS, ROWS = lsh_bands(NEAR_TEXT_JACCARD, NUM_PERM)
#: Clusters an LSH bucket keeps for confirming its later texts.  Confirming every text against one
#: text of each cluster seen before it in its bucket is quadratic when a bucket fills with texts
#: that are not near-duplicates of each other: templated posts ("... post number N", bot and
#: notification boilerplate) share most shingles, hence most MinHash minima, and fall together into
#: the bucket of the band made only of the template's minima.  A million "Neutral placeholder post
#: number N" (3 shingles, 2 shared: Jaccard 0.5, never near-duplicates) make buckets of up to 4,568
#: texts: 11 million confirmations, where the cap leaves 432,000 for all five bands.  Past this
#: many clusters a bucket is boilerplate: a text is confirmed only against the clusters met most
#: recently (posts come in time order, so a burst or a steady stream of copies still meets its own
#: cluster), which keeps the work linear.  The demo ecosystems' buckets hold at most 12 texts of 5 clusters.
MAX_BUCKET_CLUSTERS = 64


def similar(a: set[int], b: set[int]) -> bool:
    """Exact Jaccard of two shingle sets at least :data:`NEAR_TEXT_JACCARD`."""
    return len(a & b) >= NEAR_TEXT_JACCARD * len(a | b)


def _confirm_bucket(
    members: list[int], find: Callable[[int], int], shingle_set: Callable[[int], set[int]], parent: list[int]
) -> None:
    """Join the texts of one LSH bucket (in index order) to the clusters they are near-duplicates of.

    Each text is confirmed against one text per cluster already seen in the bucket, and stops at
    the first of its own cluster or the first similar one.  A bucket keeps at most
    :data:`MAX_BUCKET_CLUSTERS` clusters for this: past that it is boilerplate (see the constant),
    the cluster met least recently gives way to the new one, and each text costs at most that many
    confirmations instead of one per text before it.  A campaign whose copies keep arriving stays.
    """
    reps: dict[int, int] = {}  # one text per cluster -> position of the last text that met it
    for pos, i in enumerate(members):
        si = shingle_set(i)
        for r in reps:  # in the order the clusters entered the bucket
            ri, rr = find(i), find(r)
            if ri == rr or similar(si, shingle_set(r)):
                parent[max(ri, rr)] = min(ri, rr)
                reps[r] = pos  # an existing key: its place in the order is kept
                break
        else:
            if len(reps) >= MAX_BUCKET_CLUSTERS:
                del reps[min(reps, key=reps.__getitem__)]
            reps[i] = pos


def shingle_hashes(texts: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Word and word-pair shingle hashes of each text, with their ``bounds`` (the engine's
    :func:`openiru.detect.minhash.word_shingles`)."""
    return word_shingles(texts)


def near_duplicate_clusters(words_by_post: Mapping[int, Sequence[str]]) -> dict[int, int]:
    """Cluster posts whose texts are near-duplicates (Jaccard of word and word-pair sets >= 0.8);
    post -> cluster representative (the cluster's lowest post index)."""
    posts = sorted(words_by_post)
    if not posts:
        return {}
    first_of: dict[str, int] = {}  # identical texts: one representative, no MinHash needed
    same = [first_of.setdefault(" ".join(words_by_post[p]), p) for p in posts]
    reps = list(first_of.values())
    hashes, bounds = shingle_hashes([words_by_post[p] for p in reps])
    a, b = permutations(NUM_PERM)
    sig = signatures(hashes, bounds, a, b, dtype=np.uint32)  # 32-bit minima: half the memory
    parent = list(range(len(reps)))  # union-find over distinct texts (a list: no numpy scalars)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    sets: dict[int, set[int]] = {}

    def shingle_set(i: int) -> set[int]:
        found = sets.get(i)
        if found is None:
            found = sets[i] = set(hashes[bounds[i] : bounds[i + 1]].tolist())
        return found

    keys = band_keys(sig, ROWS)
    for band in range(BANDS):
        key = keys[:, band]
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        # runs of equal keys of two texts or more: candidate buckets (texts in index order within one)
        edges = np.flatnonzero(np.diff(sorted_key)) + 1
        starts = np.concatenate(([0], edges))
        ends = np.concatenate((edges, [len(order)]))
        shared = ends - starts >= 2
        for s, e in zip(starts[shared].tolist(), ends[shared].tolist(), strict=True):
            _confirm_bucket(order[s:e].tolist(), find, shingle_set, parent)
    rep_index = {p: n for n, p in enumerate(reps)}
    return {p: reps[find(rep_index[q])] for p, q in zip(posts, same, strict=True)}
