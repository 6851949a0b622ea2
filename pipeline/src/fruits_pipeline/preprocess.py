"""Image bytes -> a (size, size, 3) RGB array, uint8 (or float32 in [0, 255]). Pure: Pillow and numpy, no Spark/TF.

Everything a real image folder throws at us is handled here, once:
- any mode becomes RGB: grayscale, palette, CMYK, YCbCr, 16-bit (scaled, not clipped) and images with
  transparency (composited on white, the Fruits-360 background, so a transparent background does not become black);
- the EXIF orientation is applied (a photo taken sideways is featurized upright);
- a decompression-bomb guard rejects images whose header announces more than MAX_PIXELS pixels before decoding;
- anything undecodable raises ImageRejected with a short reason for the `errors/` output.

The image is resized to a square without keeping the aspect ratio, as `keras.utils.load_img(target_size=...)` does.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# 64 Mpx: far above any real photo (a 48 Mpx phone shot passes), far below what exhausts an executor's memory.
MAX_PIXELS = 64 * 1024 * 1024

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}

_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


class ImageRejected(Exception):
    """This image cannot be featurized; str(e) is the short reason written to `errors/`."""


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    if len(data) == 0:
        raise ImageRejected("empty file (0 bytes)")
    with warnings.catch_warnings():
        # Pillow's own bomb warning fires at ~89 Mpx; our explicit limit below is the one that decides.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise ImageRejected("not a recognised image format") from None
        except Image.DecompressionBombError as e:
            raise ImageRejected(f"too many pixels (decompression-bomb guard): {e}") from None
        except (OSError, SyntaxError, ValueError) as e:
            raise ImageRejected(f"unreadable image header: {_short(e)}") from None
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ImageRejected(f"invalid image size {w}x{h}")
    if w * h > max_pixels:
        raise ImageRejected(f"too many pixels (decompression-bomb guard): {w}x{h} > {max_pixels} px")
    return img


def _load(img: Image.Image) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img.load()  # ImageFile.LOAD_TRUNCATED_IMAGES stays False: a truncated file is an error, not grey pixels
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise ImageRejected(f"truncated or corrupt image data: {_short(e)}") from None
    return img


def _short(e: BaseException, limit: int = 120) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB. 16-bit grayscale is scaled by 1/257 (clipping would turn it white)."""
    if img.mode in _SIXTEEN_BIT_MODES:
        arr = np.asarray(img, dtype=np.float64)
        img = Image.fromarray(np.clip(np.rint(arr / 257.0), 0, 255).astype(np.uint8))  # 2-D uint8 -> mode L
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        scale = 255.0 if arr.size and np.nanmax(arr) <= 1.0 else 1.0
        img = Image.fromarray(np.clip(np.nan_to_num(arr) * scale, 0, 255).astype(np.uint8))  # 2-D uint8 -> mode L
    if img.mode == "P" or "A" in img.getbands() or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode != "RGB":
        return img.convert("RGB")
    return img


def decode_rgb(data: bytes, size: int, interpolation: str = "bilinear", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode, orient, convert and resize one image: (size, size, 3) uint8. Raises ImageRejected with a short reason."""
    if interpolation not in RESAMPLE:
        raise ValueError(f"interpolation must be one of {sorted(RESAMPLE)}, got {interpolation!r}")
    img = _load(_open_checked(data, max_pixels))
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # a corrupt EXIF block must not lose an otherwise good image: keep it as stored
        pass
    try:
        rgb = to_rgb(img)
    except (OSError, ValueError) as e:
        raise ImageRejected(f"cannot convert mode {img.mode} to RGB: {_short(e)}") from None
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), RESAMPLE[interpolation])
    return np.asarray(rgb, dtype=np.uint8)


def decode_image(data: bytes, size: int, interpolation: str = "bilinear", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """decode_rgb as float32 in [0, 255] (what keras.utils.img_to_array gives)."""
    return decode_rgb(data, size, interpolation, max_pixels).astype(np.float32)


def decode_batch(
    contents: list[bytes | None], size: int, interpolation: str = "bilinear", max_pixels: int = MAX_PIXELS
) -> tuple[np.ndarray, list[int], list[str | None]]:
    """Decode many images: (stacked uint8 arrays of the good ones, their positions, per-position error or None).

    uint8, not float32: a quarter of the memory traffic; model.preprocess_input makes the one float32 copy."""
    arrays: list[np.ndarray] = []
    good: list[int] = []
    errors: list[str | None] = [None] * len(contents)
    for i, data in enumerate(contents):
        try:
            arrays.append(decode_rgb(bytes(data) if data is not None else b"", size, interpolation, max_pixels))
            good.append(i)
        except ImageRejected as e:
            errors[i] = str(e)
        except Exception as e:  # a Pillow bug on one hostile file must not fail the whole task
            errors[i] = f"decoder failure: {type(e).__name__}: {_short(e)}"
    batch = np.stack(arrays) if arrays else np.zeros((0, size, size, 3), dtype=np.uint8)
    return batch, good, errors
