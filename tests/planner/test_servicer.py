"""PlannerService over real servers: scripts, the four briefs, patches and
their errors, idempotent retries, continuity, feedback, prompts, storage
errors."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2, struct_pb2

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_rpc
from tests.planner.servicer_harness import asset_of, number_of, planner_harness, rpc_error
from tests.status_details import details_of, reason_of, violated_fields

OP = planner_pb2.PlanPatch


@pytest.fixture
async def harness(tmp_path):
    async with planner_harness(tmp_path / "data") as running:
        yield running


def patch(path: str, op=OP.OP_REPLACE, **value) -> planner_pb2.PlanPatch:
    return planner_pb2.PlanPatch(path=path, op=op, value=struct_pb2.Value(**value) if value else None)


async def seed_plan(harness, seed_text, request_id="p1") -> planner_pb2.Plan:
    script = await harness.create_script(seed_text, title="The Discovery")
    preferences = planner_pb2.PlanPreferences(style="cinematic noir")
    preferences.target_duration.FromSeconds(45)
    return await harness.plan_screenplay(script.revision, preferences=preferences, request_id=request_id)


# --------------------------------------------------------------------------- scripts
async def test_scripts_get_by_asset_revision_and_latest_and_update(harness, lighthouse_text):
    created = await harness.create_script(lighthouse_text, script_id="lighthouse")
    assert created.name == f"{harness.project}/assets/lighthouse" and created.revision == created.name + "/revisions/1"
    assert created.detected_format == planner_pb2.SCRIPT_FORMAT_FOUNTAIN and created.title_page["Title"]
    assert created.title == created.title_page["Title"] and created.scene_count > 3 and created.page_estimate > 0

    mask = field_mask_pb2.FieldMask(paths=["title"])
    updated = await harness.planner.UpdateScript(pb.UpdateScriptRequest(
        script=planner_pb2.Script(name=created.name, title="Renamed", etag=created.etag), update_mask=mask, request_id="u1",
    ))
    assert updated.revision == created.name + "/revisions/2" and updated.title == "Renamed"
    assert updated.content == lighthouse_text and updated.scene_count == created.scene_count

    by_asset = await harness.planner.GetScript(pb.GetScriptRequest(name=created.name))
    by_latest = await harness.planner.GetScript(pb.GetScriptRequest(name=created.name + "/revisions/latest"))
    old = await harness.planner.GetScript(pb.GetScriptRequest(name=created.revision))
    assert by_asset == by_latest == updated
    assert old.title == created.title and old.revision == created.revision and old.etag == ""

    stale = await rpc_error(harness.planner.UpdateScript(pb.UpdateScriptRequest(
        script=planner_pb2.Script(name=created.name, content="INT. ROOM - DAY\n\nNothing.", etag=created.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["content"]),
    )))
    assert stale.code() == grpc.StatusCode.ABORTED
    assert await harness.revision_count(created.name) == 2

    retried = await harness.planner.UpdateScript(pb.UpdateScriptRequest(
        script=planner_pb2.Script(name=created.name, title="Renamed", etag=created.etag), update_mask=mask, request_id="u1",
    ))
    assert retried.revision == updated.revision and await harness.revision_count(created.name) == 2


@pytest.mark.parametrize(
    ("script", "field", "reason"),
    [
        (planner_pb2.Script(content=""), "script.content", "SCRIPT_EMPTY"),
        (planner_pb2.Script(content=" \n\t "), "script.content", "SCRIPT_EMPTY"),
        (planner_pb2.Script(content="x" * 2_000_001), "script.content", "SCRIPT_TOO_LARGE"),
        (planner_pb2.Script(content="INT. A - DAY", format=7), "script.format", "INVALID_SCRIPT_FORMAT"),
        (planner_pb2.Script(content="INT. A - DAY", title="t" * 201), "script.title", "TITLE_TOO_LONG"),
    ],
)
async def test_invalid_scripts_write_nothing(harness, script, field, reason):
    error = await rpc_error(harness.planner.CreateScript(pb.CreateScriptRequest(parent=harness.project, script=script)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == [field] and reason_of(error) == reason
    assert await harness.asset_count() == 0


async def test_update_script_mask_errors(harness, seed_text):
    created = await harness.create_script(seed_text)
    for paths, field in (([], "update_mask"), (["title", "scene_count"], "update_mask.paths[1]")):
        error = await rpc_error(harness.planner.UpdateScript(pb.UpdateScriptRequest(
            script=planner_pb2.Script(name=created.name, title="x"), update_mask=field_mask_pb2.FieldMask(paths=paths),
        )))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]
    assert await harness.revision_count(created.name) == 1


# --------------------------------------------------------------------------- briefs
async def test_music_video_brief(harness):
    plan = await harness.planner.GeneratePlan(pb.GeneratePlanRequest(
        parent=harness.project,
        music_video=planner_pb2.MusicVideoBrief(
            idea="A lonely robot finds a flower in a ruined city", character_description="small rusty robot with one blue eye",
            number_of_scenes=5, camera_angle=planner_pb2.CAMERA_ANGLE_LOW,
        ),
        plan_id="robot-video", request_id="mv",
    ))
    assert plan.revision == f"{harness.project}/assets/robot-video/revisions/1"
    assert plan.brief_kind == planner_pb2.BRIEF_KIND_MUSIC_VIDEO and len(plan.scenes) == 5
    assert all(s.description and s.negative_description and s.camera_angle == planner_pb2.CAMERA_ANGLE_LOW for s in plan.scenes)
    assert "rusty robot" in plan.characters[0].identity_lock and plan.source_revision == ""
    assert not (await harness.revision(plan.revision)).parents


async def test_product_ad_brief_keeps_the_product_image_blob(harness):
    blob = await harness.storage.upload(harness.project, b"\x89PNG fake product photo", "image/png")
    plan = await harness.planner.GeneratePlan(pb.GeneratePlanRequest(
        parent=harness.project,
        product_ad=planner_pb2.ProductAdBrief(product_name="Aurora Watch", style=planner_pb2.AD_STYLE_LUXURY, product_image_blob=blob.name),
    ))
    assert plan.brief_kind == planner_pb2.BRIEF_KIND_PRODUCT_AD and plan.ad_copy.product_image_blob == blob.name
    assert plan.ad_copy.hook and plan.ad_copy.cta_text and plan.scenes[-1].packshot
    assert all(s.voiceover for s in plan.scenes) and plan.props[0].image_blob == blob.name
    revision = await harness.revision(plan.revision)
    assert [(b.role, b.blob) for b in revision.blobs] == [("product-image", blob.name)]

    shots = (await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))).shot_plan
    packshot = next(s for s in shots.shots if s.scene_id == plan.scenes[-1].id)
    prompt = await harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(
        plan_revision=plan.revision, shot_plan_revision=shots.revision, shot_id=packshot.id))
    assert blob.name in prompt.reference_blobs


async def test_product_ad_blob_must_exist_in_the_project(harness):
    missing = f"{harness.project}/blobs/{'0' * 64}"
    error = await rpc_error(harness.planner.GeneratePlan(pb.GeneratePlanRequest(
        parent=harness.project,
        product_ad=planner_pb2.ProductAdBrief(product_name="Aurora", style=planner_pb2.AD_STYLE_BOLD, product_image_blob=missing),
    )))
    assert error.code() == grpc.StatusCode.NOT_FOUND and missing in error.details()
    other = f"projects/elsewhere/blobs/{'0' * 64}"
    error = await rpc_error(harness.planner.GeneratePlan(pb.GeneratePlanRequest(
        parent=harness.project,
        product_ad=planner_pb2.ProductAdBrief(product_name="Aurora", style=planner_pb2.AD_STYLE_BOLD, product_image_blob=other),
    )))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["product_ad.product_image_blob"]
    error = await rpc_error(harness.planner.GeneratePlan(pb.GeneratePlanRequest(
        parent=harness.project, product_ad=planner_pb2.ProductAdBrief(product_name="Aurora"),
    )))
    assert violated_fields(error) == ["product_ad.style"]
    assert await harness.asset_count() == 0


async def test_scene_brief(harness):
    params = planner_pb2.LookParameters(fov_degrees=35, contrast=80, composition=planner_pb2.COMPOSITION_LEADING_LINES)
    plan = await harness.planner.GeneratePlan(pb.GeneratePlanRequest(
        parent=harness.project,
        scene=planner_pb2.SceneBrief(scene_description="A tense noir chase through rainy neon streets at midnight",
                                     genre="noir", frame_count=4, base_params=params),
    ))
    assert plan.brief_kind == planner_pb2.BRIEF_KIND_SCENE and plan.scenes[0].planned_shot_count == 4
    assert plan.bible.look.contrast == 80 and plan.bible.look.fov_degrees == 35
    assert plan.scenes[0].time_of_day == planner_pb2.TIME_OF_DAY_NIGHT
    shots = (await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))).shot_plan
    assert len(shots.shots) == 4


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({}, "brief"),
        ({"scene": planner_pb2.SceneBrief(scene_description="x", frame_count=-2)}, "scene.frame_count"),
        ({"music_video": planner_pb2.MusicVideoBrief(idea="x", character_description="y", camera_angle=42)}, "music_video.camera_angle"),
        ({"scene": planner_pb2.SceneBrief(scene_description="x"), "preferences": planner_pb2.PlanPreferences(aspect_ratio="5:4")},
         "preferences.aspect_ratio"),
        ({"screenplay": planner_pb2.ScreenplayBrief(script_revision="scripts/1")}, "screenplay.script_revision"),
        ({"scene": planner_pb2.SceneBrief(scene_description="x"), "plan_id": "Bad Id"}, "plan_id"),
    ],
)
async def test_generate_plan_names_the_bad_field(harness, request_fields, field):
    error = await rpc_error(harness.planner.GeneratePlan(pb.GeneratePlanRequest(parent=harness.project, **request_fields)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error)[0] == field
    assert await harness.asset_count() == 0


async def test_negative_target_duration_names_the_proto_field(harness):
    preferences = planner_pb2.PlanPreferences()
    preferences.target_duration.FromSeconds(-5)
    error = await rpc_error(harness.planner.GeneratePlan(pb.GeneratePlanRequest(
        parent=harness.project, scene=planner_pb2.SceneBrief(scene_description="x"), preferences=preferences)))
    assert violated_fields(error) == ["preferences.target_duration"]


# --------------------------------------------------------------------------- patches
async def test_patch_errors_name_the_patch_and_write_nothing(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    cases = [
        ([patch("characters[CHAR_01].name", string_value="Sarah Kane"), patch("characters[CHAR_01].nickname", string_value="x")],
         "patches[1].path", "INVALID_PATCH_PATH"),
        ([patch("characters[CHAR_09].identity_lock", string_value="x")], "patches[0].path", "PATCH_TARGET_NOT_FOUND"),
        ([patch("characters[CHAR_01].dialogue_lines", string_value="many")], "patches[0].value", "INVALID_PATCH_VALUE"),
        ([patch("scenes[SC002].beats[99].text", string_value="x")], "patches[0].path", "PATCH_TARGET_NOT_FOUND"),
        ([patch("characters[CHAR_01].identity_lock", op=OP.OP_UNSPECIFIED, string_value="x")], "patches[0].op", "INVALID_PATCH_OP"),
        ([patch("scenes[SC001].location_id", string_value="LOC_77")], "patches[0].value", "PATCH_BREAKS_REFERENCES"),
        ([patch("revision", string_value="x")], "patches[0].path", "PATCH_READ_ONLY"),
        ([], "patches", "PATCHES_REQUIRED"),
    ]
    for patches, field, reason in cases:
        error = await rpc_error(harness.planner.PatchPlan(pb.PatchPlanRequest(plan_revision=plan.revision, patches=patches)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (field, error.details())
        assert (violated_fields(error), reason_of(error)) == ([field], reason), error.details()
    assert await harness.revision_count(asset_of(plan.revision)) == 1


async def test_patch_list_ops_and_stale_revision_aborts(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    added = await harness.planner.PatchPlan(pb.PatchPlanRequest(plan_revision=plan.revision, patches=[
        patch("scenes[SC002].beats[0].text", string_value="Sarah arrives at the warehouse, soaked."),
        planner_pb2.PlanPatch(path="props", op=OP.OP_ADD, value=struct_pb2.Value(struct_value=struct_pb2.Struct(
            fields={"name": struct_pb2.Value(string_value="red string")}))),
    ], message="rewrite the arrival"))
    assert added.scenes[1].beats[0].text == "Sarah arrives at the warehouse, soaked."
    assert added.props[-1].name == "red string" and added.props[-1].id.startswith("PROP_")
    assert (await harness.revision(added.revision)).message == "rewrite the arrival"

    stale = await rpc_error(harness.planner.PatchPlan(pb.PatchPlanRequest(
        plan_revision=plan.revision, patches=[patch("title", string_value="Stale")])))
    assert stale.code() == grpc.StatusCode.ABORTED and reason_of(stale) == "PLAN_REVISION_STALE"
    latest = asset_of(plan.revision) + "/revisions/latest"
    fresh = await harness.planner.PatchPlan(pb.PatchPlanRequest(plan_revision=latest, patches=[patch("title", string_value="Fresh")]))
    assert number_of(fresh.revision) == 3 and fresh.parent_revision == added.revision and fresh.title == "Fresh"


# --------------------------------------------------------------------------- idempotency
async def test_retries_with_the_same_request_id_write_nothing_new(harness, seed_text):
    first_script = await harness.create_script(seed_text, request_id="s-1")
    again_script = await harness.create_script(seed_text, request_id="s-1")
    assert again_script.revision == first_script.revision and again_script.name == first_script.name

    plan = await harness.plan_screenplay(first_script.revision, request_id="g-1")
    assert (await harness.plan_screenplay(first_script.revision, request_id="g-1")).revision == plan.revision

    patch_request = pb.PatchPlanRequest(plan_revision=plan.revision, patches=[patch("title", string_value="Again")], request_id="x-1")
    patched = await harness.planner.PatchPlan(patch_request)
    assert (await harness.planner.PatchPlan(patch_request)).revision == patched.revision  # no longer the head: still the original

    shots_request = pb.GenerateShotPlanRequest(plan_revision=patched.revision, request_id="sp-1")
    shots = await harness.planner.GenerateShotPlan(shots_request)
    validate_request = pb.ValidateContinuityRequest(shot_plan_revision=shots.shot_plan.revision, request_id="v-1")
    report = await harness.planner.ValidateContinuity(validate_request)
    export_request = pb.ExportPlanRequest(plan_revision=patched.revision, shot_plan_revision=shots.shot_plan.revision, request_id="e-1")
    export = await harness.planner.ExportPlan(export_request)

    assets = await harness.asset_count()
    counts = {name: await harness.revision_count(name) for name in (
        first_script.name, asset_of(plan.revision), asset_of(shots.shot_plan.revision), asset_of(report.revision), asset_of(export.revision))}
    assert await harness.planner.GenerateShotPlan(shots_request) == shots
    assert await harness.planner.ValidateContinuity(validate_request) == report
    assert await harness.planner.ExportPlan(export_request) == export
    assert await harness.create_script(seed_text, request_id="s-1") == again_script
    assert await harness.asset_count() == assets
    assert {name: await harness.revision_count(name) for name in counts} == counts

    fresh = await harness.plan_screenplay(first_script.revision, request_id="g-2")
    assert fresh.revision != plan.revision


# --------------------------------------------------------------------------- continuity
async def test_validate_and_repair_a_broken_shot_plan(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    good = (await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))).shot_plan
    broken = planner_pb2.ShotPlan()
    broken.CopyFrom(good)
    broken.revision = ""
    broken.shots[1].id = broken.shots[0].id
    broken.shots[2].character_ids.append("CHAR_42")
    del broken.shots[-1]
    asset = await harness.storage.asset(harness.project, storage_pb2.ASSET_KIND_SHOT_PLAN, asset_id="hand-made")
    packed = storage_pb2.Revision(parents=[plan.revision])
    packed.payload.Pack(broken)
    stored = await harness.storage.storage.CreateRevision(storage_rpc.CreateRevisionRequest(parent=asset.name, revision=packed))

    report = await harness.planner.ValidateContinuity(pb.ValidateContinuityRequest(shot_plan_revision=stored.name))
    kinds = {v.kind for v in report.violations}
    assert {planner_pb2.Violation.KIND_DUPLICATE_ID, planner_pb2.Violation.KIND_UNKNOWN_ENTITY} <= kinds
    assert report.score < 100 and report.shot_plan_revision == stored.name and report.revision
    unknown = next(v for v in report.violations if v.kind == planner_pb2.Violation.KIND_UNKNOWN_ENTITY)
    assert "CHAR_42" in unknown.entity_ids and unknown.shot_ids

    repaired = await harness.planner.RepairContinuity(pb.RepairContinuityRequest(shot_plan_revision=stored.name, request_id="fix"))
    assert repaired.shot_plan.parent_revision == stored.name and repaired.shot_plan.revision != stored.name
    assert asset_of(repaired.shot_plan.revision) == asset.name
    assert repaired.report_before.score == report.score and repaired.report_after.score > report.score
    assert repaired.report_after.shot_plan_revision == repaired.shot_plan.revision
    assert list((await harness.revision(repaired.shot_plan.revision)).parents) == [stored.name]

    count = await harness.revision_count(asset_of(good.revision))
    clean = await harness.planner.RepairContinuity(pb.RepairContinuityRequest(shot_plan_revision=good.revision))
    assert not clean.report_before.violations and clean.report_before == clean.report_after
    assert clean.shot_plan == good and await harness.revision_count(asset_of(good.revision)) == count


# --------------------------------------------------------------------------- feedback and prompts
async def test_interpret_feedback_offline(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    shots = (await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))).shot_plan
    response = await harness.planner.InterpretFeedback(pb.InterpretFeedbackRequest(
        feedback="Make the shadows more dramatic and add more contrast. The flashlight beam should be more prominent.",
        plan_revision=plan.revision, shot_id=shots.shots[2].id,
    ))
    delta = response.edit_delta
    assert delta.look.lighting_delta < 0 and delta.look.contrast_delta > 0
    assert "flashlight beam" in delta.emphasize_elements and response.trace_revision == ""
    error = await rpc_error(harness.planner.InterpretFeedback(pb.InterpretFeedbackRequest(feedback="brighter", shot_id="S001")))
    assert violated_fields(error) == ["plan_revision"]
    error = await rpc_error(harness.planner.InterpretFeedback(pb.InterpretFeedbackRequest(
        feedback="brighter", plan_revision=plan.revision, shot_id="S999")))
    assert violated_fields(error) == ["shot_id"]
    error = await rpc_error(harness.planner.InterpretFeedback(pb.InterpretFeedbackRequest(feedback="  ")))
    assert violated_fields(error) == ["feedback"]


async def test_render_prompts_for_character_location_and_style_frame(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    reference = f"{harness.project}/assets/sarah-sheet/revisions/1"
    place = f"{harness.project}/assets/office-ref/revisions/1"
    plan = await harness.planner.PatchPlan(pb.PatchPlanRequest(plan_revision=plan.revision, patches=[
        patch("characters[CHAR_01].reference_revisions", op=OP.OP_ADD, string_value=reference),
        patch("locations[LOC_01].reference_revisions", op=OP.OP_ADD, string_value=place),
    ]))
    shots = (await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))).shot_plan
    office_shot = next(s for s in shots.shots if s.scene_id == "SC001" and "CHAR_01" in s.character_ids)
    source = f"{harness.project}/assets/frame-s001/revisions/2"
    prompt = await harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(
        plan_revision=plan.revision, shot_plan_revision=shots.revision, shot_id=office_shot.id, source_image_revision=source))
    assert list(prompt.reference_revisions) == [reference, place, source]

    character = await harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(plan_revision=plan.revision, character_id="CHAR_01"))
    assert character.target_kind == planner_pb2.RENDER_TARGET_KIND_CHARACTER and character.aspect_ratio == "1:1"
    assert plan.characters[0].identity_lock.rstrip(".") in character.positive and list(character.reference_revisions) == [reference]
    location = await harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(plan_revision=plan.revision, location_id="LOC_01"))
    assert location.target_kind == planner_pb2.RENDER_TARGET_KIND_LOCATION and list(location.reference_revisions) == [place]
    style = await harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(plan_revision=plan.revision, style_frame=True))
    assert style.target_kind == planner_pb2.RENDER_TARGET_KIND_STYLE_FRAME and "noir" in style.positive

    for request, field in (
        (pb.BuildRenderPromptRequest(plan_revision=plan.revision), "target"),
        (pb.BuildRenderPromptRequest(plan_revision=plan.revision, shot_id="S001"), "shot_plan_revision"),
        (pb.BuildRenderPromptRequest(plan_revision=plan.revision, character_id="CHAR_99"), "character_id"),
        (pb.BuildRenderPromptRequest(plan_revision=plan.revision, character_id="CHAR_01", lock_profile=planner_pb2.LockProfile(
            banned_elements=["rain"], must_keep_elements=["rain"])), "lock_profile.must_keep_elements[0]"),
    ):
        error = await rpc_error(harness.planner.BuildRenderPrompt(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]


# --------------------------------------------------------------------------- storage errors
async def test_storage_errors_keep_their_code_and_message(harness, seed_text):
    missing = f"{harness.project}/assets/nothing/revisions/1"
    error = await rpc_error(harness.planner.GetPlan(pb.GetPlanRequest(name=missing)))
    direct = await rpc_error(harness.revision(missing))
    assert error.code() == direct.code() == grpc.StatusCode.NOT_FOUND and error.details() == direct.details()
    assert reason_of(error) == reason_of(direct)

    plan = await seed_plan(harness, seed_text)
    other_tenant = await rpc_error(harness.b.planner.GetPlan(pb.GetPlanRequest(name=plan.revision)))
    assert other_tenant.code() == grpc.StatusCode.NOT_FOUND
    wrong_kind = await rpc_error(harness.planner.GetPlan(pb.GetPlanRequest(name=plan.source_revision)))
    assert wrong_kind.code() == grpc.StatusCode.INVALID_ARGUMENT and reason_of(wrong_kind) == "WRONG_RESOURCE_KIND"
    empty = await harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=harness.project))
    assert list(empty.traces) == [] and empty.next_page_token == ""
    no_project = await rpc_error(harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent="projects/nope")))
    assert no_project.code() == grpc.StatusCode.NOT_FOUND

    await harness.storage_server.server.stop(0)
    down = await rpc_error(harness.planner.GetPlan(pb.GetPlanRequest(name=asset_of(plan.revision) + "/revisions/latest"), timeout=20))
    assert down.code() == grpc.StatusCode.UNAVAILABLE and "RetryInfo" in details_of(down)


async def test_unusable_payloads_exports_and_plan_by_asset(harness, seed_text):
    plan = await seed_plan(harness, seed_text)
    assert await harness.planner.GetPlan(pb.GetPlanRequest(name=asset_of(plan.revision))) == plan

    odd = planner_pb2.ShotPlan(plan_revision=plan.revision, shots=[planner_pb2.Shot(id="A1", scene_id="SC001")])
    asset = await harness.storage.asset(harness.project, storage_pb2.ASSET_KIND_SHOT_PLAN, asset_id="odd")
    packed = storage_pb2.Revision()
    packed.payload.Pack(odd)
    stored = await harness.storage.storage.CreateRevision(storage_rpc.CreateRevisionRequest(parent=asset.name, revision=packed))
    error = await rpc_error(harness.planner.ValidateContinuity(pb.ValidateContinuityRequest(shot_plan_revision=stored.name)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "INVALID_STORED_PAYLOAD"
    assert "shots.0.id" in error.details()

    only_characters = await harness.planner.ExportPlan(pb.ExportPlanRequest(
        plan_revision=plan.revision, formats=[planner_pb2.EXPORT_FORMAT_CHARACTERS_CSV], export_id="cast-sheet"))
    assert only_characters.revision == f"{harness.project}/assets/cast-sheet/revisions/1"
    assert [f.format for f in only_characters.files] == [planner_pb2.EXPORT_FORMAT_CHARACTERS_CSV]
    for formats, field in (([planner_pb2.EXPORT_FORMAT_SHOTS_CSV], "shot_plan_revision"), ([9], "formats[0]"),
                           ([planner_pb2.EXPORT_FORMAT_UNSPECIFIED], "formats[0]")):
        error = await rpc_error(harness.planner.ExportPlan(pb.ExportPlanRequest(plan_revision=plan.revision, formats=formats)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]
