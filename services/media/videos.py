"""A video clip (`001` v3) from a free prompt or a shot of a stored shot
plan (the planner builds the prompt; the local renderer moves the camera
over the shot's panel, or over the reference image when one is given).

Reference and last-frame images are named by revision and streamed from
storage into the job's scratch folder, never sent inline. Unset values come
from the ``video`` defaults, or the shot: its duration (snapped to the 4, 6
or 8 s that Veo makes when a generative backend may make the clip) and its
plan's aspect ratio. A shot's clip is a new revision of the shot's clip
asset (``video_type=SHOT_CLIP``), which animatics prefer over stills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import image_assets as labels
from services.media.backends.base import PanelSpec, VideoRequest
from services.media.caller_context import acting_for
from services.media.frames import load_shot_plan
from services.media.image_options import MAX_PROMPT_CHARS, checked_aspect_ratio, fresh_seed
from services.media.job_protos import backend_from_proto
from services.media.job_work import VIDEO
from services.media.jobs import ItemPlan, Job, JobKind
from services.media.output_targets import OutputTarget
from services.media.reference_files import download_media, media_revision
from services.media.render_targets import RenderTarget, TargetKind, prompt_request
from services.media.shot_panels import PlanIndex, panel_for_shot
from services.media.task_context import PlannedItem, TaskContext, with_prompt
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project

MAX_NEGATIVE_CHARS = 2000
MAX_RULES_CHARS = 2000
MAX_SECONDS = 60
RESOLUTIONS = ("480p", "720p", "1080p")
GENERATIVE_DURATIONS = (4, 6, 8)
GENERATIVE_RESOLUTIONS = ("720p", "1080p")
ITEM_KEY = "output"


@dataclass(frozen=True)
class _Shot:
    shot_plan: planner_pb2.ShotPlan
    plan: planner_pb2.Plan
    shot: planner_pb2.Shot


def _check_fields(spec: media_pb2.VideoSpec, project: str) -> None:
    source = spec.WhichOneof("source")
    if source is None:
        raise InvalidArgument.for_field("spec.source", "a prompt or a shot is required", "SOURCE_REQUIRED")
    if source == "prompt" and (not spec.prompt.strip() or len(spec.prompt) > MAX_PROMPT_CHARS):
        raise InvalidArgument.for_field("spec.prompt", f"must be 1 to {MAX_PROMPT_CHARS} characters", "INVALID_PROMPT")
    if source == "shot" and not spec.shot.shot_id:
        raise InvalidArgument.for_field("spec.shot.shot_id", "is required", "SHOT_REQUIRED")
    if len(spec.negative_prompt) > MAX_NEGATIVE_CHARS:
        raise InvalidArgument.for_field("spec.negative_prompt", f"at most {MAX_NEGATIVE_CHARS} characters")
    if len(spec.rules_template) > MAX_RULES_CHARS:
        raise InvalidArgument.for_field("spec.rules_template", f"at most {MAX_RULES_CHARS} characters")
    checked_aspect_ratio(spec.aspect_ratio, "spec.aspect_ratio")
    if spec.resolution and spec.resolution not in RESOLUTIONS:
        raise InvalidArgument.for_field("spec.resolution", f"must be one of {', '.join(RESOLUTIONS)}",
                                        "INVALID_RESOLUTION")
    if spec.HasField("duration"):
        seconds = spec.duration.ToTimedelta().total_seconds()
        if not 0 < seconds <= MAX_SECONDS:
            raise InvalidArgument.for_field("spec.duration", f"must be more than 0 and at most {MAX_SECONDS} s",
                                            "INVALID_DURATION")


async def _load_shot(context: TaskContext, spec: media_pb2.VideoSpec, project: str) -> _Shot | None:
    if spec.WhichOneof("source") != "shot":
        return None
    shot_plan, plan = await load_shot_plan(context, spec.shot.shot_plan_revision, project, "spec.shot.shot_plan_revision")
    shot = next((shot for shot in shot_plan.shots if shot.id == spec.shot.shot_id), None)
    if shot is None:
        raise InvalidArgument.for_field("spec.shot.shot_id", f"{spec.shot.shot_id[:40]!r} is not a shot of "
                                        f"{shot_plan.revision}", "SHOT_NOT_IN_SHOT_PLAN")
    return _Shot(shot_plan, plan, shot)


def _duration(context: TaskContext, spec: media_pb2.VideoSpec, shot: _Shot | None, backend: str) -> int:
    if spec.HasField("duration"):  # whole seconds that cover what was asked (2.5 s makes 3 s)
        return max(1, math.ceil(spec.duration.ToTimedelta().total_seconds() - 0.05))
    if shot is None:
        return context.defaults.video.duration_seconds
    seconds = shot.shot.duration.ToTimedelta().total_seconds() or context.defaults.video.duration_seconds
    if any(name != "local" for name in context.candidates(VIDEO, backend)):
        return min(GENERATIVE_DURATIONS, key=lambda choice: (abs(choice - seconds), choice))
    return max(1, min(MAX_SECONDS, math.ceil(seconds - 0.05)))


def _request(context: TaskContext, spec: media_pb2.VideoSpec, shot: _Shot | None, backend: str, *, prompt: str = "",
             negative: str = "", seed: int | None = None, panel: PanelSpec | None = None, reference=None,
             last_frame=None) -> VideoRequest:
    defaults = context.defaults.video
    aspect = spec.aspect_ratio or (shot.plan.bible.aspect_ratio if shot else "") or defaults.aspect_ratio
    rules = spec.rules_template.strip()
    text = " ".join(part for part in (prompt or spec.prompt.strip(), rules) if part)[:MAX_PROMPT_CHARS]
    negatives = ", ".join(part for part in (negative, spec.negative_prompt.strip()) if part)
    return VideoRequest(
        prompt=text or "clip", negative_prompt=negatives[:MAX_PROMPT_CHARS], aspect_ratio=aspect,
        duration_seconds=_duration(context, spec, shot, backend),
        generate_audio=spec.generate_audio if spec.HasField("generate_audio") else defaults.generate_audio,
        seed=seed, resolution=spec.resolution or defaults.resolution, reference_image=reference,
        last_frame=last_frame, panel=panel,
    )


def _check_generative(context: TaskContext, spec: media_pb2.VideoSpec, backend: str) -> None:
    """When only generative backends (Veo on Replicate or Gemini) may make
    the clip, what they cannot make is the caller's mistake, answered at
    once rather than as a failed job."""
    candidates = context.candidates(VIDEO, backend)
    if not candidates or "local" in candidates:
        return
    hint = "; BACKEND_LOCAL makes any"
    if spec.HasField("duration"):
        seconds = spec.duration.ToTimedelta().total_seconds()
        if seconds not in GENERATIVE_DURATIONS:
            raise InvalidArgument.for_field("spec.duration", f"Veo makes clips of 4, 6 or 8 s{hint}",
                                            "UNSUPPORTED_DURATION")
    if spec.resolution and spec.resolution not in GENERATIVE_RESOLUTIONS:
        raise InvalidArgument.for_field("spec.resolution", f"Veo makes 720p or 1080p{hint}",
                                        "UNSUPPORTED_RESOLUTION")


async def start_video(context: TaskContext, parent: str, spec: media_pb2.VideoSpec, request_id: str) -> Job:
    project = parse_project(parent, "parent")
    _check_fields(spec, project)
    backend = backend_from_proto(spec.backend)
    _check_generative(context, spec, backend)
    shot = await _load_shot(context, spec, project)
    for field in ("reference_image_revision", "last_frame_revision"):
        if getattr(spec, field):
            await media_revision(context.storage, getattr(spec, field), project, f"spec.{field}")
    work = _request(context, spec, shot, backend)
    context.check_makeable(work, backend, "spec.aspect_ratio")
    estimate = context.estimate([work], backend)
    return await context.start(parent, JobKind.VIDEO, spec, request_id=request_id, backend=backend,
                               estimate_usd=estimate)


async def prepare_video(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.VideoSpec.FromString(job.spec.payload)
    inputs, references, files = context.inputs_dir(job), [], {}
    with acting_for(job):
        shot = await _load_shot(context, spec, job.project)
        prompt = planner_pb2.RenderPrompt(positive=spec.prompt.strip())
        if shot is not None:
            prompt = await context.planner.render_prompt(prompt_request(
                RenderTarget(TargetKind.SHOT_FRAME, shot.shot.id), shot.shot_plan.plan_revision,
                shot.shot_plan.revision, media_pb2.LockProfile()))
        for field, stem in (("reference_image_revision", "reference"), ("last_frame_revision", "last-frame")):
            if getattr(spec, field):
                revision = await media_revision(context.storage, getattr(spec, field), job.project, f"spec.{field}")
                references.append(revision.name)
                files[stem] = await download_media(context.storage, revision, inputs, stem)
    seed = spec.seed if spec.HasField("seed") else fresh_seed()
    panel = panel_for_shot(shot.shot, PlanIndex(shot.plan)) if shot else None
    work = _request(context, spec, shot, job.backend, prompt=prompt.positive, negative=prompt.negative, seed=seed,
                    panel=panel, reference=files.get("reference"), last_frame=files.get("last-frame"))
    facts = {labels.ASPECT_RATIO: work.aspect_ratio, labels.SEED: str(seed), labels.JOB: job.job_id,
             "resolution": work.resolution}
    if shot is not None:
        shot_plan_asset = labels.asset_of(shot.shot_plan.revision)
        asset_labels = {labels.VIDEO_TYPE: labels.SHOT_CLIP, labels.SHOT_PLAN: shot_plan_asset,
                        labels.SHOT_ID: shot.shot.id, labels.SCENE_ID: shot.shot.scene_id}
        target = OutputTarget(
            asset_id=labels.shot_clip_asset(shot.shot_plan.revision, shot.shot.id),
            asset_kind=storage_pb2.ASSET_KIND_VIDEO, display_name=f"Clip {shot.shot.id}",
            asset_labels={k: v for k, v in asset_labels.items() if v},
            labels={**asset_labels, **facts, labels.SHOT_PLAN_REVISION: shot.shot_plan.revision},
            parents=labels.project_parents(job.project, [shot.shot_plan.revision], references),
            message=f"clip {shot.shot.id}: {work.prompt}"[:2000], role="video",
        )
    else:
        target = OutputTarget(
            asset_id=labels.job_asset("video", job.job_id), asset_kind=storage_pb2.ASSET_KIND_VIDEO,
            display_name=spec.prompt[:80], asset_labels={labels.VIDEO_TYPE: labels.FREE},
            labels={labels.VIDEO_TYPE: labels.FREE, **facts},
            parents=labels.project_parents(job.project, references), message=f"clip: {work.prompt}"[:2000],
            role="video",
        )
    prompt.duration.FromSeconds(work.duration_seconds)
    return await context.planned(job, [PlannedItem(ITEM_KEY, work, with_prompt(target, prompt))])
