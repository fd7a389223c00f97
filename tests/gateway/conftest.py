"""A real upstream StorageService (grpc.aio, behind the runtime's call
wrapper and internal credential) and a real gateway in front of it."""

import asyncio
from pathlib import Path

import grpc
import pytest

from gateway.api_keys import ApiKey, write_keys_file
from gateway.app import wire
from gateway.settings import GatewaySettings
from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.errors import NotFound, Unavailable
from services.runtime.request_context import current_identity
from services.runtime.server import ServiceRegistration, start_server
from services.runtime.settings import ServiceSettings

TOKEN = "internal-secret"
KEY_A, KEY_B, KEY_REVOKED = "pvk_tenant_a_key", "pvk_tenant_b_key", "pvk_revoked_key"


class Upstream(pb_grpc.StorageServiceServicer):
    """Echoes what it was given (identity, metadata, deadline) and records
    cancellations, so tests see what crossed the gateway."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []
        self.cancelled_event = asyncio.Event()

    def _record_cancel(self, what: str) -> None:
        self.cancelled.append(what)
        self.cancelled_event.set()

    async def GetProject(self, request, context):
        if request.name == "projects/missing":
            raise NotFound("project 'projects/missing' was not found", reason="PROJECT_NOT_FOUND")
        if request.name == "projects/busy":
            raise Unavailable("the upstream is busy", reason="UPSTREAM_SAYS_BUSY", retry_delay_seconds=3)
        if request.name == "projects/hang":
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                self._record_cancel("GetProject")
                raise
        identity = current_identity()
        metadata = dict(context.invocation_metadata())
        remaining = context.time_remaining()
        await context.send_initial_metadata((("x-upstream-initial", "hi"),))
        context.set_trailing_metadata(
            (("x-upstream-trailer", "yes"), ("x-echo-bin", metadata.get("x-client-bin", b"")))
        )
        return storage_pb2.Project(
            name=request.name,
            tenant=identity.tenant,
            owner=identity.principal,
            title=metadata.get("x-client-note", ""),
            labels={} if remaining is None else {"time_remaining": f"{remaining:.3f}"},
        )

    async def DownloadBlob(self, request, context):
        await context.send_initial_metadata((("x-upstream-initial", "stream"),))
        if request.name.endswith("/hang"):
            yield pb.DownloadBlobResponse(offset=0, data=b"first")
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                self._record_cancel("DownloadBlob")
                raise
        for index in range(request.length or 5):
            yield pb.DownloadBlobResponse(offset=index, data=bytes([index % 256]) * 1024)
        if request.name.endswith("/fail"):
            raise NotFound("blob went missing mid-stream", reason="BLOB_NOT_FOUND")
        context.set_trailing_metadata((("x-upstream-trailer", "stream"),))

    async def UploadBlob(self, request_iterator, context):
        total = 0
        async for part in request_iterator:
            total += len(part.chunk)
        context.set_trailing_metadata((("x-upstream-trailer", "upload"),))
        return storage_pb2.Blob(size_bytes=total)


async def start_upstream(servicer: Upstream, port: int = 0):
    return await start_server(
        "storage",
        ServiceSettings(internal_token=TOKEN, port=port),
        [ServiceRegistration("previs.storage.v1.StorageService", lambda s: pb_grpc.add_StorageServiceServicer_to_server(servicer, s))],
    )


@pytest.fixture
def servicer():
    return Upstream()


@pytest.fixture
async def upstream(servicer):
    running = await start_upstream(servicer)
    yield running
    await running.stop(0)


def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    write_keys_file(
        path,
        [
            (ApiKey("a", "tenant-a", "alice"), KEY_A),
            (ApiKey("b", "tenant-b", "bob"), KEY_B),
            (ApiKey("old", "tenant-a", "alice", revoked=True), KEY_REVOKED),
        ],
    )
    return path


async def start_gateway(upstream_port: int, tmp_path: Path, **overrides):
    values = dict(
        port=0,
        metrics_port=-1,
        storage_target=f"127.0.0.1:{upstream_port}",
        planner_target="127.0.0.1:1",
        media_target="127.0.0.1:1",
        api_keys_file=keys_file(tmp_path),
        internal_token=TOKEN,
        upstream_health_interval_seconds=0.2,
        upstream_reconnect_max_seconds=0.5,
    )
    values.update(overrides)
    settings = GatewaySettings(**values)
    dependencies = await wire(settings)
    return await dependencies.start("gateway", settings)


@pytest.fixture
async def gateway(upstream, tmp_path):
    running = await start_gateway(upstream.port, tmp_path)
    yield running
    await running.stop(0)


def auth(key):
    return (("authorization", f"Bearer {key}"),)


@pytest.fixture
async def stub(gateway):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        yield pb_grpc.StorageServiceStub(channel)
