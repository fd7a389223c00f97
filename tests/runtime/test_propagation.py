"""Request id, identity and the remaining deadline cross service boundaries."""

import grpc
import pytest

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.channels import internal_channel
from services.runtime.request_context import current_identity, current_request_id
from services.runtime.server import ServiceRegistration, start_server
from services.runtime.settings import ServiceSettings

SERVICE = "previs.storage.v1.StorageService"
TOKEN = "tok"


class Backend(pb_grpc.StorageServiceServicer):
    async def GetProject(self, request, context):
        remaining = context.time_remaining()
        return storage_pb2.Project(
            name=request.name,
            title=current_request_id(),
            tenant=current_identity().tenant,
            budget_usd=remaining if remaining is not None else -1,
        )


class Front(pb_grpc.StorageServiceServicer):
    """Calls Backend the way planner and media call storage."""

    def __init__(self, target):
        self.channel = internal_channel(target, TOKEN)

    async def GetProject(self, request, context):
        return await pb_grpc.StorageServiceStub(self.channel).GetProject(request)


def _registration(servicer):
    return [ServiceRegistration(SERVICE, lambda s: pb_grpc.add_StorageServiceServicer_to_server(servicer, s))]


@pytest.fixture
async def chain():
    settings = ServiceSettings(internal_token=TOKEN)
    backend = await start_server("backend", settings, _registration(Backend()))
    front_servicer = Front(f"127.0.0.1:{backend.port}")
    front = await start_server("front", settings, _registration(front_servicer))
    yield front
    await front_servicer.channel.close()
    await front.stop(0)
    await backend.stop(0)


async def test_request_id_identity_and_deadline_propagate(chain):
    metadata = (("x-request-id", "trace-1"), ("x-previs-tenant", "acme"), ("x-previs-internal-token", TOKEN))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{chain.port}") as channel:
        project = await pb_grpc.StorageServiceStub(channel).GetProject(
            pb.GetProjectRequest(name="projects/p"), metadata=metadata, timeout=5
        )
    assert project.title == "trace-1"
    assert project.tenant == "acme"
    # gRPC writes a timeout of 1-10 s on the wire in whole 100 ms units,
    # rounded up, so the backend may see up to 0.1 s more than the front had
    # left; still far below the 30 s default an unpropagated call would get.
    assert 0 < project.budget_usd <= 5.1, "the backend saw the caller's remaining deadline"
