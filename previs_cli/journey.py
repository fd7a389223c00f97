"""The main job, through the gateway only: screenplay → plan → patch → shot
plan with continuity report → frames → edit one frame → accept it →
animatic → storyboard export, with every output written to a folder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf import json_format, struct_pb2

from previs.media.v1 import media_pb2, media_service_pb2, media_service_pb2_grpc
from previs.planner.v1 import planner_pb2, planner_service_pb2, planner_service_pb2_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2, storage_service_pb2_grpc
from previs_cli.progress import done, watch_job

EDIT_FEEDBACK = "Make the shadows more dramatic and add more contrast."
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "video/mp4": ".mp4", "application/pdf": ".pdf",
               "text/csv": ".csv", "application/json": ".json"}


@dataclass
class JourneyResult:
    """What the demo made: names of the key revisions and the files written."""

    project: str = ""
    plan: str = ""
    shot_plan: str = ""
    continuity_score: int = 0
    frames: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


class Journey:
    """Runs the steps against one gateway channel with one API key."""

    def __init__(self, channel: grpc.Channel, api_key: str | None, out_dir: Path) -> None:
        self.metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
        self.storage = storage_service_pb2_grpc.StorageServiceStub(channel)
        self.planner = planner_service_pb2_grpc.PlannerServiceStub(channel)
        self.media = media_service_pb2_grpc.MediaServiceStub(channel)
        self.out_dir = out_dir
        self.run_id = uuid.uuid4().hex[:12]
        self.result = JourneyResult()

    def _request_id(self, step: str) -> str:
        return f"demo-{self.run_id}-{step}"

    def run(self, script_text: str, title: str) -> JourneyResult:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        project = self.storage.CreateProject(
            storage_service_pb2.CreateProjectRequest(
                project=storage_pb2.Project(title=title, owner="previs-demo"), request_id=self._request_id("project")
            ),
            metadata=self.metadata,
        )
        self.result.project = project.name
        done("project", project.name)
        plan = self._plan(project.name, script_text, title)
        shot_plan = self._shot_plan(plan)
        frames = self._frames(project.name, shot_plan)
        self._edit_and_accept(project.name, frames)
        self._animatic(project.name, shot_plan)
        self._export(project.name, shot_plan)
        return self.result

    def _plan(self, project: str, script_text: str, title: str) -> planner_pb2.Plan:
        script = self.planner.CreateScript(
            planner_service_pb2.CreateScriptRequest(
                parent=project,
                script=planner_pb2.Script(title=title, content=script_text, format=planner_pb2.SCRIPT_FORMAT_FOUNTAIN),
                request_id=self._request_id("script"),
            ),
            metadata=self.metadata,
        )
        done("script", f"{script.scene_count} scenes, {len(script.character_cues)} characters")
        plan = self.planner.GeneratePlan(
            planner_service_pb2.GeneratePlanRequest(
                parent=project,
                screenplay=planner_pb2.ScreenplayBrief(script_revision=script.revision),
                preferences=planner_pb2.PlanPreferences(style="cinematic storyboard", aspect_ratio="16:9"),
                request_id=self._request_id("plan"),
            ),
            metadata=self.metadata,
        )
        done("plan", f"{len(plan.characters)} characters, {len(plan.scenes)} scenes")
        self._write_text("plan.json", plan)
        if plan.characters:
            plan = self._patch_first_character(plan)
        self.result.plan = plan.revision
        return plan

    def _patch_first_character(self, plan: planner_pb2.Plan) -> planner_pb2.Plan:
        character = plan.characters[0]
        locked = f"{character.identity_lock or character.description}; same face and hairstyle in every shot"
        patched = self.planner.PatchPlan(
            planner_service_pb2.PatchPlanRequest(
                plan_revision=plan.revision,
                patches=[
                    planner_pb2.PlanPatch(
                        path=f"characters[{character.id}].identity_lock",
                        op=planner_pb2.PlanPatch.OP_REPLACE,
                        value=struct_pb2.Value(string_value=locked),
                    )
                ],
                message="demo: lock the lead's identity",
                request_id=self._request_id("patch"),
            ),
            metadata=self.metadata,
        )
        done("patch plan", f"{character.id} identity locked")
        return patched

    def _shot_plan(self, plan: planner_pb2.Plan) -> planner_pb2.ShotPlan:
        response = self.planner.GenerateShotPlan(
            planner_service_pb2.GenerateShotPlanRequest(plan_revision=plan.revision, request_id=self._request_id("shots")),
            metadata=self.metadata,
        )
        shot_plan, report = response.shot_plan, response.report_after
        self.result.shot_plan = shot_plan.revision
        self.result.continuity_score = report.score
        done("shot plan", f"{len(shot_plan.shots)} shots, continuity {report.score}/100")
        self._write_text("shot_plan.json", shot_plan)
        self._write_text("continuity_report.json", report)
        return shot_plan

    def _start_and_watch(self, method, request, label: str) -> media_pb2.Job:
        job = method(request, metadata=self.metadata)
        return watch_job(self.media, job, label, self.metadata)

    def _frames(self, project: str, shot_plan: planner_pb2.ShotPlan) -> list[str]:
        spec = media_pb2.FramesSpec(
            shot_plan_revision=shot_plan.revision,
            scope=media_pb2.FramesScope(type=media_pb2.FramesScope.TYPE_PROJECT),
            lock_profile=media_pb2.LockProfile(preserve_identity=True, preserve_wardrobe=True, preserve_style=True),
            backend=media_pb2.BACKEND_LOCAL,
        )
        job = self._start_and_watch(
            self.media.GenerateFrames,
            media_service_pb2.GenerateFramesRequest(parent=project, spec=spec, request_id=self._request_id("frames")),
            "frames",
        )
        self.result.frames = list(job.output_revisions)
        for revision in job.output_revisions:
            self._download_revision(revision, "frames")
        return self.result.frames

    def _edit_and_accept(self, project: str, frames: list[str]) -> None:
        if not frames:
            return
        spec = media_pb2.ImageEditSpec(
            source_revision=frames[-1],
            feedback=EDIT_FEEDBACK,
            lock_profile=media_pb2.LockProfile(preserve_identity=True, preserve_location_layout=True),
            backend=media_pb2.BACKEND_LOCAL,
        )
        job = self._start_and_watch(
            self.media.EditImage,
            media_service_pb2.EditImageRequest(parent=project, spec=spec, request_id=self._request_id("edit")),
            "edit a frame",
        )
        edited = job.output_revisions[0]
        self._download_revision(edited, "edited")
        accepted = self.media.AcceptImage(
            media_service_pb2.AcceptImageRequest(revision=edited, comment="approved in the demo"), metadata=self.metadata
        )
        done("accept", accepted.revision)

    def _animatic(self, project: str, shot_plan: planner_pb2.ShotPlan) -> None:
        spec = media_pb2.AnimaticSpec(shot_plan_revision=shot_plan.revision, fps=24, captions=True)
        job = self._start_and_watch(
            self.media.RenderAnimatic,
            media_service_pb2.RenderAnimaticRequest(parent=project, spec=spec, request_id=self._request_id("animatic")),
            "animatic",
        )
        for revision in job.output_revisions:
            self._download_revision(revision, "animatic")

    def _export(self, project: str, shot_plan: planner_pb2.ShotPlan) -> None:
        spec = media_pb2.StoryboardExportSpec(
            shot_plan_revision=shot_plan.revision,
            formats=[media_pb2.STORYBOARD_FORMAT_PDF, media_pb2.STORYBOARD_FORMAT_CSV, media_pb2.STORYBOARD_FORMAT_JSON],
        )
        job = self._start_and_watch(
            self.media.ExportStoryboard,
            media_service_pb2.ExportStoryboardRequest(parent=project, spec=spec, request_id=self._request_id("export")),
            "storyboard export",
        )
        for revision in job.output_revisions:
            self._download_revision(revision, "storyboard")

    def _download_revision(self, revision_name: str, prefix: str) -> None:
        revision = self.storage.GetRevision(
            storage_service_pb2.GetRevisionRequest(name=revision_name), metadata=self.metadata
        )
        asset_id = revision_name.split("/")[3]
        for ref in revision.blobs:
            extension = _EXTENSIONS.get(ref.media_type, ".bin")
            path = self.out_dir / f"{prefix}-{asset_id}-r{revision.revision_number}-{ref.role}{extension}"
            self._download_blob(ref.blob, path)

    def _download_blob(self, blob_name: str, path: Path) -> None:
        with open(path, "wb") as out:
            for chunk in self.storage.DownloadBlob(
                storage_service_pb2.DownloadBlobRequest(name=blob_name), metadata=self.metadata
            ):
                out.write(chunk.data)
        self.result.files.append(path)

    def _write_text(self, filename: str, message) -> None:
        path = self.out_dir / filename
        path.write_text(json_format.MessageToJson(message, indent=2))
        self.result.files.append(path)
