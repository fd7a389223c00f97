"""What a reviewer does with an image (`000` steps 9–11): accept it, edit it
by feedback, or ask for a fresh take. The source revision is never changed:

- **accept** marks the revision ACCEPTED in storage (its review history
  keeps who and when);
- **edit** turns the feedback into the planner's edit delta, builds the
  prompt again with it (the source image as the last reference) and stores
  the result as a new revision of the *same* asset whose parent is the
  edited revision;
- **regenerate** builds the prompt again under the lock profile with a new
  seed and stores a new revision whose parent is the source.

What the source was of (shot, character, location, style frame) comes from
its labels; the prompt it was made from from its payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import image_assets as labels
from services.media.backends.base import ImageRequest, PanelSpec
from services.media.caller_context import acting_for
from services.media.image_options import fresh_seed, keep_source, resolve_image_options
from services.media.job_protos import backend_from_proto
from services.media.jobs import ItemPlan, Job, JobKind
from services.media.output_targets import OutputTarget
from services.media.reference_files import download_media, first_blob, media_revision
from services.media.render_targets import (
    STYLE_FRAME_ID,
    RenderTarget,
    TargetKind,
    checked_lock_profile,
    edited_panel,
    panel_for_target,
    prompt_request,
)
from services.media.shot_panels import PlanIndex
from services.media.task_context import PlannedItem, TaskContext, with_prompt
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project, parse_revision
from services.runtime.upstream_errors import translated

MAX_FEEDBACK_CHARS = 4000
MAX_COMMENT_CHARS = 2000
ITEM_KEY = "output"
_CARRIED_LABELS = (labels.IMAGE_TYPE, labels.SHOT_ID, labels.SCENE_ID, labels.CHARACTER_ID, labels.LOCATION_ID,
                   labels.SHOT_PLAN, labels.PLAN, labels.SHOT_PLAN_REVISION, labels.PLAN_REVISION)


# ---------------------------------------------------------------- accept
@dataclass(frozen=True)
class AcceptedImage:
    revision: str
    review_time: timestamp_pb2.Timestamp


async def accept_image(context: TaskContext, revision: str, comment: str) -> AcceptedImage:
    parse_revision(revision, "revision")
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidArgument.for_field("comment", f"at most {MAX_COMMENT_CHARS} characters")
    with translated("storage"):
        found = await context.storage.get_revision(revision)
    if first_blob(found, "image/") is None:
        raise InvalidArgument.for_field("revision", f"{found.name} holds no image", "NOT_AN_IMAGE")
    with translated("storage"):
        reviewed = await context.storage.review_revision(found.name, storage_pb2.REVIEW_STATUS_ACCEPTED, comment)
    when = timestamp_pb2.Timestamp()
    if reviewed.review_history:
        when.CopyFrom(reviewed.review_history[-1].time)
    else:
        when.GetCurrentTime()
    return AcceptedImage(reviewed.name, when)


# ---------------------------------------------------------------- starts
async def _start(context: TaskContext, parent: str, spec, kind: JobKind, request_id: str, options) -> Job:
    project = parse_project(parent, "parent")
    checked_lock_profile(spec.lock_profile, "spec.lock_profile")
    parameters = resolve_image_options(options, context.defaults.image, "spec.options")
    backend = backend_from_proto(spec.backend)
    source = await media_revision(context.storage, spec.source_revision, project, "spec.source_revision")
    work = keep_source(parameters, options, dict(source.labels)).request("estimate")
    context.check_makeable(work, backend, "spec.options.aspect_ratio")
    estimate = context.estimate([work], backend)
    return await context.start(parent, kind, spec, request_id=request_id, backend=backend, estimate_usd=estimate)


async def start_edit(context: TaskContext, parent: str, spec: media_pb2.ImageEditSpec, request_id: str) -> Job:
    if not spec.feedback.strip() or len(spec.feedback) > MAX_FEEDBACK_CHARS:
        raise InvalidArgument.for_field("spec.feedback", f"must be 1 to {MAX_FEEDBACK_CHARS} characters")
    return await _start(context, parent, spec, JobKind.IMAGE_EDIT, request_id, spec.options)


async def start_regenerate(context: TaskContext, parent: str, spec: media_pb2.ImageRegenerateSpec,
                           request_id: str) -> Job:
    return await _start(context, parent, spec, JobKind.IMAGE_REGENERATE, request_id, spec.options)


# ---------------------------------------------------------------- prepare
@dataclass(frozen=True)
class _Source:
    revision: storage_pb2.Revision
    labels: dict[str, str]
    prompt: planner_pb2.RenderPrompt
    target: RenderTarget | None

    @property
    def plan_revision(self) -> str:
        return self.labels.get(labels.PLAN_REVISION) or self.prompt.plan_revision

    @property
    def shot_plan_revision(self) -> str:
        return self.labels.get(labels.SHOT_PLAN_REVISION) or self.prompt.shot_plan_revision


def _target_of(found: dict[str, str]) -> RenderTarget | None:
    try:
        kind = TargetKind(found.get(labels.IMAGE_TYPE, ""))
    except ValueError:
        return None
    ident = {
        TargetKind.SHOT_FRAME: found.get(labels.SHOT_ID),
        TargetKind.CHARACTER_REFERENCE: found.get(labels.CHARACTER_ID),
        TargetKind.LOCATION_REFERENCE: found.get(labels.LOCATION_ID),
        TargetKind.STYLE_FRAME: STYLE_FRAME_ID,
    }[kind]
    return RenderTarget(kind, ident) if ident and found.get(labels.PLAN_REVISION) else None


async def _source(context: TaskContext, job: Job, name: str) -> _Source:
    revision = await media_revision(context.storage, name, job.project, "spec.source_revision")
    prompt = planner_pb2.RenderPrompt()
    if revision.HasField("payload"):
        revision.payload.Unpack(prompt)
    found = dict(revision.labels)
    return _Source(revision, found, prompt, _target_of(found))


async def _panel(context: TaskContext, source: _Source) -> PanelSpec | None:
    if source.target is None:
        return None
    if source.target.kind is TargetKind.SHOT_FRAME:
        shot_plan = await context.planner.shot_plan(source.shot_plan_revision)
        shots = {shot.id: shot for shot in shot_plan.shots}
        if source.target.id not in shots:
            return None
    else:
        shots = {}
    plan = await context.planner.plan(source.plan_revision)
    try:
        return panel_for_target(source.target, PlanIndex(plan), shots)
    except KeyError:  # the plan no longer has it: draw from the prompt
        return None


def _local_prompt(base: planner_pb2.RenderPrompt, delta: planner_pb2.EditDelta | None) -> planner_pb2.RenderPrompt:
    """The source's prompt with an edit applied, for images the planner did
    not make (free images, characters from a description)."""
    prompt = planner_pb2.RenderPrompt()
    prompt.CopyFrom(base)
    if delta is not None:
        additions = [*delta.prompt_additions, *delta.emphasize_elements, *delta.add_elements]
        if delta.summary or delta.feedback:
            additions.append(f"Change: {delta.summary or delta.feedback}")
        prompt.positive = ". ".join(_distinct(base.positive, *additions))[:4000]
        prompt.negative = ", ".join(_distinct(base.negative, *delta.negative_additions, *delta.remove_elements))[:4000]
    return prompt


def _distinct(*parts: str) -> list[str]:
    """Non-empty ``parts`` without repeats (case-insensitive), in order: the
    planner's delta can name an element both as an addition and to add."""
    seen: set[str] = set()
    kept = []
    for part in parts:
        text = part.strip()
        if text and text.lower() not in seen:
            seen.add(text.lower())
            kept.append(text)
    return kept


def _output_target(job: Job, source: _Source, work: ImageRequest, prompt: planner_pb2.RenderPrompt,
                   message: str) -> OutputTarget:
    carried = {key: source.labels[key] for key in _CARRIED_LABELS if source.labels.get(key)}
    carried.update({labels.ASPECT_RATIO: work.aspect_ratio, labels.OUTPUT_FORMAT: work.output_format,
                    labels.SEED: str(work.seed), labels.JOB: job.job_id, labels.SOURCE_REVISION: source.revision.name})
    target = OutputTarget(asset_id=labels.asset_of(source.revision.name), asset_kind=storage_pb2.ASSET_KIND_IMAGE,
                          labels=carried, parents=(source.revision.name,), message=message[:2000], role="image")
    return with_prompt(target, prompt)


async def _prepare(context: TaskContext, job: Job, spec, options: media_pb2.ImageOptions,
                   feedback: str = "") -> list[ItemPlan]:
    with acting_for(job):
        source = await _source(context, job, spec.source_revision)
        delta = None
        if feedback:
            delta = await context.planner.edit_delta(feedback, source.revision.name, source.plan_revision,
                                                     source.labels.get(labels.SHOT_ID, ""), f"{job.job_id}:feedback")
        if source.target is not None:
            prompt = await context.planner.render_prompt(prompt_request(
                source.target, source.plan_revision, source.shot_plan_revision, spec.lock_profile,
                edit_delta=delta, source_image_revision=source.revision.name))
        else:
            prompt = _local_prompt(source.prompt, delta)
        panel = await _panel(context, source)
        reference = await download_media(context.storage, source.revision, context.inputs_dir(job), "source")
    parameters = keep_source(resolve_image_options(options, context.defaults.image, "spec.options"), options,
                             source.labels)
    if options.HasField("seed"):
        seed = options.seed
    elif feedback and source.labels.get(labels.SEED, "").isdigit():
        seed = int(source.labels[labels.SEED])  # an edit keeps the take; only the asked change differs
    else:
        seed = fresh_seed(avoid=source.labels.get(labels.SEED, ""))
    if panel is not None and delta is not None:
        panel = edited_panel(panel, delta)
    work = parameters.request(prompt.positive, prompt.negative, aspect_ratio=prompt.aspect_ratio, seed=seed,
                              panel=panel, reference_images=(reference,))
    what = f"edit of {source.revision.name}: {feedback}" if feedback else f"new take of {source.revision.name}"
    target = _output_target(job, source, work, prompt, what)
    return await context.planned(job, [PlannedItem(ITEM_KEY, work, target)])


async def prepare_edit(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.ImageEditSpec.FromString(job.spec.payload)
    return await _prepare(context, job, spec, spec.options, feedback=spec.feedback)


async def prepare_regenerate(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.ImageRegenerateSpec.FromString(job.spec.payload)
    return await _prepare(context, job, spec, spec.options)
