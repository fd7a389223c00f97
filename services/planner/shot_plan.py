"""The shot plan: shots with camera, timing, frame notes and continuity locks.

Mirrors ``previs.planner.v1.ShotPlan`` (durations in seconds, ``*_s``).
Unlike the plan, shot ids and references are only loosely constrained here
(an id may be empty or repeated, a reference may dangle): finding and
repairing those is the continuity validator's job, and it must be able to
read a broken shot plan to report on it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.planner.plan import MAX_CHARACTERS, MAX_PROPS, ShortText, Text, RevisionRef
from services.planner.vocabulary import CameraAngle, CameraMovement, ScreenDirection, ShotSize, TimeOfDay

Ref = Annotated[str, Field(max_length=20)]

SHOT_ID = r"S\d{3,5}"
MAX_SHOTS = 20_000
DEFAULT_DURATION_TOLERANCE = 0.05


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def shot_id(n: int) -> str:
    return f"S{n:03d}"


class PropState(_Model):
    prop_id: Ref
    state: ShortText = ""
    holder_id: Ref = ""


class CharacterContinuity(_Model):
    character_id: Ref
    wardrobe: ShortText = ""
    hair_makeup: ShortText = ""


class ContinuityLock(_Model):
    characters: list[CharacterContinuity] = Field(default_factory=list, max_length=MAX_CHARACTERS)
    props: list[PropState] = Field(default_factory=list, max_length=MAX_PROPS)
    time_of_day: TimeOfDay = TimeOfDay.UNSPECIFIED
    screen_direction: ScreenDirection = ScreenDirection.UNSPECIFIED
    location_layout: Text = ""
    summary: Text = ""

    def wardrobe_of(self, character: str) -> CharacterContinuity | None:
        return next((c for c in self.characters if c.character_id == character), None)

    def prop_state(self, prop: str) -> PropState | None:
        return next((p for p in self.props if p.prop_id == prop), None)


class Shot(_Model):
    id: Annotated[str, Field(pattern=rf"^(?:{SHOT_ID})?$")] = ""
    scene_id: Ref = ""
    size: ShotSize = ShotSize.UNSPECIFIED
    angle: CameraAngle = CameraAngle.UNSPECIFIED
    movement: CameraMovement = CameraMovement.UNSPECIFIED
    lens_mm: float = Field(0.0, ge=0, le=1200)
    duration_s: float = Field(0.0, ge=0, le=600)
    character_ids: list[Ref] = Field(default_factory=list, max_length=MAX_CHARACTERS)
    prop_ids: list[Ref] = Field(default_factory=list, max_length=MAX_PROPS)
    screen_direction: ScreenDirection = ScreenDirection.UNSPECIFIED
    description: Text = ""
    dialogue: Text = ""
    voiceover: Text = ""
    speaker_id: Ref = ""
    subject_id: Ref = ""
    first_frame: Text = ""
    last_frame: Text = ""
    continuity: ContinuityLock = Field(default_factory=ContinuityLock)
    beat_indexes: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list, max_length=2000)


class ShotPlan(_Model):
    revision: RevisionRef = ""
    plan_revision: RevisionRef = ""
    shots: list[Shot] = Field(default_factory=list, max_length=MAX_SHOTS)
    target_duration_s: float = Field(0.0, ge=0)
    total_duration_s: float = Field(0.0, ge=0)
    duration_tolerance: float = Field(DEFAULT_DURATION_TOLERANCE, ge=0, le=1)
    generator: ShortText = ""
    parent_revision: RevisionRef = ""
    trace_revisions: list[RevisionRef] = Field(default_factory=list, max_length=1000)

    def with_total(self) -> "ShotPlan":
        """A copy whose ``total_duration_s`` is the sum of the shots."""
        return self.model_copy(update={"total_duration_s": round(sum(s.duration_s for s in self.shots), 3)})




def renumber(shots: list[Shot]) -> list[Shot]:
    """Copies of the shots with ids S001, S002... in their current order."""
    return [shot.model_copy(update={"id": shot_id(n)}) for n, shot in enumerate(shots, start=1)]


def ids_are_sequential(shots: list[Shot]) -> bool:
    return all(shot.id == shot_id(n) for n, shot in enumerate(shots, start=1))
