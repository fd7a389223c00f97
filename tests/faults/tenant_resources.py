"""Real resources of one tenant, made through the gateway with its key.

Storage resources (project, asset, revisions with lineage, blob) are always
made. Planner and media resources (script, plan, shot plan, job, image) are
made when those methods work; while one answers an error (UNIMPLEMENTED
during development) its kind falls back to a storage resource of the same
shape, and ``missing_kinds`` says which fell back and why.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf import any_pb2, struct_pb2

from previs.media.v1 import media_pb2, media_service_pb2 as media_pb, media_service_pb2_grpc as media_grpc
from previs.planner.v1 import planner_pb2, planner_service_pb2 as planner_pb, planner_service_pb2_grpc as planner_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_pb, storage_service_pb2_grpc as storage_grpc
from tests.faults.outcomes import bearer

EXAMPLE_SCRIPT = Path(__file__).resolve().parents[2] / "previs_cli" / "examples" / "the_lighthouse_keeper.fountain"
BLOB_BYTES_SIZE = 3000
STEP_TIMEOUT = 60.0


def blob_bytes(tag: str) -> bytes:
    seed = hashlib.sha256(tag.encode()).digest()
    return (seed * (BLOB_BYTES_SIZE // len(seed) + 1))[:BLOB_BYTES_SIZE]


@dataclass
class TenantResources:
    """Names of one tenant's resources by kind (see test_tenant_isolation)."""

    tenant: str
    key: str
    names: dict[str, str] = field(default_factory=dict)
    missing_kinds: dict[str, str] = field(default_factory=dict)  # kind -> why it fell back
    blob_content: bytes = b""
    ids: dict[str, str] = field(default_factory=dict)  # ids inside resources (a plan's character), not names

    def all_names(self) -> list[str]:
        return sorted(set(self.names.values()))


async def _upload(stub: storage_grpc.StorageServiceStub, parent: str, content: bytes, metadata) -> storage_pb2.Blob:
    async def parts():
        yield storage_pb.UploadBlobRequest(
            header=storage_pb.UploadBlobHeader(
                parent=parent, media_type="application/octet-stream", expected_size_bytes=len(content)
            )
        )
        for start in range(0, len(content), 1024):
            yield storage_pb.UploadBlobRequest(chunk=content[start : start + 1024])

    return await stub.UploadBlob(parts(), metadata=metadata, timeout=STEP_TIMEOUT)


async def make_resources(channel: grpc.aio.Channel, tenant: str, key: str) -> TenantResources:
    made = TenantResources(tenant, key)
    await _storage_resources(channel, made)
    await _planner_resources(channel, made)
    await _media_resources(channel, made)
    return made


async def _storage_resources(channel: grpc.aio.Channel, made: TenantResources) -> None:
    md = bearer(made.key)
    stub = storage_grpc.StorageServiceStub(channel)
    project = await stub.CreateProject(
        storage_pb.CreateProjectRequest(project=storage_pb2.Project(title=f"{made.tenant} project"), project_id=f"{made.tenant}-p1"),
        metadata=md,
        timeout=STEP_TIMEOUT,
    )
    made.names["project"] = project.name
    made.blob_content = blob_bytes(made.tenant)
    blob = await _upload(stub, project.name, made.blob_content, md)
    made.names["blob"] = blob.name
    asset = await stub.CreateAsset(
        storage_pb.CreateAssetRequest(
            parent=project.name,
            asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_IMAGE, display_name="frame", labels={"scene_id": "SC01"}),
            asset_id="frame-1",
        ),
        metadata=md,
        timeout=STEP_TIMEOUT,
    )
    made.names["asset"] = asset.name
    payload = any_pb2.Any()
    payload.Pack(struct_pb2.Struct(fields={"note": struct_pb2.Value(string_value=made.tenant)}))
    first = await stub.CreateRevision(
        storage_pb.CreateRevisionRequest(
            parent=asset.name,
            revision=storage_pb2.Revision(payload=payload, blobs=[storage_pb2.BlobRef(role="image", blob=blob.name)]),
            request_id=f"{made.tenant}-rev-1",
        ),
        metadata=md,
        timeout=STEP_TIMEOUT,
    )
    second = await stub.CreateRevision(
        storage_pb.CreateRevisionRequest(
            parent=asset.name,
            revision=storage_pb2.Revision(payload=payload, parents=[first.name], message="second"),
            request_id=f"{made.tenant}-rev-2",
        ),
        metadata=md,
        timeout=STEP_TIMEOUT,
    )
    made.names["revision"] = first.name
    made.names["head_revision"] = second.name
    # Until the planner and media make their own, these kinds are plain
    # revisions and assets of the same shape.
    for kind in ("script", "script_revision", "plan_revision", "shot_plan_revision", "image_revision", "trace_revision"):
        made.names[kind] = asset.name if kind == "script" else first.name
    made.names["job"] = f"{project.name}/jobs/job-{made.tenant}"
    made.missing_kinds.update(
        {kind: "not made yet" for kind in ("script", "script_revision", "plan_revision", "shot_plan_revision", "image_revision", "trace_revision", "job")}
    )


async def _attempt(made: TenantResources, kinds: tuple[str, ...], call) -> object | None:
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        for kind in kinds:
            made.missing_kinds[kind] = f"{error.code().name}: {error.details()[:120]}"
        return None


def _made(made: TenantResources, kind: str, name: str) -> None:
    if name:
        made.names[kind] = name
        made.missing_kinds.pop(kind, None)


async def _planner_resources(channel: grpc.aio.Channel, made: TenantResources) -> None:
    md = bearer(made.key)
    stub = planner_grpc.PlannerServiceStub(channel)
    project = made.names["project"]
    script = await _attempt(
        made,
        ("script", "script_revision", "plan_revision", "shot_plan_revision"),
        stub.CreateScript(
            planner_pb.CreateScriptRequest(
                parent=project, script=planner_pb2.Script(content=EXAMPLE_SCRIPT.read_text()), script_id="script-1"
            ),
            metadata=md,
            timeout=STEP_TIMEOUT,
        ),
    )
    if script is None:
        return
    _made(made, "script", script.name)
    _made(made, "script_revision", script.revision)
    plan = await _attempt(
        made,
        ("plan_revision", "shot_plan_revision"),
        stub.GeneratePlan(
            planner_pb.GeneratePlanRequest(
                parent=project, screenplay=planner_pb2.ScreenplayBrief(script_revision=script.revision), offline=True
            ),
            metadata=md,
            timeout=STEP_TIMEOUT,
        ),
    )
    if plan is None:
        return
    _made(made, "plan_revision", plan.revision)
    shots = await _attempt(
        made,
        ("shot_plan_revision",),
        stub.GenerateShotPlan(
            planner_pb.GenerateShotPlanRequest(plan_revision=plan.revision, offline=True),
            metadata=md,
            timeout=STEP_TIMEOUT,
        ),
    )
    if shots is not None:
        _made(made, "shot_plan_revision", shots.shot_plan.revision)
    traces = await _attempt(
        made, ("trace_revision",), stub.ListLlmTraces(planner_pb.ListLlmTracesRequest(parent=project), metadata=md, timeout=STEP_TIMEOUT)
    )
    if traces is not None and traces.traces:
        _made(made, "trace_revision", traces.traces[0].revision)
    elif traces is not None:
        made.missing_kinds["trace_revision"] = "the offline planner stores no LLM traces"


async def _media_resources(channel: grpc.aio.Channel, made: TenantResources) -> None:
    md = bearer(made.key)
    stub = media_grpc.MediaServiceStub(channel)
    job = await _attempt(
        made,
        ("job", "image_revision"),
        stub.GenerateImage(
            media_pb.GenerateImageRequest(
                parent=made.names["project"], spec=media_pb2.ImageSpec(prompt="a lighthouse at dusk"), request_id=f"{made.tenant}-img"
            ),
            metadata=md,
            timeout=STEP_TIMEOUT,
        ),
    )
    if job is None:
        return
    _made(made, "job", job.name)
    ended = await _finished(stub, job.name, md)
    if ended is not None and ended.output_revisions:
        _made(made, "image_revision", ended.output_revisions[0])
    else:
        made.missing_kinds["image_revision"] = f"the image job ended without output ({ended.state if ended else 'timeout'})"


async def _finished(stub, job_name: str, metadata, timeout: float = STEP_TIMEOUT):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        job = await stub.GetJob(media_pb.GetJobRequest(name=job_name), metadata=metadata, timeout=STEP_TIMEOUT)
        if job.state in (media_pb2.Job.STATE_SUCCEEDED, media_pb2.Job.STATE_FAILED, media_pb2.Job.STATE_CANCELLED):
            return job
        await asyncio.sleep(0.2)
    return None


def latest(revision: str) -> str:
    return revision.rsplit("/", 1)[0] + "/latest"
