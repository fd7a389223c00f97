"""The gateway in front of a real upstream server: forwarding, errors with
details, streams both ways, deadlines, allow-list, API keys and limits."""

import asyncio
from pathlib import Path

import grpc
import pytest

from gateway.api_keys import ApiKey, write_keys_file
from gateway.app import wire
from gateway.settings import GatewaySettings
from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.errors import NotFound
from services.runtime.request_context import current_identity
from services.runtime.server import ServiceRegistration, start_server
from services.runtime.settings import ServiceSettings
from tests.status_details import details_of, reason_of

TOKEN = "internal-secret"
KEY_A, KEY_B, KEY_REVOKED = "pvk_tenant_a_key", "pvk_tenant_b_key", "pvk_revoked_key"


class Upstream(pb_grpc.StorageServiceServicer):
    async def GetProject(self, request, context):
        if request.name == "projects/missing":
            raise NotFound("project 'projects/missing' was not found", reason="PROJECT_NOT_FOUND")
        if request.name == "projects/slow":
            await asyncio.sleep(5)
        identity = current_identity()
        metadata = dict(context.invocation_metadata())
        context.set_trailing_metadata((("x-upstream-trailer", "yes"),))
        return storage_pb2.Project(
            name=request.name, tenant=identity.tenant, owner=identity.principal, title=metadata.get("x-client-note", "")
        )

    async def DownloadBlob(self, request, context):
        for index in range(request.length or 5):
            yield pb.DownloadBlobResponse(offset=index, data=bytes([index]) * 1024)

    async def UploadBlob(self, request_iterator, context):
        total = 0
        async for part in request_iterator:
            total += len(part.chunk)
        return storage_pb2.Blob(size_bytes=total)


@pytest.fixture
async def upstream():
    running = await start_server(
        "storage",
        ServiceSettings(internal_token=TOKEN),
        [ServiceRegistration("previs.storage.v1.StorageService", lambda s: pb_grpc.add_StorageServiceServicer_to_server(Upstream(), s))],
    )
    yield running
    await running.stop(0)


def _keys_file(tmp_path: Path) -> Path:
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


async def _gateway(upstream, tmp_path, **overrides):
    settings = GatewaySettings(
        port=0,
        metrics_port=-1,
        storage_target=f"127.0.0.1:{upstream.port}",
        planner_target="127.0.0.1:1",
        media_target="127.0.0.1:1",
        api_keys_file=_keys_file(tmp_path),
        internal_token=TOKEN,
        upstream_health_interval_seconds=0.2,
        **overrides,
    )
    dependencies = await wire(settings)
    return await dependencies.start("gateway", settings)


@pytest.fixture
async def gateway(upstream, tmp_path):
    running = await _gateway(upstream, tmp_path)
    yield running
    await running.stop(0)


def _auth(key):
    return (("authorization", f"Bearer {key}"),)


@pytest.fixture
async def stub(gateway):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        yield pb_grpc.StorageServiceStub(channel)


async def test_unary_call_is_forwarded_with_verified_identity_and_trailers(stub):
    call = stub.GetProject(
        pb.GetProjectRequest(name="projects/p"),
        metadata=(*_auth(KEY_A), ("x-client-note", "hello"), ("x-previs-tenant", "forged")),
    )
    project = await call
    assert (project.tenant, project.owner, project.title) == ("tenant-a", "alice", "hello")
    assert ("x-upstream-trailer", "yes") in tuple(await call.trailing_metadata())


async def test_upstream_error_details_survive_the_gateway(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="projects/missing"), metadata=_auth(KEY_A))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(caught.value) == "PROJECT_NOT_FOUND"


async def test_server_and_client_streams_pass_through(stub):
    chunks = [c async for c in stub.DownloadBlob(pb.DownloadBlobRequest(length=7), metadata=_auth(KEY_A))]
    assert [c.offset for c in chunks] == list(range(7))

    async def parts():
        yield pb.UploadBlobRequest(header=pb.UploadBlobHeader(parent="projects/p", media_type="text/plain"))
        for _ in range(10):
            yield pb.UploadBlobRequest(chunk=b"x" * 100_000)

    blob = await stub.UploadBlob(parts(), metadata=_auth(KEY_A))
    assert blob.size_bytes == 1_000_000


async def test_deadline_is_passed_upstream(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="projects/slow"), metadata=_auth(KEY_A), timeout=0.3)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize(
    "metadata, reason",
    [
        ((), "API_KEY_MISSING"),
        ((("authorization", ""),), "API_KEY_MISSING"),
        ((("authorization", "Basic abc"),), "API_KEY_MALFORMED"),
        (_auth("pvk_wrong"), "API_KEY_INVALID"),
        (_auth(KEY_REVOKED), "API_KEY_INVALID"),
    ],
)
async def test_bad_credentials_are_unauthenticated(stub, metadata, reason):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert reason_of(caught.value) == reason


async def test_internal_services_are_not_exposed(gateway):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        admin = channel.unary_unary("/previs.storage.v1.StorageAdminService/CollectGarbage")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await admin(b"", metadata=_auth(KEY_A))
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_rate_limit_answers_resource_exhausted_with_retry_info(upstream, tmp_path):
    running = await _gateway(upstream, tmp_path, rate_limit_per_second=1, rate_limit_burst=3)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            for _ in range(3):
                await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=_auth(KEY_A))
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=_auth(KEY_A))
            # another key has its own bucket
            await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=_auth(KEY_B))
    finally:
        await running.stop(0)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = details_of(caught.value)
    assert details["RetryInfo"].retry_delay.ToNanoseconds() > 0
    assert details["QuotaFailure"].violations[0].subject == "api_key:a"


async def test_upstream_down_answers_unavailable_quickly(tmp_path):
    settings = GatewaySettings(
        port=0, metrics_port=-1, storage_target="127.0.0.1:1", planner_target="127.0.0.1:1",
        media_target="127.0.0.1:1", auth="disabled", internal_token=TOKEN,
    )
    running = await (await wire(settings)).start("gateway", settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await pb_grpc.StorageServiceStub(channel).GetProject(pb.GetProjectRequest(name="projects/p"), timeout=10)
    finally:
        await running.stop(0)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
