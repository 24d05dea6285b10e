"""PDQ hashing against the reference, and the multi-index PDQ range index against brute force."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file

from openiru.detect.pdq import hamming, hex_to_bytes, is_pdq_hex, pdq_of_file
from openiru.detect.pdq_index import PDQIndex

#: Hashes of one picture through different decoders/resamplers stay within a few
#: bits; the PDQ reference treats up to 31 as the same picture.  We hold our fast
#: decode to a much tighter bound.
FAST_DECODE_TOLERANCE = 10


def _picture(seed: int, size: tuple[int, int]) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = min(w, x0 + rng.randrange(w // 8, w // 2)), min(h, y0 + rng.randrange(h // 8, h // 2))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    return image


@pytest.mark.parametrize(
    "seed,size,fmt",
    [(1, (320, 240), "JPEG"), (2, (500, 500), "PNG"), (3, (640, 360), "JPEG"), (4, (200, 300), "PNG")],
)
def test_pdq_equals_the_reference_on_ordinary_images(
    tmp_path: Path, seed: int, size: tuple[int, int], fmt: str
) -> None:
    path = tmp_path / f"p.{fmt.lower()}"
    _picture(seed, size).save(path, format=fmt)
    ours, quality = pdq_of_file(path)
    reference, ref_quality = pdq_from_file(path)
    assert ours == reference
    assert quality == ref_quality and quality >= 50


def test_fast_jpeg_decode_stays_within_the_reference_tolerance(tmp_path: Path) -> None:
    for seed in range(3):
        path = tmp_path / f"big{seed}.jpg"
        _picture(10 + seed, (2400, 1600)).save(path, format="JPEG", quality=90)
        ours, _ = pdq_of_file(path)
        reference, _ = pdq_from_file(path)
        assert hamming(ours, reference) <= FAST_DECODE_TOLERANCE


def test_modified_copies_stay_within_the_match_threshold(tmp_path: Path) -> None:
    original = _picture(7, (600, 400))
    original.save(tmp_path / "o.jpg", quality=95)
    original.resize((300, 200)).save(tmp_path / "small.jpg", quality=95)
    original.save(tmp_path / "lowq.jpg", quality=25)
    unrelated = _picture(99, (600, 400))
    unrelated.save(tmp_path / "other.jpg", quality=95)
    base, _ = pdq_of_file(tmp_path / "o.jpg")
    assert hamming(base, pdq_of_file(tmp_path / "small.jpg")[0]) <= 31
    assert hamming(base, pdq_of_file(tmp_path / "lowq.jpg")[0]) <= 31
    assert hamming(base, pdq_of_file(tmp_path / "other.jpg")[0]) > 31


def test_hex_helpers() -> None:
    assert is_pdq_hex("ab" * 32) and not is_pdq_hex("ab" * 31) and not is_pdq_hex("zz" * 32)
    assert hex_to_bytes(["00" * 31 + "ff"])[0, 31] == 255
    assert hamming("00" * 32, "00" * 31 + "07") == 3


def _flip(rng: np.random.Generator, rows: np.ndarray, max_bits: int) -> np.ndarray:
    bits = np.unpackbits(rows, axis=1)
    for r in range(len(bits)):
        k = int(rng.integers(0, max_bits + 1))
        bits[r, rng.choice(256, size=k, replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def _bank(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    centres = rng.integers(0, 256, size=(max(1, n // 50), 32), dtype=np.uint8)
    return _flip(rng, centres[rng.integers(0, len(centres), size=n)], 40)


def _as_sets(result, n_queries: int) -> list[set[tuple[int, int]]]:
    return [set(zip(i.tolist(), d.tolist(), strict=True)) for i, d in result.per_query(n_queries)]


@pytest.mark.parametrize("kind", ["random", "clustered"])
@pytest.mark.parametrize("radius", [31, 16, 47])
def test_index_equals_brute_force(kind: str, radius: int) -> None:
    rng = np.random.default_rng(5)
    bank = _bank(kind, 20_000, rng)
    index = PDQIndex(bank)
    near = _flip(rng, bank[rng.integers(0, len(bank), size=150)], radius + 8)
    far = rng.integers(0, 256, size=(50, 32), dtype=np.uint8)
    queries = np.concatenate([near, far])
    got = index.search(queries, radius)
    expected = index.brute_force(queries, radius)
    assert _as_sets(got, len(queries)) == _as_sets(expected, len(queries))
    assert len(expected) >= 100  # the test exercises real matches
    assert np.all(np.diff(got.query) >= 0)


def test_numpy_path_gives_the_same_answers() -> None:
    rng = np.random.default_rng(8)
    bank = _bank("clustered", 5000, rng)
    index = PDQIndex(bank)
    queries = _flip(rng, bank[:100], 30)
    compiled = index.search(queries)
    plain = index._search_numpy(queries, 31, 0)
    assert set(zip(compiled.query.tolist(), compiled.index.tolist(), strict=True)) == set(
        zip(plain[0].tolist(), plain[1].tolist(), strict=True)
    )


def test_duplicates_and_many_matches_per_query() -> None:
    rng = np.random.default_rng(9)
    one = rng.integers(0, 256, size=(1, 32), dtype=np.uint8)
    bank = np.repeat(one, 100, axis=0)  # more matches than the compiled path's first buffer holds
    index = PDQIndex(bank)
    result = index.search(one)
    assert sorted(result.index.tolist()) == list(range(100))
    assert set(result.distance.tolist()) == {0}


def test_save_and_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    bank = _bank("random", 3000, rng)
    index = PDQIndex(bank)
    index.save(tmp_path / "i.npz")
    loaded = PDQIndex.load(tmp_path / "i.npz")
    queries = _flip(rng, bank[:20], 20)
    assert _as_sets(loaded.search(queries), 20) == _as_sets(index.search(queries), 20)


def test_empty_index_and_empty_queries() -> None:
    index = PDQIndex(np.zeros((0, 32), dtype=np.uint8))
    assert len(index.search(np.zeros((3, 32), dtype=np.uint8))) == 0
    assert len(PDQIndex(np.ones((4, 32), dtype=np.uint8)).search(np.zeros((0, 32), dtype=np.uint8))) == 0


def test_large_batches_use_bucket_ordered_passes_with_the_same_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openiru.detect.pdq_index as pdq_index

    rng = np.random.default_rng(11)
    bank = _bank("clustered", 8000, rng)
    index = PDQIndex(bank)
    queries = np.concatenate(
        [
            _flip(rng, bank[rng.integers(0, len(bank), size=300)], 35),
            rng.integers(0, 256, size=(100, 32), dtype=np.uint8),
        ]
    )
    monkeypatch.setattr(pdq_index, "LARGE_BATCH", 10)
    large = index.search(queries)
    expected = index.brute_force(queries)
    assert _as_sets(large, len(queries)) == _as_sets(expected, len(queries))
    assert len(expected) > 300
