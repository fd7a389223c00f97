"""The plan: project bible, characters, locations, props, scenes and beats.

Mirrors ``previs.planner.v1.Plan`` field by field (durations are seconds,
``*_s``, where the proto has ``google.protobuf.Duration``). Models forbid
unknown fields so LLM output and patches cannot smuggle data in; text and
list sizes are bounded. :func:`plan_problems` checks what a model cannot:
unique ids and references that resolve.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.planner.vocabulary import (
    AdStyle,
    BriefKind,
    CameraAngle,
    Composition,
    Pacing,
    Setting,
    TimeOfDay,
    VisualRealism,
)
from services.runtime.errors import FieldViolation, InvalidArgument

ShortText = Annotated[str, Field(max_length=500)]
Text = Annotated[str, Field(max_length=20_000)]
RevisionRef = Annotated[str, Field(max_length=300)]

CHARACTER_ID = r"CHAR_\d{2,4}"
LOCATION_ID = r"LOC_\d{2,4}"
PROP_ID = r"PROP_\d{2,4}"
SCENE_ID = r"SC\d{3,5}"

CharacterId = Annotated[str, Field(pattern=rf"^{CHARACTER_ID}$")]
LocationId = Annotated[str, Field(pattern=rf"^{LOCATION_ID}$")]
PropId = Annotated[str, Field(pattern=rf"^{PROP_ID}$")]
SceneId = Annotated[str, Field(pattern=rf"^{SCENE_ID}$")]
EntityId = Annotated[str, Field(pattern=rf"^(?:{CHARACTER_ID}|{PROP_ID})$")]
OptionalCharacterId = Annotated[str, Field(pattern=rf"^(?:{CHARACTER_ID})?$")]
OptionalLocationId = Annotated[str, Field(pattern=rf"^(?:{LOCATION_ID})?$")]

MAX_CHARACTERS = 500
MAX_LOCATIONS = 2000
MAX_PROPS = 2000
MAX_SCENES = 5000
MAX_BEATS_PER_SCENE = 2000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


def character_id(n: int) -> str:
    return f"CHAR_{n:02d}"


def location_id(n: int) -> str:
    return f"LOC_{n:02d}"


def prop_id(n: int) -> str:
    return f"PROP_{n:02d}"


def scene_id(n: int) -> str:
    return f"SC{n:03d}"


class LookParameters(_Model):
    fov_degrees: float = Field(0.0, ge=0, le=120)
    lighting: int | None = Field(None, ge=0, le=100)
    hdr_bloom: int | None = Field(None, ge=0, le=100)
    color_temperature_kelvin: int = Field(0, ge=0, le=12000)
    contrast: int | None = Field(None, ge=0, le=100)
    camera_angle: CameraAngle = CameraAngle.UNSPECIFIED
    composition: Composition = Composition.UNSPECIFIED


class ProjectBible(_Model):
    style: ShortText = ""
    visual_realism: VisualRealism = VisualRealism.UNSPECIFIED
    pacing: Pacing = Pacing.UNSPECIFIED
    target_duration_s: float = Field(0.0, ge=0, le=6 * 3600)
    aspect_ratio: str = Field("16:9", pattern=r"^(16:9|9:16|1:1|4:3|3:4|2\.39:1)$")
    genre: ShortText = ""
    logline: Text = ""
    color_palette: list[ShortText] = Field(default_factory=list, max_length=20)
    look: LookParameters = Field(default_factory=LookParameters)
    negative_elements: list[ShortText] = Field(default_factory=list, max_length=50)
    style_frame_revisions: list[RevisionRef] = Field(default_factory=list, max_length=20)


class SceneWardrobe(_Model):
    scene_id: SceneId
    wardrobe: ShortText = ""


class Character(_Model):
    id: CharacterId
    name: ShortText
    aliases: list[ShortText] = Field(default_factory=list, max_length=20)
    description: Text = ""
    identity_lock: Text = ""
    wardrobe: ShortText = ""
    wardrobe_by_scene: list[SceneWardrobe] = Field(default_factory=list, max_length=MAX_SCENES)
    hair_makeup: ShortText = ""
    reference_revisions: list[RevisionRef] = Field(default_factory=list, max_length=20)
    dialogue_lines: int = Field(0, ge=0)


class Location(_Model):
    id: LocationId
    name: ShortText
    setting: Setting = Setting.UNSPECIFIED
    time_of_day: TimeOfDay = TimeOfDay.UNSPECIFIED
    description: Text = ""
    layout: Text = ""
    reference_revisions: list[RevisionRef] = Field(default_factory=list, max_length=20)


class Prop(_Model):
    id: PropId
    name: ShortText
    description: Text = ""
    scene_ids: list[SceneId] = Field(default_factory=list, max_length=MAX_SCENES)
    image_blob: RevisionRef = ""


class ChangeAspect(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    WARDROBE = "WARDROBE"
    PROP_STATE = "PROP_STATE"
    HAIR_MAKEUP = "HAIR_MAKEUP"
    TIME_OF_DAY = "TIME_OF_DAY"


class ContinuityChange(_Model):
    """A beat's effect on an entity; ``description`` is the state after it."""

    entity_id: Annotated[str, Field(max_length=20)] = ""
    aspect: ChangeAspect
    description: ShortText = ""
    holder_id: OptionalCharacterId = ""


class BeatKind(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    ACTION = "ACTION"
    DIALOGUE = "DIALOGUE"
    TRANSITION = "TRANSITION"


class Beat(_Model):
    kind: BeatKind
    text: Text = ""
    speaker_id: OptionalCharacterId = ""
    parenthetical: ShortText = ""
    character_ids: list[CharacterId] = Field(default_factory=list, max_length=MAX_CHARACTERS)
    prop_ids: list[PropId] = Field(default_factory=list, max_length=100)
    changes: list[ContinuityChange] = Field(default_factory=list, max_length=50)
    simultaneous: bool = False
    extension: Annotated[str, Field(max_length=40)] = ""


class Scene(_Model):
    id: SceneId
    number: int = Field(0, ge=0)
    heading: ShortText = ""
    location_id: OptionalLocationId = ""
    time_of_day: TimeOfDay = TimeOfDay.UNSPECIFIED
    character_ids: list[CharacterId] = Field(default_factory=list, max_length=MAX_CHARACTERS)
    prop_ids: list[PropId] = Field(default_factory=list, max_length=MAX_PROPS)
    summary: Text = ""
    beats: list[Beat] = Field(default_factory=list, max_length=MAX_BEATS_PER_SCENE)
    notes: list[Text] = Field(default_factory=list, max_length=200)
    description: Text = ""
    negative_description: Text = ""
    voiceover: Text = ""
    target_duration_s: float = Field(0.0, ge=0, le=3600)
    planned_shot_count: int = Field(0, ge=0, le=50)
    packshot: bool = False
    camera_angle: CameraAngle = CameraAngle.UNSPECIFIED


class AdCopy(_Model):
    product_name: ShortText = ""
    hook: Text = ""
    cta_text: ShortText = ""
    style: AdStyle = AdStyle.UNSPECIFIED
    product_image_blob: RevisionRef = ""


class Plan(_Model):
    revision: RevisionRef = ""
    title: ShortText = ""
    brief_kind: BriefKind = BriefKind.UNSPECIFIED
    source_revision: RevisionRef = ""
    parent_revision: RevisionRef = ""
    bible: ProjectBible = Field(default_factory=ProjectBible)
    characters: list[Character] = Field(default_factory=list, max_length=MAX_CHARACTERS)
    locations: list[Location] = Field(default_factory=list, max_length=MAX_LOCATIONS)
    props: list[Prop] = Field(default_factory=list, max_length=MAX_PROPS)
    scenes: list[Scene] = Field(default_factory=list, max_length=MAX_SCENES)
    ad_copy: AdCopy | None = None
    generator: ShortText = ""
    trace_revisions: list[RevisionRef] = Field(default_factory=list, max_length=1000)


@dataclass(frozen=True)
class PlanIndex:
    """Lookups by id, built once per plan."""

    characters: dict[str, Character]
    locations: dict[str, Location]
    props: dict[str, Prop]
    scenes: dict[str, Scene]

    @classmethod
    def of(cls, plan: Plan) -> "PlanIndex":
        return cls(
            characters={c.id: c for c in plan.characters},
            locations={loc.id: loc for loc in plan.locations},
            props={p.id: p for p in plan.props},
            scenes={s.id: s for s in plan.scenes},
        )

    def character_name(self, character: str) -> str:
        found = self.characters.get(character)
        return found.name if found else character

    def wardrobe_in(self, character: str, scene: str) -> str:
        """The character's wardrobe at the start of a scene."""
        found = self.characters.get(character)
        if found is None:
            return ""
        for entry in found.wardrobe_by_scene:
            if entry.scene_id == scene:
                return entry.wardrobe
        return found.wardrobe


def _duplicates(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for value in ids:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def plan_problems(plan: Plan) -> list[FieldViolation]:
    """Referential problems: duplicate ids and references to ids the plan
    does not have. Each names the offending field, e.g.
    ``scenes[2].character_ids[0]``."""
    index = PlanIndex.of(plan)
    problems: list[FieldViolation] = []
    for kind, items in (("characters", plan.characters), ("locations", plan.locations), ("props", plan.props), ("scenes", plan.scenes)):
        for repeated in _duplicates([item.id for item in items]):
            problems.append(FieldViolation(kind, f"id {repeated} is used twice"))
    for i, character in enumerate(plan.characters):
        for j, entry in enumerate(character.wardrobe_by_scene):
            if entry.scene_id not in index.scenes:
                problems.append(FieldViolation(f"characters[{i}].wardrobe_by_scene[{j}].scene_id", f"unknown scene {entry.scene_id}"))
    for i, prop in enumerate(plan.props):
        for j, scene in enumerate(prop.scene_ids):
            if scene not in index.scenes:
                problems.append(FieldViolation(f"props[{i}].scene_ids[{j}]", f"unknown scene {scene}"))
    for i, scene in enumerate(plan.scenes):
        problems.extend(_scene_problems(f"scenes[{i}]", scene, index))
    return problems


def _scene_problems(where: str, scene: Scene, index: PlanIndex) -> list[FieldViolation]:
    problems = []
    if scene.location_id and scene.location_id not in index.locations:
        problems.append(FieldViolation(f"{where}.location_id", f"unknown location {scene.location_id}"))
    for j, character in enumerate(scene.character_ids):
        if character not in index.characters:
            problems.append(FieldViolation(f"{where}.character_ids[{j}]", f"unknown character {character}"))
    for j, prop in enumerate(scene.prop_ids):
        if prop not in index.props:
            problems.append(FieldViolation(f"{where}.prop_ids[{j}]", f"unknown prop {prop}"))
    for b, beat in enumerate(scene.beats):
        here = f"{where}.beats[{b}]"
        if beat.speaker_id and beat.speaker_id not in index.characters:
            problems.append(FieldViolation(f"{here}.speaker_id", f"unknown character {beat.speaker_id}"))
        for j, character in enumerate(beat.character_ids):
            if character not in index.characters:
                problems.append(FieldViolation(f"{here}.character_ids[{j}]", f"unknown character {character}"))
        for j, prop in enumerate(beat.prop_ids):
            if prop not in index.props:
                problems.append(FieldViolation(f"{here}.prop_ids[{j}]", f"unknown prop {prop}"))
        for j, change in enumerate(beat.changes):
            if change.entity_id and change.entity_id not in index.characters and change.entity_id not in index.props:
                problems.append(FieldViolation(f"{here}.changes[{j}].entity_id", f"unknown entity {change.entity_id}"))
            if change.holder_id and change.holder_id not in index.characters:
                problems.append(FieldViolation(f"{here}.changes[{j}].holder_id", f"unknown character {change.holder_id}"))
    return problems


def check_plan(plan: Plan, field_prefix: str = "plan") -> Plan:
    """Returns the plan, or raises INVALID_ARGUMENT (reason ``PLAN_INVALID``)
    listing every referential problem."""
    problems = plan_problems(plan)
    if problems:
        named = [FieldViolation(f"{field_prefix}.{p.field}", p.description) for p in problems[:50]]
        raise InvalidArgument(
            f"{field_prefix}: {named[0].field}: {named[0].description}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            reason="PLAN_INVALID",
            field_violations=named,
        )
    return plan


_ID_NUMBER = re.compile(r"(\d+)$")


def next_id(existing: list[str], make) -> str:
    """The next free id after the highest numbered one, e.g. ``CHAR_04``."""
    highest = 0
    for value in existing:
        found = _ID_NUMBER.search(value)
        if found:
            highest = max(highest, int(found.group(1)))
    return make(highest + 1)
