"""The media service as its callers use it: storage, planner and media
servers of ``tests.suite.in_process_suite`` on port 0, stubs that act as a
tenant (the internal credential, tenant and principal the gateway adds),
a small screenplay planned into a shot plan, and helpers that wait for
jobs and download what they stored.

Shared by the ``test_service_*`` files (RPC-level tests of MediaService).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

import grpc
from google.protobuf import duration_pb2

from previs.media.v1 import media_pb2, media_service_pb2 as mpb, media_service_pb2_grpc
from previs.planner.v1 import planner_pb2, planner_service_pb2 as ppb, planner_service_pb2_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb, storage_service_pb2_grpc
from services.runtime.request_context import INTERNAL_TOKEN_KEY, PRINCIPAL_KEY, TENANT_KEY
from tests.storage.harness import rpc_error  # noqa: F401  (re-exported for the test files)
from tests.suite import INTERNAL_TOKEN, Suite, in_process_suite

# Two scenes, one character, two locations: five shots (three in SC001,
# two in SC002) with the offline planner, so a project-scope frames job
# makes nine images.
SCREENPLAY = """INT. KITCHEN - NIGHT

MARA (30s, red raincoat) pours tea by a lamp.

MARA
It is late.

EXT. HARBOUR - DAWN

Mara walks along the pier as gulls circle.
"""

JOB_TIMEOUT_SECONDS = 60
TERMINAL = {media_pb2.Job.STATE_SUCCEEDED, media_pb2.Job.STATE_FAILED, media_pb2.Job.STATE_CANCELLED}


class _Acting:
    """Adds what the gateway adds after checking an API key."""

    def __init__(self, tenant: str, principal: str) -> None:
        self._metadata = ((INTERNAL_TOKEN_KEY, INTERNAL_TOKEN), (TENANT_KEY, tenant), (PRINCIPAL_KEY, principal))

    def _details(self, details):
        return grpc.aio.ClientCallDetails(details.method, details.timeout,
                                          tuple(details.metadata or ()) + self._metadata,
                                          details.credentials, details.wait_for_ready)


class _UnaryUnary(_Acting, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(self._details(details), request)


class _UnaryStream(_Acting, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(self._details(details), request)


class _StreamUnary(_Acting, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, details, request_iterator):
        return await continuation(self._details(details), request_iterator)


@dataclass
class Story:
    """A planned screenplay: its project, plan and shot plan."""

    project: str
    plan: planner_pb2.Plan
    shot_plan: planner_pb2.ShotPlan

    @property
    def shots(self):
        return list(self.shot_plan.shots)

    def shot(self, shot_id: str) -> planner_pb2.Shot:
        return next(shot for shot in self.shot_plan.shots if shot.id == shot_id)


class Caller:
    """One tenant's stubs of the three services."""

    def __init__(self, suite: Suite, tenant: str, principal: str) -> None:
        acting = [kind(tenant, principal) for kind in (_UnaryUnary, _UnaryStream, _StreamUnary)]
        self.tenant = tenant
        self._channels = [grpc.aio.insecure_channel(suite.address(name), interceptors=acting)
                          for name in ("storage", "planner", "media")]
        self.storage = storage_service_pb2_grpc.StorageServiceStub(self._channels[0])
        self.planner = planner_service_pb2_grpc.PlannerServiceStub(self._channels[1])
        self.media = media_service_pb2_grpc.MediaServiceStub(self._channels[2])

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()

    # ------------------------------------------------------------ set-up
    async def project(self, title: str = "Harbour", budget_usd: float = 0.0) -> str:
        project = await self.storage.CreateProject(
            spb.CreateProjectRequest(project=storage_pb2.Project(title=title, budget_usd=budget_usd)))
        return project.name

    async def story(self, project: str | None = None, *, aspect_ratio: str = "") -> Story:
        """The screenplay above planned (offline) into a shot plan."""
        project = project or await self.project()
        script = await self.planner.CreateScript(ppb.CreateScriptRequest(
            parent=project, script=planner_pb2.Script(title="Harbour", content=SCREENPLAY)))
        plan = await self.planner.GeneratePlan(ppb.GeneratePlanRequest(
            parent=project, screenplay=planner_pb2.ScreenplayBrief(script_revision=script.revision),
            preferences=planner_pb2.PlanPreferences(style="cinematic noir", aspect_ratio=aspect_ratio,
                                                    target_duration=duration_pb2.Duration(seconds=10))))
        shots = await self.planner.GenerateShotPlan(ppb.GenerateShotPlanRequest(plan_revision=plan.revision))
        return Story(project, plan, shots.shot_plan)

    # ------------------------------------------------------------ jobs
    async def events(self, job: str, after: int = 0) -> list[media_pb2.JobEvent]:
        """Every event of ``job`` after ``after`` until its completion."""
        return [event async for event in self.media.WatchJob(mpb.WatchJobRequest(name=job, after_sequence=after),
                                                               timeout=JOB_TIMEOUT_SECONDS)]

    async def finished(self, job: media_pb2.Job | str) -> media_pb2.Job:
        """The job once it has ended (watched to its completion)."""
        name = job if isinstance(job, str) else job.name
        await self.events(name)
        found = await self.media.GetJob(mpb.GetJobRequest(name=name))
        assert found.state in TERMINAL, found
        return found

    async def succeeded(self, job: media_pb2.Job | str) -> media_pb2.Job:
        found = await self.finished(job)
        assert found.state == media_pb2.Job.STATE_SUCCEEDED, found.error
        return found

    # ------------------------------------------------------------ storage
    async def revision(self, name: str) -> storage_pb2.Revision:
        return await self.storage.GetRevision(spb.GetRevisionRequest(name=name))

    async def download(self, blob: str) -> bytes:
        parts = [message.data async for message in self.storage.DownloadBlob(spb.DownloadBlobRequest(name=blob))]
        return b"".join(parts)

    async def file_of(self, revision: storage_pb2.Revision, role: str = "") -> tuple[str, bytes]:
        """(media type, bytes) of the revision's blob with ``role`` (the
        first one when ``role`` is empty)."""
        ref = next(ref for ref in revision.blobs if not role or ref.role == role)
        return ref.media_type, await self.download(ref.blob)

    async def save(self, revision: storage_pb2.Revision, path: Path, role: str = "") -> Path:
        _media_type, data = await self.file_of(revision, role)
        path.write_bytes(data)
        return path

    async def upload_image(self, project: str, path: Path, media_type: str = "image/png") -> storage_pb2.Revision:
        """A user's own image stored as the first revision of a new image
        asset (what a reference image looks like to media)."""
        data = path.read_bytes()

        async def requests():
            yield spb.UploadBlobRequest(header=spb.UploadBlobHeader(parent=project, media_type=media_type))
            yield spb.UploadBlobRequest(chunk=data)

        blob = await self.storage.UploadBlob(requests())
        asset = await self.storage.CreateAsset(spb.CreateAssetRequest(
            parent=project, asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_IMAGE, display_name=path.name)))
        return await self.storage.CreateRevision(spb.CreateRevisionRequest(
            parent=asset.name, revision=storage_pb2.Revision(
                blobs=[storage_pb2.BlobRef(blob=blob.name, role="image", media_type=media_type)])))


@dataclass
class MediaHarness:
    suite: Suite
    a: Caller
    b: Caller


@contextlib.asynccontextmanager
async def media_harness(data_dir: Path, **media_overrides) -> AsyncIterator[MediaHarness]:
    """The suite with media settings ``media_overrides`` and two tenants."""
    async with in_process_suite(data_dir, **media_overrides) as suite:
        a, b = Caller(suite, "tenant-a", "alice"), Caller(suite, "tenant-b", "bob")
        try:
            yield MediaHarness(suite, a, b)
        finally:
            await a.close()
            await b.close()


def replicate_overrides(fake) -> dict:
    """Media settings that point the real Replicate SDK at a fake server and
    poll it quickly."""
    return dict(
        replicate_api_token=fake.api_token, replicate_base_url=fake.base_url,
        replicate_poll_interval_seconds=0.01, replicate_max_poll_interval_seconds=0.02,
    )
