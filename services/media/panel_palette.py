"""Colours of a storyboard panel from the time of day and the style.

Time of day picks the sky, ground and figure colours (night is dark blue,
dusk orange, dawn pink ...); keywords in the free-text style then transform
the whole palette (``noir`` is high-contrast grey, ``sepia`` brown, ``pastel``
light, ``neon`` saturated magenta and cyan, ``sketch`` pencil on paper).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """Every colour a panel uses."""

    sky_top: RGB
    sky_bottom: RGB
    ground_near: RGB
    ground_far: RGB
    scenery: RGB
    figure: RGB
    figure_outline: RGB
    light: RGB
    label_fill: RGB
    label_text: RGB
    caption_fill: RGB
    caption_text: RGB
    monochrome: tuple[RGB, RGB] | None = None
    """Set by monochrome styles: the finished picture is mapped to this
    (black, white) pair, so every colour (wardrobes, props) follows."""


_BASE: dict[str, Palette] = {
    "DAY": Palette((96, 156, 222), (196, 224, 246), (118, 140, 96), (150, 170, 120), (150, 160, 175),
                   (52, 58, 72), (20, 22, 30), (255, 246, 200), (250, 250, 250), (20, 20, 20), (24, 24, 28), (240, 240, 240)),
    "NIGHT": Palette((6, 10, 32), (24, 38, 84), (12, 16, 34), (20, 28, 56), (30, 40, 76),
                     (78, 92, 140), (150, 170, 230), (230, 236, 255), (36, 46, 90), (220, 228, 255), (8, 10, 22), (210, 218, 245)),
    "DAWN": Palette((120, 130, 190), (246, 186, 170), (92, 96, 112), (140, 130, 140), (150, 140, 165),
                    (60, 56, 80), (28, 24, 40), (255, 220, 200), (250, 240, 240), (40, 30, 50), (30, 26, 38), (245, 232, 236)),
    "DUSK": Palette((92, 60, 120), (250, 150, 66), (70, 46, 52), (120, 74, 60), (110, 70, 80),
                    (40, 28, 40), (14, 8, 16), (255, 196, 120), (255, 236, 214), (60, 30, 20), (30, 18, 24), (255, 226, 200)),
    "MORNING": Palette((150, 196, 240), (252, 236, 200), (130, 150, 104), (170, 180, 130), (170, 176, 186),
                       (58, 64, 78), (22, 24, 32), (255, 250, 220), (252, 252, 248), (24, 24, 24), (26, 28, 32), (242, 242, 236)),
    "AFTERNOON": Palette((110, 160, 220), (236, 220, 178), (134, 136, 90), (176, 164, 110), (168, 160, 150),
                         (56, 56, 64), (22, 20, 24), (255, 236, 180), (252, 248, 236), (30, 24, 16), (28, 26, 24), (244, 238, 226)),
    "EVENING": Palette((48, 40, 96), (214, 112, 96), (48, 40, 56), (86, 60, 72), (80, 66, 96),
                       (34, 30, 48), (200, 150, 140), (255, 210, 160), (240, 226, 240), (40, 24, 48), (20, 16, 30), (238, 226, 240)),
}


def palette_for(time_of_day: str, style: str = "") -> Palette:
    """The palette for a time of day (unknown and CONTINUOUS read as DAY)
    transformed by the first style keyword found in ``style``."""
    palette = _BASE.get((time_of_day or "DAY").upper(), _BASE["DAY"])
    lowered = (style or "").lower()
    for keywords, transform in _STYLE_TRANSFORMS:
        if any(word in lowered for word in keywords):
            return transform(palette)
    return palette


def _map(palette: Palette, colour: Callable[[RGB], RGB]) -> Palette:
    return Palette(*(colour(value) for name, value in vars(palette).items() if name != "monochrome"))


def _grey(rgb: RGB) -> int:
    return round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def _noir(palette: Palette) -> Palette:
    def contrast(rgb: RGB) -> RGB:
        value = round(22 + 220 * (_grey(rgb) / 255) ** 0.7)
        value = max(0, min(255, round((value - 128) * 1.25 + 128)))
        return value, value, value

    return replace(_map(palette, contrast), monochrome=((0, 0, 0), (255, 255, 255)))


def _sepia(palette: Palette) -> Palette:
    def tone(rgb: RGB) -> RGB:
        value = _grey(rgb)
        return min(255, round(value * 1.07 + 20)), min(255, round(value * 0.87 + 14)), min(255, round(value * 0.62))

    return replace(_map(palette, tone), monochrome=((44, 28, 12), (255, 238, 196)))


def _pastel(palette: Palette) -> Palette:
    def lighten(rgb: RGB) -> RGB:
        return tuple(round(channel + (255 - channel) * 0.45) for channel in rgb)  # type: ignore[return-value]

    lighter = _map(palette, lighten)
    return replace(lighter, figure=palette.figure, label_text=palette.label_text,
                   caption_fill=palette.caption_fill, caption_text=palette.caption_text)


def _neon(palette: Palette) -> Palette:
    return replace(palette, sky_top=(20, 6, 40), sky_bottom=(120, 20, 140), ground_near=(10, 20, 40),
                   ground_far=(0, 90, 120), scenery=(0, 200, 220), figure_outline=(255, 60, 200), light=(0, 255, 240))


def _sketch(palette: Palette) -> Palette:
    paper, pencil = (244, 240, 230), (70, 70, 74)
    return Palette(paper, paper, (222, 218, 208), (232, 228, 218), (190, 188, 184), (120, 120, 126), pencil,
                   (255, 255, 255), (255, 255, 255), pencil, (40, 40, 44), (240, 240, 236),
                   monochrome=((52, 52, 58), paper))


_STYLE_TRANSFORMS: tuple[tuple[tuple[str, ...], Callable[[Palette], Palette]], ...] = (
    (("noir", "black and white", "black-and-white", "monochrome"), _noir),
    (("sepia", "vintage", "western"), _sepia),
    (("pastel", "whimsical", "soft"), _pastel),
    (("neon", "cyberpunk", "synthwave"), _neon),
    (("sketch", "pencil", "line art"), _sketch),
)
