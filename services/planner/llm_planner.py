"""The Gemini planner: plans, shot plans, continuity repair and feedback
through :class:`GeminiJsonClient`.

Structure stays deterministic, language comes from the model:

* **Plans.** The offline planner (or brief template) makes the draft: ids,
  scenes, beats, wardrobe changes, timing targets. The model reads the
  source (the screenplay or the brief) and writes the notes of every
  entity the draft has: canonical identity locks, descriptions, wardrobe,
  location layouts, scene summaries and visual descriptions, the bible's
  logline and palette, an ad's hook. Its answer must name exactly the
  draft's ids, each once; the merged plan is checked like any plan.
* **Shot plans.** Scenes go to the model in chunks (a bounded number at
  once); each answer is a list of shots for exactly the scenes asked for,
  checked against the plan: scene ids asked for, characters that are in the
  scene, props that exist, beat indexes in range, the shot count a scene
  plans. Ids are numbered S001... afterwards and continuity locks are
  derived from the plan, then the service validates and repairs as always.
* **Repair.** What deterministic repair left as errors goes back to the
  model scene by scene, with the violations; its shots for those scenes are
  checked the same way and spliced in (the repair pass keeps them only if
  the shot plan scores better).
* **Feedback.** Natural-language feedback becomes the same
  :class:`EditDelta` the offline rules make.

Every call is strict JSON against a schema derived from the pydantic
models here; schema errors and semantic problems are fed back to the model
by the client, a bounded number of times, before ``LLM_OUTPUT_INVALID``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Annotated, Any, Awaitable, Iterable, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from services.planner.continuity import ContinuityReport, Severity
from services.planner.feedback import EditDelta
from services.planner.llm_traces import trace_key
from services.planner.locks import fill_locks
from services.planner.plan import (
    CharacterId,
    LocationId,
    OptionalCharacterId,
    Plan,
    PlanIndex,
    PropId,
    Scene,
    SceneId,
    ShortText,
    Text,
    check_plan,
)
from services.planner.preferences import PlanPreferences
from services.planner.prose import clip
from services.planner.shot_plan import DEFAULT_DURATION_TOLERANCE, Shot, ShotPlan, renumber
from services.planner.timing import Timing, fit_to_target
from services.planner.vocabulary import BriefKind, CameraAngle, CameraMovement, ScreenDirection, ShotSize, humanize

_LOGGER = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_SOURCE_CHARS = 300_000
MAX_CHUNK_SCENES = 8
MAX_CHUNK_BEATS = 80
MAX_REPAIR_SCENES = 10
MAX_BEAT_CHARS = 400

SYSTEM_INSTRUCTION = (
    "You are the planner of a film pre-visualisation tool: a script supervisor, first assistant director and "
    "director of photography in one. You answer with one JSON value that matches the response schema exactly, "
    "nothing else. Ids such as CHAR_01, LOC_01, PROP_01, SC001 are keys of an existing plan: use them exactly as "
    "given and never invent new ones."
)


class JsonGenerator(Protocol):
    """What the planner needs of :class:`GeminiJsonClient`."""

    model: str

    def generate(self, output_type: type[ModelT], prompt: str, **options: Any) -> Awaitable[ModelT]: ...


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- answers: plan notes
class CharacterNotes(_Model):
    id: CharacterId
    name: ShortText = Field(min_length=1)
    description: Text = ""
    identity_lock: Text = Field(min_length=1, description="Canonical look: age, build, face, hair. No clothing.")
    wardrobe: ShortText = ""
    hair_makeup: ShortText = ""


class LocationNotes(_Model):
    id: LocationId
    description: Text = ""
    layout: Text = Field("", description="Spatial arrangement to keep across shots: doors, windows, furniture.")


class PropNotes(_Model):
    id: PropId
    description: Text = ""


class SceneNotes(_Model):
    id: SceneId
    summary: Text = Field(min_length=1)
    description: Text = Field("", description="What the frames of the scene show, for image generation.")
    negative_description: Text = ""
    voiceover: Text = ""


class BibleNotes(_Model):
    style: ShortText = ""
    genre: ShortText = ""
    logline: Text = ""
    color_palette: list[ShortText] = Field(default_factory=list, max_length=8)
    negative_elements: list[ShortText] = Field(default_factory=list, max_length=20)


class PlanNotes(_Model):
    title: ShortText = ""
    bible: BibleNotes = Field(default_factory=BibleNotes)
    characters: list[CharacterNotes] = Field(default_factory=list)
    locations: list[LocationNotes] = Field(default_factory=list)
    props: list[PropNotes] = Field(default_factory=list)
    scenes: list[SceneNotes] = Field(default_factory=list)
    hook: Text = Field("", description="Opening line of a product ad; empty for other briefs.")


# --------------------------------------------------------------------------- answers: shots
class ShotDraft(_Model):
    scene_id: SceneId
    size: ShotSize
    angle: CameraAngle = CameraAngle.EYE_LEVEL
    movement: CameraMovement = CameraMovement.STATIC
    lens_mm: float = Field(gt=0, le=1200)
    duration_s: float = Field(gt=0, le=600)
    character_ids: list[CharacterId] = Field(default_factory=list, max_length=50)
    prop_ids: list[PropId] = Field(default_factory=list, max_length=50)
    screen_direction: ScreenDirection = ScreenDirection.NEUTRAL
    subject_id: OptionalCharacterId = ""
    speaker_id: OptionalCharacterId = ""
    description: Text = Field(min_length=1)
    dialogue: Text = ""
    voiceover: Text = ""
    first_frame: Text = ""
    last_frame: Text = ""
    beat_indexes: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list, max_length=200)


class ShotList(_Model):
    shots: list[ShotDraft] = Field(min_length=1, max_length=600)


# --------------------------------------------------------------------------- checks
def _ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def _same_ids(kind: str, wanted: list[str], given: list[str]) -> list[str]:
    problems = []
    known = set(wanted)
    seen: set[str] = set()
    for i, value in enumerate(given):
        if value not in known:
            problems.append(f"{kind}[{i}].id: {value} is not an id of the draft (ids: {', '.join(wanted[:40])})")
        elif value in seen:
            problems.append(f"{kind}[{i}].id: {value} appears twice; give each id once")
        seen.add(value)
    missing = [value for value in wanted if value not in seen]
    if missing:
        problems.append(f"{kind}: missing {', '.join(missing[:40])}; give one entry for every id of the draft")
    return problems


def plan_notes_problems(draft: Plan, notes: PlanNotes) -> list[str]:
    """Every id of the draft exactly once, no others; a hook for ads."""
    problems = [
        *_same_ids("characters", _ids(draft.characters), _ids(notes.characters)),
        *_same_ids("locations", _ids(draft.locations), _ids(notes.locations)),
        *_same_ids("props", _ids(draft.props), _ids(notes.props)),
        *_same_ids("scenes", _ids(draft.scenes), _ids(notes.scenes)),
    ]
    if draft.brief_kind is BriefKind.PRODUCT_AD and not notes.hook.strip():
        problems.append("hook: a product ad needs an opening hook line")
    return problems


def shot_list_problems(index: PlanIndex, scenes: list[Scene], answer: ShotList) -> list[str]:
    """Shots for exactly ``scenes``, in story order, with references that
    exist and indexes in range."""
    order = {scene.id: n for n, scene in enumerate(scenes)}
    problems: list[str] = []
    counts: dict[str, int] = {}
    last = -1
    for i, shot in enumerate(answer.shots):
        where = f"shots[{i}]"
        position = order.get(shot.scene_id)
        if position is None:
            problems.append(f"{where}.scene_id: {shot.scene_id} is not one of the scenes asked for ({', '.join(order)})")
            continue
        if position < last:
            problems.append(f"{where}.scene_id: {shot.scene_id} comes after a later scene; keep scenes in story order")
        last = max(last, position)
        counts[shot.scene_id] = counts.get(shot.scene_id, 0) + 1
        problems += _shot_reference_problems(where, shot, index.scenes[shot.scene_id], index)
    for scene in scenes:
        count = counts.get(scene.id, 0)
        if count == 0:
            problems.append(f"shots: scene {scene.id} has no shots; cover every scene asked for")
        elif scene.planned_shot_count and count != scene.planned_shot_count:
            problems.append(f"shots: scene {scene.id} must have exactly {scene.planned_shot_count} shots, not {count}")
    return problems


def _shot_reference_problems(where: str, shot: ShotDraft, scene: Scene, index: PlanIndex) -> list[str]:
    problems = []
    if shot.size is ShotSize.UNSPECIFIED:
        problems.append(f"{where}.size: choose a shot size")
    for j, character in enumerate(shot.character_ids):
        if character not in index.characters:
            problems.append(f"{where}.character_ids[{j}]: {character} is not a character of the plan")
        elif character not in scene.character_ids:
            present = ", ".join(scene.character_ids) or "nobody"
            problems.append(f"{where}.character_ids[{j}]: {character} is not in scene {scene.id} (present: {present})")
    for j, prop in enumerate(shot.prop_ids):
        if prop not in index.props:
            problems.append(f"{where}.prop_ids[{j}]: {prop} is not a prop of the plan")
    for name in ("subject_id", "speaker_id"):
        value = getattr(shot, name)
        if value and value not in index.characters:
            problems.append(f"{where}.{name}: {value} is not a character of the plan")
    if shot.subject_id and shot.subject_id not in shot.character_ids:
        problems.append(f"{where}.subject_id: {shot.subject_id} must also be in character_ids")
    for j, beat in enumerate(shot.beat_indexes):
        if beat >= len(scene.beats):
            problems.append(f"{where}.beat_indexes[{j}]: {beat} is out of range; scene {scene.id} has beats 0 to {len(scene.beats) - 1}"
                            if scene.beats else f"{where}.beat_indexes[{j}]: scene {scene.id} has no beats; leave beat_indexes empty")
    return problems


def edit_delta_problems(delta: EditDelta) -> list[str]:
    problems = [] if delta.instructions else ["instructions: give at least one instruction"]
    for name in ("add_elements", "remove_elements", "emphasize_elements", "prompt_additions", "negative_additions"):
        for j, value in enumerate(getattr(delta, name)):
            if not value.strip() or len(value) > 200:
                problems.append(f"{name}[{j}]: must be 1 to 200 characters")
    return problems


# --------------------------------------------------------------------------- prompts
def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _draft_outline(plan: Plan) -> dict[str, Any]:
    return {
        "title": plan.title,
        "bible": {"style": plan.bible.style, "genre": plan.bible.genre, "aspect_ratio": plan.bible.aspect_ratio,
                  "visual_realism": plan.bible.visual_realism.value, "pacing": plan.bible.pacing.value},
        "characters": [{"id": c.id, "name": c.name, "aliases": c.aliases, "description": c.description,
                        "identity_lock": c.identity_lock, "wardrobe": c.wardrobe} for c in plan.characters],
        "locations": [{"id": loc.id, "name": loc.name, "setting": loc.setting.value, "time_of_day": loc.time_of_day.value,
                       "description": loc.description} for loc in plan.locations],
        "props": [{"id": p.id, "name": p.name, "description": p.description} for p in plan.props],
        "scenes": [{"id": s.id, "heading": s.heading, "location_id": s.location_id, "characters": s.character_ids,
                    "summary": s.summary, "description": s.description, "voiceover": s.voiceover,
                    "packshot": s.packshot} for s in plan.scenes],
    }


def plan_prompt(draft: Plan, source: str, preferences: PlanPreferences) -> str:
    kind = humanize(draft.brief_kind) if draft.brief_kind is not BriefKind.UNSPECIFIED else "brief"
    clipped = source if len(source) <= MAX_SOURCE_CHARS else source[:MAX_SOURCE_CHARS] + "\n[... the rest is cut ...]"
    wishes = {k: v for k, v in preferences.model_dump(mode="json").items() if v not in ("", 0, 0.0, "UNSPECIFIED")}
    return "\n".join([
        f"Write the notes of a pre-visualisation plan made from a {kind}.",
        "The draft below was extracted mechanically; it has every id the plan will have. For each character, location, "
        "prop and scene of the draft give exactly one entry with the same id, in draft order.",
        "- identity_lock: the canonical visual identity of the character (age, build, face, hair) in one or two "
        "sentences, consistent with the source. It goes verbatim into every image prompt, so no clothing, no actions.",
        "- wardrobe: what the character wears when first seen; hair_makeup: continuity notes.",
        "- locations: what the place looks like; layout: the arrangement to keep across shots.",
        "- scenes: summary in one or two sentences; description: what the frames show; negative_description: what "
        "they must not show; voiceover: only for ads and voice-over scenes.",
        "- bible: style, genre, one-sentence logline, up to 8 palette colours, elements never to show.",
        "- hook: the opening line of a product ad, else empty.",
        f"User preferences (they win over your taste): {_json(wishes) if wishes else 'none'}",
        f"Draft: {_json(_draft_outline(draft))}",
        "Source:",
        "<<<",
        clipped,
        ">>>",
    ])


def _scene_block(scene: Scene, index: PlanIndex) -> dict[str, Any]:
    return {
        "id": scene.id, "heading": scene.heading, "time_of_day": scene.time_of_day.value,
        "location": index.locations[scene.location_id].name if scene.location_id in index.locations else "",
        "characters": scene.character_ids, "props": scene.prop_ids, "summary": scene.summary,
        "description": scene.description, "voiceover": scene.voiceover, "packshot": scene.packshot,
        "planned_shot_count": scene.planned_shot_count, "target_duration_s": scene.target_duration_s,
        "camera_angle": scene.camera_angle.value,
        "beats": [{"index": n, "kind": b.kind.value, "speaker": b.speaker_id, "extension": b.extension,
                   "parenthetical": b.parenthetical, "text": clip(b.text, MAX_BEAT_CHARS)} for n, b in enumerate(scene.beats)],
    }


def _cast_block(plan: Plan) -> dict[str, Any]:
    return {
        "bible": {"style": plan.bible.style, "genre": plan.bible.genre, "pacing": plan.bible.pacing.value,
                  "aspect_ratio": plan.bible.aspect_ratio, "target_duration_s": plan.bible.target_duration_s},
        "characters": [{"id": c.id, "name": c.name, "identity_lock": c.identity_lock} for c in plan.characters],
        "props": [{"id": p.id, "name": p.name} for p in plan.props],
    }


_SHOT_RULES = (
    "Rules: cover every scene asked for, in story order, with shots in cutting order. Open a scene in a new place "
    "with an establishing shot; cover dialogue with singles and over-the-shoulders, keeping each speaker on one side "
    "of the 180-degree line (screen_direction LEFT_TO_RIGHT or RIGHT_TO_LEFT, the two sides of an exchange "
    "different); use an INSERT for a prop being handled. character_ids are the characters in frame and must be "
    "characters of the scene; subject_id is the face the shot is about (also in character_ids), empty for "
    "establishing shots and inserts; beat_indexes are the indexes of the scene beats the shot covers; lens_mm is a "
    "full-frame focal length; duration_s is the running time in seconds. If a scene has planned_shot_count, give "
    "exactly that many shots for it."
)


def shots_prompt(plan: Plan, scenes: list[Scene], index: PlanIndex) -> str:
    return "\n".join([
        f"Cut these {len(scenes)} scene(s) of the plan into shots.",
        _SHOT_RULES,
        f"Plan: {_json(_cast_block(plan))}",
        f"Scenes: {_json([_scene_block(scene, index) for scene in scenes])}",
    ])


def _shot_outline(shot: Shot) -> dict[str, Any]:
    return {name: _plain(getattr(shot, name)) for name in ShotDraft.model_fields}


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return getattr(value, "value", value)


def repair_prompt(plan: Plan, scenes: list[Scene], shots: dict[str, list[Shot]], report: ContinuityReport, index: PlanIndex) -> str:
    wanted = {scene.id for scene in scenes}
    problems = [{"kind": v.kind.value, "message": v.message, "shots": v.shot_ids, "scene": v.scene_id}
                for v in report.violations if v.scene_id in wanted or not v.scene_id]
    return "\n".join([
        f"A continuity check found these problems in the shots of {len(scenes)} scene(s). Give new shots for exactly "
        "these scenes that fix them; keep what is right.",
        _SHOT_RULES,
        f"Problems: {_json(problems[:60])}",
        f"Plan: {_json(_cast_block(plan))}",
        f"Scenes: {_json([_scene_block(scene, index) for scene in scenes])}",
        f"Current shots: {_json({sid: [_shot_outline(s) for s in shots.get(sid, [])] for sid in wanted})}",
    ])


def feedback_prompt(feedback: str, plan: Plan | None, shot: Shot | None) -> str:
    context: dict[str, Any] = {}
    if plan is not None:
        context["characters"] = [{"id": c.id, "name": c.name} for c in plan.characters]
        context["props"] = [{"id": p.id, "name": p.name} for p in plan.props]
        context["style"] = plan.bible.style
    if shot is not None:
        context["shot"] = {"id": shot.id, "size": shot.size.value, "angle": shot.angle.value, "description": shot.description}
    return "\n".join([
        "Turn this feedback on a generated image into a structured edit.",
        "instructions: one per request in the feedback, in order, each in imperative words with its aspect and the "
        "element it targets. look: relative changes (-100..100; colour temperature in kelvin, negative is warmer; fov in "
        "degrees, negative is tighter). add/remove/emphasize_elements: short noun phrases. prompt_additions and "
        "negative_additions: short prompt fragments. shot_size and camera_angle only when the feedback asks to reframe "
        "or change the angle, else UNSPECIFIED. Set feedback to the feedback verbatim and summary to one line.",
        f"Context: {_json(context) if context else 'none'}",
        f"Feedback: {feedback}",
    ])


# --------------------------------------------------------------------------- merging
def merge_notes(draft: Plan, notes: PlanNotes, preferences: PlanPreferences, generator: str) -> Plan:
    """The draft with the model's notes (ids, structure and beats unchanged)."""
    characters = {n.id: n for n in notes.characters}
    locations = {n.id: n for n in notes.locations}
    props = {n.id: n for n in notes.props}
    scenes = {n.id: n for n in notes.scenes}
    bible = draft.bible.model_copy(update={
        "style": draft.bible.style if preferences.style.strip() or not notes.bible.style.strip() else notes.bible.style,
        "genre": draft.bible.genre or notes.bible.genre,
        "logline": notes.bible.logline or draft.bible.logline,
        "color_palette": notes.bible.color_palette or draft.bible.color_palette,
        "negative_elements": list(dict.fromkeys([*draft.bible.negative_elements, *notes.bible.negative_elements]))[:50],
    })
    merged = draft.model_copy(deep=True, update={"bible": bible, "generator": generator, "title": notes.title.strip() or draft.title})
    for character in merged.characters:
        note = characters[character.id]
        if note.name.strip() and note.name != character.name:
            character.aliases = list(dict.fromkeys([*character.aliases, character.name]))[:20]
            character.name = note.name.strip()
        character.description = note.description or character.description
        character.identity_lock = note.identity_lock
        character.wardrobe = note.wardrobe or character.wardrobe
        character.hair_makeup = note.hair_makeup or character.hair_makeup
    for location in merged.locations:
        note = locations[location.id]
        location.description = note.description or location.description
        location.layout = note.layout or location.layout
    for prop in merged.props:
        prop.description = props[prop.id].description or prop.description
    for scene in merged.scenes:
        note = scenes[scene.id]
        scene.summary = note.summary
        scene.description = note.description or scene.description
        scene.negative_description = note.negative_description or scene.negative_description
        scene.voiceover = note.voiceover or scene.voiceover
    if merged.ad_copy is not None and notes.hook.strip():
        merged.ad_copy.hook = notes.hook.strip()
    return check_plan(Plan.model_validate(merged.model_dump()), "plan")


def _as_shot(draft: ShotDraft) -> Shot:
    return Shot(**draft.model_dump())


def _timed(shots: list[Shot], target: float) -> list[Shot]:
    """Durations scaled to the target, each within reason of the model's."""
    if target <= 0 or not shots:
        return shots
    timings = [Timing(s.duration_s, min(1.0, s.duration_s), max(s.duration_s * 3, 6.0)) for s in shots]
    return [s.model_copy(update={"duration_s": d}) for s, d in zip(shots, fit_to_target(timings, target))]


def scene_chunks(scenes: list[Scene]) -> list[list[Scene]]:
    """Consecutive scenes, at most MAX_CHUNK_SCENES and about
    MAX_CHUNK_BEATS beats per chunk (a long scene goes alone)."""
    chunks: list[list[Scene]] = []
    current: list[Scene] = []
    beats = 0
    for scene in scenes:
        size = max(1, len(scene.beats))
        if current and (len(current) >= MAX_CHUNK_SCENES or beats + size > MAX_CHUNK_BEATS):
            chunks.append(current)
            current, beats = [], 0
        current.append(scene)
        beats += size
    if current:
        chunks.append(current)
    return chunks


async def _bounded_all(limit: int, jobs: list[Any]) -> list[Any]:
    """Runs coroutine factories with at most ``limit`` at once; the first
    failure cancels the rest and is raised."""
    semaphore = asyncio.Semaphore(limit)

    async def run(job):
        async with semaphore:
            return await job()

    tasks = [asyncio.ensure_future(run(job)) for job in jobs]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass
class LlmPlanner:
    """Plans, shot plans, repairs and edit deltas from a JSON LLM."""

    client: JsonGenerator
    max_concurrency: int = 4

    @property
    def generator(self) -> str:
        return f"gemini/{self.client.model}"

    async def write_plan(self, draft: Plan, source: str, preferences: PlanPreferences, *, request_id: str) -> Plan:
        """The draft plan with the model's notes; see the module docstring."""
        notes = await self.client.generate(
            PlanNotes, plan_prompt(draft, source, preferences), purpose="plan", request_id=request_id,
            system_instruction=SYSTEM_INSTRUCTION, check=lambda answer: plan_notes_problems(draft, answer),
        )
        return merge_notes(draft, notes, preferences, self.generator)

    async def cut_shots(self, plan: Plan, *, request_id: str, tolerance: float = DEFAULT_DURATION_TOLERANCE) -> ShotPlan:
        """A shot plan for ``plan`` cut by the model, chunk by chunk."""
        index = PlanIndex.of(plan)
        chunks = scene_chunks(plan.scenes)

        def job(number: int, scenes: list[Scene]):
            async def run() -> list[Shot]:
                with trace_key(f"chunk{number}"):
                    answer = await self.client.generate(
                        ShotList, shots_prompt(plan, scenes, index), purpose="shot_plan", request_id=request_id,
                        system_instruction=SYSTEM_INSTRUCTION, check=lambda a: shot_list_problems(index, scenes, a),
                    )
                return [_as_shot(s) for s in answer.shots]
            return run

        parts = await _bounded_all(self.max_concurrency, [job(n, scenes) for n, scenes in enumerate(chunks, start=1)])
        shots = renumber(_timed([shot for part in parts for shot in part], plan.bible.target_duration_s))
        shots = fill_locks(plan, shots, index=index)
        return ShotPlan(
            plan_revision=plan.revision, shots=shots, target_duration_s=plan.bible.target_duration_s,
            duration_tolerance=tolerance, generator=self.generator,
        ).with_total()

    def repairer(self, request_id: str) -> "LlmRepairer":
        return LlmRepairer(self, request_id)

    async def interpret_feedback(self, feedback: str, *, plan: Plan | None, shot: Shot | None, request_id: str) -> EditDelta:
        delta = await self.client.generate(
            EditDelta, feedback_prompt(feedback, plan, shot), purpose="feedback", request_id=request_id,
            system_instruction=SYSTEM_INSTRUCTION, check=edit_delta_problems,
        )
        return delta.model_copy(update={"feedback": " ".join(feedback.split())[:4000]})


@dataclass
class LlmRepairer:
    """The LLM step of continuity repair (``ShotPlanRepairer``)."""

    planner: LlmPlanner
    request_id: str

    async def repair(self, plan: Plan, shot_plan: ShotPlan, report: ContinuityReport) -> ShotPlan:
        index = PlanIndex.of(plan)
        scene_of_shot = {s.id: s.scene_id for s in shot_plan.shots}
        broken: list[str] = []
        for violation in report.violations:
            if violation.severity is not Severity.ERROR:
                continue
            for scene_id in [violation.scene_id, *(scene_of_shot.get(s, "") for s in violation.shot_ids)]:
                if scene_id in index.scenes and scene_id not in broken:
                    broken.append(scene_id)
        if not broken:
            return shot_plan
        scenes = [scene for scene in plan.scenes if scene.id in broken][:MAX_REPAIR_SCENES]
        by_scene: dict[str, list[Shot]] = {}
        for shot in shot_plan.shots:
            by_scene.setdefault(shot.scene_id, []).append(shot)
        answer = await self.planner.client.generate(
            ShotList, repair_prompt(plan, scenes, by_scene, report, index), purpose="repair", request_id=self.request_id,
            system_instruction=SYSTEM_INSTRUCTION, check=lambda a: shot_list_problems(index, scenes, a),
        )
        for scene in scenes:
            by_scene[scene.id] = [_as_shot(s) for s in answer.shots if s.scene_id == scene.id]
        shots = renumber([shot for scene in plan.scenes for shot in by_scene.get(scene.id, [])])
        shots = fill_locks(plan, shots, scene_ids={scene.id for scene in scenes}, index=index)
        return shot_plan.model_copy(update={"shots": shots}).with_total()
