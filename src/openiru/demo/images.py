"""Generated images: the outlets' known items, their planted variants, benign pictures.

Known items are structured pictures (a gradient, a handful of shapes, a banner
with the outlet's name) drawn with Pillow from the seeded RNG, encoded as JPEG.
Planted copies are the original bytes, or a resized, re-encoded (low-quality
JPEG), lightly cropped (at most 5 % of each dimension) or watermarked version.
Every variant is checked against its item with PDQ (through
python-threatexchange's wrapper of the reference ``pdqhash``): a variant
farther than :data:`MAX_VARIANT_DISTANCE` is redrawn more gently, so the
planted ground truth is always matchable at the standard threshold.  Benign
pictures are drawn in another style and kept farther than
:data:`MIN_BENIGN_DISTANCE` from every known item.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

MAX_VARIANT_DISTANCE = 31
#: Benign pictures stay this far from every known item (well beyond the match threshold).
MIN_BENIGN_DISTANCE = 90
VARIANTS = ("original", "resized", "jpeg", "crop", "watermark")


@dataclass(frozen=True, slots=True)
class KnownImage:
    item: str
    outlet: str
    data: bytes
    pdq: str
    quality: int
    md5: str
    sha256: str
    width: int
    height: int


def pdq_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def pdq_of(data: bytes) -> tuple[str, int]:
    return pdq_from_bytes(data)


def _jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _gradient(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A two-colour linear gradient, horizontal or vertical."""
    width, height = size
    a, b = _colour(rng), _colour(rng)
    vertical = rng.random() < 0.5
    steps = height if vertical else width
    strip = Image.new("RGB", (1, steps) if vertical else (steps, 1))
    strip.putdata(
        [tuple(int(a[c] + (b[c] - a[c]) * i / max(steps - 1, 1)) for c in range(3)) for i in range(steps)]
    )
    return strip.resize(size)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _draw_known(rng: random.Random, outlet: str, size: tuple[int, int]) -> Image.Image:
    width, height = size
    image = _gradient(rng, size)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 7)):
        x0, y0 = rng.randrange(width - 60), rng.randrange(height - 110)
        x1, y1 = x0 + rng.randint(40, width // 2), y0 + rng.randint(40, height // 2)
        shape = rng.choice(("ellipse", "rectangle", "polygon"))
        fill = _colour(rng)
        if shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=fill)
        elif shape == "rectangle":
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        else:
            draw.polygon([(rng.randint(x0, x1), rng.randint(y0, y1)) for _ in range(5)], fill=fill)
    banner_top = height - 70
    draw.rectangle((0, banner_top, width, height), fill=_colour(rng))
    draw.text((24, banner_top + 18), outlet, fill=(250, 250, 250), font=_font(30))
    return image


def _draw_benign(rng: random.Random, label: str, size: tuple[int, int]) -> Image.Image:
    """A landscape: sky gradient, sun, hills, a caption strip."""
    width, height = size
    image = _gradient(rng, size)
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, r = rng.randrange(width), rng.randrange(height // 3), rng.randint(20, 60)
    draw.ellipse((sun_x - r, sun_y - r, sun_x + r, sun_y + r), fill=(250, 220, 90))
    for layer in range(rng.randint(2, 4)):
        base = height // 2 + layer * 40
        points = [(0, height)] + [(x, base + rng.randint(-50, 50)) for x in range(0, width + 80, 80)]
        draw.polygon(points + [(width, height)], fill=_colour(rng))
    draw.rectangle((0, 0, width, 40), fill=(30, 30, 30))
    draw.text((12, 8), label, fill=(240, 240, 240), font=_font(22))
    return image


class ImageFactory:
    """Draws known items, their variants and benign pictures from one seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.known: list[KnownImage] = []
        self._variants: dict[tuple[str, str], bytes] = {}

    def make_known(self, item: str, outlet: str) -> KnownImage:
        size = self.rng.choice(((480, 300), (512, 288), (450, 450), (560, 315)))
        for _ in range(20):
            data = _jpeg(_draw_known(self.rng, outlet, size))
            pdq, quality = pdq_of(data)
            too_close = any(pdq_distance(pdq, k.pdq) <= 2 * MAX_VARIANT_DISTANCE for k in self.known)
            if quality >= 80 and not too_close:
                break
        known = KnownImage(
            item,
            outlet,
            data,
            pdq,
            quality,
            hashlib.md5(data).hexdigest(),
            hashlib.sha256(data).hexdigest(),
            size[0],
            size[1],
        )
        self.known.append(known)
        return known

    def variant(self, known: KnownImage, kind: str, mark: str = "") -> bytes:
        """A planted copy of ``known``; always within MAX_VARIANT_DISTANCE of it by PDQ."""
        if kind == "original":
            return known.data
        cached = self._variants.get((known.item, kind))
        if cached is not None:  # the same altered copy circulates, as copies do
            return cached
        self._variants[(known.item, kind)] = data = self._checked_variant(known, kind, mark)
        return data

    def _checked_variant(self, known: KnownImage, kind: str, mark: str) -> bytes:
        strength = 1.0
        for _ in range(6):
            data = self._variant_once(known, kind, strength, mark)
            if pdq_distance(pdq_of(data)[0], known.pdq) <= MAX_VARIANT_DISTANCE:
                return data
            strength /= 2
        return known.data if kind != "jpeg" else _jpeg(Image.open(io.BytesIO(known.data)), 85)

    def _variant_once(self, known: KnownImage, kind: str, strength: float, mark: str) -> bytes:
        image = Image.open(io.BytesIO(known.data)).convert("RGB")
        width, height = image.size
        if kind == "resized":
            factor = 1 - strength * self.rng.uniform(0.3, 0.5)
            return _jpeg(
                image.resize(
                    (max(64, int(width * factor)), max(64, int(height * factor))), Image.Resampling.LANCZOS
                ),
                88,
            )
        if kind == "jpeg":
            return _jpeg(image, max(20, int(45 - 20 * strength)))
        if kind == "crop":
            fx, fy = strength * self.rng.uniform(0.02, 0.05), strength * self.rng.uniform(0.02, 0.05)
            dx, dy = int(width * fx), int(height * fy)
            left, top = self.rng.randint(0, dx), self.rng.randint(0, dy)
            return _jpeg(image.crop((left, top, width - (dx - left), height - (dy - top))), 90)
        if kind == "watermark":
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            alpha = int(40 + 120 * strength)
            text = mark or "shared copy"
            draw.text((width - 16 - 10 * len(text), 12), text, fill=(255, 255, 255, alpha), font=_font(20))
            return _jpeg(Image.alpha_composite(image.convert("RGBA"), overlay), 90)
        raise ValueError(f"unknown variant {kind!r}")

    def benign(self, label: str) -> bytes:
        """A benign picture, far (by PDQ) from every known item."""
        size = self.rng.choice(((480, 300), (512, 288)))
        for _ in range(20):
            data = _jpeg(_draw_benign(self.rng, label, size), 88)
            pdq, _quality = pdq_of(data)
            if all(pdq_distance(pdq, k.pdq) >= MIN_BENIGN_DISTANCE for k in self.known):
                return data
        return data
