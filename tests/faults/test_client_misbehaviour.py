"""Clients that misbehave through the gateway: cancel mid-stream, stop
reading a download, send a 1 ms deadline. The servers must leak no tasks and
no file descriptors, and hold memory flat while a reader stalls."""

import asyncio
import gc
import hashlib
import os
import resource

import grpc
import pytest

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from tests.suite import TENANT_A_KEY, in_process_suite

AUTH = (("authorization", f"Bearer {TENANT_A_KEY}"),)
BLOB_MIB = 48


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def _settle() -> tuple[int, int]:
    for _ in range(10):
        await asyncio.sleep(0.05)
    gc.collect()
    return len(asyncio.all_tasks()), _open_fds()


@pytest.fixture
async def stub_and_blob(tmp_path):
    async with in_process_suite(tmp_path) as suite:
        async with grpc.aio.insecure_channel(suite.address("gateway")) as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            project = await stub.CreateProject(
                pb.CreateProjectRequest(project=storage_pb2.Project(title="faults")), metadata=AUTH
            )
            chunk = os.urandom(1 << 20)
            digest = hashlib.sha256()
            for _ in range(BLOB_MIB):
                digest.update(chunk)

            async def parts():
                yield pb.UploadBlobRequest(
                    header=pb.UploadBlobHeader(parent=project.name, media_type="application/octet-stream")
                )
                for _ in range(BLOB_MIB):
                    yield pb.UploadBlobRequest(chunk=chunk)

            blob = await stub.UploadBlob(parts(), metadata=AUTH)
            assert blob.sha256 == digest.hexdigest()
            yield stub, blob, project


async def test_cancelling_downloads_mid_stream_leaks_nothing(stub_and_blob):
    stub, blob, _project = stub_and_blob
    await stub.GetBlob(pb.GetBlobRequest(name=blob.name), metadata=AUTH)
    tasks_before, fds_before = await _settle()
    for _ in range(25):
        call = stub.DownloadBlob(pb.DownloadBlobRequest(name=blob.name), metadata=AUTH)
        first = await call.read()
        assert first.data
        call.cancel()
    tasks_after, fds_after = await _settle()
    assert tasks_after <= tasks_before
    assert fds_after <= fds_before + 2  # a reconnect may open a socket


async def test_a_stalled_reader_does_not_make_the_servers_buffer_the_blob(stub_and_blob):
    stub, blob, _project = stub_and_blob
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    call = stub.DownloadBlob(pb.DownloadBlobRequest(name=blob.name), metadata=AUTH)
    await call.read()
    await asyncio.sleep(1.5)  # flow control must stop storage and gateway from reading ahead
    growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    received = 0
    while (message := await call.read()) is not grpc.aio.EOF:
        received += len(message.data)
    assert growth_mib < BLOB_MIB / 2, f"memory grew {growth_mib:.0f} MiB while the reader stalled"
    assert received + (1 << 20) >= blob.size_bytes


async def test_one_millisecond_deadlines_end_cleanly(stub_and_blob):
    stub, blob, project = stub_and_blob
    tasks_before, fds_before = await _settle()
    codes = set()
    for index in range(30):
        try:
            await stub.CreateAsset(
                pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_IMAGE), request_id=f"d{index}"),
                metadata=AUTH,
                timeout=0.001,
            )
            codes.add("OK")
        except grpc.aio.AioRpcError as error:
            codes.add(error.code().name)
        try:
            async for _ in stub.DownloadBlob(pb.DownloadBlobRequest(name=blob.name), metadata=AUTH, timeout=0.001):
                pass
            codes.add("OK")
        except grpc.aio.AioRpcError as error:
            codes.add(error.code().name)
    assert codes <= {"OK", "DEADLINE_EXCEEDED"}
    assert "DEADLINE_EXCEEDED" in codes
    tasks_after, fds_after = await _settle()
    assert tasks_after <= tasks_before
    assert fds_after <= fds_before + 2
