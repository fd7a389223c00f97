"""The offline shot planner: a plan into a timed shot plan with locks.

Coverage per scene (:mod:`coverage`), durations fitted to the bible's
target within ``DEFAULT_DURATION_TOLERANCE`` (:mod:`timing`), ids S001...
in cutting order, and continuity locks (:mod:`locks`). Validation and
repair are separate (:mod:`continuity`); generating a shot plan through the
service always runs both.
"""

from __future__ import annotations

from services.planner.coverage import CutShot, cover_scene
from services.planner.locks import fill_locks
from services.planner.plan import Plan, PlanIndex
from services.planner.shot_plan import DEFAULT_DURATION_TOLERANCE, MAX_SHOTS, ShotPlan, renumber
from services.planner.timing import fit_to_target
from services.runtime.errors import InvalidArgument

GENERATOR = "offline"


def cut_plan(plan: Plan, index: PlanIndex | None = None) -> list[CutShot]:
    """Coverage of every scene in story order."""
    index = index or PlanIndex.of(plan)
    cuts: list[CutShot] = []
    previous_location: str | None = None
    for scene in plan.scenes:
        cuts.extend(cover_scene(scene, index, plan.bible, previous_location))
        previous_location = scene.location_id
    return cuts


def plan_shots(plan: Plan, plan_revision: str = "", tolerance: float = DEFAULT_DURATION_TOLERANCE) -> ShotPlan:
    """A shot plan for a plan: coverage, timing, ids and continuity locks."""
    index = PlanIndex.of(plan)
    cuts = cut_plan(plan, index)
    if len(cuts) > MAX_SHOTS:
        raise InvalidArgument.for_field(
            "plan_revision", f"the plan needs {len(cuts)} shots, a shot plan holds at most {MAX_SHOTS}: split it into several plans",
            "PLAN_TOO_LARGE_FOR_SHOT_PLAN",
        )
    durations = fit_to_target([c.timing for c in cuts], plan.bible.target_duration_s)
    shots = renumber([c.shot.model_copy(update={"duration_s": d}) for c, d in zip(cuts, durations)])
    shots = fill_locks(plan, shots, index=index)
    return ShotPlan(
        plan_revision=plan_revision or plan.revision,
        shots=shots,
        target_duration_s=plan.bible.target_duration_s,
        duration_tolerance=tolerance,
        generator=GENERATOR,
    ).with_total()
