"""Continuity validation: typed violations naming the shots involved, and a
score.

Checks, in shot order: ids (empty, repeated, out of sequence); references
(scenes, characters, props that the plan does not have); characters in a
shot but not in its scene, props outside their scenes; wardrobe, hair and
make-up, prop state and time of day that change between shots of a scene
with no beat explaining the change; screen direction across dialogue
exchanges (each speaker keeps one side of the 180-degree line, the two
sides of a two-person exchange differ); scenes without shots; and the
total duration against the target within the stated tolerance.

Repair lives in :mod:`continuity_repair`.
"""

from __future__ import annotations

import enum
from collections import Counter

from pydantic import BaseModel, Field

from services.planner.plan import ChangeAspect, Plan, PlanIndex, Scene
from services.planner.shot_plan import Shot, ShotPlan, shot_id
from services.planner.vocabulary import ScreenDirection, TimeOfDay

WEIGHTS = {"ERROR": 10, "WARNING": 3}
_SIDES = {ScreenDirection.LEFT_TO_RIGHT, ScreenDirection.RIGHT_TO_LEFT}


class ViolationKind(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    UNKNOWN_ENTITY = "UNKNOWN_ENTITY"
    CHARACTER_NOT_IN_SCENE = "CHARACTER_NOT_IN_SCENE"
    WARDROBE_CONFLICT = "WARDROBE_CONFLICT"
    PROP_CONFLICT = "PROP_CONFLICT"
    TIME_OF_DAY_CONFLICT = "TIME_OF_DAY_CONFLICT"
    SCREEN_DIRECTION_BREAK = "SCREEN_DIRECTION_BREAK"
    DUPLICATE_ID = "DUPLICATE_ID"
    MISSING_ID = "MISSING_ID"
    DURATION_OFF_TARGET = "DURATION_OFF_TARGET"
    UNCOVERED_SCENE = "UNCOVERED_SCENE"


class Severity(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Violation(BaseModel):
    kind: ViolationKind
    severity: Severity = Severity.ERROR
    message: str
    shot_ids: list[str] = Field(default_factory=list)
    scene_id: str = ""
    entity_ids: list[str] = Field(default_factory=list)
    fixable: bool = True


class ContinuityReport(BaseModel):
    revision: str = ""
    shot_plan_revision: str = ""
    violations: list[Violation] = Field(default_factory=list)
    score: int = 100
    shot_count: int = 0
    total_duration_s: float = 0.0
    target_duration_s: float = 0.0
    duration_tolerance: float = 0.0

    def of_kind(self, kind: ViolationKind) -> list[Violation]:
        return [v for v in self.violations if v.kind is kind]

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.ERROR]


def score(violations: list[Violation]) -> int:
    """100 minus 10 per error and 3 per warning, floored at 0."""
    return max(0, 100 - sum(WEIGHTS.get(v.severity.value, 0) for v in violations))


def validate_shot_plan(plan: Plan, shot_plan: ShotPlan) -> ContinuityReport:
    """Every violation of ``shot_plan`` against ``plan``."""
    index = PlanIndex.of(plan)
    shots = shot_plan.shots
    violations = [*_id_violations(shots), *_reference_violations(shots, index)]
    by_scene: dict[str, list[Shot]] = {}
    for shot in shots:
        if shot.scene_id in index.scenes:
            by_scene.setdefault(shot.scene_id, []).append(shot)
    for scene_id, scene_shots in by_scene.items():
        scene = index.scenes[scene_id]
        violations += _state_violations(scene, scene_shots, index)
        violations += _direction_violations(scene, scene_shots)
    for scene in plan.scenes:
        if scene.id not in by_scene:
            violations.append(Violation(kind=ViolationKind.UNCOVERED_SCENE, severity=Severity.ERROR, scene_id=scene.id,
                                        message=f"scene {scene.id} ({scene.heading or 'untitled'}) has no shots"))
    violations += _duration_violations(shot_plan)
    total = round(sum(s.duration_s for s in shots), 3)
    return ContinuityReport(
        shot_plan_revision=shot_plan.revision, violations=violations, score=score(violations), shot_count=len(shots),
        total_duration_s=total, target_duration_s=shot_plan.target_duration_s, duration_tolerance=shot_plan.duration_tolerance,
    )


def _id_violations(shots: list[Shot]) -> list[Violation]:
    found: list[Violation] = []
    counts = Counter(s.id for s in shots if s.id)
    for position, shot in enumerate(shots, start=1):
        if not shot.id:
            found.append(Violation(kind=ViolationKind.MISSING_ID, message=f"shot at position {position} has no id"))
        if not shot.scene_id:
            found.append(Violation(kind=ViolationKind.MISSING_ID, shot_ids=[shot.id] if shot.id else [],
                                   message=f"shot {shot.id or position} has no scene id"))
    for value, count in counts.items():
        if count > 1:
            found.append(Violation(kind=ViolationKind.DUPLICATE_ID, shot_ids=[value], message=f"shot id {value} is used by {count} shots"))
    if not found and any(shot.id != shot_id(n) for n, shot in enumerate(shots, start=1)):
        found.append(Violation(kind=ViolationKind.MISSING_ID, severity=Severity.WARNING,
                               shot_ids=[s.id for n, s in enumerate(shots, start=1) if s.id != shot_id(n)][:20],
                               message="shot ids are not S001, S002... in cutting order"))
    return found


def _reference_violations(shots: list[Shot], index: PlanIndex) -> list[Violation]:
    found: list[Violation] = []
    for shot in shots:
        name = shot.id or "(no id)"
        scene = index.scenes.get(shot.scene_id)
        if shot.scene_id and scene is None:
            found.append(Violation(kind=ViolationKind.UNKNOWN_ENTITY, shot_ids=[name], entity_ids=[shot.scene_id],
                                   message=f"shot {name} names scene {shot.scene_id}, which the plan does not have"))
        characters = {*shot.character_ids, *filter(None, [shot.subject_id, shot.speaker_id]),
                      *(c.character_id for c in shot.continuity.characters)}
        props = {*shot.prop_ids, *(p.prop_id for p in shot.continuity.props)}
        holders = {p.holder_id for p in shot.continuity.props if p.holder_id}
        unknown = sorted(c for c in characters | holders if c not in index.characters) + sorted(p for p in props if p not in index.props)
        if unknown:
            found.append(Violation(kind=ViolationKind.UNKNOWN_ENTITY, shot_ids=[name], scene_id=shot.scene_id, entity_ids=unknown,
                                   message=f"shot {name} names {', '.join(unknown)}, which the plan does not have"))
        if scene is None:
            continue
        outsiders = [c for c in dict.fromkeys([*shot.character_ids, *filter(None, [shot.subject_id])])
                     if c in index.characters and c not in scene.character_ids]
        if outsiders:
            found.append(Violation(kind=ViolationKind.CHARACTER_NOT_IN_SCENE, shot_ids=[name], scene_id=scene.id, entity_ids=outsiders,
                                   message=f"shot {name} shows {', '.join(index.character_name(c) for c in outsiders)}, not in scene {scene.id}"))
        stray = [p for p in shot.prop_ids if p in index.props and p not in scene.prop_ids]
        if stray:
            found.append(Violation(kind=ViolationKind.PROP_CONFLICT, severity=Severity.WARNING, shot_ids=[name], scene_id=scene.id,
                                   entity_ids=stray, message=f"shot {name} shows {', '.join(stray)}, which scene {scene.id} does not have"))
    return found


def _explained(scene: Scene, aspect: ChangeAspect, entity: str, before: Shot, after: Shot, new_state: str | None = None) -> bool:
    """True if a beat of the scene changes ``entity``'s ``aspect`` between
    the two shots: a change in a beat after the first shot's last beat, or,
    in the beat the first shot already covers, a change to exactly the new
    state (a shot may show the moment before the change). Shots that name no
    beats accept a change anywhere in the scene."""
    def matches(change) -> bool:
        return change.aspect is aspect and (change.entity_id == entity or aspect is ChangeAspect.TIME_OF_DAY)

    if not before.beat_indexes or not after.beat_indexes:
        return any(matches(c) for beat in scene.beats for c in beat.changes)
    low, high = max(before.beat_indexes), max(after.beat_indexes)
    for number in range(min(low, high), high + 1):
        if number >= len(scene.beats):
            break
        for change in scene.beats[number].changes:
            if matches(change) and (number > low or new_state is None or change.description == new_state):
                return True
    return False


def _state_violations(scene: Scene, shots: list[Shot], index: PlanIndex) -> list[Violation]:
    found: list[Violation] = []
    last_look: dict[str, tuple[Shot, str, str]] = {}
    last_prop: dict[str, tuple[Shot, tuple[str, str]]] = {}
    for shot in shots:
        for look in shot.continuity.characters:
            previous = last_look.get(look.character_id)
            if previous and look.wardrobe and previous[1] and look.wardrobe != previous[1] \
                    and not _explained(scene, ChangeAspect.WARDROBE, look.character_id, previous[0], shot, look.wardrobe):
                found.append(_conflict(ViolationKind.WARDROBE_CONFLICT, scene, previous[0], shot, look.character_id,
                                       f"{index.character_name(look.character_id)} wears {previous[1]!r} in {previous[0].id} but {look.wardrobe!r} in {shot.id}"))
            elif previous and look.hair_makeup and previous[2] and look.hair_makeup != previous[2] \
                    and not _explained(scene, ChangeAspect.HAIR_MAKEUP, look.character_id, previous[0], shot, look.hair_makeup):
                found.append(_conflict(ViolationKind.WARDROBE_CONFLICT, scene, previous[0], shot, look.character_id,
                                       f"{index.character_name(look.character_id)}'s hair/make-up changes from {previous[2]!r} to {look.hair_makeup!r}"))
            last_look[look.character_id] = (shot, look.wardrobe or (previous[1] if previous else ""), look.hair_makeup or (previous[2] if previous else ""))
        for prop in shot.continuity.props:
            state = (prop.state, prop.holder_id)
            previous_prop = last_prop.get(prop.prop_id)
            if previous_prop and state != previous_prop[1] and not _explained(scene, ChangeAspect.PROP_STATE, prop.prop_id, previous_prop[0], shot, prop.state):
                found.append(_conflict(ViolationKind.PROP_CONFLICT, scene, previous_prop[0], shot, prop.prop_id,
                                       f"{prop.prop_id} is {previous_prop[1][0]!r} in {previous_prop[0].id} but {prop.state!r} in {shot.id}"))
            last_prop[prop.prop_id] = (shot, state)
        found += _time_violations(scene, shot)
    return found


def _time_violations(scene: Scene, shot: Shot) -> list[Violation]:
    time = shot.continuity.time_of_day
    expected = scene.time_of_day
    if expected in (TimeOfDay.UNSPECIFIED, TimeOfDay.CONTINUOUS) or time == expected:
        return []
    if time is TimeOfDay.UNSPECIFIED:
        return [Violation(kind=ViolationKind.TIME_OF_DAY_CONFLICT, severity=Severity.WARNING, shot_ids=[shot.id], scene_id=scene.id,
                          message=f"shot {shot.id} does not lock the time of day of scene {scene.id} ({expected.value})")]
    if any(c.aspect is ChangeAspect.TIME_OF_DAY for beat in scene.beats for c in beat.changes):
        return []
    return [Violation(kind=ViolationKind.TIME_OF_DAY_CONFLICT, shot_ids=[shot.id], scene_id=scene.id,
                      message=f"shot {shot.id} is {time.value} but scene {scene.id} is {expected.value}")]


def _conflict(kind: ViolationKind, scene: Scene, before: Shot, after: Shot, entity: str, message: str) -> Violation:
    return Violation(kind=kind, shot_ids=[before.id, after.id], scene_id=scene.id, entity_ids=[entity],
                     message=f"{message}, and no beat of {scene.id} explains the change")


def _exchanges(shots: list[Shot]) -> list[list[Shot]]:
    runs: list[list[Shot]] = []
    current: list[Shot] = []
    for shot in shots:
        if shot.dialogue and shot.subject_id:
            current.append(shot)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _direction_violations(scene: Scene, shots: list[Shot]) -> list[Violation]:
    found: list[Violation] = []
    for shot in shots:
        if shot.continuity.screen_direction is not ScreenDirection.UNSPECIFIED and shot.continuity.screen_direction != shot.screen_direction:
            found.append(Violation(kind=ViolationKind.SCREEN_DIRECTION_BREAK, severity=Severity.WARNING, shot_ids=[shot.id], scene_id=scene.id,
                                   message=f"shot {shot.id} locks {shot.continuity.screen_direction.value} but is framed {shot.screen_direction.value}"))
    for run in _exchanges(shots):
        sides: dict[str, tuple[ScreenDirection, Shot]] = {}
        for shot in run:
            if shot.screen_direction not in _SIDES:
                continue
            seen = sides.get(shot.subject_id)
            if seen and seen[0] != shot.screen_direction:
                found.append(Violation(kind=ViolationKind.SCREEN_DIRECTION_BREAK, shot_ids=[seen[1].id, shot.id], scene_id=scene.id,
                                       entity_ids=[shot.subject_id],
                                       message=f"{shot.subject_id} looks {seen[0].value} in {seen[1].id} but {shot.screen_direction.value} in {shot.id}: the cut crosses the 180-degree line"))
            sides.setdefault(shot.subject_id, (shot.screen_direction, shot))
        if len(sides) == 2:
            (a, (side_a, shot_a)), (b, (side_b, shot_b)) = sides.items()
            if side_a == side_b:
                found.append(Violation(kind=ViolationKind.SCREEN_DIRECTION_BREAK, shot_ids=[shot_a.id, shot_b.id], scene_id=scene.id,
                                       entity_ids=[a, b], message=f"{a} and {b} both look {side_a.value}: they would not face each other"))
    return found


def _duration_violations(shot_plan: ShotPlan) -> list[Violation]:
    found = [Violation(kind=ViolationKind.DURATION_OFF_TARGET, shot_ids=[s.id], scene_id=s.scene_id, message=f"shot {s.id} has no duration")
             for s in shot_plan.shots if s.duration_s <= 0]
    target = shot_plan.target_duration_s
    total = sum(s.duration_s for s in shot_plan.shots)
    if target > 0 and abs(total - target) > shot_plan.duration_tolerance * target + 1e-6:
        found.append(Violation(kind=ViolationKind.DURATION_OFF_TARGET,
                               message=f"shots add up to {total:.1f} s, target {target:.1f} s +/- {shot_plan.duration_tolerance:.0%}"))
    return found
