"""Offline plans for music-video, product-ad and scene-description briefs."""

import pytest

from services.planner.briefs import (
    MusicVideoBrief,
    ProductAdBrief,
    SceneBrief,
    ScreenplayBrief,
    check_screenplay_brief,
    load_brief_defaults,
    plan_music_video,
    plan_product_ad,
    plan_scene,
)
from services.planner.continuity import validate_shot_plan
from services.planner.plan import LookParameters, plan_problems
from services.planner.preferences import PlanPreferences
from services.planner.shot_planner import plan_shots
from services.planner.vocabulary import AdStyle, BriefKind, CameraAngle, Composition, ShotSize, TimeOfDay
from services.runtime.errors import InvalidArgument

BLOB = "projects/demo/blobs/" + "ab" * 32


def test_music_video_uses_config_defaults():
    defaults = load_brief_defaults().music_video
    plan = plan_music_video(MusicVideoBrief(idea="a lighthouse keeper who dances with the storm",
                                            character_description="a woman in her 30s with short silver hair, wearing a yellow raincoat"),
                            PlanPreferences())
    assert plan.brief_kind is BriefKind.MUSIC_VIDEO and plan_problems(plan) == []
    assert len(plan.scenes) == defaults.number_of_scenes
    [lead] = plan.characters
    assert lead.identity_lock.startswith("a woman in her 30s") and lead.wardrobe == "a yellow raincoat"
    assert all(s.character_ids == [lead.id] and s.negative_description == defaults.negative_description for s in plan.scenes)
    assert "dances with the storm" in plan.scenes[0].description
    assert all(s.camera_angle is defaults.camera_angle for s in plan.scenes)
    assert plan.bible.target_duration_s == defaults.number_of_scenes * defaults.scene_duration_s
    assert plan.bible.style == defaults.video_characteristics


def test_music_video_brief_values_win():
    plan = plan_music_video(MusicVideoBrief(idea="neon rollerskating", character_description="a skater in a silver jacket",
                                            number_of_scenes=7, video_characteristics="VHS grain", camera_angle=CameraAngle.LOW),
                            PlanPreferences(aspect_ratio="9:16"))
    assert len(plan.scenes) == 7 and plan.bible.aspect_ratio == "9:16" and plan.bible.style == "VHS grain"
    shots = plan_shots(plan)
    assert len(shots.shots) == 7 and {s.angle for s in shots.shots} == {CameraAngle.LOW}
    assert validate_shot_plan(plan, shots).violations == []


@pytest.mark.parametrize("style", [AdStyle.LUXURY, AdStyle.ENERGETIC, AdStyle.MINIMAL, AdStyle.BOLD])
def test_product_ad_templates(style):
    plan = plan_product_ad(ProductAdBrief(product_name="Aurora Headphones", style=style, product_image_blob=BLOB), PlanPreferences())
    template = load_brief_defaults().product_ad.styles[style]
    assert plan.brief_kind is BriefKind.PRODUCT_AD and plan_problems(plan) == []
    assert plan.ad_copy.hook and "Aurora Headphones" in plan.ad_copy.hook and plan.ad_copy.cta_text == template.cta_text
    assert [s.packshot for s in plan.scenes] == [False] * (len(plan.scenes) - 1) + [True]
    assert all(s.voiceover for s in plan.scenes) and template.cta_text in plan.scenes[-1].voiceover
    assert plan.props[0].image_blob == BLOB and plan.props[0].scene_ids == [s.id for s in plan.scenes]
    assert plan.bible.target_duration_s == 30
    shots = plan_shots(plan)
    assert shots.total_duration_s == pytest.approx(30, abs=0.05)
    assert shots.shots[-1].size is ShotSize.CLOSE_UP and shots.shots[0].voiceover


def test_product_ad_cta_and_validation():
    plan = plan_product_ad(ProductAdBrief(product_name="Kettle", style=AdStyle.MINIMAL, cta_text="Pre-order today"), PlanPreferences())
    assert plan.ad_copy.cta_text == "Pre-order today" and "Pre-order today" in plan.scenes[-1].voiceover
    with pytest.raises(InvalidArgument) as missing_style:
        plan_product_ad(ProductAdBrief(product_name="Kettle"), PlanPreferences())
    assert missing_style.value.field_violations[0].field == "product_ad.style"
    with pytest.raises(InvalidArgument) as bad_blob:
        plan_product_ad(ProductAdBrief(product_name="Kettle", style=AdStyle.BOLD, product_image_blob="../../etc/passwd"), PlanPreferences())
    assert bad_blob.value.field_violations[0].field == "product_ad.product_image_blob"


def test_scene_brief_frames_and_look():
    brief = SceneBrief(scene_description="A tense noir chase through rainy neon streets at midnight", genre="noir", frame_count=6,
                       base_params=LookParameters(fov_degrees=35, lighting=40, camera_angle=CameraAngle.LOW, composition=Composition.RULE_OF_THIRDS))
    plan = plan_scene(brief, PlanPreferences())
    look = plan.bible.look
    assert (look.fov_degrees, look.lighting, look.camera_angle) == (35, 40, CameraAngle.LOW)  # the brief's values
    assert look.contrast == 80 and look.color_temperature_kelvin == 3200  # the noir preset fills the rest
    assert plan.scenes[0].time_of_day is TimeOfDay.NIGHT and plan.scenes[0].planned_shot_count == 6
    shots = plan_shots(plan)
    assert len(shots.shots) == 6 and len({s.size for s in shots.shots}) == 6
    assert {s.angle for s in shots.shots} == {CameraAngle.LOW}
    assert shots.shots[1].lens_mm > 50  # a 35 degree field of view is a long normal lens


def test_scene_brief_defaults_and_limits():
    plan = plan_scene(SceneBrief(scene_description="Two friends share breakfast in a sunny kitchen"), PlanPreferences())
    assert plan.scenes[0].planned_shot_count == load_brief_defaults().scene.frame_count
    assert plan.scenes[0].time_of_day is TimeOfDay.DAY
    with pytest.raises(InvalidArgument) as too_many:
        plan_scene(SceneBrief(scene_description="x", frame_count=99), PlanPreferences())
    assert too_many.value.field_violations[0].field == "scene.frame_count"
    with pytest.raises(InvalidArgument) as empty:
        plan_scene(SceneBrief(scene_description="  "), PlanPreferences())
    assert empty.value.field_violations[0].field == "scene.scene_description"


def test_required_fields_and_screenplay_brief():
    with pytest.raises(InvalidArgument) as no_idea:
        plan_music_video(MusicVideoBrief(character_description="someone"), PlanPreferences())
    assert no_idea.value.field_violations[0].field == "music_video.idea"
    assert check_screenplay_brief(ScreenplayBrief(script_revision="projects/p/assets/s/revisions/2")).endswith("/2")
    with pytest.raises(InvalidArgument):
        check_screenplay_brief(ScreenplayBrief(script_revision="scripts/../2"))
    with pytest.raises(InvalidArgument) as ratio:
        plan_scene(SceneBrief(scene_description="a room"), PlanPreferences(aspect_ratio="5:4"))
    assert ratio.value.field_violations[0].field == "preferences.aspect_ratio"
