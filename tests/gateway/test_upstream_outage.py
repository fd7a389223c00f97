"""An upstream that goes away and comes back: the gateway answers
UNAVAILABLE at once (never hangs), its health says NOT_SERVING, and it serves
again once the upstream is back on the same address."""

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.app import wire
from gateway.settings import GatewaySettings
from previs.storage.v1 import storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from tests.gateway.conftest import KEY_A, TOKEN, Upstream, auth, start_gateway, start_upstream
from tests.status_details import details_of, reason_of

STORAGE = "previs.storage.v1.StorageService"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _health(channel, service: str) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    return reply.status


async def _until(predicate, attempts: int = 200, pause: float = 0.05) -> bool:
    for _ in range(attempts):
        if await predicate():
            return True
        await asyncio.sleep(pause)
    return False


async def test_upstream_down_answers_unavailable_quickly(tmp_path):
    settings = GatewaySettings(
        port=0, metrics_port=-1, storage_target="127.0.0.1:1", planner_target="127.0.0.1:1",
        media_target="127.0.0.1:1", auth="disabled", internal_token=TOKEN,
    )
    running = await (await wire(settings)).start("gateway", settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            errors = []
            for _ in range(3):  # first connect attempt, then during reconnect backoff
                try:
                    await stub.GetProject(pb.GetProjectRequest(name="projects/p"), timeout=30)
                except grpc.aio.AioRpcError as error:
                    errors.append(error)
            streamed = stub.DownloadBlob(pb.DownloadBlobRequest(length=1), timeout=30)
            try:
                async for _ in streamed:
                    pass
            except grpc.aio.AioRpcError as error:
                errors.append(error)
            health = await _health(channel, STORAGE)
    finally:
        await running.stop(0)
    assert [e.code() for e in errors] == [grpc.StatusCode.UNAVAILABLE] * 4
    for error in errors:
        assert reason_of(error) == "UPSTREAM_UNAVAILABLE"
        assert details_of(error)["RetryInfo"].retry_delay.ToNanoseconds() > 0
        assert "127.0.0.1" not in error.details() and "previs.storage.v1.StorageService" in error.details()
    assert health == NOT_SERVING


async def test_an_unavailable_answered_by_the_upstream_itself_passes_unchanged(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="projects/busy"), metadata=auth(KEY_A))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert reason_of(caught.value) == "UPSTREAM_SAYS_BUSY"
    assert details_of(caught.value)["RetryInfo"].retry_delay.ToNanoseconds() == 3_000_000_000


async def test_gateway_recovers_when_the_upstream_returns(tmp_path):
    upstream = await start_upstream(Upstream())
    port = upstream.port
    gateway = await start_gateway(port, tmp_path)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            request = pb.GetProjectRequest(name="projects/p")
            assert (await stub.GetProject(request, metadata=auth(KEY_A))).tenant == "tenant-a"

            await upstream.stop(0)
            with_upstream_down = None
            try:
                await stub.GetProject(request, metadata=auth(KEY_A), timeout=30)
            except grpc.aio.AioRpcError as error:
                with_upstream_down = (error.code(), reason_of(error))

            async def health_is(status):
                return await _health(channel, STORAGE) == status

            assert await _until(lambda: health_is(NOT_SERVING))

            upstream = await start_upstream(Upstream(), port=port)

            async def call_succeeds():
                try:
                    await stub.GetProject(request, metadata=auth(KEY_A), timeout=30)
                    return True
                except grpc.aio.AioRpcError as error:
                    assert error.code() == grpc.StatusCode.UNAVAILABLE
                    return False

            recovered = await _until(call_succeeds)
            health_back = await _until(lambda: health_is(SERVING))
    finally:
        await gateway.stop(0)
        await upstream.stop(0)
    assert with_upstream_down == (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
    assert recovered and health_back
