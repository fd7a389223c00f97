"""An edit's look changes (lighting, contrast, saturation, colour
temperature, bloom, tighter framing) applied to a rendered picture, so an
edited local panel shows the change its feedback asked for.

Each change maps a planner delta (-100..100, kelvin, degrees) to a Pillow
operation of a visible but moderate strength: lighting -20 (the offline
planner's "deepen the shadows") makes the picture a fifth darker with its
edges falling off into shadow (low key), contrast +10 a fifth more
contrasted, -800 K visibly warmer, -10 degrees a quarter tighter.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageEnhance, ImageFilter

from services.media.backends.base import PanelLook

NEUTRAL = PanelLook()
_KELVIN_PER_FULL_SHIFT = 4000.0  # a 4000 K change moves red and blue by 20 %
_DEGREES_PER_DOUBLE_ZOOM = 40.0  # 40 degrees tighter doubles the magnification


def apply_look(picture: Image.Image, look: PanelLook) -> Image.Image:
    """``picture`` (RGB) with ``look`` applied; the same size."""
    if look == NEUTRAL:
        return picture
    if look.fov_degrees < 0:
        picture = _zoomed(picture, 1.0 - look.fov_degrees / _DEGREES_PER_DOUBLE_ZOOM)
    if look.lighting:
        picture = ImageEnhance.Brightness(picture).enhance(_factor(look.lighting, 100.0))
    if look.lighting < 0:
        picture = _falloff(picture, min(-look.lighting, 100) / 100.0)
    if look.contrast:
        picture = ImageEnhance.Contrast(picture).enhance(_factor(look.contrast, 50.0))
    if look.saturation:
        picture = ImageEnhance.Color(picture).enhance(_factor(look.saturation, 100.0))
    if look.temperature_kelvin:
        picture = _warmed(picture, -look.temperature_kelvin / _KELVIN_PER_FULL_SHIFT)
    if look.bloom > 0:
        picture = _bloomed(picture, min(look.bloom, 100) / 100.0)
    return picture


def look_from(adjustment) -> PanelLook:
    """A ``PanelLook`` from a planner ``LookAdjustment`` message."""
    return PanelLook(
        lighting=adjustment.lighting_delta,
        contrast=adjustment.contrast_delta,
        saturation=adjustment.saturation_delta,
        temperature_kelvin=adjustment.color_temperature_delta_kelvin,
        bloom=adjustment.hdr_bloom_delta,
        fov_degrees=adjustment.fov_delta_degrees,
    )


def _factor(delta: float, per_unit: float) -> float:
    """An enhancement factor: 1.0 is unchanged, never below 0.1."""
    return max(0.1, 1.0 + max(-100.0, min(100.0, delta)) / per_unit)


def _zoomed(picture: Image.Image, magnification: float) -> Image.Image:
    width, height = picture.size
    magnification = min(magnification, 4.0)
    crop_w, crop_h = width / magnification, height / magnification
    left, top = (width - crop_w) / 2, (height - crop_h) / 2
    return picture.resize((width, height), Image.Resampling.BICUBIC, box=(left, top, left + crop_w, top + crop_h))


def _falloff(picture: Image.Image, strength: float) -> Image.Image:
    """Edges darker than the centre, by up to ``2 * strength`` (low-key
    light falls off away from the subject)."""
    width, height = picture.size
    small = Image.radial_gradient("L").resize((width, height), Image.Resampling.BILINEAR)  # 0 centre, 255 corners
    shade = small.point(lambda value: round(255 * (1.0 - min(1.0, 2 * strength) * (value / 255) ** 2)))
    return ImageChops.multiply(picture, Image.merge("RGB", (shade, shade, shade)))


def _warmed(picture: Image.Image, warmth: float) -> Image.Image:
    """Red up and blue down by ``0.2 * warmth`` (negative: cooler)."""
    shift = max(-1.0, min(1.0, warmth)) * 0.2
    red, green, blue = picture.split()
    red = red.point(lambda value: min(255, round(value * (1.0 + shift))))
    blue = blue.point(lambda value: min(255, round(value * (1.0 - shift))))
    return Image.merge("RGB", (red, green, blue))


def _bloomed(picture: Image.Image, strength: float) -> Image.Image:
    """A screen blend with a blurred copy of the highlights."""
    highlights = picture.point(lambda value: max(0, value - 160) * 2)
    glow = highlights.filter(ImageFilter.GaussianBlur(max(picture.size) / 60))
    return Image.blend(picture, ImageChops.screen(picture, glow), strength)
