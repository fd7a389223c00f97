"""The Gemini planner: answer checks and merging, then the service with the
real google-genai SDK against the fake Gemini server (success, malformed
JSON, 429, 500 until give-up, invalid answers), traces stored as revisions
and listed."""

from __future__ import annotations

import json

import grpc
import pytest

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb
from services.planner.continuity import Severity, Violation, ViolationKind, validate_shot_plan
from services.planner.continuity_repair import repair_continuity
from services.planner.llm_planner import (
    LlmPlanner,
    PlanNotes,
    ShotList,
    merge_notes,
    plan_notes_problems,
    scene_chunks,
    shot_list_problems,
)
from services.planner.offline_planner import plan_screenplay
from services.planner.plan import Plan, PlanIndex
from services.planner.preferences import PlanPreferences
from services.planner.scripts import parse_script
from services.planner.shot_planner import plan_shots
from tests.fakes.gemini_server import GENERATE_CONTENT, FakeGemini, HttpError, Text, fake_gemini  # noqa: F401 - fixture
from tests.planner.servicer_harness import asset_of, planner_harness, rpc_error
from tests.status_details import details_of, reason_of

MODEL = "gemini-2.5-pro"
IDENTITY = "Woman in her early 40s, lean, sharp grey eyes, dark hair pulled back"


def draft_of(text: str, **preferences) -> Plan:
    return plan_screenplay(parse_script(text), PlanPreferences(target_duration_s=45, **preferences))


def notes_for(draft: Plan) -> dict:
    return {
        "title": "The Discovery",
        "bible": {"style": "rain-soaked noir", "genre": "mystery", "logline": "A detective finds the wall that explains everything.",
                  "color_palette": ["teal", "sodium orange"], "negative_elements": ["daylight"]},
        "characters": [{"id": c.id, "name": "Detective Sarah Kane" if n == 0 else c.name, "description": f"{c.name} as written",
                        "identity_lock": IDENTITY if n == 0 else f"{c.name}, as described", "wardrobe": c.wardrobe or "dark coat",
                        "hair_makeup": ""} for n, c in enumerate(draft.characters)],
        "locations": [{"id": loc.id, "description": f"{loc.name.title()}, wet and dark", "layout": "door left, window right"}
                      for loc in draft.locations],
        "props": [{"id": p.id, "description": f"a worn {p.name}"} for p in draft.props],
        "scenes": [{"id": s.id, "summary": f"Scene {s.number}: {s.heading.title()}", "description": "low light, rain on glass"}
                   for s in draft.scenes],
        "hook": "",
    }


def shots_for(plan: Plan) -> dict:
    fields = ShotList.model_fields["shots"].annotation.__args__[0].model_fields
    shots = []
    for shot in plan_shots(plan).shots:
        data = shot.model_dump(mode="json")
        shots.append({name: data[name] for name in fields})
    return {"shots": shots}


# --------------------------------------------------------------------------- checks and merging
def test_plan_notes_must_name_every_draft_id_once(seed_text):
    draft = draft_of(seed_text)
    good = PlanNotes.model_validate(notes_for(draft))
    assert plan_notes_problems(draft, good) == []
    bad = notes_for(draft)
    bad["characters"].append({**bad["characters"][0], "id": "CHAR_09"})
    bad["scenes"] = bad["scenes"][:-1]
    bad["locations"].append(bad["locations"][0])
    problems = plan_notes_problems(draft, PlanNotes.model_validate(bad))
    assert any(p.startswith("characters[1].id: CHAR_09 is not an id of the draft") for p in problems)
    assert any(p.startswith("scenes: missing SC003") for p in problems)
    assert any("appears twice" in p for p in problems)


def test_merged_notes_keep_structure_and_user_style(seed_text):
    draft = draft_of(seed_text, style="cinematic noir")
    merged = merge_notes(draft, PlanNotes.model_validate(notes_for(draft)), PlanPreferences(style="cinematic noir"), "gemini/m")
    assert merged.generator == "gemini/m" and merged.bible.style == "cinematic noir"
    assert merged.bible.color_palette == ["teal", "sodium orange"] and merged.bible.genre == "mystery"
    sarah = merged.characters[0]
    assert sarah.identity_lock == IDENTITY and sarah.name == "Detective Sarah Kane" and draft.characters[0].name in sarah.aliases
    assert [s.beats for s in merged.scenes] == [s.beats for s in draft.scenes]
    assert merged.locations[0].layout == "door left, window right"


def test_shot_list_checks_references_and_ranges(seed_text):
    plan = draft_of(seed_text)
    index = PlanIndex.of(plan)
    good = ShotList.model_validate(shots_for(plan))
    assert shot_list_problems(index, plan.scenes, good) == []
    bad = shots_for(plan)
    bad["shots"][0]["beat_indexes"] = [40]
    bad["shots"][1]["character_ids"] = ["CHAR_07"]
    bad["shots"] = [s for s in bad["shots"] if s["scene_id"] != "SC003"]
    problems = shot_list_problems(index, plan.scenes, ShotList.model_validate(bad))
    assert any(p.startswith("shots[0].beat_indexes[0]: 40 is out of range") for p in problems)
    assert any(p.startswith("shots[1].character_ids[0]: CHAR_07 is not a character of the plan") for p in problems)
    assert "shots: scene SC003 has no shots; cover every scene asked for" in problems
    assert shot_list_problems(index, plan.scenes[:1], good)[0].endswith("is not one of the scenes asked for (SC001)")


def test_scene_chunks_are_bounded(lighthouse_text):
    plan = draft_of(lighthouse_text)
    chunks = scene_chunks(plan.scenes)
    assert [s.id for chunk in chunks for s in chunk] == [s.id for s in plan.scenes]
    assert all(len(chunk) <= 8 and (len(chunk) == 1 or sum(len(s.beats) for s in chunk) <= 80) for chunk in chunks)


# --------------------------------------------------------------------------- the service with the fake Gemini
@pytest.fixture
async def harness(tmp_path, fake_gemini):
    async with planner_harness(
        tmp_path / "data", gemini_api_key=fake_gemini.api_key, gemini_base_url=fake_gemini.base_url,
        gemini_model=MODEL, llm_timeout_seconds=5.0, llm_max_attempts=3,
    ) as running:
        yield running


async def script_revision(harness, seed_text) -> str:
    return (await harness.create_script(seed_text, title="The Discovery")).revision


async def traces(harness, **request) -> list[planner_pb2.LlmTrace]:
    return list((await harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=harness.project, **request))).traces)


async def test_plan_shot_plan_and_feedback_from_gemini(harness, fake_gemini: FakeGemini, seed_text):
    draft = draft_of(seed_text)
    fake_gemini.enqueue(GENERATE_CONTENT, Text(json.dumps(notes_for(draft)), prompt_tokens=900, output_tokens=300))
    plan = await harness.plan_screenplay(await script_revision(harness, seed_text), request_id="llm-plan")
    assert plan.generator == f"gemini/{MODEL}" and plan.characters[0].identity_lock == IDENTITY
    assert plan.bible.logline.startswith("A detective") and len(plan.trace_revisions) == 1
    [request] = fake_gemini.requests(GENERATE_CONTENT)
    assert "Wait... this changes everything." in request.body["contents"][0]["parts"][0]["text"]
    assert request.body["generationConfig"]["responseJsonSchema"] == PlanNotes.model_json_schema()

    [trace] = await traces(harness)
    assert trace.revision == plan.trace_revisions[0] and trace.purpose == "plan" and trace.model == MODEL
    assert (trace.outcome, trace.attempt, trace.request_id) == (planner_pb2.LlmTrace.OUTCOME_SUCCESS, 1, "llm-plan")
    assert (trace.input_tokens, trace.output_tokens) == (900, 300) and "Wait... this changes" in trace.prompt
    assert await harness.planner.GetLlmTrace(pb.GetLlmTraceRequest(name=trace.revision)) == trace

    stored = Plan.model_validate({**json.loads(json.dumps(draft.model_dump(mode="json"))), "revision": plan.revision})
    fake_gemini.enqueue(GENERATE_CONTENT, Text(json.dumps(shots_for(stored))))
    generated = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision, request_id="llm-shots"))
    shots = generated.shot_plan
    assert shots.generator == f"gemini/{MODEL}" and len(shots.trace_revisions) == 1 and shots.shots[0].id == "S001"
    assert all(s.continuity.summary for s in shots.shots)
    assert abs(sum(s.duration.ToNanoseconds() for s in shots.shots) / 1e9 - 45) <= 45 * shots.duration_tolerance + 1e-6
    assert [t.purpose for t in await traces(harness)] == ["shot_plan", "plan"]

    fake_gemini.enqueue(GENERATE_CONTENT, Text(json.dumps({
        "feedback": "ignored", "summary": "deepen shadows, stronger beam",
        "instructions": [{"aspect": "LIGHTING", "instruction": "deepen the shadows", "target": ""},
                         {"aspect": "ELEMENT", "instruction": "make the flashlight beam more prominent", "target": "flashlight beam"}],
        "look": {"lighting_delta": -20, "contrast_delta": 15},
        "emphasize_elements": ["flashlight beam"], "prompt_additions": ["deep dramatic shadows"],
    })))
    response = await harness.planner.InterpretFeedback(pb.InterpretFeedbackRequest(
        feedback="More dramatic shadows; the flashlight beam more prominent.", plan_revision=plan.revision, shot_id="S002"))
    assert response.edit_delta.look.lighting_delta == -20 and list(response.edit_delta.emphasize_elements) == ["flashlight beam"]
    assert response.edit_delta.feedback == "More dramatic shadows; the flashlight beam more prominent."
    assert response.trace_revision and (await traces(harness, purpose="feedback"))[0].revision == response.trace_revision


async def test_malformed_json_then_success_and_retry_is_idempotent(harness, fake_gemini: FakeGemini, seed_text):
    draft = draft_of(seed_text)
    good = json.dumps(notes_for(draft))
    fake_gemini.enqueue(GENERATE_CONTENT, Text(good[:-1] + ",}"), Text(good))
    script = await script_revision(harness, seed_text)
    plan = await harness.plan_screenplay(script, request_id="retry-me")
    found = await traces(harness)
    assert [t.outcome for t in found] == [planner_pb2.LlmTrace.OUTCOME_SUCCESS, planner_pb2.LlmTrace.OUTCOME_INVALID_OUTPUT]
    assert "not valid JSON" in found[1].error and sorted(plan.trace_revisions) == sorted(t.revision for t in found)
    second = fake_gemini.requests(GENERATE_CONTENT)[1].body["contents"]
    assert [c["role"] for c in second] == ["user", "model", "user"] and "not valid JSON" in second[2]["parts"][0]["text"]

    fake_gemini.enqueue(GENERATE_CONTENT, Text(good))
    again = await harness.plan_screenplay(script, request_id="retry-me")
    assert again == plan and await harness.revision_count(asset_of(plan.revision)) == 1
    assert len(await traces(harness)) == 2  # the retry's trace had the first call's request id


async def test_rate_limit_then_success(harness, fake_gemini: FakeGemini, seed_text):
    fake_gemini.enqueue(GENERATE_CONTENT, HttpError(429, retry_delay=0.05), Text(json.dumps(notes_for(draft_of(seed_text)))))
    plan = await harness.plan_screenplay(await script_revision(harness, seed_text))
    assert plan.generator == f"gemini/{MODEL}"
    outcomes = [t.outcome for t in await traces(harness)]
    assert outcomes == [planner_pb2.LlmTrace.OUTCOME_SUCCESS, planner_pb2.LlmTrace.OUTCOME_RATE_LIMITED]


async def test_server_errors_until_give_up_answer_unavailable_and_store_no_plan(harness, fake_gemini: FakeGemini, seed_text):
    fake_gemini.enqueue(GENERATE_CONTENT, *[HttpError(500, retry_delay=0.01) for _ in range(8)])
    script = await script_revision(harness, seed_text)
    assets = await harness.asset_count()
    error = await rpc_error(harness.plan_screenplay(script))
    assert error.code() == grpc.StatusCode.UNAVAILABLE and reason_of(error) == "LLM_UNAVAILABLE"
    assert "RetryInfo" in details_of(error)
    found = await traces(harness)
    assert len(found) == 5 and {t.outcome for t in found} == {planner_pb2.LlmTrace.OUTCOME_SERVER_ERROR}
    assert await harness.asset_count() == assets + 1  # the trace asset only


async def test_invalid_answers_until_give_up_answer_failed_precondition(harness, fake_gemini: FakeGemini, seed_text):
    wrong = notes_for(draft_of(seed_text))
    wrong["characters"][0]["id"] = "CHAR_77"
    fake_gemini.enqueue(GENERATE_CONTENT, *[Text(json.dumps(wrong)) for _ in range(3)])
    error = await rpc_error(harness.plan_screenplay(await script_revision(harness, seed_text)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "LLM_OUTPUT_INVALID"
    found = await traces(harness)
    assert len(found) == 3 and all("CHAR_77 is not an id of the draft" in t.error for t in found)


async def test_offline_flag_skips_the_llm_and_traces_page(harness, fake_gemini: FakeGemini, seed_text):
    script = await script_revision(harness, seed_text)
    plan = await harness.plan_screenplay(script, offline=True)
    shots = await harness.planner.GenerateShotPlan(pb.GenerateShotPlanRequest(plan_revision=plan.revision, offline=True))
    assert plan.generator == "offline" and shots.shot_plan.generator == "offline" and fake_gemini.count(GENERATE_CONTENT) == 0

    good = json.dumps(notes_for(draft_of(seed_text)))
    fake_gemini.enqueue(GENERATE_CONTENT, Text("{"), Text(good), Text("nope"), Text(good))
    await harness.plan_screenplay(script)
    await harness.plan_screenplay(script)
    first = await harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=harness.project, page_size=3))
    rest = await harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=harness.project, page_size=3, page_token=first.next_page_token))
    assert len(first.traces) == 3 and len(rest.traces) == 1 and rest.next_page_token == ""
    numbers = [int(t.revision.rsplit("/", 1)[-1]) for t in [*first.traces, *rest.traces]]
    assert numbers == [4, 3, 2, 1]
    valid = await harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(parent=harness.project, purpose="plan", page_size=1))
    assert len(valid.traces) == 1 and valid.next_page_token
    bad = await rpc_error(harness.planner.ListLlmTraces(pb.ListLlmTracesRequest(
        parent=harness.project, purpose="feedback", page_token=valid.next_page_token)))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT


# --------------------------------------------------------------------------- chunks and repair with a scripted model
class ScriptedModel:
    """Answers each call from the offline cut of the scenes it asks for
    (or from ``answers``), running the caller's check like the client does."""

    model = "scripted"

    def __init__(self, plan: Plan, answers: dict[str, dict] | None = None) -> None:
        self.plan = plan
        self.answers = answers or {}
        self.cut = shots_for(plan)
        self.calls: list[tuple[str, str, list[str]]] = []

    async def generate(self, output_type, prompt, *, purpose, request_id, check=None, **_):
        from services.planner import llm_traces

        asked = [s.id for s in self.plan.scenes if f'"id":"{s.id}","heading"' in prompt]
        self.calls.append((purpose, llm_traces._key.get(), asked))
        if purpose in self.answers:
            data = self.answers[purpose]
        else:
            data = {"shots": [s for s in self.cut["shots"] if s["scene_id"] in asked]}
        value = output_type.model_validate(data)
        assert list(check(value)) == [] if check else True
        return value


async def test_shots_are_cut_in_concurrent_chunks_with_their_own_trace_keys(lighthouse_text):
    body = lighthouse_text.split("\n\n", 1)[1]
    plan = plan_screenplay(parse_script("\n\n".join([body] * 3)), PlanPreferences(target_duration_s=400))
    plan = plan.model_copy(update={"revision": "projects/p/assets/plan/revisions/1"})
    model = ScriptedModel(plan)
    shot_plan = await LlmPlanner(model, max_concurrency=3).cut_shots(plan, request_id="r")
    chunks = scene_chunks(plan.scenes)
    assert len(model.calls) == len(chunks) > 1
    assert sorted(key for _, key, _ in model.calls) == sorted(f"chunk{n}" for n in range(1, len(chunks) + 1))
    assert [s.scene_id for s in shot_plan.shots] == [s.scene_id for s in plan_shots(plan).shots]
    assert [s.id for s in shot_plan.shots] == [f"S{n:03d}" for n in range(1, len(shot_plan.shots) + 1)]
    assert shot_plan.generator == "gemini/scripted" and all(s.continuity.summary for s in shot_plan.shots)
    assert abs(shot_plan.total_duration_s - 400) <= 400 * shot_plan.duration_tolerance


async def test_llm_repair_replaces_only_the_broken_scenes(seed_text):
    plan = draft_of(seed_text)
    cut = plan_shots(plan)
    replacement = {"shots": [dict(s, description=f"rewritten: {s['description']}")
                             for s in shots_for(plan)["shots"] if s["scene_id"] == "SC002"]}
    model = ScriptedModel(plan, {"repair": replacement})
    forced = Violation(kind=ViolationKind.WARDROBE_CONFLICT, severity=Severity.ERROR, scene_id="SC002", message="forced")
    report = validate_shot_plan(plan, cut)
    repaired = await LlmPlanner(model).repairer("r").repair(plan, cut, report.model_copy(update={"violations": [forced]}))
    assert model.calls == [("repair", "", ["SC002"])]
    assert [s.description.startswith("rewritten: ") for s in repaired.shots] == [s.scene_id == "SC002" for s in cut.shots]
    assert [s.description for s in repaired.shots if s.scene_id != "SC002"] == [s.description for s in cut.shots if s.scene_id != "SC002"]
    assert [s.id for s in repaired.shots] == [f"S{n:03d}" for n in range(1, len(repaired.shots) + 1)]

    result = await repair_continuity(plan, cut, LlmPlanner(model).repairer("r"))
    assert not result.used_llm and len(model.calls) == 1  # a clean cut leaves nothing for the model
