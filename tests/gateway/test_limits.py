"""Per-key limits at a real gateway: token-bucket rate limit and concurrent
streams, both RESOURCE_EXHAUSTED with RetryInfo and QuotaFailure."""

import asyncio

import grpc
import pytest

from previs.storage.v1 import storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from gateway.call_slots import CallSlots
from gateway.rate_limits import RateLimiter
from services.runtime.errors import ResourceExhausted
from tests.gateway.conftest import KEY_A, KEY_B, auth, start_gateway
from tests.status_details import details_of, reason_of


async def test_rate_limit_answers_resource_exhausted_with_retry_info(upstream, tmp_path):
    running = await start_gateway(upstream.port, tmp_path, rate_limit_per_second=1, rate_limit_burst=3)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            for _ in range(3):
                await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
            # another key has its own bucket
            await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_B))
    finally:
        await running.stop(0)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(caught.value) == "RATE_LIMITED"
    details = details_of(caught.value)
    assert 0 < details["RetryInfo"].retry_delay.ToNanoseconds() <= 1_000_000_000
    assert details["QuotaFailure"].violations[0].subject == "api_key:a"


async def test_a_burst_over_the_rate_waits_for_tokens_up_to_the_bound(upstream, tmp_path):
    # 10 calls/s, one token banked, calls may wait 0.45 s: of 10 calls at
    # once, the first goes at once, the next four wait 0.1-0.4 s, and the
    # rest would wait too long and are refused with the delay until they fit.
    running = await start_gateway(
        upstream.port, tmp_path, rate_limit_per_second=10, rate_limit_burst=1, rate_limit_max_wait_seconds=0.45
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_B))  # connected
            outcomes = await asyncio.gather(
                *(stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A)) for _ in range(10)),
                return_exceptions=True,
            )
    finally:
        await running.stop(0)
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert 5 <= len(outcomes) - len(refused) <= 7, outcomes
    for error in refused:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and reason_of(error) == "RATE_LIMITED"
        assert details_of(error)["RetryInfo"].retry_delay.ToNanoseconds() > 0


def test_a_call_waits_no_longer_than_its_deadline():
    limiter = RateLimiter(rate=10, burst=1, max_streams=0, max_wait=0.45)
    assert limiter.take("a") == 0.0
    assert 0.05 < limiter.take("a") <= 0.1
    with pytest.raises(ResourceExhausted) as hurried:
        limiter.take("a", may_wait=0.05)  # it would wait ~0.2 s
    assert 0.1 < hurried.value.retry_delay_seconds <= 0.2
    slow = RateLimiter(rate=1, burst=1, max_streams=0, max_wait=0.5)
    slow.take("b")
    with pytest.raises(ResourceExhausted) as too_far:
        slow.take("b")  # its token is 1 s away: resend in 0.5 s and wait the rest
    assert 0.45 < too_far.value.retry_delay_seconds <= 0.5


async def _open_stream(stub, key):
    """A download the upstream keeps open; returns once it is established."""
    call = stub.DownloadBlob(pb.DownloadBlobRequest(name="projects/p/blobs/hang"), metadata=auth(key))
    first = await asyncio.wait_for(call.read(), 10)
    if first is grpc.aio.EOF:
        await call  # raises the call's error
    return call


async def test_concurrent_streams_per_key_are_limited_and_released(upstream, tmp_path):
    running = await start_gateway(upstream.port, tmp_path, max_streams_per_key=2)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            first, second = await _open_stream(stub, KEY_A), await _open_stream(stub, KEY_A)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _open_stream(stub, KEY_A)
            other_key = await _open_stream(stub, KEY_B)  # counted per key
            # a client-streaming call counts as a stream too
            with pytest.raises(grpc.aio.AioRpcError) as upload_refused:
                await stub.UploadBlob(iter([pb.UploadBlobRequest(chunk=b"x")]), metadata=auth(KEY_A))
            # unary calls are not streams
            await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
            first.cancel()
            reopened = None
            for _ in range(100):  # the slot frees once the gateway has seen the cancel
                try:
                    reopened = await _open_stream(stub, KEY_A)
                    break
                except grpc.aio.AioRpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                    await asyncio.sleep(0.05)
            for call in (second, other_key, reopened):
                if call is not None:
                    call.cancel()
    finally:
        await running.stop(0)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(caught.value) == "TOO_MANY_STREAMS"
    details = details_of(caught.value)
    assert details["RetryInfo"].retry_delay.ToNanoseconds() > 0
    assert details["QuotaFailure"].violations[0].subject == "api_key:a"
    assert upload_refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reopened is not None


async def test_finished_and_failed_streams_give_their_slot_back(upstream, tmp_path):
    running = await start_gateway(upstream.port, tmp_path, max_streams_per_key=1)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            for _ in range(3):
                assert len([c async for c in stub.DownloadBlob(pb.DownloadBlobRequest(length=2), metadata=auth(KEY_A))]) == 2
                with pytest.raises(grpc.aio.AioRpcError):
                    async for _ in stub.DownloadBlob(pb.DownloadBlobRequest(name="projects/p/blobs/fail", length=1), metadata=auth(KEY_A)):
                        pass
                blob = await stub.UploadBlob(iter([pb.UploadBlobRequest(chunk=b"xy")]), metadata=auth(KEY_A))
                assert blob.size_bytes == 2
    finally:
        await running.stop(0)


async def test_a_keys_unary_calls_beyond_its_slots_wait_in_order_then_are_refused():
    slots = CallSlots(limit=2, max_wait=0.3)
    await slots.acquire("a")
    await slots.acquire("a")
    await slots.acquire("b")  # another key has its own slots
    order: list[str] = []

    async def waiting(name: str) -> None:
        await slots.acquire("a")
        order.append(name)

    first, second = asyncio.create_task(waiting("first")), asyncio.create_task(waiting("second"))
    await asyncio.sleep(0.05)
    assert order == []  # both wait for a slot
    slots.release("a")
    slots.release("a")
    await asyncio.gather(first, second)
    assert order == ["first", "second"]
    with pytest.raises(ResourceExhausted) as refused:
        await slots.acquire("a", may_wait=0.05)  # both slots held again: none frees in time
    assert refused.value.reason == "TOO_MANY_CALLS" and refused.value.retry_delay_seconds > 0


async def test_a_key_with_all_its_slots_taken_waits_then_is_refused_and_slots_come_back(upstream, tmp_path):
    running = await start_gateway(upstream.port, tmp_path, max_unary_in_flight_per_key=2, rate_limit_max_wait_seconds=0.2)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            hanging = [stub.GetProject(pb.GetProjectRequest(name="projects/hang"), metadata=auth(KEY_A)) for _ in range(2)]
            await asyncio.sleep(0.2)  # both admitted: they hold A's slots
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
            await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_B))  # B has its own
            for call in hanging:
                call.cancel()
            for _ in range(100):  # the slots free once the gateway has seen the cancels
                try:
                    await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
                    break
                except grpc.aio.AioRpcError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("A's slots did not come back after its calls were cancelled")
    finally:
        await running.stop(0)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and reason_of(refused.value) == "TOO_MANY_CALLS"
    assert details_of(refused.value)["QuotaFailure"].violations[0].subject == "api_key:a"
