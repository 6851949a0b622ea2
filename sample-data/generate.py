"""Deterministic synthetic fruit images in the Fruits-360 layout, so the first run works offline.

    python sample-data/generate.py [--out sample-data/fruits-synthetic] [--per-class 30] [--seed 360]

Writes <out>/<Class>/<n>_100.jpg: 100x100 RGB fruits on white, a dozen classes that differ in shape, colour
and texture, and per image a random rotation, scale, offset, light direction and colour jitter drawn from a
generator seeded by (seed, class, n): the same arguments give the same pixels on every machine with the same
Pillow. Idempotent: when <out>/.generator.json records the same generator (version and source hash) and
arguments, nothing is written. The folder is built beside <out> and renamed into place, so it is never half-written.
Needs numpy and Pillow (the workbench runs it with the project's venv python).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

GENERATOR_VERSION = 1
SIZE = 100
CANVAS = 256  # drawn large, then rotated and downsampled: smooth edges


@dataclass(frozen=True)
class Fruit:
    name: str
    shape: str  # how the silhouette is drawn (see silhouette())
    rgb: tuple[int, int, int]
    texture: str  # how the surface is modulated (see texture())
    second_rgb: tuple[int, int, int] = (0, 0, 0)  # stripes, spots, seeds
    stem: bool = True


FRUITS: tuple[Fruit, ...] = (
    Fruit("Apple Red", "round", (190, 25, 35), "speckle", (235, 190, 60)),
    Fruit("Apple Green", "round", (120, 190, 50), "speckle", (220, 230, 120)),
    Fruit("Banana", "crescent", (240, 210, 50), "smooth", (120, 90, 30), stem=False),
    Fruit("Orange", "round", (245, 140, 20), "pores", (200, 100, 10)),
    Fruit("Lemon", "lemon", (250, 230, 60), "pores", (210, 190, 30), stem=False),
    Fruit("Strawberry", "heart", (215, 30, 45), "seeds", (250, 230, 120)),
    Fruit("Blueberry", "cluster", (60, 70, 140), "smooth", (40, 40, 90), stem=False),
    Fruit("Kiwi", "oval", (140, 105, 60), "fuzz", (100, 75, 40), stem=False),
    Fruit("Pear", "pear", (190, 200, 70), "speckle", (150, 120, 60)),
    Fruit("Watermelon", "oval", (60, 140, 60), "stripes", (25, 80, 30), stem=False),
    Fruit("Eggplant", "eggplant", (75, 30, 85), "smooth", (40, 90, 40)),
    Fruit("Plum", "round", (110, 40, 90), "bloom", (170, 150, 190)),
)


def class_rng(seed: int, name: str, n: int) -> np.random.Generator:
    # zlib.crc32, not hash(): Python salts str hashes per process.
    return np.random.default_rng([seed, zlib.crc32(name.encode()), n])


def silhouette(shape: str, rng: np.random.Generator) -> Image.Image:
    """A white-on-black mask of the fruit body on the canvas, before rotation."""
    m = Image.new("L", (CANVAS, CANVAS), 0)
    d = ImageDraw.Draw(m)
    c = CANVAS / 2
    j = lambda s: s * (1 + rng.uniform(-0.06, 0.06))  # noqa: E731 - per-image proportions
    if shape == "round":
        r = j(70)
        d.ellipse([c - r, c - r * 0.95, c + r, c + r * 0.95], fill=255)
    elif shape == "oval":
        rx, ry = j(80), j(58)
        d.ellipse([c - rx, c - ry, c + rx, c + ry], fill=255)
    elif shape == "lemon":
        rx, ry = j(72), j(52)
        d.ellipse([c - rx, c - ry, c + rx, c + ry], fill=255)
        d.polygon([(c - rx - 14, c), (c - rx + 12, c - 14), (c - rx + 12, c + 14)], fill=255)
        d.polygon([(c + rx + 14, c), (c + rx - 12, c - 14), (c + rx - 12, c + 14)], fill=255)
    elif shape == "crescent":
        r = j(95)
        d.ellipse([c - r, c - r + 30, c + r, c + r + 30], fill=255)
        r2 = r * 0.92
        d.ellipse([c - r2, c - r2 + 62, c + r2, c + r2 + 62], fill=0)
    elif shape == "heart":
        r = j(66)
        d.polygon([(c - r, c - r * 0.35), (c + r, c - r * 0.35), (c, c + r * 1.15)], fill=255)
        d.ellipse([c - r, c - r * 0.95, c + r * 0.05, c + r * 0.2], fill=255)
        d.ellipse([c - r * 0.05, c - r * 0.95, c + r, c + r * 0.2], fill=255)
    elif shape == "cluster":
        for _ in range(int(rng.integers(5, 9))):
            a, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, 48)
            x, y, r = c + dist * math.cos(a), c + dist * math.sin(a), rng.uniform(28, 36)
            d.ellipse([x - r, y - r, x + r, y + r], fill=255)
    elif shape == "pear":
        r1, r2 = j(62), j(40)
        d.ellipse([c - r1, c + 5 - r1 + 25, c + r1, c + 5 + r1 + 25], fill=255)
        d.ellipse([c - r2, c - 45 - r2, c + r2, c - 45 + r2], fill=255)
        d.polygon([(c - r2, c - 45), (c + r2, c - 45), (c + r1 * 0.95, c + 20), (c - r1 * 0.95, c + 20)], fill=255)
    elif shape == "eggplant":
        rx, ry = j(48), j(95)
        d.ellipse([c - rx, c - ry + 15, c + rx, c + ry + 5], fill=255)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return m


def texture(kind: str, rgb, second, rng: np.random.Generator) -> np.ndarray:
    """The surface colour of the fruit body as float RGB (CANVAS x CANVAS x 3)."""
    base = np.array(rgb, np.float32) * (1 + rng.uniform(-0.08, 0.08, 3)).astype(np.float32)
    img = np.broadcast_to(base, (CANVAS, CANVAS, 3)).copy()
    sec = np.array(second, np.float32)
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float32)
    if kind == "speckle":
        mask = rng.random((CANVAS, CANVAS)) < 0.012
        img[mask] = 0.6 * img[mask] + 0.4 * sec
    elif kind == "pores":
        noise = rng.normal(0, 1, (CANVAS // 4, CANVAS // 4)).repeat(4, 0).repeat(4, 1)
        img *= (1 + 0.05 * noise)[..., None]
    elif kind == "seeds":
        for _ in range(60):
            x, y = rng.integers(0, CANVAS, 2)
            img[max(0, y - 2):y + 2, max(0, x - 1):x + 2] = sec
    elif kind == "fuzz":
        img *= (1 + 0.12 * rng.normal(0, 1, (CANVAS, CANVAS)))[..., None]
    elif kind == "stripes":
        phase = rng.uniform(0, 2 * math.pi)
        wave = 0.5 + 0.5 * np.sin(xx / 9.0 + 3 * np.sin(yy / 40.0) + phase)
        img = img * (1 - wave[..., None] * 0.7) + sec * (wave[..., None] * 0.7)
    elif kind == "bloom":
        img = img * 0.85 + sec * 0.15 * rng.random((CANVAS, CANVAS, 1)).astype(np.float32)
    # "smooth": flat colour, shaded below
    return img


def shade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A light from a random direction: brighter on one side, a darker rim."""
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    lx, ly = math.cos(a), math.sin(a)
    c = CANVAS / 2
    dx, dy = (xx - c) / c, (yy - c) / c
    light = 1 + rng.uniform(0.15, 0.35) * (dx * lx + dy * ly) * -1
    rim = 1 - 0.25 * np.clip(dx * dx + dy * dy, 0, 1)
    return img * (light * rim)[..., None]


def draw_fruit(fruit: Fruit, seed: int, n: int) -> Image.Image:
    rng = class_rng(seed, fruit.name, n)
    mask = silhouette(fruit.shape, rng).filter(ImageFilter.GaussianBlur(1.2))
    body = np.clip(shade(texture(fruit.texture, fruit.rgb, fruit.second_rgb, rng), rng), 0, 255).astype(np.uint8)
    layer = Image.fromarray(body, "RGB").convert("RGBA")
    layer.putalpha(mask)
    if fruit.stem:
        d = ImageDraw.Draw(layer)
        top = int(np.argmax(np.asarray(mask).max(axis=1) > 128))
        x = CANVAS // 2 + int(rng.integers(-6, 7))
        d.line([(x, top + 8), (x + int(rng.integers(-10, 11)), top - 22)], fill=(90, 60, 30, 255), width=7)
    angle = float(rng.uniform(0, 360))
    layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False)
    # Fruits-360 fruits fill most of the frame: the drawn body spans about half the canvas, so enlarge it.
    scale = float(rng.uniform(1.15, 1.45))
    side = int(round(SIZE * scale))
    small = layer.resize((side, side), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    ox, oy = ((SIZE - side) // 2 + int(rng.integers(-6, 7)) for _ in range(2))
    canvas.paste(small, (ox, oy), small)
    return canvas


def manifest(seed: int, per_class: int) -> dict:
    # The source hash too: any edit of this file regenerates, even if GENERATOR_VERSION was not bumped.
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return {"generator_version": GENERATOR_VERSION, "generator_sha256": source, "seed": seed, "per_class": per_class, "classes": [f.name for f in FRUITS]}


def is_current(out: Path, want: dict) -> bool:
    marker = out / ".generator.json"
    try:
        if json.loads(marker.read_text()) != want:
            return False
    except (OSError, ValueError):
        return False
    return all((out / f.name / f"{n}_100.jpg").is_file() for f in FRUITS for n in range(want["per_class"]))


def generate(out: Path, seed: int, per_class: int) -> bool:
    """Returns False when the folder was already current (nothing written)."""
    want = manifest(seed, per_class)
    if is_current(out, want):
        return False
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for fruit in FRUITS:
        (tmp / fruit.name).mkdir(parents=True)
        for n in range(per_class):
            draw_fruit(fruit, seed, n).save(tmp / fruit.name / f"{n}_100.jpg", "JPEG", quality=95)
    (tmp / ".generator.json").write_text(json.dumps(want, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return True


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=here / "fruits-synthetic")
    p.add_argument("--per-class", type=int, default=30)
    p.add_argument("--seed", type=int, default=360)
    a = p.parse_args(argv)
    if a.per_class < 1:
        p.error("--per-class must be at least 1")
    wrote = generate(a.out, a.seed, a.per_class)
    total = len(FRUITS) * a.per_class
    print(f"{'generated' if wrote else 'up to date'}: {total} images, {len(FRUITS)} classes in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
