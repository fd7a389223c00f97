"""Render prompts: canonical descriptions, references, locks and edits."""

import pytest

from services.planner.feedback import EditDelta, interpret_feedback
from services.planner.patches import PatchOp, PlanPatch, apply_patches
from services.planner.render_prompts import (
    MAX_PROMPT_CHARS,
    LockProfile,
    RenderTarget,
    RenderTargetKind,
    build_render_prompt,
    canonical_description,
)
from services.runtime.errors import InvalidArgument

SHOT = RenderTargetKind.SHOT


def _with_references(plan):
    return apply_patches(plan, [
        PlanPatch(path="characters[CHAR_01].reference_revisions", op=PatchOp.ADD, value="projects/demo/assets/agnes-ref/revisions/2"),
        PlanPatch(path="characters[CHAR_02].reference_revisions", op=PatchOp.ADD, value="projects/demo/assets/tomas-ref/revisions/1"),
        PlanPatch(path="locations[LOC_02].reference_revisions", op=PatchOp.ADD, value="projects/demo/assets/kitchen-ref/revisions/1"),
        PlanPatch(path="bible.style_frame_revisions", op=PatchOp.ADD, value="projects/demo/assets/style/revisions/3"),
    ])


def test_canonical_description_is_in_every_prompt_that_shows_the_character(lighthouse_plan, lighthouse_shots):
    agnes = lighthouse_plan.characters[0]
    canonical_identity = f"{agnes.name}: {agnes.identity_lock}"
    shown = [s for s in lighthouse_shots.shots if "CHAR_01" in s.character_ids]
    assert len(shown) > 10
    for shot in shown:
        prompt = build_render_prompt(lighthouse_plan, RenderTarget(kind=SHOT, id=shot.id), shot_plan=lighthouse_shots)
        assert canonical_identity in prompt.positive, shot.id
        assert "CHAR_01" in prompt.character_ids
    sheet = build_render_prompt(lighthouse_plan, RenderTarget(kind=RenderTargetKind.CHARACTER, id="CHAR_01"))
    assert canonical_identity in sheet.positive and sheet.aspect_ratio == "1:1"


def test_shot_prompt_contents(lighthouse_plan, lighthouse_shots):
    shot = next(s for s in lighthouse_shots.shots if s.scene_id == "SC004" and "CHAR_02" in s.character_ids and s.continuity.characters)
    prompt = build_render_prompt(lighthouse_plan, RenderTarget(kind=SHOT, id=shot.id), shot_plan=lighthouse_shots)
    assert "wearing red rain jacket and jeans, yellow oilskin" in prompt.positive  # the wardrobe of this scene
    assert "Skerry Rock Lighthouse - Gallery" in prompt.positive and "night" in prompt.positive
    assert f"{shot.lens_mm:g}mm lens" in prompt.positive
    assert prompt.aspect_ratio == lighthouse_plan.bible.aspect_ratio and prompt.duration_s == shot.duration_s
    assert prompt.plan_revision == lighthouse_plan.revision and prompt.shot_plan_revision == lighthouse_shots.revision
    assert "watermark" in prompt.negative and len(prompt.positive) <= MAX_PROMPT_CHARS


def test_references_put_characters_first(lighthouse_plan, lighthouse_shots):
    plan = _with_references(lighthouse_plan)
    two_shot = next(s for s in lighthouse_shots.shots if s.scene_id == "SC002" and len(s.character_ids) == 2)
    prompt = build_render_prompt(plan, RenderTarget(kind=SHOT, id=two_shot.id), shot_plan=lighthouse_shots,
                                 source_image_revision="projects/demo/assets/frame-s015/revisions/1")
    expected_characters = [f"projects/demo/assets/{'agnes' if c == 'CHAR_01' else 'tomas'}-ref/revisions/{2 if c == 'CHAR_01' else 1}"
                           for c in two_shot.character_ids]
    assert prompt.reference_revisions == expected_characters + [
        "projects/demo/assets/kitchen-ref/revisions/1", "projects/demo/assets/style/revisions/3",
        "projects/demo/assets/frame-s015/revisions/1"]


def test_seed_lock_profile(seed_plan, seed_shots):
    lock = LockProfile(preserve_identity=True, preserve_wardrobe=True, preserve_location_layout=True, preserve_time_of_day=True,
                       banned_elements=["bright lighting", "daylight"], must_keep_elements=["flashlight", "red string wall"])
    edit = interpret_feedback("Make the shadows more dramatic and add more contrast. The flashlight beam should be more prominent.")
    shot = next(s for s in seed_shots.shots if s.scene_id == "SC003" and s.character_ids)
    prompt = build_render_prompt(seed_plan, RenderTarget(kind=SHOT, id=shot.id), lock, seed_shots, edit)
    assert "Keep the identity of Detective Sarah" in prompt.positive
    assert "Keep the layout of Warehouse" in prompt.positive and "Keep the night light" in prompt.positive
    assert "Must include: flashlight, red string wall" in prompt.positive
    assert "Emphasise: flashlight beam" in prompt.positive and "deep shadows" in prompt.positive
    negatives = [n.strip() for n in prompt.negative.split(",")]
    assert {"bright lighting", "daylight", "bright sky", "costume change", "flat lighting"} <= set(negatives)
    assert len(negatives) == len({n.lower() for n in negatives})  # no repeats


def test_location_and_style_frame(lighthouse_plan):
    location = build_render_prompt(lighthouse_plan, RenderTarget(kind=RenderTargetKind.LOCATION, id="LOC_03"),
                                   LockProfile(preserve_time_of_day=True))
    assert "no people" in location.positive and "Lantern Room" in location.positive
    assert "daylight" in location.negative and location.character_ids == []
    style = build_render_prompt(lighthouse_plan, RenderTarget(kind=RenderTargetKind.STYLE_FRAME))
    assert "The Lighthouse Keeper" in style.positive and style.target_kind is RenderTargetKind.STYLE_FRAME


def test_music_video_negative_description_reaches_the_prompt():
    from services.planner.briefs import MusicVideoBrief, plan_music_video
    from services.planner.preferences import PlanPreferences
    from services.planner.shot_planner import plan_shots

    plan = plan_music_video(MusicVideoBrief(idea="a night swim", character_description="a diver in a black wetsuit"), PlanPreferences())
    shots = plan_shots(plan)
    prompt = build_render_prompt(plan, RenderTarget(kind=SHOT, id="S001"), shot_plan=shots)
    assert "distorted face" in prompt.negative and "Lead: a diver in a black wetsuit" in prompt.positive


@pytest.mark.parametrize(
    "target, lock, edit, field",
    [
        (RenderTarget(kind=SHOT, id="S999"), None, None, "shot_id"),
        (RenderTarget(kind=RenderTargetKind.CHARACTER, id="CHAR_42"), None, None, "character_id"),
        (RenderTarget(kind=RenderTargetKind.LOCATION, id="LOC_42"), None, None, "location_id"),
        (RenderTarget(kind=RenderTargetKind.UNSPECIFIED), None, None, "target"),
        (RenderTarget(kind=SHOT, id="S001"), LockProfile(banned_elements=["rain"], must_keep_elements=["Rain"]), None,
         "lock_profile.must_keep_elements[0]"),
        (RenderTarget(kind=SHOT, id="S001"), LockProfile(banned_elements=["fog"]), EditDelta(add_elements=["fog"]),
         "edit_delta.add_elements[0]"),
        (RenderTarget(kind=SHOT, id="S001"), LockProfile(must_keep_elements=["flashlight"]), EditDelta(remove_elements=["flashlight"]),
         "edit_delta.remove_elements[0]"),
    ],
)
def test_invalid_requests_name_the_field(seed_plan, seed_shots, target, lock, edit, field):
    with pytest.raises(InvalidArgument) as raised:
        build_render_prompt(seed_plan, target, lock, seed_shots, edit)
    assert raised.value.field_violations[0].field == field


def test_shot_target_needs_a_shot_plan(seed_plan):
    with pytest.raises(InvalidArgument) as raised:
        build_render_prompt(seed_plan, RenderTarget(kind=SHOT, id="S001"))
    assert raised.value.field_violations[0].field == "shot_plan_revision"


def test_canonical_description_uses_the_given_wardrobe(seed_plan):
    sarah = seed_plan.characters[0]
    assert canonical_description(sarah) == "Detective Sarah: Woman in her 40s, sharp-eyed; wearing gray suit"
    assert canonical_description(sarah, wardrobe="gray suit, coat").endswith("wearing gray suit, coat")
