"""MediaService: proto ⇄ domain only. Start calls go to the task modules
(which validate, check the budget and start a job on the engine); job reads,
cancel and watch go to the engine; jobs become ``Job`` messages through
``job_protos``."""

from __future__ import annotations

from previs.media.v1 import media_pb2, media_service_pb2 as pb, media_service_pb2_grpc
from services.media import job_protos
from services.media.animatic_jobs import start_animatic
from services.media.character_references import start_character_reference
from services.media.frames import start_frames
from services.media.image_actions import accept_image, start_edit, start_regenerate
from services.media.images import start_image
from services.media.storyboard_jobs import start_storyboard
from services.media.task_context import TaskContext
from services.media.videos import start_video

SERVICE_NAME = "previs.media.v1.MediaService"


class MediaServicer(media_service_pb2_grpc.MediaServiceServicer):
    """Maps MediaService calls onto the task modules and the job engine."""

    def __init__(self, context: TaskContext) -> None:
        self._context = context

    # ------------------------------------------------------------ starts
    async def GenerateFrames(self, request: pb.GenerateFramesRequest, context) -> media_pb2.Job:
        job = await start_frames(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    async def GenerateCharacterReference(self, request: pb.GenerateCharacterReferenceRequest, context) -> media_pb2.Job:
        job = await start_character_reference(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    async def GenerateImage(self, request: pb.GenerateImageRequest, context) -> media_pb2.Job:
        job = await start_image(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    async def GenerateVideo(self, request: pb.GenerateVideoRequest, context) -> media_pb2.Job:
        job = await start_video(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    async def EditImage(self, request: pb.EditImageRequest, context) -> media_pb2.Job:
        job = await start_edit(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    async def RegenerateImage(self, request: pb.RegenerateImageRequest, context) -> media_pb2.Job:
        job = await start_regenerate(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    async def RenderAnimatic(self, request: pb.RenderAnimaticRequest, context) -> media_pb2.Job:
        job = await start_animatic(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    async def ExportStoryboard(self, request: pb.ExportStoryboardRequest, context) -> media_pb2.Job:
        job = await start_storyboard(self._context, request.parent, request.spec, request.request_id)
        return job_protos.job_to_proto(job)

    # ------------------------------------------------------------ review
    async def AcceptImage(self, request: pb.AcceptImageRequest, context) -> pb.AcceptImageResponse:
        accepted = await accept_image(self._context, request.revision, request.comment)
        response = pb.AcceptImageResponse(revision=accepted.revision, review_status=media_pb2.REVIEW_STATUS_ACCEPTED)
        response.review_time.CopyFrom(accepted.review_time)
        return response

    # ------------------------------------------------------------ jobs
    async def GetJob(self, request: pb.GetJobRequest, context) -> media_pb2.Job:
        return job_protos.job_to_proto(await self._context.runner.get_job(request.name))

    async def ListJobs(self, request: pb.ListJobsRequest, context) -> pb.ListJobsResponse:
        await self._context.visible_project(request.parent)
        page = await self._context.runner.list_jobs(
            request.parent,
            page_size=request.page_size,
            page_token=request.page_token,
            states=job_protos.states_from_proto(request.states),
            kinds=job_protos.kinds_from_proto(request.kinds),
        )
        return pb.ListJobsResponse(jobs=[job_protos.job_to_proto(job) for job in page.jobs],
                                   next_page_token=page.next_page_token)

    async def CancelJob(self, request: pb.CancelJobRequest, context) -> media_pb2.Job:
        return job_protos.job_to_proto(await self._context.runner.cancel_job(request.name))

    async def WatchJob(self, request: pb.WatchJobRequest, context):
        events = await self._context.runner.watch_job(request.name, request.after_sequence)
        async for event in events:
            yield event
