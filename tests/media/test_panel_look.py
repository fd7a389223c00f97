"""An edit's look changes show in the rendered picture."""

from __future__ import annotations

from dataclasses import replace

from PIL import Image, ImageStat

from previs.planner.v1 import planner_pb2
from services.media.backends.base import PanelLook, PanelSpec
from services.media.panel_look import apply_look, look_from
from services.media.panels import render_picture
from services.media.render_targets import edited_panel

SIZE = (480, 270)
SHOT = PanelSpec(shot_id="S004", scene_id="SC002", shot_size="FULL", time_of_day="MORNING", interior=True,
                 location="KITCHEN", characters=("Agnes",), description="She takes her coat.")


def _picture(look: PanelLook = PanelLook()) -> Image.Image:
    return render_picture(replace(SHOT, look=look), SIZE, marks=False)


def _luma(picture: Image.Image, box: tuple[int, int, int, int] | None = None) -> float:
    return ImageStat.Stat(picture.convert("L").crop(box) if box else picture.convert("L")).mean[0]


def test_no_change_is_the_same_picture():
    picture = _picture()
    assert apply_look(picture, PanelLook()) is picture
    assert _picture().tobytes() == picture.tobytes()


def test_darker_light_falls_off_toward_the_edges():
    plain, low_key = _picture(), _picture(PanelLook(lighting=-20))
    assert _luma(low_key) < 0.85 * _luma(plain)
    corner, centre = (0, 0, 60, 40), (210, 110, 270, 160)
    # the corners lose more of their light than the centre does
    assert _luma(low_key, corner) / _luma(plain, corner) < _luma(low_key, centre) / _luma(plain, centre) - 0.1
    assert _luma(_picture(PanelLook(lighting=20))) > _luma(plain)


def test_contrast_saturation_and_temperature():
    plain = _picture()
    spread = ImageStat.Stat(plain.convert("L")).stddev[0]
    assert ImageStat.Stat(_picture(PanelLook(contrast=30)).convert("L")).stddev[0] > 1.2 * spread
    grey = _picture(PanelLook(saturation=-100))
    red, green, blue = ImageStat.Stat(grey).mean
    assert abs(red - green) < 2 and abs(green - blue) < 2
    warm, cool = _picture(PanelLook(temperature_kelvin=-2000)), _picture(PanelLook(temperature_kelvin=2000))

    def red_over_blue(picture: Image.Image) -> float:
        r, _g, b = ImageStat.Stat(picture).mean
        return r / b

    assert red_over_blue(warm) > red_over_blue(plain) > red_over_blue(cool)


def test_tighter_framing_and_bloom_keep_the_size():
    plain = _picture()
    tighter = _picture(PanelLook(fov_degrees=-10))
    assert tighter.size == plain.size and tighter.tobytes() != plain.tobytes()
    bloomed = _picture(PanelLook(bloom=60))
    assert bloomed.size == plain.size and _luma(bloomed) > _luma(plain)
    assert _picture(PanelLook(bloom=-60)).tobytes() == plain.tobytes()  # less glow than none: nothing to draw


def test_an_edit_delta_sets_the_panels_look():
    delta = planner_pb2.EditDelta(summary="deepen the shadows", look=planner_pb2.LookAdjustment(
        lighting_delta=-20, contrast_delta=10, color_temperature_delta_kelvin=-800, fov_delta_degrees=-10.0))
    edited = edited_panel(SHOT, delta)
    assert edited.look == look_from(delta.look) == PanelLook(lighting=-20, contrast=10, temperature_kelvin=-800,
                                                             fov_degrees=-10.0)
    assert edited.description == "She takes her coat. (edit: deepen the shadows)"
