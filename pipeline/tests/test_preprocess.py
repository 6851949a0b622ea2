"""Decoding every kind of odd image (built in the test) into the model's RGB input, or a short error reason."""

import numpy as np
import pytest

import images_factory as make
from fruits_pipeline.preprocess import MAX_PIXELS, ImageRejected, decode_batch, decode_image


def rejected(data: bytes, **kw) -> str:
    with pytest.raises(ImageRejected) as e:
        decode_image(data, 32, **kw)
    return str(e.value)


def test_good_jpeg_becomes_a_float_rgb_square():
    x = decode_image(make.good_jpeg(), 224)
    assert x.shape == (224, 224, 3) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 255.0


def test_zero_bytes_is_rejected_as_empty():
    assert rejected(b"") == "empty file (0 bytes)"


def test_text_named_jpg_is_not_an_image():
    assert rejected(make.text_named_jpg()) == "not a recognised image format"


def test_truncated_jpeg_is_rejected_not_padded_with_grey():
    assert rejected(make.truncated_jpeg()).startswith("truncated or corrupt image data")


def test_decompression_bomb_is_rejected_before_decoding():
    reason = rejected(make.huge_png(9000, 9000))  # 81 Mpx > MAX_PIXELS (64 Mi px)
    assert "decompression-bomb guard" in reason and "9000x9000" in reason
    assert 9000 * 9000 > MAX_PIXELS


def test_the_pixel_limit_is_a_parameter():
    assert "decompression-bomb guard" in rejected(make.good_jpeg(), max_pixels=99 * 99)


def test_transparent_png_is_composited_on_white():
    x = decode_image(make.rgba_png(alpha=0), 8)
    assert np.all(x == 255.0)
    half = decode_image(make.rgba_png(alpha=128), 8)
    assert half[0, 0, 0] == 255.0 and 120.0 <= half[0, 0, 1] <= 135.0  # red over white at 50%


def test_palette_with_transparent_index_is_white():
    assert np.all(decode_image(make.palette_png_with_transparency(), 8) == 255.0)


def test_16_bit_png_is_scaled_to_8_bits_not_clipped():
    assert np.all(decode_image(make.gray16_png(65535), 8) == 255.0)
    mid = decode_image(make.gray16_png(32896), 8)  # 128 * 257
    assert np.all(mid == 128.0)
    dark = decode_image(make.gray16_png(1000), 8)  # would be 255 if clipped, is 4 when scaled
    assert np.all(dark == 4.0)


def test_grayscale_becomes_three_equal_channels():
    x = decode_image(make.gray_jpeg(90), 8)
    assert np.allclose(x[..., 0], x[..., 1]) and np.allclose(x[..., 1], x[..., 2])
    assert abs(float(x.mean()) - 90.0) < 2.0


def test_cmyk_jpeg_becomes_rgb():
    x = decode_image(make.cmyk_jpeg(), 8)
    r, g, b = (float(c) for c in x.reshape(-1, 3).mean(axis=0))
    assert r > 200 and g < 60 and b < 60


def test_exif_orientation_is_applied():
    x = decode_image(make.exif_rotated_jpeg(), 32)
    top, bottom = x[:12].reshape(-1, 3).mean(axis=0), x[-12:].reshape(-1, 3).mean(axis=0)
    # stored left (red) half ends up on top once rotated 90 degrees clockwise for display
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


@pytest.mark.parametrize("name", ["nearest", "bilinear", "bicubic", "lanczos"])
def test_every_interpolation_gives_the_requested_size(name):
    assert decode_image(make.good_jpeg(), 40, name).shape == (40, 40, 3)


def test_unknown_interpolation_is_a_programming_error():
    with pytest.raises(ValueError, match="interpolation"):
        decode_image(make.good_jpeg(), 40, "area")


def test_a_batch_keeps_good_rows_and_reasons_in_place():
    batch, good, errors = decode_batch([make.good_jpeg(1), b"", make.text_named_jpg(), make.good_jpeg(2), None], 16)
    assert batch.shape == (2, 16, 16, 3)
    assert good == [0, 3]
    assert errors[0] is None and errors[3] is None
    assert errors[1] == "empty file (0 bytes)" and errors[4] == "empty file (0 bytes)"
    assert errors[2] == "not a recognised image format"


def test_a_batch_of_only_bad_images_is_empty_not_an_error():
    batch, good, errors = decode_batch([b"", b"x"], 16)
    assert batch.shape == (0, 16, 16, 3) and good == [] and all(errors)
