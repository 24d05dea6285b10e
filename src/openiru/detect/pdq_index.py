"""An exact range index over 256-bit PDQ hashes: multi-index hashing (MIH).

Question answered: *every* indexed hash within Hamming distance ``r`` of a query
(recall 1.0, not an approximate nearest neighbour).

Method (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with Multi-Index
Hashing", CVPR 2012): the 256 bits are cut into 16 chunks of 16 bits.  By the
pigeonhole principle, two hashes within distance ``r`` agree within
``r // 16`` bits on at least one chunk (for r = 31: within one bit).  Each chunk
has a table from its 65,536 possible values to the hashes holding that value
(a counting sort: ``offsets`` + ``ids``), so the candidates of a query are the
table entries of each of its chunks and of their one-bit neighbours.  Candidates
are verified with a full 256-bit Hamming distance (XOR + popcount on four
uint64 words).  Everything runs vectorised over batches of queries in numpy.

Neither FAISS (``IndexBinaryFlat`` scans every hash; ``IndexBinaryMultiHash``
exists but is single-threaded per query and approximate in its defaults) nor
python-threatexchange (``PDQIndex`` wraps FAISS) gives an exact range search at
this speed, which is why this index is written here.

Memory for n hashes: 32 n bytes of hashes, 64 n bytes of chunk tables and 4 MB of
offsets (about 100 MB for one million hashes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

try:  # the compiled loops; the numpy path gives the same answers, slower
    from .pdq_kernel import chunk_pass, gather_rows, search_kernel
except ImportError as exc:  # pragma: no cover - numba missing
    if exc.name != "numba":  # a failure of OpenIRU's own module is an error, never a slower path
        raise
    search_kernel = None  # type: ignore[assignment]
    chunk_pass = None  # type: ignore[assignment]
    gather_rows = None  # type: ignore[assignment]

CHUNKS = 16
CHUNK_VALUES = 1 << 16
#: Queries handled together: bounds the size of the candidate arrays.
DEFAULT_BATCH = 256
#: Matches kept per query in the compiled path before a query is redone with more room.
COMPILED_CAPACITY = 32
#: From this many queries on, search chunk by chunk over bucket-ordered copies of the
#: hashes (sequential reads; costs 16 copies of the hashes' 32 bytes each, one at a time).
LARGE_BATCH = 20_000


def _chunks(hashes: np.ndarray) -> np.ndarray:
    """``(n, 32)`` uint8 -> ``(n, 16)`` uint16 chunk values."""
    return (hashes[:, 0::2].astype(np.uint16) << 8) | hashes[:, 1::2].astype(np.uint16)


def _flip_masks(radius: int) -> np.ndarray:
    """Every 16-bit mask of at most ``radius`` set bits (the probes of one chunk)."""
    masks = [0]
    for k in range(1, radius + 1):
        for bits in combinations(range(16), k):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.uint16)


@dataclass(frozen=True, slots=True)
class RangeResult:
    """Matches of a batch: parallel arrays sorted by query, then distance."""

    query: np.ndarray  # int64 query positions
    index: np.ndarray  # int64 positions in the index
    distance: np.ndarray  # int16 Hamming distances

    def __len__(self) -> int:
        return len(self.query)

    def per_query(self, n_queries: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(indexes, distances)`` for each of the ``n_queries`` in order."""
        bounds = np.searchsorted(self.query, np.arange(n_queries + 1))
        for i in range(n_queries):
            lo, hi = bounds[i], bounds[i + 1]
            yield self.index[lo:hi], self.distance[lo:hi]


class PDQIndex:
    """Exact Hamming range search over PDQ hashes (``(n, 32)`` uint8)."""

    def __init__(self, hashes: np.ndarray, *, _tables: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        hashes = np.ascontiguousarray(hashes, dtype=np.uint8)
        if hashes.ndim != 2 or hashes.shape[1] != 32:
            raise ValueError("PDQ hashes must be an (n, 32) uint8 array")
        self.hashes = hashes
        self.words = hashes.view(np.uint64)  # (n, 4): for XOR + popcount
        if _tables is not None:
            self.offsets, self.ids = _tables
            return
        n = len(hashes)
        id_type = np.uint32 if n < 2**32 else np.uint64
        chunks = _chunks(hashes)
        self.offsets = np.empty((CHUNKS, CHUNK_VALUES + 1), dtype=np.int64)
        self.ids = np.empty((CHUNKS, n), dtype=id_type)
        for c in range(CHUNKS):
            column = chunks[:, c]
            self.ids[c] = np.argsort(column, kind="stable").astype(id_type)
            self.offsets[c, 0] = 0
            np.cumsum(np.bincount(column, minlength=CHUNK_VALUES), out=self.offsets[c, 1:])

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.offsets.nbytes + self.ids.nbytes)

    # -- persistence: a packed cache so a million-hash bank loads in milliseconds
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, hashes=self.hashes, offsets=self.offsets, ids=self.ids)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> PDQIndex:
        with np.load(path) as data:
            return cls(data["hashes"], _tables=(data["offsets"], data["ids"]))

    # -- queries
    def search(self, queries: np.ndarray, max_distance: int = 31, batch: int = DEFAULT_BATCH) -> RangeResult:
        """Every ``(query, index, distance)`` with distance <= ``max_distance``."""
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if chunk_pass is not None and len(queries) >= LARGE_BATCH and len(self):
            return self._search_large(queries, max_distance)
        if search_kernel is not None:
            batch = max(batch, 8192)
        parts = [
            self._search_batch(queries[s : s + batch], max_distance, s) for s in range(0, len(queries), batch)
        ]
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return RangeResult(empty, empty, np.zeros(0, dtype=np.int16))
        return RangeResult(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    def _search_batch(
        self, queries: np.ndarray, max_distance: int, first: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if search_kernel is not None and len(self):
            return self._search_compiled(queries, max_distance, first)
        return self._search_numpy(queries, max_distance, first)

    def _search_large(self, queries: np.ndarray, max_distance: int) -> RangeResult:
        assert chunk_pass is not None and search_kernel is not None and gather_rows is not None
        nq = len(queries)
        capacity = COMPILED_CAPACITY
        radius = max_distance // CHUNKS
        masks = _flip_masks(radius).astype(np.int64)
        qchunks = _chunks(queries).astype(np.int64)
        qwords = queries.view(np.uint64)
        out_idx = np.empty((nq, capacity), dtype=np.int64)
        out_dist = np.empty((nq, capacity), dtype=np.int16)
        counts = np.zeros(nq, dtype=np.int64)
        sorted_words = np.empty_like(self.words)
        for c in range(CHUNKS):
            gather_rows(self.words, self.ids[c], sorted_words)
            order = np.argsort(qchunks[:, c], kind="stable")
            chunk_pass(
                c,
                sorted_words,
                self.ids[c],
                self.offsets[c],
                qwords,
                qchunks,
                order,
                masks,
                radius,
                max_distance,
                out_idx,
                out_dist,
                counts,
            )
        return RangeResult(*self._collect(queries, max_distance, 0, out_idx, out_dist, counts))

    def _collect(
        self,
        queries: np.ndarray,
        max_distance: int,
        first: int,
        out_idx: np.ndarray,
        out_dist: np.ndarray,
        counts: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flatten per-query buffers; queries that overflowed are searched again with room for all."""
        assert search_kernel is not None
        nq, capacity = out_idx.shape
        radius = max_distance // CHUNKS
        masks = _flip_masks(radius).astype(np.int64)
        qchunks = _chunks(queries).astype(np.int64)
        qwords = queries.view(np.uint64)
        overflow = np.nonzero(counts > capacity)[0]
        if len(overflow):  # rare: queries with very many matches
            big = int(counts[overflow].max())
            o_idx = np.empty((len(overflow), big), dtype=np.int64)
            o_dist = np.empty((len(overflow), big), dtype=np.int16)
            o_counts = np.zeros(len(overflow), dtype=np.int64)
            search_kernel(
                self.words,
                self.hashes,
                self.offsets,
                self.ids,
                np.ascontiguousarray(qwords[overflow]),
                np.ascontiguousarray(qchunks[overflow]),
                masks,
                radius,
                max_distance,
                o_idx,
                o_dist,
                o_counts,
            )
        kept = np.minimum(counts, capacity)
        q = np.repeat(np.arange(nq, dtype=np.int64), kept)
        valid = np.arange(capacity)[None, :] < kept[:, None]
        i = out_idx[valid]
        d = out_dist[valid]
        if len(overflow):
            over = np.isin(q, overflow)
            q, i, d = q[~over], i[~over], d[~over]
            o_valid = np.arange(o_idx.shape[1])[None, :] < o_counts[:, None]
            q = np.concatenate([q, np.repeat(overflow.astype(np.int64), o_counts)])
            i = np.concatenate([i, o_idx[o_valid]])
            d = np.concatenate([d, o_dist[o_valid]])
        order = np.lexsort((i, d, q))
        return q[order] + first, i[order], d[order]

    def _search_compiled(
        self, queries: np.ndarray, max_distance: int, first: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert search_kernel is not None
        nq = len(queries)
        radius = max_distance // CHUNKS
        masks = _flip_masks(radius).astype(np.int64)
        qchunks = _chunks(queries).astype(np.int64)
        qwords = queries.view(np.uint64)
        out_idx = np.empty((nq, COMPILED_CAPACITY), dtype=np.int64)
        out_dist = np.empty((nq, COMPILED_CAPACITY), dtype=np.int16)
        counts = np.zeros(nq, dtype=np.int64)
        search_kernel(
            self.words,
            self.hashes,
            self.offsets,
            self.ids,
            qwords,
            qchunks,
            masks,
            radius,
            max_distance,
            out_idx,
            out_dist,
            counts,
        )
        return self._collect(queries, max_distance, first, out_idx, out_dist, counts)

    def _search_numpy(
        self, queries: np.ndarray, max_distance: int, first: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nq = len(queries)
        masks = _flip_masks(max_distance // CHUNKS)
        qchunks = _chunks(queries)
        qwords = queries.view(np.uint64)
        found_q: list[np.ndarray] = []
        found_i: list[np.ndarray] = []
        found_d: list[np.ndarray] = []
        query_of_probe = np.repeat(np.arange(nq, dtype=np.int64), len(masks))
        for c in range(CHUNKS):
            probes = (qchunks[:, c, None] ^ masks[None, :]).ravel().astype(np.int64)
            offsets = self.offsets[c]
            starts = offsets[probes]
            counts = offsets[probes + 1] - starts
            total = int(counts.sum())
            if total == 0:
                continue
            # expand the [start, start + count) ranges into one array of positions
            ends = np.cumsum(counts)
            positions = np.repeat(starts - (ends - counts), counts) + np.arange(total, dtype=np.int64)
            cand = self.ids[c][positions].astype(np.int64)
            cand_q = np.repeat(query_of_probe, counts)
            xor = self.words[cand] ^ qwords[cand_q]
            dist = np.bitwise_count(xor).sum(axis=1, dtype=np.int16)
            keep = dist <= max_distance
            if keep.any():
                found_q.append(cand_q[keep])
                found_i.append(cand[keep])
                found_d.append(dist[keep])
        if not found_q:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.int16)
        q = np.concatenate(found_q)
        i = np.concatenate(found_i)
        d = np.concatenate(found_d)
        # a hash close on several chunks is found several times: keep one
        key = q * max(len(self), 1) + i
        _, first_at = np.unique(key, return_index=True)
        q, i, d = q[first_at], i[first_at], d[first_at]
        order = np.lexsort((i, d, q))
        return q[order] + first, i[order], d[order]

    def brute_force(self, queries: np.ndarray, max_distance: int = 31) -> RangeResult:
        """The same answer by a full scan (for tests and the benchmark's recall)."""
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        qs, ix, ds = [], [], []
        for qi, qw in enumerate(queries.view(np.uint64)):
            dist = np.bitwise_count(self.words ^ qw).sum(axis=1, dtype=np.int16)
            hit = np.nonzero(dist <= max_distance)[0]
            order = np.lexsort((hit, dist[hit]))
            qs.append(np.full(len(hit), qi, dtype=np.int64))
            ix.append(hit[order].astype(np.int64))
            ds.append(dist[hit][order])
        if not qs:
            empty = np.zeros(0, dtype=np.int64)
            return RangeResult(empty, empty, np.zeros(0, dtype=np.int16))
        return RangeResult(np.concatenate(qs), np.concatenate(ix), np.concatenate(ds))
