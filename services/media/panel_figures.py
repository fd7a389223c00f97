"""Shapes a storyboard panel is drawn with: standing figures (front, side,
back), a face filling the frame, a foreground shoulder, a figure seen from
straight above, and a prop in detail.

Sizes are in head units ``u`` (the head's width in pixels); a standing figure
is 7.5 units tall, so the composer sets the shot size by choosing ``u`` and
where the head is. Each character's wardrobe colour comes from a hash of its
name, so a character keeps its colours in every shot (continuity).
"""

from __future__ import annotations

import colorsys
import hashlib
from dataclasses import dataclass

from PIL import ImageDraw

from services.media.panel_palette import RGB, Palette

FIGURE_HEIGHT_UNITS = 7.5


@dataclass(frozen=True)
class FigureLook:
    """Colours of one character."""

    wardrobe: RGB
    skin: RGB
    hair: RGB
    outline: RGB


def look_for(name: str, palette: Palette) -> FigureLook:
    """Stable colours for ``name`` under ``palette``'s light."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    hue = digest[0] / 255.0
    red, green, blue = colorsys.hls_to_rgb(hue, 0.42, 0.55)
    wardrobe = _blend((round(red * 255), round(green * 255), round(blue * 255)), palette.figure, 0.45)
    skin = _blend((214, 170, 140), palette.figure, 0.35)
    hair = _blend(((40, 30, 24), (120, 84, 50), (200, 170, 110), (70, 70, 74))[digest[1] % 4], palette.figure, 0.3)
    return FigureLook(wardrobe, skin, hair, palette.figure_outline)


def _blend(first: RGB, second: RGB, amount: float) -> RGB:
    return tuple(round(a * (1 - amount) + b * amount) for a, b in zip(first, second))  # type: ignore[return-value]


def draw_standing_figure(draw: ImageDraw.ImageDraw, cx: float, head_top: float, u: float, facing: str, look: FigureLook) -> None:
    """A person whose head (``u`` wide) starts at ``head_top``. ``facing`` is
    ``LEFT``/``RIGHT`` (profile, mid-stride), ``FRONT`` or ``BACK``."""
    outline = look.outline
    line = max(1, round(u / 14))
    side = facing in ("LEFT", "RIGHT")
    sign = 1 if facing == "RIGHT" else -1
    shoulder_y, hip_y, foot_y = head_top + 1.35 * u, head_top + 4.1 * u, head_top + FIGURE_HEIGHT_UNITS * u
    shoulder, hip = (0.55 * u, 0.45 * u) if side else (1.05 * u, 0.72 * u)
    leg = 0.3 * u
    if side:
        stride = 0.9 * u
        for offset in (-stride, stride):
            draw.polygon(
                [(cx - leg, hip_y), (cx + leg, hip_y), (cx + offset + leg * 0.7, foot_y), (cx + offset - leg * 0.7, foot_y)],
                fill=_blend(look.wardrobe, (0, 0, 0), 0.35), outline=outline,
            )
    else:
        for x in (cx - hip + leg, cx + hip - leg):
            draw.polygon(
                [(x - leg, hip_y), (x + leg, hip_y), (x + leg * 0.8, foot_y), (x - leg * 0.8, foot_y)],
                fill=_blend(look.wardrobe, (0, 0, 0), 0.35), outline=outline,
            )
    draw.polygon(
        [(cx - shoulder, shoulder_y), (cx + shoulder, shoulder_y), (cx + hip, hip_y + 0.2 * u), (cx - hip, hip_y + 0.2 * u)],
        fill=look.wardrobe, outline=outline, width=line,
    )
    arm = 0.24 * u
    if side:
        swing = sign * 0.5 * u
        draw.polygon(
            [(cx - arm, shoulder_y + 0.1 * u), (cx + arm, shoulder_y + 0.1 * u),
             (cx + swing + arm, hip_y + 0.3 * u), (cx + swing - arm, hip_y + 0.3 * u)],
            fill=_blend(look.wardrobe, (255, 255, 255), 0.12), outline=outline,
        )
    else:
        for x, direction in ((cx - shoulder, -1), (cx + shoulder, 1)):
            draw.polygon(
                [(x, shoulder_y), (x + direction * arm * 1.6, shoulder_y + 0.2 * u),
                 (x + direction * arm * 1.2, hip_y + 0.35 * u), (x - direction * arm * 0.4, hip_y + 0.3 * u)],
                fill=_blend(look.wardrobe, (255, 255, 255), 0.12), outline=outline,
            )
    neck = 0.18 * u
    draw.rectangle((cx - neck, head_top + 0.95 * u, cx + neck, shoulder_y + 0.05 * u), fill=look.skin)
    draw_head(draw, cx, head_top, u, facing, look)


def draw_head(draw: ImageDraw.ImageDraw, cx: float, head_top: float, u: float, facing: str, look: FigureLook) -> None:
    """A head ``u`` wide with features that show where it looks."""
    line = max(1, round(u / 14))
    box = (cx - u / 2, head_top, cx + u / 2, head_top + 1.18 * u)
    if facing == "BACK":
        draw.ellipse(box, fill=look.hair, outline=look.outline, width=line)
        return
    draw.ellipse(box, fill=look.skin, outline=look.outline, width=line)
    draw.chord((box[0], box[1], box[2], box[1] + 0.75 * u), 180, 360, fill=look.hair)
    eye = max(1.0, 0.07 * u)
    eye_y = head_top + 0.55 * u
    if facing in ("LEFT", "RIGHT"):
        sign = 1 if facing == "RIGHT" else -1
        ex = cx + sign * 0.25 * u
        draw.ellipse((ex - eye, eye_y - eye, ex + eye, eye_y + eye), fill=look.outline)
        nose_x = cx + sign * 0.5 * u
        draw.polygon([(nose_x, eye_y + 0.05 * u), (nose_x + sign * 0.16 * u, eye_y + 0.3 * u), (nose_x, eye_y + 0.34 * u)],
                     fill=look.skin, outline=look.outline)
        return
    for ex in (cx - 0.2 * u, cx + 0.2 * u):
        draw.ellipse((ex - eye, eye_y - eye, ex + eye, eye_y + eye), fill=look.outline)
    draw.line((cx - 0.14 * u, head_top + 0.88 * u, cx + 0.14 * u, head_top + 0.88 * u), fill=look.outline, width=line)


def draw_face_filling_frame(draw: ImageDraw.ImageDraw, width: float, height: float, ox: float, oy: float,
                            facing: str, look: FigureLook) -> None:
    """An extreme close-up: the eyes across the frame, the face past its edges."""
    shift = {"LEFT": -0.08, "RIGHT": 0.08}.get(facing, 0.0) * width
    cx, cy = ox + width / 2 + shift, oy + height * 0.5
    draw.ellipse((cx - width * 0.7, cy - height * 1.1, cx + width * 0.7, cy + height * 1.3), fill=look.skin,
                 outline=look.outline, width=max(2, round(width / 200)))
    eye_w, eye_h = width * 0.17, height * 0.11
    brow = max(3, round(height / 45))
    for ex in (cx - width * 0.22, cx + width * 0.22):
        draw.ellipse((ex - eye_w, cy - eye_h - height * 0.08, ex + eye_w, cy + eye_h - height * 0.08),
                     fill=(240, 236, 228), outline=look.outline, width=brow // 2 + 1)
        iris_x = ex + shift * 0.6
        iris = eye_h * 0.9
        draw.ellipse((iris_x - iris, cy - iris - height * 0.08, iris_x + iris, cy + iris - height * 0.08), fill=look.hair)
        pupil = iris * 0.45
        draw.ellipse((iris_x - pupil, cy - pupil - height * 0.08, iris_x + pupil, cy + pupil - height * 0.08), fill=(10, 10, 12))
        draw.arc((ex - eye_w * 1.1, cy - height * 0.36, ex + eye_w * 1.1, cy - height * 0.1), 200, 340, fill=look.hair, width=brow)
    draw.line((cx, cy, cx - width * 0.03, cy + height * 0.3), fill=look.outline, width=brow // 2 + 1)


def draw_foreground_shoulder(draw: ImageDraw.ImageDraw, side: str, width: float, height: float, ox: float, oy: float,
                             look: FigureLook) -> tuple[float, float]:
    """The back of a head and a shoulder filling one side of an
    over-the-shoulder frame (``side`` is ``LEFT`` or ``RIGHT``); returns where
    to put its label."""
    sign = -1 if side == "LEFT" else 1
    cx = ox + width / 2 + sign * width * 0.38
    dark = _blend(look.wardrobe, (0, 0, 0), 0.55)
    draw.ellipse((cx - width * 0.34, oy + height * 0.62, cx + width * 0.34, oy + height * 1.5), fill=dark)
    head_w = width * 0.24
    draw.ellipse((cx - head_w / 2 + sign * width * 0.02, oy + height * 0.12, cx + head_w / 2 + sign * width * 0.02,
                  oy + height * 0.12 + head_w * 1.25), fill=_blend(look.hair, (0, 0, 0), 0.5))
    return cx, oy + height * 0.6


def draw_figure_from_above(draw: ImageDraw.ImageDraw, cx: float, cy: float, u: float, look: FigureLook) -> None:
    """A person seen from straight above: shoulders and the top of the head."""
    draw.ellipse((cx - 1.1 * u, cy - 0.45 * u, cx + 1.1 * u, cy + 0.45 * u), fill=look.wardrobe, outline=look.outline)
    draw.ellipse((cx - 0.45 * u, cy - 0.5 * u, cx + 0.45 * u, cy + 0.4 * u), fill=look.hair, outline=look.outline)


def draw_prop(draw: ImageDraw.ImageDraw, cx: float, cy: float, w: float, h: float, colour: RGB, outline: RGB) -> None:
    """A generic object ``w`` x ``h`` centred at (cx, cy) with a shadow and a
    highlight."""
    draw.ellipse((cx - w * 0.6, cy + h * 0.38, cx + w * 0.6, cy + h * 0.62), fill=_blend(colour, (0, 0, 0), 0.7))
    radius = max(2, round(min(w, h) * 0.12))
    draw.rounded_rectangle((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), radius=radius, fill=colour, outline=outline,
                           width=max(1, round(min(w, h) / 40)))
    draw.rounded_rectangle((cx - w * 0.38, cy - h * 0.4, cx - w * 0.22, cy + h * 0.1), radius=radius // 2,
                           fill=_blend(colour, (255, 255, 255), 0.45))


def prop_colour(name: str) -> RGB:
    """A stable colour for a prop name."""
    digest = hashlib.sha256(("prop:" + name).encode("utf-8")).digest()
    red, green, blue = colorsys.hls_to_rgb(digest[0] / 255.0, 0.5, 0.5)
    return round(red * 255), round(green * 255), round(blue * 255)
