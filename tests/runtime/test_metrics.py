"""The Prometheus endpoint counts calls by method and code, with latencies
and in-flight gauges, as scraped over HTTP."""

import asyncio
import urllib.request

import grpc
import pytest

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.channels import internal_channel
from services.runtime.errors import InvalidArgument
from services.runtime.server import ServiceRegistration, start_server
from services.runtime.settings import ServiceSettings

SERVICE = "previs.storage.v1.StorageService"


class CountedStorage(pb_grpc.StorageServiceServicer):
    async def GetProject(self, request, context):
        return storage_pb2.Project(name=request.name)

    async def CreateProject(self, request, context):
        raise InvalidArgument.for_field("project.title", "is required")


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            samples[key] = float(value)
    return samples


async def test_calls_are_counted_by_method_and_code():
    settings = ServiceSettings(internal_token="t", metrics_port=0)
    running = await start_server(
        "metered", settings, [ServiceRegistration(SERVICE, lambda s: pb_grpc.add_StorageServiceServicer_to_server(CountedStorage(), s))]
    )
    try:
        assert running.metrics_port
        async with internal_channel(f"127.0.0.1:{running.port}", "t") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            for _ in range(3):
                await stub.GetProject(pb.GetProjectRequest(name="projects/p"))
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.CreateProject(pb.CreateProjectRequest())
        samples = await asyncio.to_thread(scrape, running.metrics_port)
    finally:
        await running.stop(0)
    get = f'/{SERVICE}/GetProject'
    create = f'/{SERVICE}/CreateProject'
    assert samples[f'previs_grpc_requests_total{{code="OK",method="{get}",server="metered"}}'] == 3
    assert samples[f'previs_grpc_requests_total{{code="INVALID_ARGUMENT",method="{create}",server="metered"}}'] == 1
    assert samples[f'previs_grpc_request_seconds_count{{method="{get}",server="metered"}}'] == 3
    assert samples[f'previs_grpc_in_flight{{method="{get}",server="metered"}}'] == 0
