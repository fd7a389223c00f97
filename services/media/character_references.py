"""A character reference image (`001` v2): from a free description (with
the configured prompt template) or from a character of a stored plan (the
planner's prompt carries its identity lock, wardrobe, hair and make-up).
Defaults (1:1, PNG, safety level, people) come from the
``character_reference`` section of the media defaults.

A plan's character gets a new revision of the character's reference asset
(the one frames jobs fill), with the plan revision as parent; a described
character gets a new asset per job.
"""

from __future__ import annotations

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import image_assets as labels
from services.media.backends.base import PanelSpec
from services.media.caller_context import acting_for
from services.media.image_options import ImageParameters, fresh_seed, resolve_image_options
from services.media.job_protos import backend_from_proto
from services.media.jobs import ItemPlan, Job, JobKind
from services.media.output_targets import OutputTarget
from services.media.render_targets import RenderTarget, TargetKind, panel_for_target, prompt_request
from services.media.shot_panels import PlanIndex
from services.media.task_context import PlannedItem, TaskContext, with_prompt
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project, parse_revision

MAX_DESCRIPTION_CHARS = 4000
MAX_CHARACTERISTICS_CHARS = 2000
DESCRIBED_KEY = "character"


def _parameters(context: TaskContext, spec: media_pb2.CharacterReferenceSpec) -> ImageParameters:
    return resolve_image_options(spec.options, context.defaults.character_reference, "spec.options")


def _checked(spec: media_pb2.CharacterReferenceSpec, project: str) -> None:
    subject = spec.WhichOneof("subject")
    if subject is None:
        raise InvalidArgument.for_field("spec.subject", "a character_description or a character is required",
                                        "SUBJECT_REQUIRED")
    if subject == "character_description":
        if not spec.character_description.strip() or len(spec.character_description) > MAX_DESCRIPTION_CHARS:
            raise InvalidArgument.for_field("spec.character_description",
                                            f"must be 1 to {MAX_DESCRIPTION_CHARS} characters")
    else:
        if parse_revision(spec.character.plan_revision, "spec.character.plan_revision").project != project:
            raise InvalidArgument.for_field("spec.character.plan_revision", f"must be a revision of projects/{project}",
                                            "REVISION_OF_OTHER_PROJECT")
        if not spec.character.character_id:
            raise InvalidArgument.for_field("spec.character.character_id", "is required", "CHARACTER_REQUIRED")
    if len(spec.character_characteristics) > MAX_CHARACTERISTICS_CHARS:
        raise InvalidArgument.for_field("spec.character_characteristics",
                                        f"at most {MAX_CHARACTERISTICS_CHARS} characters")


async def _plan_character(context: TaskContext, ref: media_pb2.CharacterRef):
    plan = await context.planner.plan(ref.plan_revision, "spec.character.plan_revision")
    if all(character.id != ref.character_id for character in plan.characters):
        raise InvalidArgument.for_field("spec.character.character_id",
                                        f"{ref.character_id[:40]!r} is not a character of {plan.revision}",
                                        "CHARACTER_NOT_IN_PLAN")
    return plan


async def start_character_reference(context: TaskContext, parent: str, spec: media_pb2.CharacterReferenceSpec,
                                    request_id: str) -> Job:
    project = parse_project(parent, "parent")
    _checked(spec, project)
    parameters = _parameters(context, spec)
    if spec.HasField("character"):
        await _plan_character(context, spec.character)
    backend = backend_from_proto(spec.backend)
    work = parameters.request("estimate")
    context.check_makeable(work, backend, "spec.options.aspect_ratio")
    estimate = context.estimate([work], backend)
    return await context.start(parent, JobKind.CHARACTER_REFERENCE, spec, request_id=request_id, backend=backend,
                               estimate_usd=estimate)


def _described_prompt(context: TaskContext, spec: media_pb2.CharacterReferenceSpec) -> planner_pb2.RenderPrompt:
    template = context.defaults.character_reference.prompt_template
    text = template.replace("{character_description}", spec.character_description.strip())
    if spec.character_characteristics.strip():
        text = f"{text} {spec.character_characteristics.strip()}"
    return planner_pb2.RenderPrompt(positive=text[:4000], aspect_ratio=context.defaults.character_reference.aspect_ratio,
                                    target_kind=planner_pb2.RENDER_TARGET_KIND_CHARACTER)


async def prepare_character_reference(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.CharacterReferenceSpec.FromString(job.spec.payload)
    parameters = _parameters(context, spec)
    seed = parameters.seed if parameters.seed is not None else fresh_seed()
    facts = {labels.IMAGE_TYPE: TargetKind.CHARACTER_REFERENCE.value, labels.JOB: job.job_id, labels.SEED: str(seed)}
    if spec.HasField("character"):
        target = RenderTarget(TargetKind.CHARACTER_REFERENCE, spec.character.character_id)
        with acting_for(job):
            plan = await _plan_character(context, spec.character)
            prompt = await context.planner.render_prompt(
                prompt_request(target, plan.revision, "", media_pb2.LockProfile(preserve_identity=True,
                                                                                   preserve_wardrobe=True)))
        if spec.character_characteristics.strip():
            prompt.positive = f"{prompt.positive} {spec.character_characteristics.strip()}"[:4000]
        panel = panel_for_target(target, PlanIndex(plan), {})
        work = parameters.request(prompt.positive, prompt.negative, seed=seed, panel=panel)
        prompt.aspect_ratio = work.aspect_ratio
        plan_asset = labels.asset_of(plan.revision)
        output = OutputTarget(
            asset_id=labels.asset_id_for(plan_asset, "char", target.id), asset_kind=storage_pb2.ASSET_KIND_IMAGE,
            display_name=f"Character reference {target.id}",
            asset_labels={labels.IMAGE_TYPE: target.kind.value, labels.PLAN: plan_asset, labels.CHARACTER_ID: target.id},
            labels={**facts, labels.PLAN: plan_asset, labels.CHARACTER_ID: target.id, labels.PLAN_REVISION: plan.revision,
                    labels.ASPECT_RATIO: work.aspect_ratio, labels.OUTPUT_FORMAT: work.output_format},
            parents=labels.project_parents(job.project, [plan.revision], prompt.reference_revisions),
            message=f"character reference {target.id}: {prompt.positive}"[:2000],
        )
        key = target.id
    else:
        prompt = _described_prompt(context, spec)
        description = spec.character_description.strip()
        panel = PanelSpec(shot_id="CHARACTER", shot_size="FULL", characters=("Character",),
                          description=description[:300], duration_seconds=3.0)
        work = parameters.request(prompt.positive, prompt.negative, seed=seed, panel=panel)
        prompt.aspect_ratio = work.aspect_ratio  # the payload records what was rendered
        output = OutputTarget(
            asset_id=labels.job_asset("character", job.job_id), asset_kind=storage_pb2.ASSET_KIND_IMAGE,
            display_name=description[:80], asset_labels={labels.IMAGE_TYPE: TargetKind.CHARACTER_REFERENCE.value},
            labels={**facts, labels.ASPECT_RATIO: work.aspect_ratio, labels.OUTPUT_FORMAT: work.output_format},
            message=f"character reference: {prompt.positive}"[:2000],
        )
        key = DESCRIBED_KEY
    return await context.planned(job, [PlannedItem(key, work, with_prompt(output, prompt))])
