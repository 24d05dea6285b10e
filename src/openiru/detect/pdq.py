"""PDQ perceptual hashes of images, with pdqhash (Meta's reference implementation).

The hash itself is computed by ``pdqhash.compute`` exactly as python-threatexchange's
``pdq_hasher`` does; this module adds only what a scanner needs around it:

* a fast decode: JPEGs are decoded at a reduced DCT scale (``Image.draft``) when
  they are much larger than PDQ's 64x64 working size, which changes the hash by a
  few bits at most (tests hold it to the reference tolerance);
* conversions between the 64-hex-digit form and packed bytes / uint64 words for
  the matching index;
* Hamming distance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

PDQ_BITS = 256
PDQ_HEX_LEN = 64
#: Default match rule (python-threatexchange's PdqSignal uses the same numbers).
DEFAULT_MAX_DISTANCE = 31
DEFAULT_MIN_QUALITY = 50
#: Decode JPEGs at a reduced scale, but never below this many pixels on the short side.
DRAFT_MIN_SIDE = 512


def _as_rgb_array(image: Image.Image) -> np.ndarray:
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., np.newaxis], 3, axis=2)
    return array


def pdq_of_image(image: Image.Image) -> tuple[str, int]:
    """``(hash hex, quality 0..100)`` of a decoded image."""
    bits, quality = pdqhash.compute(_as_rgb_array(image))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def pdq_of_file(path: str | Path, fast_decode: bool = True) -> tuple[str, int]:
    """``(hash hex, quality)`` of an image file; ``fast_decode`` uses JPEG draft decoding."""
    with Image.open(path) as image:
        if fast_decode and image.format == "JPEG":
            w, h = image.size
            scale = max(1, min(w, h) // DRAFT_MIN_SIDE) if min(w, h) >= 2 * DRAFT_MIN_SIDE else 1
            if scale > 1:
                image.draft("RGB", (w // scale, h // scale))
        image.load()
        return pdq_of_image(image)


def is_pdq_hex(value: str) -> bool:
    """Whether ``value`` is a 256-bit PDQ hash in hex."""
    if len(value) != PDQ_HEX_LEN:
        return False
    try:
        int(value, 16)
    except ValueError:
        return False
    return True


def hex_to_bytes(hashes: list[str]) -> np.ndarray:
    """Hex hashes -> ``(n, 32)`` uint8 array."""
    if not hashes:
        return np.zeros((0, 32), dtype=np.uint8)
    joined = "".join(hashes)
    return np.frombuffer(bytes.fromhex(joined), dtype=np.uint8).reshape(len(hashes), 32)


def bytes_to_hex(row: np.ndarray) -> str:
    return bytes(row).hex()


def hamming(a: str, b: str) -> int:
    """Hamming distance between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
