"""Error mapping, malformed requests and identity checks on a real server."""

import asyncio

import grpc
import pytest

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.channels import internal_channel
from services.runtime.errors import Aborted, InvalidArgument, ResourceExhausted, QuotaViolation
from services.runtime.request_context import current_identity, current_request_id
from services.runtime.server import ServiceRegistration, start_server
from services.runtime.settings import ServiceSettings
from tests.status_details import details_of, reason_of, violated_fields

SERVICE = "previs.storage.v1.StorageService"


class ScriptedStorage(pb_grpc.StorageServiceServicer):
    """Raises a different kind of error per method."""

    async def GetProject(self, request, context):
        identity = current_identity()
        return storage_pb2.Project(name=request.name, tenant=identity.tenant, owner=identity.principal, title=current_request_id())

    async def CreateProject(self, request, context):
        raise InvalidArgument.for_field("project.title", "is required")

    async def DeleteProject(self, request, context):
        raise Aborted("etag mismatch", reason="ETAG_MISMATCH")

    async def UpdateProject(self, request, context):
        raise ResourceExhausted(
            "over budget", reason="BUDGET", quota_violations=[QuotaViolation("projects/p", "budget")], retry_delay_seconds=2
        )

    async def ListProjects(self, request, context):
        return {}["missing"]  # an unexpected bug

    async def DownloadBlob(self, request, context):
        yield pb.DownloadBlobResponse(data=b"first")
        raise InvalidArgument.for_field("offset", "too far")


@pytest.fixture
async def server():
    settings = ServiceSettings(internal_token="secret-token")
    running = await start_server(
        "test", settings, [ServiceRegistration(SERVICE, lambda s: pb_grpc.add_StorageServiceServicer_to_server(ScriptedStorage(), s))]
    )
    yield running
    await running.stop(0)


@pytest.fixture
async def stub(server):
    async with internal_channel(f"127.0.0.1:{server.port}", "secret-token") as channel:
        yield pb_grpc.StorageServiceStub(channel)


async def test_invalid_argument_names_the_field(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateProject(pb.CreateProjectRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(caught.value) == ["project.title"]
    assert details_of(caught.value)["ErrorInfo"].domain == "previs.dev"


async def test_aborted_and_quota_details(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.DeleteProject(pb.DeleteProjectRequest(name="projects/p"))
    assert caught.value.code() == grpc.StatusCode.ABORTED and reason_of(caught.value) == "ETAG_MISMATCH"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.UpdateProject(pb.UpdateProjectRequest())
    details = details_of(caught.value)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert details["QuotaFailure"].violations[0].subject == "projects/p"
    assert details["RetryInfo"].retry_delay.seconds == 2


async def test_unexpected_exception_is_internal_with_request_id_not_unknown(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListProjects(pb.ListProjectsRequest(), metadata=(("x-request-id", "req-123"),))
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert "req-123" in caught.value.details() and "KeyError" not in caught.value.details()
    assert details_of(caught.value)["RequestInfo"].request_id == "req-123"


async def test_unimplemented_method_is_unimplemented(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetAsset(pb.GetAssetRequest(name="projects/p/assets/a"))
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_malformed_request_bytes_are_invalid_argument_with_bad_request(server):
    async with internal_channel(f"127.0.0.1:{server.port}", "secret-token") as channel:
        raw = channel.unary_unary("/previs.storage.v1.StorageService/GetProject")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await raw(b"\x0a\xff\xff\xff\xff")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(caught.value) == ["request"]
    assert reason_of(caught.value) == "MALFORMED_REQUEST"


async def test_error_after_stream_started_keeps_details(stub):
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for chunk in stub.DownloadBlob(pb.DownloadBlobRequest()):
            received.append(chunk.data)
    # grpc.aio clients may drop a message that arrives together with the
    # final status, so only the status is asserted here.
    assert received in ([b"first"], [])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(caught.value) == ["offset"]


async def test_calls_without_the_internal_token_are_refused(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await pb_grpc.StorageServiceStub(channel).GetProject(
                pb.GetProjectRequest(name="projects/p"), metadata=(("x-previs-tenant", "forged"),)
            )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_identity_and_request_id_reach_the_handler(stub):
    project = await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=(("x-request-id", "abc"),))
    assert project.title == "abc"
    assert project.tenant == "default"


async def test_cancelled_stream_does_not_leak_tasks(server, stub):
    before = len(asyncio.all_tasks())
    for _ in range(20):
        call = stub.DownloadBlob(pb.DownloadBlobRequest())
        await call.read()
        call.cancel()
    await asyncio.sleep(0.2)
    assert len(asyncio.all_tasks()) <= before + 1
