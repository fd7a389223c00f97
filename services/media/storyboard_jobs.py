"""Storyboard exports of a shot plan (``ExportStoryboard``, `000` step 12):
one :class:`StoryboardRow` per shot with every shot field and the revision
of its picture (accepted, else newest frame), written as PDF, CSV and/or
JSON by ``storyboard_export`` and stored as ONE revision of the shot plan's
STORYBOARD_EXPORT asset with one blob per format (roles ``pdf``, ``csv``,
``json``). Parents: the shot plan revision and the frames shown.
"""

from __future__ import annotations

import json
from pathlib import Path

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import image_assets as labels
from services.media.backends.base import ProgressSink, RenderOutput
from services.media.caller_context import acting_for
from services.media.frames import load_shot_plan
from services.media.job_work import TaskWork
from services.media.jobs import ItemPlan, Job, JobItem, JobKind
from services.media.output_gate import OutputGate
from services.media.output_store import FILES_EXTRA
from services.media.output_targets import OutputTarget, asset_id_for
from services.media.reference_files import download_media
from services.media.shot_media import pictures_for_shots
from services.media.shot_panels import PlanIndex, enum_suffix, location_name, time_of_day
from services.media.storyboard_export import (
    MEDIA_TYPES,
    StoryboardHeader,
    StoryboardRow,
    export_storyboard,
)
from services.media.task_context import PlannedItem, TaskContext
from services.media.thread_progress import run_in_thread
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project
from services.runtime.upstream_errors import translated

STORYBOARD_TASK = "storyboard_export"
ITEM_KEY = "storyboard"
MODEL = "local-storyboard-v1"
_FORMATS = {media_pb2.STORYBOARD_FORMAT_PDF: "pdf", media_pb2.STORYBOARD_FORMAT_CSV: "csv",
            media_pb2.STORYBOARD_FORMAT_JSON: "json"}
_PAGES = {media_pb2.PAGE_SIZE_A4: "A4", media_pb2.PAGE_SIZE_LETTER: "LETTER"}


def _formats(context: TaskContext, spec: media_pb2.StoryboardExportSpec) -> list[str]:
    names = []
    for index, value in enumerate(spec.formats):
        name = _FORMATS.get(value)
        if name is None:
            raise InvalidArgument.for_field(f"spec.formats[{index}]", "must be PDF, CSV or JSON", "INVALID_FORMAT")
        names.append(name)
    return list(dict.fromkeys(names)) or list(context.defaults.storyboard.formats)


def _page_size(context: TaskContext, spec: media_pb2.StoryboardExportSpec) -> str:
    if spec.page_size == media_pb2.PAGE_SIZE_UNSPECIFIED:
        return context.defaults.storyboard.page_size
    found = _PAGES.get(spec.page_size)
    if found is None:
        raise InvalidArgument.for_field("spec.page_size", "must be A4 or LETTER", "INVALID_PAGE_SIZE")
    return found


async def start_storyboard(context: TaskContext, parent: str, spec: media_pb2.StoryboardExportSpec,
                           request_id: str) -> Job:
    project = parse_project(parent, "parent")
    _formats(context, spec)
    _page_size(context, spec)
    shot_plan, _plan = await load_shot_plan(context, spec.shot_plan_revision, project, "spec.shot_plan_revision")
    if not shot_plan.shots:
        raise InvalidArgument.for_field("spec.shot_plan_revision", "the shot plan has no shots", "EMPTY_SHOT_PLAN")
    return await context.start(parent, JobKind.STORYBOARD_EXPORT, spec, request_id=request_id)


async def prepare_storyboard(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.StoryboardExportSpec.FromString(job.spec.payload)
    formats, page_size = _formats(context, spec), _page_size(context, spec)
    with acting_for(job):
        shot_plan, _plan = await load_shot_plan(context, spec.shot_plan_revision, job.project,
                                                "spec.shot_plan_revision")
        shot_plan_asset = labels.asset_of(shot_plan.revision)
        pictures = await pictures_for_shots(context.storage, job.project, shot_plan_asset, clips=False)
    images = {shot.id: [pictures[shot.id].revision, pictures[shot.id].status]
              for shot in shot_plan.shots if shot.id in pictures}
    params = {"shot_plan_revision": shot_plan.revision, "formats": formats, "page_size": page_size, "images": images}
    target = OutputTarget(
        asset_id=asset_id_for(shot_plan_asset, "storyboard"), asset_kind=storage_pb2.ASSET_KIND_STORYBOARD_EXPORT,
        display_name=f"Storyboard of {shot_plan_asset}", asset_labels={labels.SHOT_PLAN: shot_plan_asset},
        labels={labels.SHOT_PLAN: shot_plan_asset, labels.SHOT_PLAN_REVISION: shot_plan.revision,
                "formats": ",".join(formats), "page_size": page_size, labels.JOB: job.job_id},
        parents=labels.project_parents(job.project, [shot_plan.revision], (pair[0] for pair in images.values())),
        message=f"storyboard of {shot_plan.revision}: {len(shot_plan.shots)} shots as {', '.join(formats)}",
        role=formats[0],
    )
    return await context.planned(job, [PlannedItem(ITEM_KEY, TaskWork(STORYBOARD_TASK, params), target)])


def storyboard_row(shot: planner_pb2.Shot, index: PlanIndex, image: tuple[str, str] | None,
                   image_path: Path | None) -> StoryboardRow:
    """One shot as a neutral storyboard row."""
    speaker = index.characters[shot.speaker_id].name if shot.speaker_id in index.characters else shot.speaker_id
    return StoryboardRow(
        shot_id=shot.id, scene_id=shot.scene_id,
        shot_size=enum_suffix(planner_pb2.ShotSize, shot.size, "SHOT_SIZE_", ""),
        camera_angle=enum_suffix(planner_pb2.CameraAngle, shot.angle, "CAMERA_ANGLE_", ""),
        camera_movement=enum_suffix(planner_pb2.CameraMovement, shot.movement, "CAMERA_MOVEMENT_", ""),
        lens_mm=shot.lens_mm, duration_seconds=shot.duration.ToTimedelta().total_seconds(),
        screen_direction=enum_suffix(planner_pb2.ScreenDirection, shot.screen_direction, "SCREEN_DIRECTION_", ""),
        time_of_day=time_of_day(shot, index), location=location_name(shot, index),
        characters=index.character_names(shot.character_ids), props=index.prop_names(shot.prop_ids),
        description=shot.description, dialogue=shot.dialogue, speaker=speaker if shot.dialogue else "",
        voiceover=shot.voiceover, first_frame=shot.first_frame, last_frame=shot.last_frame,
        continuity_notes=shot.continuity.summary, image_revision=image[0] if image else "",
        image_status=image[1] if image else "", image_path=image_path,
    )


class StoryboardTask:
    """The ``storyboard_export`` task handler of the engine."""

    def __init__(self, context: TaskContext, gate: OutputGate) -> None:
        self._context = context
        self._gate = gate

    async def __call__(self, job: Job, item: JobItem, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        assert isinstance(item.work, TaskWork)
        params = item.work.params
        formats, images = list(params["formats"]), dict(params["images"])
        storage = self._context.storage
        with acting_for(job):
            shot_plan = await self._context.planner.shot_plan(params["shot_plan_revision"])
            plan = await self._context.planner.plan(shot_plan.plan_revision)
            index = PlanIndex(plan)
            rows = []
            for number, shot in enumerate(shot_plan.shots):
                image = images.get(shot.id)
                path = None
                if image and "pdf" in formats:
                    with translated("storage"):
                        revision = await storage.get_revision(image[0])
                    path = await download_media(storage, revision, out_dir / "frames", f"shot-{number:04d}")
                rows.append(storyboard_row(shot, index, tuple(image) if image else None, path))
                await progress(0.5 * (number + 1) / len(shot_plan.shots), f"gathered shot {shot.id}")
        header = StoryboardHeader(title=plan.title or "Storyboard", project=job.project,
                                  shot_plan_revision=shot_plan.revision, aspect_ratio=plan.bible.aspect_ratio or "16:9")
        layout = self._context.defaults.storyboard

        def work(report, cancel):
            report(0.6, f"writing {', '.join(formats)}")
            return export_storyboard(rows, out_dir / "export", formats, header, page_size=params["page_size"],
                                     columns=layout.columns, rows_per_page=layout.rows_per_page)

        written = await run_in_thread(work, progress)
        main, others = formats[0], formats[1:]
        files = [{"role": name, "path": str(written[name]), "media_type": MEDIA_TYPES[name]} for name in others]
        output = RenderOutput(path=written[main], media_type=MEDIA_TYPES[main], backend="local", model=MODEL,
                              extra={FILES_EXTRA: json.dumps(files), "formats": ",".join(formats)})
        return await self._gate(item.work, output)
