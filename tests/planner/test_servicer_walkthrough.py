"""PlannerService end to end over real servers: the seed walkthrough
(script → plan → patch → shot plan with reports → prompts → exports)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from google.protobuf import struct_pb2

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_rpc
from tests.planner.servicer_harness import asset_of, number_of, planner_harness

NEW_IDENTITY = "Woman in her 50s, sharp-eyed, salt-and-pepper hair, weathered face showing years of experience"
NEW_DESCRIPTION = "Veteran detective, late 50s, approaching retirement but still sharp"


@pytest.fixture
async def harness(tmp_path):
    async with planner_harness(tmp_path / "data") as running:
        yield running


def replace(path: str, text: str) -> planner_pb2.PlanPatch:
    return planner_pb2.PlanPatch(path=path, op=planner_pb2.PlanPatch.OP_REPLACE, value=struct_pb2.Value(string_value=text))


async def test_seed_walkthrough(harness, seed_text):
    # 3. Create a script.
    script = await harness.create_script(seed_text, title="The Discovery", request_id="walk-script")
    assert script.name == asset_of(script.revision) and number_of(script.revision) == 1
    assert (script.title, script.scene_count, list(script.character_cues)) == ("The Discovery", 3, ["SARAH"])
    assert script.detected_format == planner_pb2.SCRIPT_FORMAT_PLAIN_TEXT and script.etag

    # 4. Plan from the script, with the walkthrough's preferences.
    preferences = planner_pb2.PlanPreferences(
        style="cinematic noir", visual_realism=planner_pb2.VISUAL_REALISM_HIGH, pacing=planner_pb2.PACING_MEDIUM
    )
    preferences.target_duration.FromSeconds(45)
    plan = await harness.plan_screenplay(script.revision, preferences=preferences, request_id="walk-plan")
    assert plan.brief_kind == planner_pb2.BRIEF_KIND_SCREENPLAY and plan.generator == "offline"
    assert plan.source_revision == script.revision and plan.bible.style == "cinematic noir"
    assert plan.bible.target_duration.seconds == 45
    sarah = plan.characters[0]
    assert sarah.id == "CHAR_01" and "Sarah" in sarah.name and "40s" in sarah.identity_lock
    assert [s.id for s in plan.scenes] == ["SC001", "SC002", "SC003"]
    assert {loc.name for loc in plan.locations} == {"DETECTIVE OFFICE", "WAREHOUSE DISTRICT", "WAREHOUSE"}
    assert list((await harness.revision(plan.revision)).parents) == [script.revision]

    # 5. Patch CHAR_01's identity lock: a new revision; revision 1 is untouched.
    patched = await harness.planner.PatchPlan(pb.PatchPlanRequest(
        plan_revision=plan.revision,
        patches=[replace("characters[CHAR_01].identity_lock", NEW_IDENTITY), replace("characters[CHAR_01].description", NEW_DESCRIPTION)],
        request_id="walk-patch",
    ))
    assert number_of(patched.revision) == 2 and asset_of(patched.revision) == asset_of(plan.revision)
    assert patched.parent_revision == plan.revision and patched.characters[0].identity_lock == NEW_IDENTITY
    assert list((await harness.revision(patched.revision)).parents) == [plan.revision]
    first = await harness.planner.GetPlan(pb.GetPlanRequest(name=plan.revision))
    assert first.characters[0].identity_lock == sarah.identity_lock
    latest = await harness.planner.GetPlan(pb.GetPlanRequest(name=asset_of(plan.revision) + "/revisions/latest"))
    assert latest == patched

    # 6. Shot plan: cut, validated, repaired where needed, stored with both reports.
    generated = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=patched.revision, request_id="walk-shots"))
    shots = generated.shot_plan
    assert shots.plan_revision == patched.revision and shots.generator == "offline"
    assert [s.id for s in shots.shots] == [f"S{n:03d}" for n in range(1, len(shots.shots) + 1)]
    assert {s.scene_id for s in shots.shots} == {"SC001", "SC002", "SC003"}
    total = sum(s.duration.ToNanoseconds() for s in shots.shots) / 1e9
    assert abs(total - 45) <= 45 * shots.duration_tolerance + 1e-6
    before, after = generated.report_before, generated.report_after
    assert after.shot_plan_revision == shots.revision and after.revision and before.revision
    assert after.score >= before.score and not [v for v in after.violations if v.severity == planner_pb2.Violation.SEVERITY_ERROR]
    stored = await harness.revision(shots.revision)
    assert patched.revision in stored.parents
    assert list((await harness.revision(after.revision)).parents) == [shots.revision]
    assert await harness.planner.GetShotPlan(pb.GetShotPlanRequest(name=shots.revision)) == shots

    # Media asks for prompts: the patched identity goes into every prompt showing Sarah.
    with_sarah = next(s for s in shots.shots if "CHAR_01" in s.character_ids)
    prompt = await harness.planner.BuildRenderPrompt(pb.BuildRenderPromptRequest(
        plan_revision=patched.revision, shot_plan_revision=shots.revision, shot_id=with_sarah.id,
        lock_profile=planner_pb2.LockProfile(preserve_identity=True, banned_elements=["modern cars"]),
    ))
    assert NEW_IDENTITY.rstrip(".") in prompt.positive and "modern cars" in prompt.negative
    assert prompt.target_kind == planner_pb2.RENDER_TARGET_KIND_SHOT and prompt.target_id == with_sarah.id
    assert prompt.aspect_ratio == "16:9" and list(prompt.character_ids) == ["CHAR_01"]
    assert prompt.duration == with_sarah.duration and prompt.shot_plan_revision == shots.revision

    # 10. Exports: plan JSON, characters CSV, shots CSV as blobs of an export revision.
    export = await harness.planner.ExportPlan(pb.ExportPlanRequest(
        plan_revision=patched.revision, shot_plan_revision=shots.revision, request_id="walk-export",
    ))
    assert [f.file_name for f in export.files] == ["plan.json", "characters.csv", "shots.csv"]
    files = {f.file_name: (await harness.storage.download(f.blob))[1] for f in export.files}
    assert json.loads(files["plan.json"])["characters"][0]["identity_lock"] == NEW_IDENTITY
    rows = list(csv.DictReader(io.StringIO(files["shots.csv"].decode())))
    assert [r["shot_id"] for r in rows] == [s.id for s in shots.shots] and rows[0]["scene_heading"]
    assert {"size", "angle", "movement", "lens_mm", "duration_s", "dialogue", "continuity"} <= set(rows[0])
    revision = await harness.revision(export.revision)
    assert set(revision.parents) == {patched.revision, shots.revision}
    assert {(b.role, b.blob) for b in revision.blobs} == {
        ("plan-json", export.files[0].blob), ("characters-csv", export.files[1].blob), ("shots-csv", export.files[2].blob)
    }
    assert all(f.size_bytes == len(files[f.file_name]) for f in export.files)
    asset = await harness.storage.storage.GetAsset(storage_rpc.GetAssetRequest(name=asset_of(export.revision)))
    assert asset.kind == storage_pb2.ASSET_KIND_PLAN_EXPORT
