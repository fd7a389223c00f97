"""Pixel measurements shared by the media tests (real decoded images, no mocks)."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageChops, ImageStat

RGB = tuple[int, int, int]


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    """Mean absolute difference per channel, 0..255."""
    diff = ImageChops.difference(first.convert("RGB"), second.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def count_near(image: Image.Image, colour: RGB, tolerance: int = 0) -> int:
    """Pixels within ``tolerance`` of ``colour`` on every channel."""
    bands = image.convert("RGB").split()
    masks = [band.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0) for band, c in zip(bands, colour)]
    combined = ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2])
    return combined.histogram()[255]


def centroid_x(image: Image.Image, colour: RGB, tolerance: int = 0) -> float:
    """Mean x (0..1) of the pixels near ``colour``."""
    bands = image.convert("RGB").split()
    masks = [band.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0) for band, c in zip(bands, colour)]
    mask = ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2])
    columns = [mask.crop((x, 0, x + 1, mask.height)).histogram()[255] for x in range(mask.width)]
    total = sum(columns)
    assert total, f"no pixel near {colour}"
    return sum(x * count for x, count in enumerate(columns)) / total / mask.width


def fraction_where(image: Image.Image, predicate) -> float:
    """Fraction of pixels whose (r, g, b) satisfies ``predicate``."""
    pixels = list(image.convert("RGB").getdata())
    return sum(1 for pixel in pixels if predicate(pixel)) / len(pixels)


def sky_like(pixel: RGB) -> bool:
    red, green, blue = pixel
    return blue > red + 30 and blue > green


def ground_like(pixel: RGB) -> bool:
    return pixel[1] >= pixel[2]


def video_frames(path: Path) -> tuple[dict, list[Image.Image]]:
    """Decodes every frame of a (short) video with the ffmpeg binary."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    size = meta["size"]
    frames = [Image.frombytes("RGB", size, data) for data in reader]
    return meta, frames


def best_horizontal_shift(first: Image.Image, second: Image.Image, max_shift: int) -> int:
    """The shift s (pixels, at the images' scale) for which ``second`` moved
    by s best matches ``first``: content moving left gives a negative s."""
    a, b = first.convert("L"), second.convert("L")
    width, height = a.size
    best, best_error = 0, float("inf")
    for shift in range(-max_shift, max_shift + 1):
        if shift >= 0:
            region_a, region_b = a.crop((shift, 0, width, height)), b.crop((0, 0, width - shift, height))
        else:
            region_a, region_b = a.crop((0, 0, width + shift, height)), b.crop((-shift, 0, width, height))
        error = ImageStat.Stat(ImageChops.difference(region_a, region_b)).mean[0]
        if error < best_error:
            best, best_error = shift, error
    return -best
