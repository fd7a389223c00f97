"""Animatics of a shot plan (``RenderAnimatic``): every shot in cutting
order, its accepted (else newest) clip or frame (``shot_media``) timed by
the shot's duration, stills moved by the shot's camera movement, the shot
id and dialogue burned in as captions, into one H.264 MP4
(``animatic.render_animatic``). A shot without a picture is drawn by the
local renderer. Stored as a revision of the shot plan's ANIMATIC asset with
the shot plan revision and every picture used as parents.

The pictures are chosen when the job is prepared (so the lineage is known
and a restart renders the same cut) and downloaded when it runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import image_assets as labels
from services.media.animatic import AnimaticShot, render_animatic, shot_caption
from services.media.backends.base import ProgressSink, RenderOutput
from services.media.caller_context import acting_for
from services.media.clips import EncoderSettings
from services.media.frames import load_shot_plan
from services.media.image_options import checked_aspect_ratio
from services.media.job_work import TaskWork
from services.media.jobs import ItemPlan, Job, JobItem, JobKind
from services.media.output_gate import ASPECT_RATIO, EXPECTED_DURATION, OutputGate
from services.media.output_targets import OutputTarget, asset_id_for
from services.media.panel_sizes import image_size
from services.media.panels import render_panel
from services.media.reference_files import download_media, first_blob
from services.media.shot_media import pictures_for_shots
from services.media.shot_panels import PlanIndex, panel_for_shot
from services.media.task_context import PlannedItem, TaskContext
from services.media.thread_progress import run_in_thread
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project
from services.runtime.upstream_errors import translated

ANIMATIC_TASK = "animatic"
ITEM_KEY = "animatic"
MODEL = "local-animatic-v1"
RESOLUTIONS = ("480p", "720p", "1080p")
DEFAULT_SHOT_SECONDS = 3.0
DOWNLOAD_SHARE = 0.2


def _settings(context: TaskContext, spec: media_pb2.AnimaticSpec) -> tuple[int, str]:
    fps = spec.fps or context.defaults.animatic.fps
    if not 1 <= fps <= 60:
        raise InvalidArgument.for_field("spec.fps", "must be 1 to 60 (0 means the default)", "INVALID_FPS")
    resolution = spec.resolution or context.defaults.animatic.resolution
    if resolution not in RESOLUTIONS:
        raise InvalidArgument.for_field("spec.resolution", f"must be one of {', '.join(RESOLUTIONS)}",
                                        "INVALID_RESOLUTION")
    checked_aspect_ratio(spec.aspect_ratio, "spec.aspect_ratio")
    return fps, resolution


async def start_animatic(context: TaskContext, parent: str, spec: media_pb2.AnimaticSpec, request_id: str) -> Job:
    project = parse_project(parent, "parent")
    _settings(context, spec)
    shot_plan, _plan = await load_shot_plan(context, spec.shot_plan_revision, project, "spec.shot_plan_revision")
    if not shot_plan.shots:
        raise InvalidArgument.for_field("spec.shot_plan_revision", "the shot plan has no shots", "EMPTY_SHOT_PLAN")
    return await context.start(parent, JobKind.ANIMATIC, spec, request_id=request_id)


async def prepare_animatic(context: TaskContext, job: Job) -> list[ItemPlan]:
    spec = media_pb2.AnimaticSpec.FromString(job.spec.payload)
    fps, resolution = _settings(context, spec)
    with acting_for(job):
        shot_plan, plan = await load_shot_plan(context, spec.shot_plan_revision, job.project, "spec.shot_plan_revision")
        shot_plan_asset = labels.asset_of(shot_plan.revision)
        pictures = await pictures_for_shots(context.storage, job.project, shot_plan_asset, clips=not spec.stills_only)
    sources = {shot.id: pictures[shot.id].revision for shot in shot_plan.shots if shot.id in pictures}
    aspect = spec.aspect_ratio or plan.bible.aspect_ratio or "16:9"
    captions = spec.captions if spec.HasField("captions") else context.defaults.animatic.captions
    params = {"shot_plan_revision": shot_plan.revision, "fps": fps, "resolution": resolution,
              "aspect_ratio": aspect, "captions": captions, "sources": sources}
    target = OutputTarget(
        asset_id=asset_id_for(shot_plan_asset, "animatic"), asset_kind=storage_pb2.ASSET_KIND_ANIMATIC,
        display_name=f"Animatic of {shot_plan_asset}", asset_labels={labels.SHOT_PLAN: shot_plan_asset},
        labels={labels.SHOT_PLAN: shot_plan_asset, labels.SHOT_PLAN_REVISION: shot_plan.revision,
                labels.ASPECT_RATIO: aspect, "fps": str(fps), "resolution": resolution, labels.JOB: job.job_id,
                "shots": str(len(shot_plan.shots)), "pictures": str(len(sources))},
        parents=labels.project_parents(job.project, [shot_plan.revision], sources.values()),
        message=f"animatic of {shot_plan.revision}: {len(shot_plan.shots)} shots, {len(sources)} with pictures",
        role="video",
    )
    work = TaskWork(ANIMATIC_TASK, params)
    return await context.planned(job, [PlannedItem(ITEM_KEY, work, target)])


def _caption(shot: planner_pb2.Shot, index: PlanIndex) -> str:
    speaker = index.characters[shot.speaker_id].name if shot.speaker_id in index.characters else ""
    return shot_caption(shot.id, shot.dialogue or shot.voiceover, speaker if shot.dialogue else "")


def _draw(panel, aspect: str, path: Path) -> Path:
    """A shot without a picture: the local renderer's panel."""
    path.parent.mkdir(parents=True, exist_ok=True)
    render_panel(panel, image_size(aspect)).save(path, "PNG")
    return path


class AnimaticTask:
    """The ``animatic`` task handler of the engine."""

    def __init__(self, context: TaskContext, gate: OutputGate) -> None:
        self._context = context
        self._gate = gate

    async def _source(self, job: Job, revision_name: str, folder: Path, stem: str) -> Path | None:
        with translated("storage"):
            revision = await self._context.storage.get_revision(revision_name)
        for prefix in ("video/", "image/"):
            if first_blob(revision, prefix) is not None:
                return await download_media(self._context.storage, revision, folder, stem, prefix)
        return None

    async def __call__(self, job: Job, item: JobItem, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        assert isinstance(item.work, TaskWork)
        params = item.work.params
        aspect, fps = params["aspect_ratio"], int(params["fps"])
        sources_dir = out_dir / "sources"
        with acting_for(job):
            shot_plan = await self._context.planner.shot_plan(params["shot_plan_revision"])
            index = PlanIndex(await self._context.planner.plan(shot_plan.plan_revision))
            shots = []
            for number, shot in enumerate(shot_plan.shots):
                stem = f"shot-{number:04d}"
                source = None
                if shot.id in params["sources"]:
                    source = await self._source(job, params["sources"][shot.id], sources_dir, stem)
                panel = panel_for_shot(shot, index)
                if source is None:
                    source = await asyncio.to_thread(_draw, panel, aspect, sources_dir / f"{stem}.png")
                shots.append(AnimaticShot(source=source, duration_seconds=panel.duration_seconds or DEFAULT_SHOT_SECONDS,
                                          camera_movement=panel.camera_movement, caption=_caption(shot, index),
                                          screen_direction=panel.screen_direction, key=shot.id))
                await progress(DOWNLOAD_SHARE * (number + 1) / len(shot_plan.shots), f"gathered shot {shot.id}")
        defaults = self._context.defaults.animatic
        encoder = EncoderSettings(fps=fps, preset=defaults.x264_preset, crf=defaults.crf)
        path = out_dir / "animatic.mp4"

        def work(report, cancel):
            def frames_done(done: int, total: int) -> None:
                report(DOWNLOAD_SHARE + (1 - DOWNLOAD_SHARE) * done / total, f"encoding frame {done}/{total}")

            return render_animatic(shots, path, aspect_ratio=aspect, resolution=params["resolution"],
                                   captions=bool(params["captions"]), encoder=encoder, on_progress=frames_done,
                                   cancel=cancel)

        result = await run_in_thread(work, progress)
        output = RenderOutput(path=result.path, media_type="video/mp4", backend="local", model=MODEL,
                              extra={EXPECTED_DURATION: f"{result.duration_seconds:.3f}", ASPECT_RATIO: aspect,
                                     "fps": str(result.fps), "shots": str(result.shots)})
        return await self._gate(item.work, output)
