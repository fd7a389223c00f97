"""Storyboard panel composition: the picture follows the shot."""

from __future__ import annotations

import io
from dataclasses import replace
from itertools import combinations

import pytest
from PIL import Image

from services.media.backends.base import PanelSpec
from services.media.panel_figures import look_for
from services.media.panel_palette import palette_for
from services.media.panel_sizes import image_size, parse_aspect_ratio, video_size
from services.media.panels import caption_band_height, render_panel, render_picture, spec_for_prompt
from services.runtime.errors import InvalidArgument
from tests.media.pixels import (
    centroid_x,
    count_near,
    fraction_where,
    ground_like,
    mean_difference,
    sky_like,
)

SIZE = (640, 360)
BASE = PanelSpec(shot_id="S001", scene_id="SC001", shot_size="MEDIUM", camera_angle="EYE_LEVEL",
                 time_of_day="DAY", location="OFFICE", characters=("Sarah",), description="Sarah studies photos.")
SIZES = ("EXTREME_WIDE", "WIDE", "FULL", "MEDIUM_WIDE", "MEDIUM", "MEDIUM_CLOSE_UP", "CLOSE_UP",
         "EXTREME_CLOSE_UP", "INSERT", "OVER_THE_SHOULDER", "POINT_OF_VIEW")


def _figure_pixels(spec: PanelSpec) -> int:
    picture = render_picture(spec, SIZE, marks=False)
    look = look_for(spec.characters[0], palette_for(spec.time_of_day, spec.style))
    return sum(count_near(picture, colour) for colour in (look.wardrobe, look.skin, look.hair))


@pytest.mark.parametrize(
    ("ratio", "image", "video_720p"),
    [("16:9", (1280, 720), (1280, 720)), ("9:16", (720, 1280), (720, 1280)), ("1:1", (1024, 1024), (720, 720)),
     ("4:3", (1280, 960), (960, 720)), ("2.39:1", (1280, 536), (1720, 720))],
)
def test_sizes_follow_the_aspect_ratio(ratio, image, video_720p):
    assert image_size(ratio) == image
    assert video_size(ratio, "720p") == video_720p
    assert all(side % 2 == 0 for side in video_size(ratio, "480p"))


@pytest.mark.parametrize("bad", ["", "16x9", "0:9", "16:0", "10:1", "wide"])
def test_malformed_aspect_ratios_are_invalid_arguments(bad):
    with pytest.raises(InvalidArgument) as caught:
        parse_aspect_ratio(bad)
    assert caught.value.reason == "INVALID_ASPECT_RATIO"


def test_every_shot_size_gives_a_different_picture():
    pictures = {size: render_picture(replace(BASE, shot_size=size), SIZE) for size in SIZES}
    for first, second in combinations(SIZES, 2):
        assert mean_difference(pictures[first], pictures[second]) > 3.0, (first, second)


def test_figure_scale_grows_from_extreme_wide_to_close_up():
    order = ("EXTREME_WIDE", "WIDE", "FULL", "MEDIUM", "CLOSE_UP")
    counts = [_figure_pixels(replace(BASE, shot_size=size)) for size in order]
    assert counts[0] > 0
    assert counts == sorted(counts) and len(set(counts)) == len(counts), dict(zip(order, counts))


def test_extreme_close_up_fills_the_frame_with_a_face():
    spec = replace(BASE, shot_size="EXTREME_CLOSE_UP")
    picture = render_picture(spec, SIZE, marks=False)
    skin = look_for("Sarah", palette_for("DAY")).skin
    assert count_near(picture, skin) > 0.4 * SIZE[0] * SIZE[1]


def test_insert_shows_the_prop_large():
    from services.media.panel_figures import prop_colour

    spec = replace(BASE, shot_size="INSERT", props=("magnifying glass",))
    picture = render_picture(spec, SIZE, marks=False)
    assert count_near(picture, prop_colour("magnifying glass")) > 0.1 * SIZE[0] * SIZE[1]


def test_over_the_shoulder_puts_a_dark_shoulder_in_the_foreground():
    spec = replace(BASE, shot_size="OVER_THE_SHOULDER", characters=("Sarah", "Tom"), screen_direction="RIGHT_TO_LEFT")
    picture = render_picture(spec, SIZE, marks=False).convert("L")
    third = SIZE[0] // 3
    left = sum(picture.crop((0, SIZE[1] // 2, third, SIZE[1])).getdata())
    right = sum(picture.crop((SIZE[0] - third, SIZE[1] // 2, SIZE[0], SIZE[1])).getdata())
    assert left < 0.7 * right


def test_point_of_view_darkens_the_corners():
    pov = render_picture(replace(BASE, shot_size="POINT_OF_VIEW"), SIZE, marks=False).convert("L")
    plain = render_picture(replace(BASE, shot_size="MEDIUM_WIDE"), SIZE, marks=False).convert("L")
    corner = (0, 0, 40, 40)
    assert max(pov.crop(corner).getdata()) < 20 < min(plain.crop(corner).getdata())


@pytest.mark.parametrize(
    ("angle", "row", "sky_expected"),
    [("EYE_LEVEL", 0.3, True), ("EYE_LEVEL", 0.7, False), ("LOW", 0.7, True), ("LOW", 0.9, False),
     ("LOW", 0.86, False), ("HIGH", 0.3, False), ("WORMS_EYE", 0.75, True)],
)
def test_camera_angle_sets_the_horizon(angle, row, sky_expected):
    spec = replace(BASE, shot_size="EXTREME_WIDE", camera_angle=angle, characters=(), location="open field")
    picture = render_picture(spec, SIZE, marks=False)
    y = round(row * SIZE[1])
    sky = fraction_where(picture.crop((0, y, SIZE[0], y + 1)), sky_like)
    assert (sky > 0.6) if sky_expected else (sky < 0.2), sky


def test_overhead_has_no_sky():
    spec = replace(BASE, shot_size="WIDE", camera_angle="OVERHEAD", characters=("Sarah", "Tom"))
    assert fraction_where(render_picture(spec, SIZE, marks=False), sky_like) < 0.01


def test_dutch_angle_tilts_the_horizon():
    def side_ground(angle: str) -> tuple[float, float]:
        spec = replace(BASE, shot_size="EXTREME_WIDE", camera_angle=angle, characters=())
        picture = render_picture(spec, SIZE, marks=False)
        strip = SIZE[0] // 10
        left = fraction_where(picture.crop((0, 0, strip, SIZE[1])), ground_like)
        right = fraction_where(picture.crop((SIZE[0] - strip, 0, SIZE[0], SIZE[1])), ground_like)
        return left, right

    level_left, level_right = side_ground("EYE_LEVEL")
    dutch_left, dutch_right = side_ground("DUTCH")
    assert abs(level_left - level_right) < 0.1
    assert abs(dutch_left - dutch_right) > 0.25


@pytest.mark.parametrize(("direction", "side"), [("LEFT_TO_RIGHT", "left"), ("RIGHT_TO_LEFT", "right")])
def test_screen_direction_leaves_lead_room(direction, side):
    spec = replace(BASE, shot_size="MEDIUM_CLOSE_UP", screen_direction=direction)
    picture = render_picture(spec, SIZE, marks=False)
    x = centroid_x(picture, look_for("Sarah", palette_for("DAY")).wardrobe)
    assert (x < 0.45) if side == "left" else (x > 0.55), x


def test_characters_are_labelled_and_keep_their_colours():
    palette = palette_for("DAY")
    named = render_picture(replace(BASE, shot_size="FULL", characters=("Sarah", "Tom")), SIZE, marks=False)
    unnamed = render_picture(replace(BASE, shot_size="FULL", characters=("",)), SIZE, marks=False)
    assert count_near(named, palette.label_fill) > 150
    assert count_near(unnamed, palette.label_fill) < 20
    for name in ("Sarah", "Tom"):
        assert count_near(named, look_for(name, palette).wardrobe) > 500
    assert look_for("Sarah", palette) != look_for("Tom", palette)


def test_time_of_day_and_style_set_the_palette():
    def picture(**changes) -> Image.Image:
        return render_picture(replace(BASE, shot_size="WIDE", **changes), SIZE, marks=False)

    def mean(image: Image.Image) -> list[float]:
        pixels = list(image.getdata())
        return [sum(p[c] for p in pixels) / len(pixels) for c in range(3)]

    day, night, dusk = mean(picture(time_of_day="DAY")), mean(picture(time_of_day="NIGHT")), mean(picture(time_of_day="DUSK"))
    assert sum(night) < 0.4 * sum(day)
    assert night[2] > night[0]
    assert dusk[0] > dusk[2]
    noir = picture(style="cinematic noir")
    assert fraction_where(noir, lambda p: max(p) - min(p) > 0) == 0
    sepia = mean(picture(style="sepia western"))
    assert sepia[0] > sepia[1] > sepia[2]


def test_the_caption_band_names_the_shot():
    panel = render_panel(BASE, SIZE)
    band = caption_band_height(SIZE)
    palette = palette_for("DAY")
    caption = panel.crop((0, SIZE[1] - band, SIZE[0], SIZE[1]))
    assert count_near(caption, palette.caption_text, tolerance=40) > 200
    other = render_panel(replace(BASE, shot_id="S002"), SIZE)
    # Same setup, other shot id: same picture, different caption.
    assert mean_difference(panel.crop((0, 0, SIZE[0], SIZE[1] - band)),
                           other.crop((0, 0, SIZE[0], SIZE[1] - band))) == 0
    assert mean_difference(caption, other.crop((0, SIZE[1] - band, SIZE[0], SIZE[1]))) > 0


def test_movement_marks_are_drawn_only_when_asked():
    spec = replace(BASE, camera_movement="PUSH_IN")
    assert mean_difference(render_picture(spec, SIZE, marks=True), render_picture(spec, SIZE, marks=False)) > 0.5
    static = replace(BASE, camera_movement="STATIC")
    assert mean_difference(render_picture(static, SIZE, marks=True), render_picture(static, SIZE, marks=False)) == 0


def test_rendering_is_deterministic_and_seed_sensitive():
    def png(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    spec = replace(BASE, shot_size="WIDE", characters=("Sarah", "Tom", "Ana"))
    assert png(render_panel(spec, SIZE, seed=7)) == png(render_panel(spec, SIZE, seed=7))
    assert mean_difference(render_panel(spec, SIZE, seed=7), render_panel(spec, SIZE, seed=8)) > 0


def test_free_prompts_get_a_deterministic_composition_with_the_prompt_as_caption():
    prompt = "A robot walks through a futuristic city at sunset"
    assert spec_for_prompt(prompt) == spec_for_prompt(prompt)
    spec = spec_for_prompt(prompt)
    assert spec.description == prompt and spec.time_of_day == "DUSK"
    assert spec_for_prompt("A lighthouse at night").time_of_day == "NIGHT"
    first = render_panel(spec_for_prompt(prompt), SIZE)
    second = render_panel(spec_for_prompt("A quiet kitchen in the morning"), SIZE)
    assert mean_difference(first, second) > 5


def test_portrait_panels_keep_figures_inside_the_frame():
    spec = replace(BASE, shot_size="MEDIUM", characters=("Sarah", "Tom"))
    picture = render_picture(spec, (360, 640), marks=False)
    wardrobe = look_for("Tom", palette_for("DAY")).wardrobe
    assert 0.1 < centroid_x(picture, wardrobe) < 0.9


def test_an_interior_is_a_room_with_a_window_not_a_skyline():
    outside = render_picture(replace(BASE, shot_size="WIDE", characters=()), SIZE, marks=False)
    inside = render_picture(replace(BASE, shot_size="WIDE", characters=(), interior=True), SIZE, marks=False)
    top = (0, 0, SIZE[0], round(SIZE[1] * 0.3))
    assert fraction_where(outside.crop(top), sky_like) > 0.5
    # only the window shows the sky: a small part of the wall
    assert 0.005 < fraction_where(inside.crop((0, 0, SIZE[0], round(SIZE[1] * 0.5))), sky_like) < 0.15
    night = render_picture(replace(BASE, shot_size="WIDE", characters=(), interior=True, time_of_day="NIGHT"), SIZE,
                           marks=False)
    assert mean_difference(inside, night) > 20  # the room darkens with the time of day


def test_prompts_that_name_a_room_render_an_interior():
    assert spec_for_prompt("INT. KITCHEN - MORNING, coffee on the table").interior
    assert spec_for_prompt("a detective in her office").interior
    assert not spec_for_prompt("a mushroom field at dawn").interior
