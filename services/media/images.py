"""A free image from a prompt (``GenerateImage``), with up to three image
revisions of the project as references (streamed from storage into the
job's scratch folder). Stored as the first revision of a new image asset
labelled ``image_type=FREE`` whose parents are the references."""

from __future__ import annotations

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import image_assets as labels
from services.media.caller_context import acting_for
from services.media.image_options import MAX_PROMPT_CHARS, fresh_seed, resolve_image_options
from services.media.job_protos import backend_from_proto
from services.media.jobs import ItemPlan, Job, JobKind
from services.media.output_targets import OutputTarget
from services.media.reference_files import download_media, media_revision
from services.media.task_context import PlannedItem, TaskContext, with_prompt
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project

MAX_REFERENCES = 3
ITEM_KEY = "output"


def _checked_prompt(prompt: str, field: str) -> str:
    if not prompt.strip() or len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidArgument.for_field(field, f"must be 1 to {MAX_PROMPT_CHARS} characters", "INVALID_PROMPT")
    return prompt.strip()


async def start_image(context: TaskContext, parent: str, spec: media_pb2.ImageSpec, request_id: str) -> Job:
    project = parse_project(parent, "parent")
    _checked_prompt(spec.prompt, "spec.prompt")
    parameters = resolve_image_options(spec.options, context.defaults.image, "spec.options")
    if len(spec.reference_revisions) > MAX_REFERENCES:
        raise InvalidArgument.for_field("spec.reference_revisions", f"at most {MAX_REFERENCES} references")
    for index, name in enumerate(spec.reference_revisions):
        await media_revision(context.storage, name, project, f"spec.reference_revisions[{index}]")
    backend = backend_from_proto(spec.backend)
    work = parameters.request(spec.prompt)
    context.check_makeable(work, backend, "spec.options.aspect_ratio")
    estimate = context.estimate([work], backend)
    return await context.start(parent, JobKind.IMAGE, spec, request_id=request_id, backend=backend,
                               estimate_usd=estimate)


async def prepare_image(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.ImageSpec.FromString(job.spec.payload)
    parameters = resolve_image_options(spec.options, context.defaults.image, "spec.options")
    references, files = [], []
    with acting_for(job):
        for index, name in enumerate(spec.reference_revisions):
            revision = await media_revision(context.storage, name, job.project, f"spec.reference_revisions[{index}]")
            references.append(revision.name)
            files.append(await download_media(context.storage, revision, context.inputs_dir(job), f"reference-{index}"))
    seed = parameters.seed if parameters.seed is not None else fresh_seed()
    prompt = _checked_prompt(spec.prompt, "spec.prompt")
    work = parameters.request(prompt, seed=seed, reference_images=files)
    record = planner_pb2.RenderPrompt(positive=work.prompt, negative=work.negative_prompt,
                                      aspect_ratio=work.aspect_ratio, reference_revisions=references)
    target = OutputTarget(
        asset_id=labels.job_asset("image", job.job_id), asset_kind=storage_pb2.ASSET_KIND_IMAGE,
        display_name=prompt[:80], asset_labels={labels.IMAGE_TYPE: labels.FREE},
        labels={labels.IMAGE_TYPE: labels.FREE, labels.ASPECT_RATIO: work.aspect_ratio,
                labels.OUTPUT_FORMAT: work.output_format, labels.SEED: str(seed), labels.JOB: job.job_id},
        parents=labels.project_parents(job.project, references), message=f"image: {prompt}"[:2000],
    )
    return await context.planned(job, [PlannedItem(ITEM_KEY, work, with_prompt(target, record))])
