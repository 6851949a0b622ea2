"""Odd and ordinary image files, built in memory for the tests (no binary fixtures in the repo)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def fruit_like(seed: int, size: int = 100) -> Image.Image:
    """A coloured disc on white, like a Fruits-360 frame; the seed moves colour and position."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    cx, cy = rng.uniform(0.35, 0.65, 2) * size
    r = rng.uniform(0.25, 0.4) * size
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 < r**2
    arr = np.full((size, size, 3), 255, np.uint8)
    arr[disc] = rng.integers(0, 220, 3, dtype=np.uint8)
    arr = np.clip(arr.astype(int) + rng.integers(-8, 8, arr.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def good_jpeg(seed: int = 0) -> bytes:
    return encode(fruit_like(seed), "JPEG", quality=92)


def truncated_jpeg() -> bytes:
    data = good_jpeg(1)
    return data[: len(data) // 2]


def text_named_jpg() -> bytes:
    return b"this is not an image, just text saved with a .jpg name\n"


def rgba_png(alpha: int) -> bytes:
    return encode(Image.new("RGBA", (16, 16), (255, 0, 0, alpha)), "PNG")


def palette_png_with_transparency() -> bytes:
    img = Image.new("P", (16, 16), 0)
    img.putpalette([0, 0, 255] + [0, 0, 0] * 255)
    return encode(img, "PNG", transparency=0)


def gray16_png(value: int) -> bytes:
    arr = np.full((16, 16), value, dtype=np.uint16)
    return encode(Image.fromarray(arr), "PNG")  # uint16 -> mode I;16


def gray_jpeg(level: int) -> bytes:
    return encode(Image.new("L", (16, 16), level), "JPEG", quality=100)


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=100)  # pure red in CMYK


def exif_rotated_jpeg() -> bytes:
    """Stored 40 wide x 20 high, left half red, right half blue, EXIF orientation 6 (display rotated 90 cw)."""
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = (255, 0, 0)
    arr[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(Image.fromarray(arr), "JPEG", quality=100, exif=exif)


def huge_png(width: int = 9000, height: int = 9000) -> bytes:
    """81 Mpx announced in a ~10 KB file: what a decompression bomb looks like."""
    return encode(Image.new("1", (width, height), 0), "PNG")
