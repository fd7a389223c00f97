"""Storyboard panels composed from a :class:`PanelSpec` (the local renderer's
pictures).

The composition follows the shot, so different shots look different:

- shot size sets the figure scale (tiny figures in an extreme wide shot, a
  face filling the frame in an extreme close-up, the prop for an insert, a
  foreground shoulder for an over-the-shoulder, a vignette for a POV) and
  blurs the background of close shots;
- camera angle sets the horizon (low angle: low horizon; high: high horizon;
  overhead: no horizon, figures seen from above; dutch: tilted frame);
- characters are placed with lead room in their screen direction, face it,
  and are labelled by name; wardrobe colours come from their names;
- time of day and style set the palette; the location seeds the scenery so a
  location looks the same in every shot;
- camera movement is marked with arrows and frames, as on paper storyboards;
- a caption band carries shot id, scene, size, angle, movement, lens,
  duration, description and dialogue.

Everything is deterministic: the same spec and seed give the same pixels.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from services.media.backends.base import PanelSpec
from services.media.panel_figures import (
    FIGURE_HEIGHT_UNITS,
    FigureLook,
    draw_face_filling_frame,
    draw_figure_from_above,
    draw_foreground_shoulder,
    draw_prop,
    draw_standing_figure,
    look_for,
    prop_colour,
)
from services.media.panel_look import apply_look
from services.media.panel_palette import Palette, palette_for
from services.media.panel_text import draw_caption_band, draw_label

SHOT_SIZE_SHORT = {
    "EXTREME_WIDE": "EWS", "WIDE": "WS", "FULL": "FS", "MEDIUM_WIDE": "MWS", "MEDIUM": "MS",
    "MEDIUM_CLOSE_UP": "MCU", "CLOSE_UP": "CU", "EXTREME_CLOSE_UP": "ECU", "INSERT": "INSERT",
    "OVER_THE_SHOULDER": "OTS", "POINT_OF_VIEW": "POV",
}
HORIZON_BY_ANGLE = {"EYE_LEVEL": 0.5, "HIGH": 0.18, "LOW": 0.8, "WORMS_EYE": 0.94, "DUTCH": 0.5, "OVERHEAD": None}
DUTCH_TILT_DEGREES = 14.0
SCENERY_SCALE = {"EXTREME_WIDE": 0.5, "WIDE": 0.8, "MEDIUM": 1.15, "MEDIUM_CLOSE_UP": 1.3, "CLOSE_UP": 1.45,
                 "OVER_THE_SHOULDER": 1.2}
"""Scenery is smaller in wide shots (far away) and larger in close ones."""
FACING_BY_DIRECTION = {"LEFT_TO_RIGHT": "RIGHT", "RIGHT_TO_LEFT": "LEFT", "TOWARD_CAMERA": "FRONT", "AWAY_FROM_CAMERA": "BACK"}


@dataclass(frozen=True)
class _Framing:
    """How big people are: head width as a fraction of the frame height, and
    either where the head starts (``head_top``) or how far down the ground
    the feet stand (``depth``, 0 at the horizon, 1 at the frame bottom)."""

    head: float
    head_top: float | None
    depth: float
    max_figures: int
    blur: float


_FRAMINGS = {
    "EXTREME_WIDE": _Framing(0.016, None, 0.22, 8, 0.0),
    "WIDE": _Framing(0.045, None, 0.5, 6, 0.0),
    "FULL": _Framing(0.108, 0.07, 0.0, 4, 0.0),
    "MEDIUM_WIDE": _Framing(0.15, 0.09, 0.0, 3, 0.002),
    "MEDIUM": _Framing(0.21, 0.1, 0.0, 2, 0.004),
    "MEDIUM_CLOSE_UP": _Framing(0.3, 0.09, 0.0, 1, 0.006),
    "CLOSE_UP": _Framing(0.52, 0.12, 0.0, 1, 0.009),
    "EXTREME_CLOSE_UP": _Framing(1.0, 0.0, 0.0, 1, 0.012),
    "INSERT": _Framing(0.0, None, 0.0, 0, 0.01),
    "OVER_THE_SHOULDER": _Framing(0.26, 0.14, 0.0, 1, 0.006),
    "POINT_OF_VIEW": _Framing(0.12, 0.22, 0.0, 3, 0.002),
}


class _Stage:
    """A canvas with the visible frame at (ox, oy, w, h); a dutch angle draws
    on a larger canvas that is rotated and cropped to the frame. Labels are
    collected and drawn upright after the rotation."""

    def __init__(self, size: tuple[int, int], tilt: float, palette: Palette) -> None:
        self.w, self.h = size
        radians = math.radians(abs(tilt))
        cw = math.ceil(self.w * math.cos(radians) + self.h * math.sin(radians)) + 4
        ch = math.ceil(self.w * math.sin(radians) + self.h * math.cos(radians)) + 4
        self.canvas = Image.new("RGB", (cw, ch), palette.sky_top)
        self.ox, self.oy = (cw - self.w) / 2, (ch - self.h) / 2
        self.tilt = tilt
        self.labels: list[tuple[float, float, str, int]] = []

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.canvas)

    @property
    def unit(self) -> float:
        """What figure sizes scale with: the frame height, but no more than
        the width, so portrait frames do not get giant figures."""
        return min(self.h, self.w * 1.1)

    def x(self, fraction: float) -> float:
        return self.ox + fraction * self.w

    def y(self, fraction: float) -> float:
        return self.oy + fraction * self.h

    def label(self, x: float, bottom: float, text: str) -> None:
        if text:
            self.labels.append((x, bottom, text, max(10, round(self.h / 30))))

    def finish(self, palette: Palette) -> Image.Image:
        canvas = self.canvas
        if self.tilt:
            canvas = canvas.rotate(self.tilt, resample=Image.Resampling.BICUBIC)
        left, top = round(self.ox), round(self.oy)
        frame = canvas.crop((left, top, left + self.w, top + self.h))
        draw = ImageDraw.Draw(frame)
        for x, bottom, text, size in self.labels:
            fx, fy = self._to_frame(x, bottom)
            draw_label(draw, fx, fy, text, size, palette.label_fill, palette.label_text, (self.w, self.h))
        return frame

    def _to_frame(self, x: float, y: float) -> tuple[float, float]:
        cx, cy = self.canvas.width / 2, self.canvas.height / 2
        radians = math.radians(self.tilt)
        dx, dy = x - cx, y - cy
        rx = dx * math.cos(radians) + dy * math.sin(radians)
        ry = -dx * math.sin(radians) + dy * math.cos(radians)
        return rx + cx - self.ox, ry + cy - self.oy


def caption_band_height(size: tuple[int, int]) -> int:
    """Height of the caption band of a panel of ``size``."""
    width, height = size
    return max(48, round(height * (0.17 if width >= height else 0.12)))


def render_panel(
    spec: PanelSpec, size: tuple[int, int], *, seed: int | None = None, caption: bool = True, marks: bool = True
) -> Image.Image:
    """The panel for ``spec`` at ``size`` (RGB). ``caption`` adds the caption
    band; ``marks`` draws the camera-movement arrows (off for video, where
    the camera really moves)."""
    width, height = size
    band = caption_band_height(size) if caption else 0
    picture = render_picture(spec, (width, height - band), seed=seed, marks=marks)
    if not band:
        return picture
    panel = Image.new("RGB", size)
    panel.paste(picture, (0, 0))
    palette = palette_for(spec.time_of_day, spec.style)
    header = "  ·  ".join(part for part in (spec.shot_id, spec.scene_id, spec.location) if part)
    draw_caption_band(panel, height - band, header, _detail_line(spec) if spec.shot_id else "",
                      _caption_body(spec), palette.caption_fill, palette.caption_text)
    return panel


def _detail_line(spec: PanelSpec) -> str:
    parts = [
        SHOT_SIZE_SHORT.get(spec.shot_size, spec.shot_size.replace("_", " ")),
        spec.camera_angle.replace("_", " "),
        spec.camera_movement.replace("_", " "),
        f"{spec.lens_mm:g}mm",
        f"{spec.duration_seconds:.1f}s",
    ]
    return "  ·  ".join(part for part in parts if part)


def _caption_body(spec: PanelSpec) -> list[str]:
    body = [spec.description] if spec.description else []
    if spec.dialogue:
        body.append(f"\u201c{spec.dialogue}\u201d")
    return body


def render_picture(spec: PanelSpec, size: tuple[int, int], *, seed: int | None = None, marks: bool = True) -> Image.Image:
    """The picture area of a panel (no caption band)."""
    palette = palette_for(spec.time_of_day, spec.style)
    rng = random.Random(_digest(_composition_key(spec), seed))
    tilt = 0.0
    if spec.camera_angle == "DUTCH":
        tilt = DUTCH_TILT_DEGREES if spec.screen_direction != "RIGHT_TO_LEFT" else -DUTCH_TILT_DEGREES
    stage = _Stage(size, tilt, palette)
    framing = _FRAMINGS.get(spec.shot_size, _FRAMINGS["MEDIUM"])
    horizon = HORIZON_BY_ANGLE.get(spec.camera_angle, 0.5)
    _draw_background(stage, palette, horizon, spec, rng)
    if framing.blur:
        stage.canvas = stage.canvas.filter(ImageFilter.GaussianBlur(framing.blur * stage.h))
    _draw_subjects(stage, spec, framing, horizon, palette, rng)
    picture = stage.finish(palette)
    if palette.monochrome is not None:
        picture = ImageOps.colorize(picture.convert("L"), *palette.monochrome)
    if spec.shot_size == "POINT_OF_VIEW":
        picture = _vignette(picture)
    picture = apply_look(picture, spec.look)
    if marks:
        _draw_movement_marks(picture, spec, palette)
    return picture


def _composition_key(spec: PanelSpec) -> str:
    """What the picture depends on: the same setup in two shots (ids,
    dialogue and durations aside) composes the same way."""
    return repr((spec.shot_size, spec.camera_angle, spec.screen_direction, spec.time_of_day, spec.style,
                 spec.location, spec.characters, spec.props, spec.description))


def spec_for_prompt(prompt: str, seed: int | None = None) -> PanelSpec:
    """A deterministic composition for a free prompt: shot size and angle
    from a hash of the prompt (and seed), time of day and style from words
    in the prompt, the prompt as the caption."""
    rng = random.Random(_digest(prompt, seed))
    lowered = prompt.lower()
    time_of_day = next(
        (value for words, value in _TIME_WORDS if any(word in lowered for word in words)),
        rng.choice(("DAY", "MORNING", "AFTERNOON")),
    )
    size = rng.choice(("EXTREME_WIDE", "WIDE", "FULL", "MEDIUM_WIDE", "MEDIUM", "MEDIUM_CLOSE_UP", "CLOSE_UP"))
    angle = rng.choice(("EYE_LEVEL", "EYE_LEVEL", "HIGH", "LOW", "DUTCH"))
    direction = rng.choice(("LEFT_TO_RIGHT", "RIGHT_TO_LEFT", "TOWARD_CAMERA", "NEUTRAL"))
    figures = ("",) if rng.random() < 0.6 else ()
    interior = not _INTERIOR_WORDS.isdisjoint(re.findall(r"[a-z]+\.?", lowered))
    return PanelSpec(shot_size=size, camera_angle=angle, screen_direction=direction, time_of_day=time_of_day,
                     style=prompt, characters=figures, description=prompt, interior=interior)


_INTERIOR_WORDS = frozenset(
    {"int.", "interior", "indoors", "inside", "room", "bedroom", "kitchen", "office", "corridor", "hallway"}
)


_TIME_WORDS = (
    (("night", "midnight", "moonlit", "neon"), "NIGHT"),
    (("dusk", "sunset", "golden hour", "twilight"), "DUSK"),
    (("dawn", "sunrise", "first light"), "DAWN"),
    (("evening",), "EVENING"),
    (("morning",), "MORNING"),
    (("afternoon",), "AFTERNOON"),
)


def _digest(text: str, seed: int | None) -> int:
    return int.from_bytes(hashlib.sha256(f"{text}|{seed}".encode("utf-8")).digest()[:8], "big")


def _draw_background(stage: _Stage, palette: Palette, horizon: float | None, spec: PanelSpec, rng: random.Random) -> None:
    canvas = stage.canvas
    if horizon is None:
        _gradient(canvas, 0, canvas.height, palette.ground_far, palette.ground_near)
        _draw_floor_grid(stage, palette, spec)
        return
    horizon_y = round(stage.y(horizon))
    if spec.interior:
        _draw_room(stage, palette, horizon_y, spec)
        return
    _gradient(canvas, 0, horizon_y, palette.sky_top, palette.sky_bottom)
    _draw_sky(stage, palette, horizon_y, spec, rng)
    _gradient(canvas, horizon_y, canvas.height, palette.ground_far, palette.ground_near)
    _draw_scenery(stage, palette, horizon_y, spec)
    _draw_ground_lines(stage, palette, horizon_y)


def _mix(first: tuple[int, int, int], second: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    """``share`` of ``second`` over ``first``."""
    return tuple(round(a * (1 - share) + b * share) for a, b in zip(first, second))


_WALL_TINT = (196, 184, 164)
_FLOOR_TINT = (120, 88, 60)


def _draw_room(stage: _Stage, palette: Palette, horizon_y: int, spec: PanelSpec) -> None:
    """A room seen from inside: a back wall down to the horizon with a window
    (the time of day's sky through it) and a door, laid out by a hash of the
    location so one room looks the same in every shot; a floor with boards
    running to the vanishing point."""
    canvas, draw = stage.canvas, stage.draw
    rng = random.Random(_digest(spec.location or spec.scene_id or "room", None))
    daylight = 0.35 + 0.65 * sum(palette.sky_bottom) / (3 * 255)  # rooms are darker at night
    wall = _mix(_mix(_WALL_TINT, palette.scenery, 0.45), (0, 0, 0), 1 - daylight)
    _gradient(canvas, 0, horizon_y, _mix(wall, (0, 0, 0), 0.25), wall)
    floor = _mix(_FLOOR_TINT, (0, 0, 0), 1 - daylight)
    _gradient(canvas, horizon_y, canvas.height, _mix(floor, palette.ground_far, 0.35), _mix(floor, palette.ground_near, 0.2))
    scale = SCENERY_SCALE.get(spec.shot_size, 1.0)
    window_left = rng.uniform(0.08, 0.55)
    width, height = stage.w * rng.uniform(0.14, 0.22) * scale, stage.h * 0.22 * scale
    box = (stage.x(window_left), horizon_y - height * 1.9, stage.x(window_left) + width, horizon_y - height * 0.9)
    frame = _mix(wall, (255, 255, 255), 0.5)
    draw.rectangle(box, fill=palette.sky_bottom, outline=frame, width=max(2, stage.h // 120))
    draw.rectangle((box[0], box[1], box[2], (box[1] + box[3]) / 2), fill=palette.sky_top)
    draw.line(((box[0] + box[2]) / 2, box[1], (box[0] + box[2]) / 2, box[3]), fill=frame, width=max(2, stage.h // 160))
    draw.line((box[0], (box[1] + box[3]) / 2, box[2], (box[1] + box[3]) / 2), fill=frame, width=max(2, stage.h // 160))
    door_left = window_left + 0.3 if window_left < 0.4 else window_left - 0.3
    door = (stage.x(door_left), horizon_y - stage.h * 0.42 * scale, stage.x(door_left) + stage.w * 0.1 * scale, horizon_y)
    draw.rectangle(door, fill=_mix(floor, palette.scenery, 0.3), outline=_mix(wall, (0, 0, 0), 0.4),
                   width=max(2, stage.h // 160))
    draw.line((0, horizon_y, canvas.width, horizon_y), fill=_mix(wall, (0, 0, 0), 0.45), width=max(2, stage.h // 90))
    boards = _mix(_FLOOR_TINT, (0, 0, 0), 0.3)
    vx = stage.x(0.5)
    for index in range(-8, 9):
        draw.line((vx, horizon_y, vx + index * stage.w * 0.18, canvas.height), fill=boards, width=max(1, stage.h // 400))


def _gradient(canvas: Image.Image, top: int, bottom: int, first: tuple[int, int, int], last: tuple[int, int, int]) -> None:
    height = bottom - top
    if height <= 0:
        return
    mask = Image.linear_gradient("L").resize((canvas.width, height))
    block = Image.composite(Image.new("RGB", mask.size, last), Image.new("RGB", mask.size, first), mask)
    canvas.paste(block, (0, top))


def _draw_sky(stage: _Stage, palette: Palette, horizon_y: int, spec: PanelSpec, rng: random.Random) -> None:
    draw = stage.draw
    if horizon_y <= stage.oy + 4:
        return
    if spec.time_of_day in ("NIGHT", "EVENING"):
        for _ in range(60 if spec.time_of_day == "NIGHT" else 20):
            x, y = rng.uniform(0, stage.canvas.width), rng.uniform(0, horizon_y * 0.85)
            r = rng.choice((1, 1, 2))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=palette.light)
        moon = stage.h * 0.06
        mx, my = stage.x(0.8), stage.y(0.14)
        draw.ellipse((mx - moon, my - moon, mx + moon, my + moon), fill=palette.light)
        return
    sun = stage.h * (0.09 if spec.time_of_day in ("DUSK", "DAWN") else 0.05)
    sy = horizon_y - sun * 0.4 if spec.time_of_day in ("DUSK", "DAWN") else stage.y(0.12)
    sx = stage.x(0.22 if spec.time_of_day in ("DAWN", "MORNING") else 0.78)
    draw.ellipse((sx - sun, sy - sun, sx + sun, sy + sun), fill=palette.light)


def _draw_scenery(stage: _Stage, palette: Palette, horizon_y: int, spec: PanelSpec) -> None:
    """Buildings or trees on the horizon, laid out by a hash of the location
    so that one location looks the same in every shot."""
    rng = random.Random(_digest(spec.location or spec.scene_id or spec.description, None))
    draw = stage.draw
    scale = SCENERY_SCALE.get(spec.shot_size, 1.0)
    x = -rng.uniform(0, stage.w * 0.1)
    organic = rng.random() < 0.35
    while x < stage.canvas.width:
        width = rng.uniform(0.05, 0.16) * stage.w * scale
        height = rng.uniform(0.05, 0.28) * stage.h * scale
        shade = tuple(max(0, min(255, c + rng.randint(-14, 14))) for c in palette.scenery)
        if organic:
            draw.ellipse((x, horizon_y - height, x + width, horizon_y + height * 0.2), fill=shade)
        else:
            draw.rectangle((x, horizon_y - height, x + width, horizon_y), fill=shade)
            _draw_windows(draw, x, horizon_y - height, width, height, palette, rng)
        x += width * rng.uniform(0.7, 1.1)


def _draw_windows(draw: ImageDraw.ImageDraw, x: float, top: float, width: float, height: float, palette: Palette,
                  rng: random.Random) -> None:
    step = max(6.0, width / 4)
    lit = palette.light
    for row in range(int(height // step) - 1):
        for column in range(3):
            if rng.random() < 0.45:
                wx, wy = x + step * (column + 0.5), top + step * (row + 0.6)
                draw.rectangle((wx, wy, wx + step * 0.4, wy + step * 0.35), fill=lit)


def _draw_ground_lines(stage: _Stage, palette: Palette, horizon_y: int) -> None:
    draw = stage.draw
    vx = stage.x(0.5)
    bottom = stage.canvas.height
    colour = tuple(round(c * 0.8 + s * 0.2) for c, s in zip(palette.ground_near, palette.scenery))
    for index in range(-6, 7):
        draw.line((vx, horizon_y, vx + index * stage.w * 0.22, bottom), fill=colour, width=max(1, stage.h // 360))


def _draw_floor_grid(stage: _Stage, palette: Palette, spec: PanelSpec) -> None:
    rng = random.Random(_digest(spec.location or "floor", None))
    draw = stage.draw
    step = stage.h * rng.uniform(0.12, 0.2)
    colour = palette.scenery
    y = 0.0
    while y < stage.canvas.height:
        draw.line((0, y, stage.canvas.width, y), fill=colour, width=max(1, stage.h // 300))
        y += step
    x = 0.0
    while x < stage.canvas.width:
        draw.line((x, 0, x, stage.canvas.height), fill=colour, width=max(1, stage.h // 300))
        x += step


def _facings(spec: PanelSpec, count: int) -> list[str]:
    facing = FACING_BY_DIRECTION.get(spec.screen_direction)
    if facing:
        return [facing] * count
    if count == 2:
        return ["RIGHT", "LEFT"]
    return ["FRONT"] * count


def _group_centre(spec: PanelSpec, single: bool) -> float:
    lead = 0.12 if single else 0.08
    return {"LEFT_TO_RIGHT": 0.5 - lead, "RIGHT_TO_LEFT": 0.5 + lead}.get(spec.screen_direction, 0.5)


def _draw_subjects(stage: _Stage, spec: PanelSpec, framing: _Framing, horizon: float | None, palette: Palette,
                   rng: random.Random) -> None:
    names = list(spec.characters)
    if spec.shot_size == "INSERT":
        _draw_insert(stage, spec, palette)
        return
    if horizon is None:
        _draw_from_above(stage, spec, palette, rng)
        return
    if spec.shot_size == "EXTREME_CLOSE_UP":
        name = names[0] if names else ""
        draw_face_filling_frame(stage.draw, stage.w, stage.h, stage.ox, stage.oy, _facings(spec, 1)[0], look_for(name, palette))
        stage.label(stage.x(0.12), stage.y(0.12), name)
        return
    if spec.shot_size == "OVER_THE_SHOULDER":
        _draw_over_the_shoulder(stage, spec, framing, palette)
        return
    people = names[: framing.max_figures]
    if not people and framing.head_top is not None:
        people = [""]
    _draw_people(stage, spec, framing, horizon, palette, rng, people)
    _draw_small_props(stage, spec, framing, horizon, palette)


def _draw_people(stage: _Stage, spec: PanelSpec, framing: _Framing, horizon: float, palette: Palette,
                 rng: random.Random, people: list[str]) -> None:
    if not people:
        return
    u = framing.head * stage.unit * {"LOW": 1.08, "WORMS_EYE": 1.12, "HIGH": 0.92}.get(spec.camera_angle, 1.0)
    spacing = min(stage.w * 0.84 / len(people), max(2.9 * u, stage.w * 0.07))
    centre = _group_centre(spec, len(people) == 1)
    facings = _facings(spec, len(people))
    placed = []
    for index, name in enumerate(people):
        x = stage.x(centre) + (index - (len(people) - 1) / 2) * spacing + rng.uniform(-0.01, 0.01) * stage.w
        scale = 1.0
        if framing.head_top is None:
            depth = min(0.95, max(0.02, framing.depth + rng.uniform(-0.08, 0.08)))
            scale = 0.75 + 0.5 * depth
            feet = stage.y(horizon + depth * (1 - horizon))
            top = feet - FIGURE_HEIGHT_UNITS * u * scale
        else:
            top = stage.y(framing.head_top + (0.04 if spec.camera_angle == "HIGH" else 0.0))
        placed.append((top + FIGURE_HEIGHT_UNITS * u * scale, x, top, u * scale, facings[index], name))
    for _, x, top, size, facing, name in sorted(placed):
        draw_standing_figure(stage.draw, x, top, size, facing, look_for(name, palette))
        above = top - size * 0.15
        stage.label(x, above if above - stage.h / 20 > stage.oy else min(top + 2.3 * size, stage.y(0.97)), name)


def _draw_over_the_shoulder(stage: _Stage, spec: PanelSpec, framing: _Framing, palette: Palette) -> None:
    names = list(spec.characters)
    subject = names[0] if names else ""
    foreground = names[1] if len(names) > 1 else ""
    subject_side = "LEFT" if spec.screen_direction == "LEFT_TO_RIGHT" else "RIGHT"
    u = framing.head * stage.unit
    x = stage.x(0.32 if subject_side == "LEFT" else 0.68)
    top = stage.y(framing.head_top or 0.14)
    facing = "RIGHT" if subject_side == "LEFT" else "LEFT"
    draw_standing_figure(stage.draw, x, top, u, facing if spec.screen_direction != "TOWARD_CAMERA" else "FRONT",
                         look_for(subject, palette))
    stage.label(x, min(top + 2.3 * u, stage.y(0.97)), subject)
    shoulder_side = "RIGHT" if subject_side == "LEFT" else "LEFT"
    lx, ly = draw_foreground_shoulder(stage.draw, shoulder_side, stage.w, stage.h, stage.ox, stage.oy,
                                      look_for(foreground, palette))
    stage.label(lx, ly, f"{foreground} (fg)" if foreground else "")


def _draw_from_above(stage: _Stage, spec: PanelSpec, palette: Palette, rng: random.Random) -> None:
    names = list(spec.characters)[:6] or [""]
    u = stage.unit * 0.08
    for index, name in enumerate(names):
        angle = 2 * math.pi * index / len(names) + rng.uniform(-0.3, 0.3)
        radius = 0.0 if len(names) == 1 else stage.h * 0.22
        x, y = stage.x(0.5) + radius * math.cos(angle), stage.y(0.5) + radius * math.sin(angle)
        draw_figure_from_above(stage.draw, x, y, u, look_for(name, palette))
        stage.label(x, y - u * 0.7, name)
    for index, prop in enumerate(spec.props[:2]):
        x, y = stage.x(0.2 + 0.6 * index), stage.y(0.8)
        draw_prop(stage.draw, x, y, u * 1.4, u, prop_colour(prop), palette.figure_outline)
        stage.label(x, y - u * 0.7, prop)


def _draw_insert(stage: _Stage, spec: PanelSpec, palette: Palette) -> None:
    """An insert: the prop in detail on a surface."""
    name = spec.props[0] if spec.props else ""
    draw = stage.draw
    table = tuple(round(c * 0.7 + 40) for c in palette.ground_near)
    draw.rectangle((0, stage.y(0.62), stage.canvas.width, stage.canvas.height), fill=table)
    draw_prop(draw, stage.x(0.5), stage.y(0.5), stage.w * 0.42, stage.h * 0.5, prop_colour(name or spec.description),
              palette.figure_outline)
    if spec.characters:
        look: FigureLook = look_for(spec.characters[0], palette)
        side = -1 if spec.screen_direction == "RIGHT_TO_LEFT" else 1
        hx = stage.x(0.5 - side * 0.34)
        draw.rounded_rectangle((hx - stage.w * 0.18, stage.y(0.55), hx + stage.w * 0.18, stage.y(0.72)),
                               radius=round(stage.h * 0.06), fill=look.skin, outline=look.outline)
    stage.label(stage.x(0.5), stage.y(0.2), name or "INSERT")


def _draw_small_props(stage: _Stage, spec: PanelSpec, framing: _Framing, horizon: float, palette: Palette) -> None:
    if spec.shot_size not in ("FULL", "MEDIUM_WIDE", "WIDE") or not spec.props:
        return
    u = max(4.0, framing.head * stage.unit)
    base = stage.y(min(0.97, horizon + (framing.depth or 0.6) * (1 - horizon)))
    for index, prop in enumerate(spec.props[:2]):
        x = stage.x(0.12 + 0.76 * index)
        draw_prop(stage.draw, x, base - u * 0.6, u * 1.6, u * 1.2, prop_colour(prop), palette.figure_outline)
        stage.label(x, base - u * 1.4, prop)


def _vignette(picture: Image.Image) -> Image.Image:
    mask = Image.radial_gradient("L").resize(picture.size)
    mask = mask.point(lambda value: max(0, min(255, round((value - 140) * 3.5))))
    return Image.composite(Image.new("RGB", picture.size, (0, 0, 0)), picture, mask)


def _draw_movement_marks(picture: Image.Image, spec: PanelSpec, palette: Palette) -> None:
    draw = ImageDraw.Draw(picture)
    w, h = picture.size
    width = max(2, h // 120)
    colour = palette.label_fill
    movement = spec.camera_movement
    if movement in ("PUSH_IN", "PULL_OUT"):
        inset = (w * 0.18, h * 0.18, w * 0.82, h * 0.82)
        _dashed_rectangle(draw, inset, colour, width)
        for corner_x, corner_y, inner_x, inner_y in ((0.04, 0.04, 0.16, 0.16), (0.96, 0.04, 0.84, 0.16),
                                                      (0.04, 0.96, 0.16, 0.84), (0.96, 0.96, 0.84, 0.84)):
            start, end = (corner_x * w, corner_y * h), (inner_x * w, inner_y * h)
            _arrow(draw, *(start + end if movement == "PUSH_IN" else end + start), colour, width)
    elif movement in ("PAN_LEFT", "PAN_RIGHT"):
        y = h * 0.07
        left, right = w * 0.25, w * 0.75
        _arrow(draw, *((right, y, left, y) if movement == "PAN_LEFT" else (left, y, right, y)), colour, width)
    elif movement in ("TILT_UP", "TILT_DOWN", "CRANE_UP", "CRANE_DOWN"):
        x = w * (0.95 if movement.startswith("TILT") else 0.05)
        top, bottom = h * 0.25, h * 0.75
        _arrow(draw, *((x, bottom, x, top) if movement.endswith("UP") else (x, top, x, bottom)), colour, width)
    elif movement == "TRACKING":
        y = h * 0.93
        left, right = w * 0.3, w * 0.7
        _arrow(draw, *((right, y, left, y) if spec.screen_direction == "RIGHT_TO_LEFT" else (left, y, right, y)), colour, width)
    elif movement == "HANDHELD":
        points = [(w * (0.86 + 0.02 * i), h * (0.05 if i % 2 else 0.09)) for i in range(6)]
        draw.line(points, fill=colour, width=width)


def _arrow(draw: ImageDraw.ImageDraw, x0: float, y0: float, x1: float, y1: float, colour, width: int) -> None:
    draw.line((x0, y0, x1, y1), fill=colour, width=width)
    angle = math.atan2(y1 - y0, x1 - x0)
    head = width * 5
    left = (x1 - head * math.cos(angle - 0.45), y1 - head * math.sin(angle - 0.45))
    right = (x1 - head * math.cos(angle + 0.45), y1 - head * math.sin(angle + 0.45))
    draw.polygon([(x1, y1), left, right], fill=colour)


def _dashed_rectangle(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], colour, width: int) -> None:
    left, top, right, bottom = box
    dash = width * 6
    for x0, y0, x1, y1 in ((left, top, right, top), (right, top, right, bottom), (right, bottom, left, bottom),
                           (left, bottom, left, top)):
        length = math.hypot(x1 - x0, y1 - y0)
        steps = max(1, int(length // (2 * dash)))
        for step in range(steps):
            a, b = (2 * step * dash) / length, min(1.0, (2 * step + 1) * dash / length)
            draw.line((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b), fill=colour, width=width)
