"""Text on panels and frames: the bundled font, word wrapping with an
ellipsis, name labels, the caption band of a storyboard panel and the
caption strip burned into animatics.

The font is Pillow's bundled one (``ImageFont.load_default(size)``), so text
looks the same on every machine and nothing depends on system fonts or on
ffmpeg's ``drawtext``.
"""

from __future__ import annotations

import functools
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
ELLIPSIS = "…"


@functools.lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The bundled font at ``size`` pixels (cached)."""
    return ImageFont.load_default(size=max(6, int(size)))


def text_width(text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    return face.getlength(text)


def wrap(text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most ``max_lines`` lines no wider than
    ``max_width``; text that does not fit ends with an ellipsis. Words longer
    than a line are cut."""
    if max_lines <= 0:
        return []
    lines: list[str] = []
    current = ""
    words = " ".join((text or "").split()).split(" ")
    for index, word in enumerate(w for w in words if w):
        candidate = f"{current} {word}".strip()
        if text_width(candidate, face) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = _cut(word, face, max_width)
        if len(lines) == max_lines:
            lines[-1] = _with_ellipsis(lines[-1], face, max_width)
            return lines
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _with_ellipsis(lines[-1], face, max_width)
    return lines


def _cut(word: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: float) -> str:
    while word and text_width(word, face) > max_width:
        word = word[:-1]
    return word


def _with_ellipsis(line: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: float) -> str:
    while line and text_width(line + ELLIPSIS, face) > max_width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def draw_label(
    draw: ImageDraw.ImageDraw, center_x: float, bottom_y: float, text: str, size: int, fill: RGB, text_fill: RGB,
    bounds: tuple[int, int],
) -> None:
    """A name tag centred on ``center_x`` whose bottom edge is at ``bottom_y``,
    kept inside ``bounds`` (width, height)."""
    face = font(size)
    pad = max(2, size // 4)
    width = text_width(text, face) + 2 * pad
    height = size + 2 * pad
    left = min(max(2, center_x - width / 2), bounds[0] - width - 2)
    top = min(max(2, bottom_y - height), bounds[1] - height - 2)
    draw.rounded_rectangle((left, top, left + width, top + height), radius=pad, fill=fill, outline=text_fill, width=1)
    draw.text((left + pad, top + pad), text, font=face, fill=text_fill)


def draw_caption_band(
    image: Image.Image, top: int, header: str, detail: str, body: Sequence[str], fill: RGB, text_fill: RGB
) -> None:
    """Fills the band from ``top`` to the bottom of ``image``: a header line
    (shot and scene id) with ``detail`` (size, angle, ...) right-aligned,
    then as many wrapped ``body`` paragraphs as fit."""
    draw = ImageDraw.Draw(image)
    width, height = image.size
    band_height = height - top
    draw.rectangle((0, top, width, height), fill=fill)
    margin = max(6, width // 80)
    header_size = max(10, min(band_height // 4, width // 40))
    body_size = max(9, round(header_size * 0.8))
    y = top + margin // 2
    if header or detail:
        draw.text((margin, y), header, font=font(header_size), fill=text_fill)
        detail_face = font(body_size)
        available = width - 3 * margin - text_width(header, font(header_size))
        detail_lines = wrap(detail, detail_face, available, 1)
        if detail_lines:
            x = width - margin - text_width(detail_lines[0], detail_face)
            draw.text((x, y + (header_size - body_size)), detail_lines[0], font=detail_face, fill=text_fill)
        y += round(header_size * 1.3)
    face = font(body_size)
    line_height = round(body_size * 1.25)
    for paragraph in body:
        room = (height - margin // 2 - y) // line_height
        for line in wrap(paragraph, face, width - 2 * margin, room):
            draw.text((margin, y), line, font=face, fill=text_fill)
            y += line_height


def caption_strip(width: int, height: int, lines: Sequence[str]) -> tuple[Image.Image, tuple[int, int]] | None:
    """White ``lines`` on a translucent dark box, centred near the bottom of a
    ``width`` x ``height`` frame: an RGBA image cropped to the box and the
    position to paste it at (with itself as the mask), or None without text.
    Cropped so that burning it into every frame costs little."""
    text_lines = [line for line in lines if line and line.strip()]
    if not text_lines:
        return None
    size = max(10, min(height // 14, width // 36))
    face = font(size)
    margin = max(6, width // 60)
    line_height = round(size * 1.3)
    wrapped: list[str] = []
    for line in text_lines:
        wrapped.extend(wrap(line, face, width - 4 * margin, 3))
    wrapped = wrapped[: max(1, (height // 3) // line_height)]
    widest = max(text_width(line, face) for line in wrapped)
    box_width = min(width - 2 * margin, round(widest) + 2 * margin)
    box_height = line_height * len(wrapped) + margin
    strip = Image.new("RGBA", (box_width, box_height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(strip)
    draw.rounded_rectangle((0, 0, box_width - 1, box_height - 1), radius=margin // 2, fill=(0, 0, 0, 165))
    y = margin // 2
    for line in wrapped:
        draw.text(((box_width - text_width(line, face)) / 2, y), line, font=face, fill=(255, 255, 255, 255))
        y += line_height
    return strip, ((width - box_width) // 2, height - box_height - margin)
