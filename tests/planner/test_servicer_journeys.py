"""Issue 4 as a user meets it over gRPC: a Fountain script with every
feature the issue names (title page, boneyard, notes, dual dialogue,
introductions, parentheticals, transitions) through plan, shot plan and
exports; the offline planner giving the same answer twice; and the Gemini
planner failing after bounded retries with a typed error and no partial
shot plan or plan."""

from __future__ import annotations

import csv
import io
import json

import grpc
import pytest

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_rpc
from tests.fakes.gemini_server import GENERATE_CONTENT, FakeGemini, Text, fake_gemini  # noqa: F401 - fixture
from tests.planner.servicer_harness import planner_harness, rpc_error
from tests.planner.test_llm_planner import MODEL, draft_of, notes_for
from tests.status_details import reason_of

FOUNTAIN = """Title: The Vault
Credit: written by
Author: A. Writer
Notes: A heist goes wrong in one night.
Draft date: 1 May 2026

FADE IN:

EXT. HARBOUR - NIGHT

Rain hammers the pier. A van idles by the gate.

/*
INT. CUT SCENE - DAY

This scene was cut and must not be planned.
*/

INT. BANK VAULT - NIGHT [[Shoot on the practical set.]]

SARAH (40s, sharp-eyed, wearing a gray suit) kneels at the safe. She picks up a crowbar.

MARCUS (30s, wiry, wearing a leather jacket) watches the door.

SARAH
(whispering)
Hold the light steady.

MARCUS ^
I am holding it steady.

SARAH
Then why is it shaking?

MARCUS
Because you keep asking.

Sarah drops the crowbar. It clatters on the floor.

CUT TO:

EXT. HARBOUR - CONTINUOUS

Marcus runs to the van.
"""


@pytest.fixture
async def harness(tmp_path):
    async with planner_harness(tmp_path / "data") as running:
        yield running


async def _blob_text(harness, name: str) -> str:
    _, data = await harness.storage.download(name)
    return data.decode("utf-8")


async def test_a_fountain_script_through_plan_shots_and_exports(harness):
    script = await harness.create_script(FOUNTAIN)
    assert script.detected_format == planner_pb2.SCRIPT_FORMAT_FOUNTAIN and script.title == "The Vault"
    assert script.title_page["Author"] == "A. Writer" and script.scene_count == 3
    assert set(script.character_cues) == {"SARAH", "MARCUS"}

    plan = await harness.plan_screenplay(script.revision, preferences=planner_pb2.PlanPreferences(aspect_ratio="2.39:1"))
    assert plan.source_revision == script.revision and plan.bible.logline == "A heist goes wrong in one night."
    assert plan.bible.aspect_ratio == "2.39:1" and plan.bible.style and plan.bible.pacing and plan.bible.visual_realism
    headings = [s.heading for s in plan.scenes]
    assert not any("CUT SCENE" in h for h in headings)  # the boneyard is not planned
    vault = next(s for s in plan.scenes if "VAULT" in s.heading)
    assert vault.notes == ["Shoot on the practical set."] and vault.summary and vault.time_of_day == planner_pb2.TIME_OF_DAY_NIGHT
    sarah, marcus = ({c.name: c for c in plan.characters}[n] for n in ("Sarah", "Marcus"))
    assert sarah.id.startswith("CHAR_") and "40s" in sarah.identity_lock and "gray suit" in sarah.wardrobe
    assert "leather jacket" in marcus.wardrobe and sarah.description
    assert {sarah.id, marcus.id} <= set(vault.character_ids)
    assert any(w.scene_id == vault.id for w in sarah.wardrobe_by_scene)
    lines = [b for b in vault.beats if b.kind == planner_pb2.Beat.KIND_DIALOGUE]
    assert lines[0].parenthetical == "(whispering)" and lines[0].speaker_id == sarah.id
    assert [b.simultaneous for b in lines[:2]] == [False, True]  # dual dialogue
    assert any(b.kind == planner_pb2.Beat.KIND_TRANSITION for s in plan.scenes for b in s.beats)
    harbour = {loc.name: loc for loc in plan.locations}["HARBOUR"]
    assert harbour.setting == planner_pb2.SETTING_EXTERIOR and harbour.time_of_day == planner_pb2.TIME_OF_DAY_NIGHT
    assert [s.time_of_day for s in plan.scenes if s.location_id == harbour.id] == [planner_pb2.TIME_OF_DAY_NIGHT] * 2
    crowbar = next(p for p in plan.props if "crowbar" in p.name.lower())
    assert vault.id in crowbar.scene_ids

    generated = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision))
    shots = generated.shot_plan.shots
    assert generated.report_after.score >= generated.report_before.score and generated.report_after.duration_tolerance > 0
    sizes = {s.size for s in shots if s.scene_id == vault.id}
    assert planner_pb2.SHOT_SIZE_OVER_THE_SHOULDER in sizes or planner_pb2.SHOT_SIZE_MEDIUM_CLOSE_UP in sizes
    assert planner_pb2.SHOT_SIZE_INSERT in sizes  # the crowbar handled
    for shot in shots:
        assert shot.id and shot.scene_id and shot.size and shot.angle and shot.movement and shot.lens_mm > 0
        assert shot.duration.ToNanoseconds() > 0 and shot.description and shot.first_frame and shot.last_frame
        assert shot.continuity.time_of_day and shot.continuity.summary
    dual = [s for s in shots if "Hold the light steady." in s.dialogue]
    assert len(dual) == 1 and "I am holding it steady." in dual[0].dialogue  # both halves of the dual dialogue in one shot
    assert set(dual[0].character_ids) == {sarah.id, marcus.id}
    assert any(s.dialogue == "Then why is it shaking?" and s.character_ids == [sarah.id] for s in shots)

    export = await harness.planner.ExportPlan(pb.ExportPlanRequest(
        plan_revision=plan.revision, shot_plan_revision=generated.shot_plan.revision))
    files = {f.file_name: f for f in export.files}
    assert set(files) == {"plan.json", "characters.csv", "shots.csv"}
    assert json.loads(await _blob_text(harness, files["plan.json"].blob))["title"] == "The Vault"
    rows = list(csv.DictReader(io.StringIO(await _blob_text(harness, files["shots.csv"].blob))))
    assert len(rows) == len(shots)
    for column in ("scene_id", "shot_id", "size", "angle", "movement", "lens_mm", "duration_s", "description", "dialogue", "continuity"):
        assert all(row[column] for row in rows) or column == "dialogue", column
    cast = list(csv.DictReader(io.StringIO(await _blob_text(harness, files["characters.csv"].blob))))
    assert {row["name"] for row in cast} == {"Sarah", "Marcus"}


async def test_the_offline_planner_answers_the_same_twice(harness, lighthouse_text):
    script = await harness.create_script(lighthouse_text)
    first = await harness.plan_screenplay(script.revision)
    second = await harness.plan_screenplay(script.revision)
    assert first.revision != second.revision
    for message in (first, second):
        message.ClearField("revision")
        message.ClearField("name") if "name" in message.DESCRIPTOR.fields_by_name else None
    assert first == second
    first_plan = await harness.plan_screenplay(script.revision, plan_id="fixed")
    cuts = []
    for n in range(2):
        generated = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=first_plan.revision))
        cuts.append([(s.id, s.scene_id, s.size, s.duration.ToNanoseconds(), s.description) for s in generated.shot_plan.shots])
    assert cuts[0] == cuts[1] and len(cuts[0]) > 10


# --------------------------------------------------------------------------- Gemini: bounded retries, typed failure, nothing partial
@pytest.fixture
async def llm_harness(tmp_path, fake_gemini):
    async with planner_harness(
        tmp_path / "data", gemini_api_key=fake_gemini.api_key, gemini_base_url=fake_gemini.base_url,
        gemini_model=MODEL, llm_timeout_seconds=5.0, llm_max_attempts=3,
    ) as running:
        yield running


async def _assets_of_kind(harness, kind: int) -> int:
    response = await harness.storage.storage.ListAssets(storage_rpc.ListAssetsRequest(parent=harness.project, page_size=1000))
    return sum(1 for asset in response.assets if asset.kind == kind)


async def test_malformed_json_until_give_up_stores_no_plan(llm_harness, fake_gemini: FakeGemini, seed_text):
    good = json.dumps(notes_for(draft_of(seed_text)))
    fake_gemini.enqueue(GENERATE_CONTENT, Text(good[: len(good) // 2]), Text("```json\n" + good + "\n```"), Text(good + " trailing"))
    script = await llm_harness.create_script(seed_text)
    error = await rpc_error(llm_harness.plan_screenplay(script.revision))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "LLM_OUTPUT_INVALID"
    assert await _assets_of_kind(llm_harness, storage_pb2.ASSET_KIND_PLAN) == 0
    traces = (await llm_harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=llm_harness.project))).traces
    assert [t.outcome for t in traces] == [planner_pb2.LlmTrace.OUTCOME_INVALID_OUTPUT] * 3
    assert [t.attempt for t in traces] == [3, 2, 1] and all(t.model == MODEL and t.error for t in traces)
    assert traces[2].response == good[: len(good) // 2] and traces[0].response == good + " trailing"
    assert all(t.latency.ToNanoseconds() > 0 and t.prompt for t in traces)


async def test_malformed_shot_list_until_give_up_stores_no_shot_plan(llm_harness, fake_gemini: FakeGemini, seed_text):
    script = await llm_harness.create_script(seed_text)
    plan = await llm_harness.plan_screenplay(script.revision, offline=True)
    fake_gemini.enqueue(GENERATE_CONTENT, Text('{"shots": ['), Text('{"shots": "none"}'), Text("not json"))
    error = await rpc_error(llm_harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "LLM_OUTPUT_INVALID"
    assert await _assets_of_kind(llm_harness, storage_pb2.ASSET_KIND_SHOT_PLAN) == 0
    assert await _assets_of_kind(llm_harness, storage_pb2.ASSET_KIND_CONTINUITY_REPORT) == 0
    traces = (await llm_harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=llm_harness.project, purpose="shot_plan"))).traces
    assert len(traces) == 3 and all(t.error for t in traces)


async def test_malformed_feedback_until_give_up_is_typed(llm_harness, fake_gemini: FakeGemini, seed_text):
    script = await llm_harness.create_script(seed_text)
    plan = await llm_harness.plan_screenplay(script.revision, offline=True)
    fake_gemini.enqueue(GENERATE_CONTENT, *[Text('{"summary": ') for _ in range(3)])
    error = await rpc_error(llm_harness.planner.InterpretFeedback(pb.InterpretFeedbackRequest(
        feedback="more dramatic shadows, flashlight beam more prominent", plan_revision=plan.revision)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "LLM_OUTPUT_INVALID"
    offline = await llm_harness.planner.InterpretFeedback(pb.InterpretFeedbackRequest(
        feedback="more dramatic shadows, flashlight beam more prominent", plan_revision=plan.revision, offline=True))
    assert offline.edit_delta.instructions and offline.trace_revision == ""


async def test_concurrent_patches_of_one_revision_land_once(harness, seed_text):
    import asyncio

    from tests.planner.servicer_harness import asset_of
    from tests.planner.test_servicer import patch, seed_plan

    plan = await seed_plan(harness, seed_text)
    calls = [harness.planner.PatchPlan(pb.PatchPlanRequest(
        plan_revision=plan.revision, patches=[patch("characters[CHAR_01].wardrobe", string_value=f"coat {n}")]))
        for n in range(8)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    landed = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(landed) == 1 and len(refused) == 7
    assert {(e.code(), reason_of(e)) for e in refused} == {(grpc.StatusCode.ABORTED, "PLAN_REVISION_STALE")}
    assert await harness.revision_count(asset_of(plan.revision)) == 2
    head = await harness.planner.GetPlan(pb.GetPlanRequest(name=asset_of(plan.revision)))
    assert head.revision == landed[0].revision and head.parent_revision == plan.revision
    assert head.characters[0].wardrobe == landed[0].characters[0].wardrobe
