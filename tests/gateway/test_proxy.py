"""The gateway in front of a real upstream server: forwarding of metadata,
deadlines, cancellation, trailers and errors with details; streams both
ways; allow-list; message size limits."""

import asyncio

import grpc
import pytest

from previs.storage.v1 import storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from tests.gateway.conftest import KEY_A, auth, start_gateway
from tests.status_details import details_of, reason_of


async def test_unary_call_is_forwarded_with_verified_identity_and_metadata(stub):
    call = stub.GetProject(
        pb.GetProjectRequest(name="projects/p"),
        metadata=(
            *auth(KEY_A),
            ("x-client-note", "hello"),
            ("x-client-bin", b"\x00\xffraw"),
            ("x-previs-tenant", "forged"),
            ("x-previs-principal", "mallory"),
            ("x-previs-internal-token", "guessed"),
        ),
    )
    project = await call
    assert (project.tenant, project.owner, project.title) == ("tenant-a", "alice", "hello")
    assert ("x-upstream-initial", "hi") in tuple(await call.initial_metadata())
    trailers = tuple(await call.trailing_metadata())
    assert ("x-upstream-trailer", "yes") in trailers
    assert ("x-echo-bin", b"\x00\xffraw") in trailers


async def test_remaining_deadline_is_passed_upstream(stub):
    project = await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A), timeout=7)
    # grpc-timeout is sent with coarse units, rounded up: allow that much
    assert 0 < float(project.labels["time_remaining"]) <= 7.1
    # a call without a deadline gets the gateway's default (300 s) upstream
    without = await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
    assert 290 < float(without.labels["time_remaining"]) <= 301.5  # rounded up, as above


async def test_a_call_without_deadline_cannot_hang_on_a_frozen_upstream(upstream, servicer, tmp_path):
    running = await start_gateway(upstream.port, tmp_path, default_unary_timeout_seconds=0.5)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await pb_grpc.StorageServiceStub(channel).GetProject(
                    pb.GetProjectRequest(name="projects/hang"), metadata=auth(KEY_A)
                )
    finally:
        await running.stop(0)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await asyncio.wait_for(servicer.cancelled_event.wait(), 10)


async def test_deadline_expiring_upstream_answers_deadline_exceeded(stub, servicer):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="projects/hang"), metadata=auth(KEY_A), timeout=0.3)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # the upstream's own copy of the deadline ended its handler too
    await asyncio.wait_for(servicer.cancelled_event.wait(), 10)
    assert servicer.cancelled == ["GetProject"]


async def test_client_cancel_of_unary_call_reaches_upstream(stub, servicer):
    call = stub.GetProject(pb.GetProjectRequest(name="projects/hang"), metadata=auth(KEY_A))
    await asyncio.sleep(0.2)  # let the call reach the upstream
    call.cancel()
    await asyncio.wait_for(servicer.cancelled_event.wait(), 10)
    assert servicer.cancelled == ["GetProject"]


async def test_server_stream_is_forwarded_as_it_comes_and_cancel_reaches_upstream(stub, servicer):
    call = stub.DownloadBlob(pb.DownloadBlobRequest(name="projects/p/blobs/hang"), metadata=auth(KEY_A))
    first = await asyncio.wait_for(call.read(), 10)  # the upstream has not finished its stream
    assert first.data == b"first"
    assert ("x-upstream-initial", "stream") in tuple(await call.initial_metadata())
    call.cancel()
    await asyncio.wait_for(servicer.cancelled_event.wait(), 10)
    assert servicer.cancelled == ["DownloadBlob"]


async def test_upstream_error_details_survive_the_gateway(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="projects/missing"), metadata=auth(KEY_A))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(caught.value) == "PROJECT_NOT_FOUND"
    assert "projects/missing" in caught.value.details()


async def test_error_in_the_middle_of_a_stream_keeps_its_details(stub):
    call = stub.DownloadBlob(pb.DownloadBlobRequest(name="projects/p/blobs/fail", length=3), metadata=auth(KEY_A))
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for chunk in call:
            received.append(chunk.offset)
    assert received == [0, 1, 2]
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(caught.value) == "BLOB_NOT_FOUND"


async def test_server_and_client_streams_pass_through_with_trailers(stub):
    call = stub.DownloadBlob(pb.DownloadBlobRequest(length=7), metadata=auth(KEY_A))
    chunks = [c async for c in call]
    assert [c.offset for c in chunks] == list(range(7))
    assert ("x-upstream-trailer", "stream") in tuple(await call.trailing_metadata())

    async def parts():
        yield pb.UploadBlobRequest(header=pb.UploadBlobHeader(parent="projects/p", media_type="text/plain"))
        for _ in range(10):
            yield pb.UploadBlobRequest(chunk=b"x" * 100_000)

    upload = stub.UploadBlob(parts(), metadata=auth(KEY_A))
    blob = await upload
    assert blob.size_bytes == 1_000_000
    assert ("x-upstream-trailer", "upload") in tuple(await upload.trailing_metadata())


async def test_internal_services_and_unknown_methods_are_not_exposed(gateway):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        for method in ("/previs.storage.v1.StorageAdminService/CollectGarbage", "/previs.storage.v1.StorageService/Nope"):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await channel.unary_unary(method)(b"", metadata=auth(KEY_A))
            assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_oversized_messages_are_refused_at_the_gateway(stub):
    nine_mib = 9 * 1024 * 1024
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="x" * nine_mib), metadata=auth(KEY_A))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    async def parts():
        yield pb.UploadBlobRequest(header=pb.UploadBlobHeader(parent="projects/p", media_type="text/plain"))
        yield pb.UploadBlobRequest(chunk=b"x" * nine_mib)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.UploadBlob(parts(), metadata=auth(KEY_A))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # the gateway still serves normal calls afterwards
    assert (await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))).tenant == "tenant-a"


async def test_malformed_request_bytes_get_the_upstreams_invalid_argument(gateway):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await channel.unary_unary("/previs.storage.v1.StorageService/GetProject")(b"\xff\xff\xff", metadata=auth(KEY_A))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(caught.value) == "MALFORMED_REQUEST"
    assert details_of(caught.value)["BadRequest"].field_violations
