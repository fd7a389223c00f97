"""A failed internal call becomes the same domain error again."""

import grpc
import pytest

from previs.storage.v1 import storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.channels import internal_channel
from services.runtime.errors import InvalidArgument, NotFound, Unavailable
from services.runtime.server import ServiceRegistration, start_server
from services.runtime.settings import ServiceSettings
from services.runtime.upstream_errors import translated


class Failing(pb_grpc.StorageServiceServicer):
    async def GetProject(self, request, context):
        raise NotFound("project 'projects/x' was not found", reason="PROJECT_NOT_FOUND", metadata={"name": "projects/x"})

    async def CreateProject(self, request, context):
        raise InvalidArgument.for_field("project.title", "is required")


@pytest.fixture
async def stub():
    running = await start_server(
        "s", ServiceSettings(), [ServiceRegistration("previs.storage.v1.StorageService", lambda s: pb_grpc.add_StorageServiceServicer_to_server(Failing(), s))]
    )
    async with internal_channel(f"127.0.0.1:{running.port}") as channel:
        yield pb_grpc.StorageServiceStub(channel)
    await running.stop(0)


async def test_not_found_keeps_code_reason_and_message(stub):
    with pytest.raises(NotFound) as caught:
        with translated("storage"):
            await stub.GetProject(pb.GetProjectRequest(name="projects/x"))
    assert caught.value.reason == "PROJECT_NOT_FOUND"
    assert caught.value.message == "project 'projects/x' was not found"


async def test_bad_request_keeps_its_fields(stub):
    with pytest.raises(InvalidArgument) as caught:
        with translated("storage"):
            await stub.CreateProject(pb.CreateProjectRequest())
    assert [v.field for v in caught.value.field_violations] == ["project.title"]


async def test_unreachable_upstream_is_unavailable_with_retry_delay():
    async with internal_channel("127.0.0.1:1", default_timeout=2) as channel:
        with pytest.raises(Unavailable) as caught:
            with translated("storage"):
                await pb_grpc.StorageServiceStub(channel).GetProject(pb.GetProjectRequest(name="projects/x"))
    assert caught.value.retry_delay_seconds and caught.value.metadata["upstream"] == "storage"
    # the library's text names internal addresses; callers get a plain message
    assert caught.value.message == "the storage service is unavailable"
    assert "127.0.0.1" not in caught.value.message


class BareTransport(pb_grpc.StorageServiceServicer):
    """Answers as the gRPC library does for a reset stream: a bare code and
    a text naming an address, no ErrorInfo."""

    async def GetProject(self, request, context):
        await context.abort(grpc.StatusCode.INTERNAL, "Received RST_STREAM with error code 2 from ipv4:10.0.0.7:50061")


async def test_a_bare_internal_from_the_transport_is_a_retryable_unavailable():
    server = grpc.aio.server()
    pb_grpc.add_StorageServiceServicer_to_server(BareTransport(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with internal_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(Unavailable) as caught:
                with translated("storage"):
                    await pb_grpc.StorageServiceStub(channel).GetProject(pb.GetProjectRequest(name="projects/x"))
    finally:
        await server.stop(0)
    assert caught.value.reason == "UPSTREAM_UNAVAILABLE" and caught.value.retry_delay_seconds
    assert "10.0.0.7" not in caught.value.message
