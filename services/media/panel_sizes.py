"""Aspect ratios (`"16:9"`, `"2.39:1"`) and the pixel sizes the local renderer,
clips and animatics use for them.

Images: the long side is 1280 px (1024 px for square), so 16:9 is 1280x720,
9:16 is 720x1280 and 1:1 is 1024x1024. Video: the short side is the
resolution (`"720p"` gives 1280x720 for 16:9 and 720x1280 for 9:16), and
both sides are even because H.264 in yuv420p needs them even.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from services.runtime.errors import InvalidArgument

IMAGE_LONG_SIDE = 1280
IMAGE_SQUARE_SIDE = 1024
VIDEO_RESOLUTIONS = {"360p": 360, "480p": 480, "540p": 540, "720p": 720, "1080p": 1080}
MIN_RATIO = 0.25
MAX_RATIO = 4.0

_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class AspectRatio:
    """A parsed aspect ratio; ``text`` keeps the caller's spelling."""

    text: str
    width: float
    height: float

    @property
    def value(self) -> float:
        return self.width / self.height

    @property
    def is_portrait(self) -> bool:
        return self.value < 1.0


def parse_aspect_ratio(text: str, field_path: str = "aspect_ratio") -> AspectRatio:
    """Parses ``"W:H"``; raises INVALID_ARGUMENT for anything else or for a
    ratio outside 1:4 .. 4:1."""
    match = _RATIO.match(text or "")
    if not match:
        raise InvalidArgument.for_field(field_path, f"{text!r} is not an aspect ratio like 16:9", "INVALID_ASPECT_RATIO")
    width, height = float(match.group(1)), float(match.group(2))
    if width <= 0 or height <= 0 or not MIN_RATIO <= width / height <= MAX_RATIO:
        raise InvalidArgument.for_field(field_path, f"{text!r} is outside 1:4 .. 4:1", "INVALID_ASPECT_RATIO")
    return AspectRatio(text.strip(), width, height)


def image_size(aspect_ratio: str) -> tuple[int, int]:
    """Pixel size of a still for ``aspect_ratio``."""
    ratio = parse_aspect_ratio(aspect_ratio).value
    if math.isclose(ratio, 1.0):
        return IMAGE_SQUARE_SIDE, IMAGE_SQUARE_SIDE
    if ratio > 1.0:
        return IMAGE_LONG_SIDE, max(2, round(IMAGE_LONG_SIDE / ratio))
    return max(2, round(IMAGE_LONG_SIDE * ratio)), IMAGE_LONG_SIDE


def video_size(aspect_ratio: str, resolution: str = "720p") -> tuple[int, int]:
    """Even pixel size of a video frame: the short side is the resolution."""
    short = VIDEO_RESOLUTIONS.get((resolution or "720p").lower())
    if short is None:
        raise InvalidArgument.for_field(
            "resolution", f"{resolution!r} is not one of {sorted(VIDEO_RESOLUTIONS)}", "INVALID_RESOLUTION"
        )
    ratio = parse_aspect_ratio(aspect_ratio).value
    long = _even(short * (ratio if ratio >= 1.0 else 1.0 / ratio))
    return (long, short) if ratio >= 1.0 else (short, long)


def ratio_distance(width: int, height: int, expected: float) -> float:
    """How far ``width/height`` is from ``expected``, as ``|ln(actual/expected)|``
    (symmetric: 5% too wide and 5% too tall are equally far)."""
    return abs(math.log((width / height) / expected))


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))
