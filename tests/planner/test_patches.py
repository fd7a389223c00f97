"""Plan patches: atomic, validated, and precise about what is wrong."""

import pytest

from services.planner.patches import MAX_PATCHES, PatchOp, PlanPatch, apply_patches, parse_path
from services.planner.vocabulary import TimeOfDay
from services.runtime.errors import InvalidArgument


def _patch(path, op="REPLACE", value=None):
    return PlanPatch(path=path, op=PatchOp(op), value=value)


def _error(plan, patches) -> InvalidArgument:
    before = plan.model_dump()
    with pytest.raises(InvalidArgument) as raised:
        apply_patches(plan, patches)
    assert plan.model_dump() == before  # nothing written
    return raised.value


def test_seed_step_five_makes_a_new_plan(seed_plan):
    before = seed_plan.model_dump()
    patched = apply_patches(seed_plan, [
        _patch("characters[CHAR_01].identity_lock", value="Woman in her 50s, sharp-eyed, salt-and-pepper hair, weathered face"),
        _patch("characters[CHAR_01].description", value="Veteran detective, late 50s, approaching retirement but still sharp"),
    ])
    assert patched is not seed_plan and seed_plan.model_dump() == before
    assert patched.characters[0].identity_lock.startswith("Woman in her 50s")
    assert patched.characters[0].description.startswith("Veteran detective")
    assert patched.parent_revision == seed_plan.revision and patched.revision == ""
    assert patched.scenes == seed_plan.scenes


def test_nested_paths_positions_and_enums(seed_plan):
    patched = apply_patches(seed_plan, [
        _patch("scenes[SC002].beats[0].text", value="Sarah reaches the warehouse in the rain."),
        _patch("scenes[SC003].time_of_day", value="DAWN"),
        _patch("bible.look.lighting", value=25.0),  # JSON numbers arrive as floats
        _patch("characters[CHAR_01].wardrobe_by_scene[SC002].wardrobe", value="trench coat"),
    ])
    assert patched.scenes[1].beats[0].text == "Sarah reaches the warehouse in the rain."
    assert patched.scenes[2].time_of_day is TimeOfDay.DAWN
    assert patched.bible.look.lighting == 25
    assert patched.characters[0].wardrobe_by_scene[1].wardrobe == "trench coat"


def test_add_and_remove(seed_plan):
    patched = apply_patches(seed_plan, [
        _patch("props", "ADD", {"name": "red string", "description": "red string linking the clippings"}),
        _patch("scenes[SC003].prop_ids", "ADD", "PROP_04"),
        _patch("scenes[SC001].beats[0]", "ADD", {"kind": "ACTION", "text": "Thunder outside."}),
        _patch("scenes[SC001].notes", "ADD", "Shoot the photos practically."),
        _patch("bible.color_palette", "ADD", "sodium orange"),
        _patch("scenes[SC003].beats[2]", "REMOVE"),
    ])
    assert patched.props[-1].id == "PROP_04" and patched.props[-1].name == "red string"
    assert patched.scenes[2].prop_ids[-1] == "PROP_04"
    assert patched.scenes[0].beats[0].text == "Thunder outside." and len(patched.scenes[0].beats) == 5
    assert patched.scenes[0].notes == ["Shoot the photos practically."]
    assert patched.bible.color_palette == ["sodium orange"]
    assert len(patched.scenes[2].beats) == 2


def test_removing_an_entity_and_its_references_in_one_call(seed_plan):
    patched = apply_patches(seed_plan, [
        _patch("scenes[SC003].prop_ids[1]", "REMOVE"),
        _patch("scenes[SC003].beats[1].prop_ids[0]", "REMOVE"),
        _patch("scenes[SC003].beats[1].changes[0]", "REMOVE"),
        _patch("props[PROP_03]", "REMOVE"),
    ])
    assert [p.id for p in patched.props] == ["PROP_01", "PROP_02"]


@pytest.mark.parametrize(
    "patches, field, reason",
    [
        ([_patch("characters[CHAR_09].name", value="X")], "patches[0].path", "PATCH_TARGET_NOT_FOUND"),
        ([_patch("title", value="ok"), _patch("characters[CHAR_01].identity_lock", value=5)], "patches[1].value", "INVALID_PATCH_VALUE"),
        ([_patch("characters[CHAR_01].height", value="tall")], "patches[0].path", "INVALID_PATCH_PATH"),
        ([_patch("scenes[SC001].beats[9].text", value="x")], "patches[0].path", "PATCH_TARGET_NOT_FOUND"),
        ([_patch("scenes[SC001].time_of_day", value="TEATIME")], "patches[0].value", "INVALID_PATCH_VALUE"),
        ([_patch("bible.target_duration_s", value=-1)], "patches[0].value", "INVALID_PATCH_VALUE"),
        ([_patch("scenes[SC001].location_id", value="LOC_09")], "patches[0].value", "PATCH_BREAKS_REFERENCES"),
        ([_patch("characters[CHAR_01]", "REMOVE")], "patches[0].path", "PATCH_BREAKS_REFERENCES"),
        ([_patch("revision", value="projects/x/assets/y/revisions/9")], "patches[0].path", "PATCH_READ_ONLY"),
        ([_patch("characters[CHAR_01].id", value="CHAR_02")], "patches[0].path", "PATCH_READ_ONLY"),
        ([_patch("title", "ADD", "x")], "patches[0].path", "INVALID_PATCH_PATH"),
        ([_patch("title", "REMOVE")], "patches[0].path", "INVALID_PATCH_PATH"),
        ([_patch("characters", "ADD", {"id": "CHAR_01", "name": "Clone"})], "patches[0].value", "PATCH_DUPLICATE_ID"),
        ([_patch("a.b.c.d.e.f.g.h.i", value=1)], "patches[0].path", "INVALID_PATCH_PATH"),
        ([_patch("characters[../../etc].name", value="x")], "patches[0].path", "INVALID_PATCH_PATH"),
        ([_patch("title", "UNSPECIFIED", "x")], "patches[0].op", "INVALID_PATCH_OP"),
        ([_patch("characters[CHAR_01].unknown_field", value="x")], "patches[0].path", "INVALID_PATCH_PATH"),
    ],
)
def test_bad_patches_name_index_and_path(seed_plan, patches, field, reason):
    error = _error(seed_plan, patches)
    assert error.field_violations[0].field == field
    assert error.reason == reason
    assert field in error.message


def test_error_message_names_the_path(seed_plan):
    error = _error(seed_plan, [_patch("characters[CHAR_01].identity_lock", value=["not", "a", "string"])])
    assert "characters[CHAR_01].identity_lock" in error.message


def test_limits(seed_plan):
    with pytest.raises(InvalidArgument) as none:
        apply_patches(seed_plan, [])
    assert none.value.reason == "PATCHES_REQUIRED"
    with pytest.raises(InvalidArgument) as many:
        apply_patches(seed_plan, [_patch("title", value="x")] * (MAX_PATCHES + 1))
    assert many.value.reason == "TOO_MANY_PATCHES"
    with pytest.raises(InvalidArgument):
        parse_path("x" * 400)


def test_a_later_patch_may_fix_an_earlier_reference(seed_plan):
    patched = apply_patches(seed_plan, [
        _patch("scenes[SC001].location_id", value="LOC_04"),
        _patch("locations", "ADD", {"name": "ROOFTOP", "setting": "EXTERIOR"}),
    ])
    assert patched.scenes[0].location_id == "LOC_04" and patched.locations[-1].id == "LOC_04"
