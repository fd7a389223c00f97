"""Frames for a scope of a shot plan (``GenerateFrames``, `000` step 7).

The scope picks render targets from the shot plan and its plan: the whole
project (style frame, every character reference, every location reference,
every shot), one scene's shots, one shot, or every image of one type. Each
target's prompt comes from the planner's render-prompt call with the lock
profile; the local renderer draws the shot's panel. Each output becomes a
revision of the target's image asset (``image_assets``) labelled
``shot_id``/``scene_id``/``image_type``, whose parents are the shot plan
revision and the reference images the prompt names (and the project's
current reference images of the characters, location and style in frame).
"""

from __future__ import annotations

import asyncio

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import image_assets as labels
from services.media.caller_context import acting_for
from services.media.image_options import ImageParameters, fresh_seed, resolve_image_options
from services.media.job_protos import backend_from_proto
from services.media.jobs import ItemPlan, Job, JobKind
from services.media.render_targets import (
    STYLE_FRAME_ID,
    RenderTarget,
    TargetKind,
    checked_lock_profile,
    panel_for_target,
    prompt_request,
)
from services.media.shot_panels import PlanIndex
from services.media.task_context import PlannedItem, TaskContext, with_prompt
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project, parse_revision
from services.runtime.upstream_errors import translated

PROMPT_CONCURRENCY = 8
_SCOPE_TYPES = {
    media_pb2.FramesScope.TYPE_PROJECT,
    media_pb2.FramesScope.TYPE_SCENE,
    media_pb2.FramesScope.TYPE_SHOT,
    media_pb2.FramesScope.TYPE_ASSET_TYPE,
}
_ASSET_TYPES = {
    media_pb2.IMAGE_TYPE_STYLE_FRAME: TargetKind.STYLE_FRAME,
    media_pb2.IMAGE_TYPE_CHARACTER_REFERENCE: TargetKind.CHARACTER_REFERENCE,
    media_pb2.IMAGE_TYPE_LOCATION_REFERENCE: TargetKind.LOCATION_REFERENCE,
    media_pb2.IMAGE_TYPE_SHOT_FRAME: TargetKind.SHOT_FRAME,
}


# ---------------------------------------------------------------- scope
def _all_of(kind: TargetKind, shot_plan: planner_pb2.ShotPlan, plan: planner_pb2.Plan) -> list[RenderTarget]:
    if kind is TargetKind.STYLE_FRAME:
        return [RenderTarget(kind, STYLE_FRAME_ID)]
    if kind is TargetKind.CHARACTER_REFERENCE:
        return [RenderTarget(kind, character.id) for character in plan.characters]
    if kind is TargetKind.LOCATION_REFERENCE:
        return [RenderTarget(kind, location.id) for location in plan.locations]
    return [RenderTarget(kind, shot.id) for shot in shot_plan.shots]


def select_targets(scope: media_pb2.FramesScope, shot_plan: planner_pb2.ShotPlan,
                   plan: planner_pb2.Plan) -> list[RenderTarget]:
    """The targets of ``scope``, in order: style frame, characters,
    locations, shots. INVALID_ARGUMENT naming the scope field when it is
    missing or names nothing of this shot plan."""
    if scope.type not in _SCOPE_TYPES:
        raise InvalidArgument.for_field("spec.scope.type", "is required: PROJECT, SCENE, SHOT or ASSET_TYPE",
                                        "SCOPE_REQUIRED")
    if scope.type == media_pb2.FramesScope.TYPE_PROJECT:
        found = [target for kind in TargetKind for target in _all_of(kind, shot_plan, plan)]
    elif scope.type == media_pb2.FramesScope.TYPE_SCENE:
        if not scope.scene_id:
            raise InvalidArgument.for_field("spec.scope.scene_id", "is required for a scene scope", "SCENE_REQUIRED")
        found = [RenderTarget(TargetKind.SHOT_FRAME, s.id) for s in shot_plan.shots if s.scene_id == scope.scene_id]
        if not found:
            raise InvalidArgument.for_field("spec.scope.scene_id", f"{scope.scene_id[:40]!r} has no shots in "
                                            f"{shot_plan.revision}", "SCENE_NOT_IN_SHOT_PLAN")
    elif scope.type == media_pb2.FramesScope.TYPE_SHOT:
        if not scope.shot_id:
            raise InvalidArgument.for_field("spec.scope.shot_id", "is required for a shot scope", "SHOT_REQUIRED")
        if all(shot.id != scope.shot_id for shot in shot_plan.shots):
            raise InvalidArgument.for_field("spec.scope.shot_id", f"{scope.shot_id[:40]!r} is not a shot of "
                                            f"{shot_plan.revision}", "SHOT_NOT_IN_SHOT_PLAN")
        found = [RenderTarget(TargetKind.SHOT_FRAME, scope.shot_id)]
    else:
        kind = _ASSET_TYPES.get(scope.asset_type)
        if kind is None:
            raise InvalidArgument.for_field("spec.scope.asset_type", "must be STYLE_FRAME, CHARACTER_REFERENCE, "
                                            "LOCATION_REFERENCE or SHOT_FRAME", "ASSET_TYPE_REQUIRED")
        found = _all_of(kind, shot_plan, plan)
    if not found:
        raise InvalidArgument.for_field("spec.scope", "selects nothing: the plan has no such images", "EMPTY_SCOPE")
    return found


# ---------------------------------------------------------------- start
async def load_shot_plan(context: TaskContext, name: str, project: str, field: str):
    """The shot plan ``name`` of ``project`` and its plan (NOT_FOUND as the
    planner answers it)."""
    parsed = parse_revision(name, field)
    if parsed.project != project:
        raise InvalidArgument.for_field(field, f"must be a revision of projects/{project}", "REVISION_OF_OTHER_PROJECT")
    shot_plan = await context.planner.shot_plan(name, field)
    plan = await context.planner.plan(shot_plan.plan_revision)
    return shot_plan, plan


def _parameters(context: TaskContext, spec: media_pb2.FramesSpec) -> ImageParameters:
    return resolve_image_options(spec.options, context.defaults.image, "spec.options", default_aspect_ratio=False)


async def start_frames(context: TaskContext, parent: str, spec: media_pb2.FramesSpec, request_id: str) -> Job:
    project = parse_project(parent, "parent")
    checked_lock_profile(spec.lock_profile, "spec.lock_profile")
    parameters = _parameters(context, spec)
    backend = backend_from_proto(spec.backend)
    shot_plan, plan = await load_shot_plan(context, spec.shot_plan_revision, project, "spec.shot_plan_revision")
    targets = select_targets(spec.scope, shot_plan, plan)
    sample = parameters.request("estimate", aspect_ratio=plan.bible.aspect_ratio)
    context.check_makeable(sample, backend, "spec.options.aspect_ratio")
    estimate = context.estimate([sample] * len(targets), backend)
    return await context.start(parent, JobKind.FRAMES, spec, request_id=request_id, backend=backend,
                               estimate_usd=estimate)


# ---------------------------------------------------------------- prepare
async def _current_references(context: TaskContext, project: str, plan_asset: str) -> dict[tuple[str, str], str]:
    """Head revisions of the project's reference images of this plan, by
    (image type, id): lineage for the frames that show them."""
    with translated("storage"):
        assets = await context.storage.list_assets(
            f"projects/{project}", kind=storage_pb2.ASSET_KIND_IMAGE, labels={labels.PLAN: plan_asset}
        )
    found: dict[tuple[str, str], str] = {}
    for asset in assets:
        image_type = asset.labels.get(labels.IMAGE_TYPE, "")
        ident = asset.labels.get(labels.CHARACTER_ID) or asset.labels.get(labels.LOCATION_ID) or STYLE_FRAME_ID
        if image_type != TargetKind.SHOT_FRAME.value and asset.head_revision:
            found[(image_type, ident)] = asset.head_revision
    return found


def _reference_keys(target: RenderTarget, shot: planner_pb2.Shot | None,
                    index: PlanIndex) -> list[tuple[str, str]]:
    """(image type, id) of the reference images of what is in a shot's
    frame: its characters, its scene's location and the style frame."""
    if target.kind is not TargetKind.SHOT_FRAME or shot is None:
        return []
    keys = [(TargetKind.CHARACTER_REFERENCE.value, character) for character in shot.character_ids]
    scene = index.scenes.get(shot.scene_id)
    if scene is not None and scene.location_id:
        keys.append((TargetKind.LOCATION_REFERENCE.value, scene.location_id))
    keys.append((TargetKind.STYLE_FRAME.value, STYLE_FRAME_ID))
    return keys


def _references_in_frame(target: RenderTarget, shot: planner_pb2.Shot | None, index: PlanIndex,
                         current: dict[tuple[str, str], str],
                         made_here: dict[tuple[str, str], str]) -> tuple[list[str], tuple[str, ...]]:
    """The frame's reference images: revisions stored before this job, and
    keys of the items of this job that make newer ones (their outputs become
    parents when the frame is stored)."""
    earlier, items = [], []
    for key in _reference_keys(target, shot, index):
        if key in made_here:
            items.append(made_here[key])
        elif key in current:
            earlier.append(current[key])
    return earlier, tuple(items)


async def prepare_frames(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.FramesSpec.FromString(job.spec.payload)
    parameters = _parameters(context, spec)
    with acting_for(job):
        shot_plan, plan = await load_shot_plan(context, spec.shot_plan_revision, job.project, "spec.shot_plan_revision")
        targets = select_targets(spec.scope, shot_plan, plan)
        current = await _current_references(context, job.project, labels.asset_of(shot_plan.plan_revision))
        limiter = asyncio.Semaphore(PROMPT_CONCURRENCY)

        async def prompt_for(target: RenderTarget) -> planner_pb2.RenderPrompt:
            async with limiter:
                return await context.planner.render_prompt(
                    prompt_request(target, shot_plan.plan_revision, shot_plan.revision, spec.lock_profile)
                )

        prompts = await asyncio.gather(*(prompt_for(target) for target in targets))
    index = PlanIndex(plan)
    shots = {shot.id: shot for shot in shot_plan.shots}
    made_here = {(target.kind.value, target.id): target.key for target in targets
                 if target.kind is not TargetKind.SHOT_FRAME}
    items = []
    for target, prompt in zip(targets, prompts):
        shot = shots.get(target.id) if target.kind is TargetKind.SHOT_FRAME else None
        seed = parameters.seed if parameters.seed is not None else fresh_seed()
        work = parameters.request(prompt.positive, prompt.negative,
                                  aspect_ratio=prompt.aspect_ratio or plan.bible.aspect_ratio, seed=seed,
                                  panel=panel_for_target(target, index, shots))
        prompt.aspect_ratio = work.aspect_ratio  # the payload records what was rendered
        earlier, parent_items = _references_in_frame(target, shot, index, current, made_here)
        parents = labels.project_parents(job.project, [shot_plan.revision], prompt.reference_revisions, earlier)
        output = labels.plan_image_target(
            target, shot_plan_revision=shot_plan.revision, plan_revision=shot_plan.plan_revision,
            scene_id=shot.scene_id if shot else "", parents=parents,
            extra_labels={labels.ASPECT_RATIO: work.aspect_ratio, labels.OUTPUT_FORMAT: work.output_format,
                          labels.SEED: str(seed), labels.JOB: job.job_id},
            message=f"{target.kind.value.lower().replace('_', ' ')} {target.id}: {prompt.positive}",
            parent_items=parent_items,
        )
        items.append(PlannedItem(target.key, work, with_prompt(output, prompt)))
    return await context.planned(job, items)
