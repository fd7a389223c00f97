"""Feedback on an image into an edit delta, offline."""

import pytest

from services.planner.feedback import EditAspect, clauses, interpret_feedback
from services.planner.shot_plan import Shot
from services.planner.vocabulary import CameraAngle, ShotSize
from services.runtime.errors import InvalidArgument


def test_seed_feedback():
    delta = interpret_feedback("Make the shadows more dramatic and add more contrast. The flashlight beam should be more prominent.")
    assert [i.aspect for i in delta.instructions] == [EditAspect.LIGHTING, EditAspect.CONTRAST, EditAspect.ELEMENT]
    assert delta.look.lighting_delta < 0 and delta.look.contrast_delta > 0
    assert delta.emphasize_elements == ["flashlight beam"]
    assert any("shadows" in p for p in delta.prompt_additions) and "flat lighting" in ", ".join(delta.negative_additions)
    assert delta.summary.count(";") == 2


def test_issue_example_with_commas():
    delta = interpret_feedback("more dramatic shadows, flashlight beam more prominent")
    assert delta.emphasize_elements == ["flashlight beam"] and delta.look.lighting_delta == -20


def test_elements_camera_and_colour():
    shot = Shot(id="S004", scene_id="SC001", size=ShotSize.MEDIUM)
    delta = interpret_feedback("Warmer please; remove the car and add fog behind her. Closer, from below.", shot)
    assert delta.remove_elements == ["car"] and "car" in delta.negative_additions
    assert delta.add_elements == ["fog"]
    assert delta.look.color_temperature_delta_kelvin < 0
    assert delta.shot_size is ShotSize.MEDIUM_CLOSE_UP and delta.look.fov_delta_degrees < 0
    assert delta.camera_angle is CameraAngle.LOW


def test_unknown_feedback_is_kept_verbatim():
    delta = interpret_feedback("Give it the feeling of a half-remembered dream")
    assert [(i.aspect, i.instruction) for i in delta.instructions] == [(EditAspect.OTHER, "Give it the feeling of a half-remembered dream")]
    assert delta.prompt_additions == ["Give it the feeling of a half-remembered dream"]


@pytest.mark.parametrize(
    "feedback, check",
    [
        ("black and white", lambda d: d.look.saturation_delta == -100),
        ("too dark", lambda d: d.look.lighting_delta > 0),
        ("less contrast", lambda d: d.look.contrast_delta < 0),
        ("cooler tones", lambda d: d.look.color_temperature_delta_kelvin > 0),
        ("more glow", lambda d: d.look.hdr_bloom_delta > 0),
        ("I don't like her hat", lambda d: d.remove_elements == ["hat"]),
        ("wider", lambda d: d.shot_size is ShotSize.MEDIUM_WIDE),  # one step out from a medium when no shot is given
        ("bird's eye view", lambda d: d.camera_angle is CameraAngle.OVERHEAD),
        ("she should look more scared", lambda d: d.instructions[0].aspect is EditAspect.CHARACTER),
        ("foggier", lambda d: d.add_elements == ["fog"]),
    ],
)
def test_rules(feedback, check):
    assert check(interpret_feedback(feedback))


def test_clauses_and_limits():
    assert clauses("Brighter. Add rain; remove the logo") == ["Brighter", "Add rain", "remove the logo"]
    with pytest.raises(InvalidArgument):
        interpret_feedback("   ")
    with pytest.raises(InvalidArgument) as long:
        interpret_feedback("x" * 5000)
    assert long.value.reason == "FEEDBACK_TOO_LONG"
