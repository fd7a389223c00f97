"""Hostile input a caller can send the planner: every one answers a precise
status with google.rpc details (never INTERNAL) and writes nothing it
should not: over-long, deep and odd patch paths, numbers JSON cannot hold,
a revision of the other kind after the cache has seen it, and scripts
whose plan would break the plan's limits."""

from __future__ import annotations

import math

import grpc
import pytest
from google.protobuf import struct_pb2

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb
from tests.planner.servicer_harness import asset_of, planner_harness, rpc_error
from tests.planner.test_servicer import OP, patch, seed_plan
from tests.status_details import details_of, reason_of, violated_fields


@pytest.fixture
async def harness(tmp_path):
    async with planner_harness(tmp_path / "data") as running:
        yield running


def _bad_request(error: grpc.aio.AioRpcError, field: str) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
    assert violated_fields(error) == [field]
    assert "ErrorInfo" in details_of(error) and "BadRequest" in details_of(error)


HOSTILE_PATHS = [
    "characters[CHAR_01].name" + ".x" * 140,  # 301 characters
    "x" * 601,  # over PlanPatch's old max_length: was INTERNAL
    "characters[CHAR_01]." + "a" * 5000,
    "." * 100_000,
    ".".join(["scenes[SC001]"] * 40),
    "a." * 49 + "a",  # 50 segments in 99 characters
    "characters[CHAR_01]\x00.name",
    "characters[CHAR_01].name\x00",
    "characters[😀].name",
    "characters[CHAR_01].ｎａｍｅ",
    "characters[" + "9" * 50 + "].name",
    "scenes[99999999999999999999].summary",
    "characters[CHAR_01].name[",
    "__class__.__init__",
    "characters[-1].name",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS, ids=[f"path{i}" for i in range(len(HOSTILE_PATHS))])
async def test_hostile_patch_paths_name_the_patch_and_write_nothing(harness, seed_text, path):
    plan = await seed_plan(harness, seed_text)
    before = await harness.revision_count(asset_of(plan.revision))
    good = patch("characters[CHAR_01].name", string_value="Sarah")
    error = await rpc_error(harness.planner.PatchPlan(pb.PatchPlanRequest(
        plan_revision=plan.revision, patches=[good, patch(path, string_value="x")],
    )))
    _bad_request(error, "patches[1].path")
    assert reason_of(error) in ("INVALID_PATCH_PATH", "PATCH_TARGET_NOT_FOUND")
    assert len(error.details()) < 1000  # a preview of the path, not the path
    assert await harness.revision_count(asset_of(plan.revision)) == before


async def test_over_long_path_message_says_how_long(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    error = await rpc_error(harness.planner.PatchPlan(pb.PatchPlanRequest(
        plan_revision=plan.revision, patches=[patch("a" * 700, string_value="x")],
    )))
    _bad_request(error, "patches[0].path")
    assert reason_of(error) == "INVALID_PATCH_PATH" and "700 characters" in error.details()


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
async def test_non_finite_patch_values_are_refused(harness, seed_text, number):
    plan = await seed_plan(harness, seed_text)
    nested = struct_pb2.Value()
    nested.list_value.values.add().number_value = number
    for value in (struct_pb2.Value(number_value=number), nested):
        error = await rpc_error(harness.planner.PatchPlan(pb.PatchPlanRequest(
            plan_revision=plan.revision, patches=[patch("characters[CHAR_01].name", string_value="Sarah"),
                                                  planner_pb2.PlanPatch(path="bible.target_duration_s", op=OP.OP_REPLACE, value=value)],
        )))
        _bad_request(error, "patches[1].value")
        assert reason_of(error) == "NON_FINITE_NUMBER"


async def test_hostile_patch_values_are_invalid_arguments(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    deep = struct_pb2.Value(string_value="x")
    for _ in range(40):
        outer = struct_pb2.Value()
        outer.list_value.values.append(deep)
        deep = outer
    for path, value in (
        ("characters[CHAR_01].identity_lock", struct_pb2.Value(string_value="x" * 20_001)),
        ("characters[CHAR_01].identity_lock", deep),
        ("characters[CHAR_01].name", struct_pb2.Value(string_value="a\x00b" * 200)),
        ("characters", struct_pb2.Value(list_value=struct_pb2.ListValue(values=[struct_pb2.Value(number_value=1)] * 2000))),
        ("bible.target_duration_s", struct_pb2.Value(number_value=1e308)),
    ):
        error = await rpc_error(harness.planner.PatchPlan(pb.PatchPlanRequest(
            plan_revision=plan.revision, patches=[planner_pb2.PlanPatch(path=path, op=OP.OP_REPLACE, value=value)],
        )))
        _bad_request(error, "patches[0].value")


async def test_a_cached_revision_of_the_other_kind_is_still_the_wrong_kind(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    shots = (await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))).shot_plan
    # Both revisions are now in the planner's cache of decoded revisions.
    assert (await harness.planner.GetShotPlan(pb.GetShotPlanRequest(name=shots.revision))).revision == shots.revision
    assert (await harness.planner.GetPlan(pb.GetPlanRequest(name=plan.revision))).revision == plan.revision
    for call, field in (
        (harness.planner.GetPlan(pb.GetPlanRequest(name=shots.revision)), "name"),
        (harness.planner.GetShotPlan(pb.GetShotPlanRequest(name=plan.revision)), "name"),
        (harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=shots.revision)), "plan_revision"),
        (harness.planner.ValidateContinuity(pb.ValidateContinuityRequest(shot_plan_revision=plan.revision)), "shot_plan_revision"),
        (harness.planner.RepairContinuity(pb.RepairContinuityRequest(shot_plan_revision=plan.revision)), "shot_plan_revision"),
        (harness.planner.ExportPlan(pb.ExportPlanRequest(plan_revision=shots.revision, formats=[planner_pb2.EXPORT_FORMAT_PLAN_JSON])),
         "plan_revision"),
        (harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(
            plan_revision=shots.revision, shot_plan_revision=shots.revision, shot_id="S001")), "plan_revision"),
        (harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(
            plan_revision=plan.revision, shot_plan_revision=plan.revision, shot_id="S001")), "shot_plan_revision"),
        (harness.planner.PatchPlan(pb.PatchPlanRequest(
            plan_revision=shots.revision, patches=[patch("title", string_value="x")])), "plan_revision"),
    ):
        error = await rpc_error(call)
        _bad_request(error, field)
        assert reason_of(error) == "WRONG_RESOURCE_KIND"


async def test_scripts_too_large_to_plan_answer_invalid_argument(harness):
    crowded = "INT. HALL - DAY\n\n" + "".join(f"BOB\nLine {i}.\n\n" for i in range(2001))
    script = await harness.create_script(crowded)
    error = await rpc_error(harness.plan_screenplay(script.revision))
    _bad_request(error, "screenplay.script_revision")
    assert reason_of(error) == "SCRIPT_TOO_LARGE_TO_PLAN" and "2001 paragraphs" in error.details()


async def test_over_long_script_text_is_cut_to_the_plan_limits(harness):
    text = (
        "Title: " + "T" * 3000 + "\nNotes: " + "n " * 15_000 + "\n\n"
        "INT. " + "VERY LONG PLACE " * 100 + "- NIGHT\n\n"
        + "SARAH (40s, " + "sharp-eyed, " * 3000 + "wearing a coat) enters.\n\n"
        + "SARAH\n" + "Talk. " * 5000 + "\n\n"
        + "x" * 60_000 + "\x00 \n"
    )
    script = await harness.create_script(text)
    plan = await harness.plan_screenplay(script.revision)
    assert len(plan.title) <= 500 and len(plan.bible.logline) <= 20_000
    assert len(plan.locations) == 1 and len(plan.locations[0].name) <= 500
    assert all(len(beat.text) <= 20_000 for scene in plan.scenes for beat in scene.beats)
    assert any(beat.text.startswith("Talk. Talk.") for scene in plan.scenes for beat in scene.beats)
    shots = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))
    assert shots.shot_plan.shots
    export = await harness.planner.ExportPlan(pb.ExportPlanRequest(
        plan_revision=plan.revision, shot_plan_revision=shots.shot_plan.revision,
        formats=[planner_pb2.EXPORT_FORMAT_PLAN_JSON, planner_pb2.EXPORT_FORMAT_SHOTS_CSV]))
    assert len(export.files) == 2


@pytest.mark.parametrize("text", [
    "INT. A - DAY\n\n" + "\x00" * 5000 + "\n\nBOB\n\x00hi\x00\n",
    "\x00\n" * 2000 + "INT. A - DAY\n\nBOB\nhi\n",
    "INT. 😀 CAFÉ - DAY\n\n😀😀\nHi.\n\nاسم\nمرحبا\n\u202eBOB\nhi\n",
    "/*" * 2000 + "INT. A - DAY\n\nx\n" + "*/" * 2000 + "[[" * 100,
])
async def test_odd_script_text_gets_a_plan_and_shots(harness, text):
    script = await harness.create_script(text)
    plan = await harness.plan_screenplay(script.revision)
    shots = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))
    assert shots.shot_plan.plan_revision == plan.revision


@pytest.mark.parametrize(("page_size", "page_token"), [(-1, ""), (-2**31, ""), (0, "\x00"), (10, "x" * 5000), (10, "e30")])
async def test_odd_trace_pages_answer_invalid_argument(harness, page_size, page_token):
    error = await rpc_error(harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(
        parent=harness.project, page_size=page_size, page_token=page_token)))
    _bad_request(error, "page_size" if page_size < 0 else "page_token")


async def test_enormous_trace_page_size_is_served(harness):
    for size in (1001, 2**31 - 1):
        answer = await harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=harness.project, page_size=size))
        assert list(answer.traces) == [] and answer.next_page_token == ""


async def test_brief_text_at_the_brief_limits_fits_the_plan(harness):
    brief = planner_pb2.MusicVideoBrief(
        idea="A song about the sea", character_description="a singer wearing " + "sequins and " * 150 + "boots",
        video_characteristics="😀" * 1000, number_of_scenes=2,
    )
    plan = await harness.planner.GeneratePlan(pb.GeneratePlanRequest(parent=harness.project, music_video=brief))
    assert 0 < len(plan.bible.style) <= 500 and 0 < len(plan.characters[0].wardrobe) <= 500


async def test_a_plan_patched_to_its_text_limits_still_gets_shots_prompts_and_exports(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    long_text = ("word \x00 😀 " * 2500)[:20_000]
    name = ("N\x00😀 " * 200)[:500]
    patches = [patch(f"characters[{c.id}].name", string_value=name) for c in plan.characters]
    patches += [patch(f"characters[{c.id}].identity_lock", string_value=long_text) for c in plan.characters]
    patches += [patch(f"locations[{loc.id}].layout", string_value=long_text) for loc in plan.locations]
    patches += [patch(f"scenes[{s.id}].beats[{i}].text", string_value=long_text) for s in plan.scenes[:2] for i in range(len(s.beats))]
    patched = await harness.planner.PatchPlan(pb.PatchPlanRequest(plan_revision=plan.revision, patches=patches))

    generated = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=patched.revision))
    shots = generated.shot_plan
    assert shots.shots and await harness.planner.GetShotPlan(pb.GetShotPlanRequest(name=shots.revision)) == shots
    for shot in shots.shots:
        assert max(len(shot.description), len(shot.first_frame), len(shot.last_frame), len(shot.continuity.summary)) <= 20_000
    prompt = await harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(
        plan_revision=patched.revision, shot_plan_revision=shots.revision, shot_id=shots.shots[0].id,
        lock_profile=planner_pb2.LockProfile(preserve_identity=True, preserve_location_layout=True)))
    assert prompt.positive
    export = await harness.planner.ExportPlan(pb.ExportPlanRequest(plan_revision=patched.revision, shot_plan_revision=shots.revision))
    assert len(export.files) == 3


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    key, size, out = (number << 3) | 2, len(payload), bytearray()
    for value in (key, size):
        while value >= 0x80:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out) + payload


@pytest.mark.parametrize("content", [b"INT. A - DAY\n\n\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80 lone surrogate", b"\xf8\x88\x80\x80\x80"])
async def test_invalid_utf8_script_text_is_a_malformed_request(harness, content):
    raw = _field(1, harness.project.encode()) + _field(2, _field(5, content))
    call = harness.a.channel.unary_unary("/previs.planner.v1.PlannerService/CreateScript")
    error = await rpc_error(call(raw))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and reason_of(error) == "MALFORMED_REQUEST"
    assert await harness.asset_count() == 0


async def test_the_same_raw_request_with_valid_utf8_is_served(harness):
    raw = _field(1, harness.project.encode()) + _field(2, _field(5, "INT. CAFÉ - DAY\n\nHello.".encode()))
    answer = await harness.a.channel.unary_unary("/previs.planner.v1.PlannerService/CreateScript")(raw)
    script = planner_pb2.Script.FromString(answer)
    assert script.scene_count == 1 and script.revision.startswith(harness.project)
