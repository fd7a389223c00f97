"""Continuity repair: deterministic fixes, an optional LLM step, re-validation.

Deterministic fixes, in order: shots of unknown or missing scenes join the
scene of the shot before them; unknown characters and props leave the shot;
characters and props not in the shot's scene leave it; scenes without shots
get coverage from the offline shot planner; continuity locks of scenes with
wardrobe, prop, time-of-day or lock-direction problems are derived again
from the plan; dialogue exchanges that cross the line get each speaker's
side back; ids are renumbered S001...; durations are fitted to the target
again (with relaxed minimums). What remains can go to an LLM
(:class:`ShotPlanRepairer`); its answer is validated like any input and
kept only if it scores better.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from services.planner.continuity import ContinuityReport, ViolationKind, validate_shot_plan
from services.planner.coverage import cover_scene
from services.planner.locks import fill_locks
from services.planner.plan import Plan, PlanIndex
from services.planner.shot_plan import Shot, ShotPlan, renumber
from services.planner.timing import Timing, fit_to_target
from services.planner.vocabulary import ScreenDirection

_LOGGER = logging.getLogger(__name__)
_LOCK_KINDS = {ViolationKind.WARDROBE_CONFLICT, ViolationKind.PROP_CONFLICT, ViolationKind.TIME_OF_DAY_CONFLICT,
               ViolationKind.SCREEN_DIRECTION_BREAK}


class ShotPlanRepairer(Protocol):
    """The LLM repair step: given what is still wrong, propose a shot plan.
    Implemented by the Gemini planner; the answer is validated here."""

    async def repair(self, plan: Plan, shot_plan: ShotPlan, report: ContinuityReport) -> ShotPlan: ...


@dataclass(frozen=True)
class RepairResult:
    shot_plan: ShotPlan
    before: ContinuityReport
    after: ContinuityReport
    used_llm: bool = False

    @property
    def changed(self) -> bool:
        return self.after.violations != self.before.violations


def repair_shot_plan(plan: Plan, shot_plan: ShotPlan) -> RepairResult:
    """Deterministic repair and re-validation."""
    before = validate_shot_plan(plan, shot_plan)
    if not before.violations:
        return RepairResult(shot_plan, before, before)
    repaired = _repair(plan, shot_plan, before)
    return RepairResult(repaired, before, validate_shot_plan(plan, repaired))


async def repair_continuity(plan: Plan, shot_plan: ShotPlan, repairer: ShotPlanRepairer | None = None) -> RepairResult:
    """Deterministic repair, then the LLM for what is left (when one is
    given), then deterministic repair of the LLM's answer."""
    result = repair_shot_plan(plan, shot_plan)
    if repairer is None or not result.after.errors:
        return result
    try:
        proposal = await repairer.repair(plan, result.shot_plan, result.after)
        proposal = ShotPlan.model_validate(proposal.model_dump())
    except Exception as error:  # the LLM step is best effort; the deterministic result stands
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        _LOGGER.warning("LLM continuity repair failed, keeping the deterministic repair: %s", error)
        return result
    # The LLM may change shots, not the contract they are checked against.
    proposal = proposal.model_copy(update={"plan_revision": shot_plan.plan_revision, "revision": result.shot_plan.revision,
                                           "target_duration_s": shot_plan.target_duration_s,
                                           "duration_tolerance": shot_plan.duration_tolerance})
    second = repair_shot_plan(plan, proposal)
    if second.after.score > result.after.score:
        repaired = second.shot_plan.model_copy(update={"parent_revision": shot_plan.revision})
        return RepairResult(repaired, result.before, second.after, used_llm=True)
    return result


def _repair(plan: Plan, shot_plan: ShotPlan, report: ContinuityReport) -> ShotPlan:
    index = PlanIndex.of(plan)
    shots = _fix_scenes(shot_plan.shots, index)
    shots = [_fix_references(shot, index) for shot in shots]
    shots = _cover_missing_scenes(plan, shots, index)
    broken = {v.scene_id for v in report.violations if v.kind in _LOCK_KINDS and v.scene_id}
    broken |= {s.scene_id for s in shots if s.scene_id in index.scenes and not s.continuity.summary}
    shots = _fix_directions(shots, {v.scene_id for v in report.of_kind(ViolationKind.SCREEN_DIRECTION_BREAK)})
    shots = renumber(shots)
    shots = fill_locks(plan, shots, scene_ids=broken | _touched_scenes(shot_plan.shots, shots), index=index)
    shots = _fit_durations(shots, shot_plan.target_duration_s)
    return shot_plan.model_copy(update={"shots": shots, "parent_revision": shot_plan.revision, "revision": ""}).with_total()


def _fix_scenes(shots: list[Shot], index: PlanIndex) -> list[Shot]:
    fixed: list[Shot] = []
    for shot in shots:
        if shot.scene_id in index.scenes:
            fixed.append(shot)
        elif fixed:
            fixed.append(shot.model_copy(update={"scene_id": fixed[-1].scene_id}))
        elif index.scenes:
            fixed.append(shot.model_copy(update={"scene_id": next(iter(index.scenes))}))
    return fixed


def _fix_references(shot: Shot, index: PlanIndex) -> Shot:
    scene = index.scenes[shot.scene_id]
    characters = [c for c in dict.fromkeys(shot.character_ids) if c in index.characters and c in scene.character_ids]
    props = [p for p in dict.fromkeys(shot.prop_ids) if p in index.props and p in scene.prop_ids]
    lock = shot.continuity.model_copy(update={
        "characters": [c for c in shot.continuity.characters if c.character_id in characters],
        "props": [p.model_copy(update={"holder_id": p.holder_id if p.holder_id in index.characters else ""})
                  for p in shot.continuity.props if p.prop_id in props],
    })
    return shot.model_copy(update={
        "character_ids": characters,
        "prop_ids": props,
        "subject_id": shot.subject_id if shot.subject_id in characters else (characters[0] if characters and shot.subject_id else ""),
        "speaker_id": shot.speaker_id if shot.speaker_id in index.characters else "",
        "continuity": lock,
    })


def _touched_scenes(old: list[Shot], new: list[Shot]) -> set[str]:
    """Scenes whose shots changed in the reference fixes (their locks are
    derived again)."""
    before = {(s.scene_id, tuple(s.character_ids), tuple(s.prop_ids)) for s in old}
    return {s.scene_id for s in new if (s.scene_id, tuple(s.character_ids), tuple(s.prop_ids)) not in before}


def _cover_missing_scenes(plan: Plan, shots: list[Shot], index: PlanIndex) -> list[Shot]:
    covered = {s.scene_id for s in shots}
    if all(scene.id in covered for scene in plan.scenes):
        return shots
    by_scene: dict[str, list[Shot]] = {}
    for shot in shots:
        by_scene.setdefault(shot.scene_id, []).append(shot)
    ordered: list[Shot] = []
    previous_location: str | None = None
    for scene in plan.scenes:
        if scene.id in by_scene:
            ordered.extend(by_scene[scene.id])
        else:
            cuts = cover_scene(scene, index, plan.bible, previous_location)
            durations = fit_to_target([c.timing for c in cuts], 0)
            ordered.extend(c.shot.model_copy(update={"duration_s": d}) for c, d in zip(cuts, durations))
        previous_location = scene.location_id
    return ordered


def _fix_directions(shots: list[Shot], scenes: set[str]) -> list[Shot]:
    sides: dict[tuple[str, str], ScreenDirection] = {}
    fixed = []
    for shot in shots:
        if shot.scene_id in scenes and shot.dialogue and shot.subject_id:
            taken = sum(1 for scene, _ in sides if scene == shot.scene_id)
            default = ScreenDirection.LEFT_TO_RIGHT if taken % 2 == 0 else ScreenDirection.RIGHT_TO_LEFT
            side = sides.setdefault((shot.scene_id, shot.subject_id), default)
            shot = shot.model_copy(update={"screen_direction": side})
        if shot.continuity.screen_direction is not ScreenDirection.UNSPECIFIED and shot.continuity.screen_direction != shot.screen_direction:
            shot = shot.model_copy(update={"continuity": shot.continuity.model_copy(update={"screen_direction": shot.screen_direction})})
        fixed.append(shot)
    return fixed


def _fit_durations(shots: list[Shot], target: float) -> list[Shot]:
    if target <= 0 and all(s.duration_s > 0 for s in shots):
        return shots
    timings = [Timing(max(s.duration_s, 1.0), 1.0, max(s.duration_s * 4, 8.0)) for s in shots]
    durations = fit_to_target(timings, target, relaxed=False)
    if target > 0 and abs(sum(durations) - target) > 0.01 * target:
        durations = fit_to_target(timings, target, relaxed=True)
    return [s.model_copy(update={"duration_s": d}) for s, d in zip(shots, durations)]
