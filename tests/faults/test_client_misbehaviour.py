"""Clients that misbehave through the gateway: cancel mid-stream, stop
reading a download, send a 1 ms deadline, drop a WatchJob stream every few
events and resume it from the last sequence number. The servers must leak
no tasks and no file descriptors, hold memory flat while a reader stalls,
and a resumed watch must see every event exactly once."""

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


async def _settle(tasks_at_most: int | None = None) -> tuple[int, int]:
    """Task and file descriptor counts once the servers are quiet: after
    0.5 s, or up to 5 s while more than ``tasks_at_most`` tasks run (the
    suite's own periodic work, a health probe say, comes and goes; a leaked
    task stays)."""
    for tick in range(100):
        await asyncio.sleep(0.05)
        gc.collect()
        tasks = len(asyncio.all_tasks())
        if tick >= 9 and (tasks_at_most is None or tasks <= tasks_at_most):
            break
    return tasks, _open_fds()


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
    tasks_after, fds_after = await _settle(tasks_before)
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
    tasks_after, fds_after = await _settle(tasks_before)
    assert tasks_after <= tasks_before
    assert fds_after <= fds_before + 2


async def _watch_in_pieces(media, mpb, job_name: str, per_connection: int) -> tuple[list[int], int]:
    """Reads a job's events ``per_connection`` at a time, dropping the
    stream after each piece and resuming from the last sequence number."""
    seen: list[int] = []
    last, reconnects = 0, 0
    while True:
        call = media.WatchJob(mpb.WatchJobRequest(name=job_name, after_sequence=last), metadata=AUTH)
        for _ in range(per_connection):
            event = await call.read()
            if event is grpc.aio.EOF:
                call.cancel()
                return seen, reconnects
            seen.append(event.sequence)
            last = event.sequence
        call.cancel()
        reconnects += 1


async def test_a_watch_that_disconnects_and_resumes_sees_every_event_once(tmp_path):
    from previs.media.v1 import media_pb2, media_service_pb2 as mpb, media_service_pb2_grpc as mgrpc
    from tests.faults.base_requests import note_ids
    from tests.faults.tenant_resources import make_resources

    async with in_process_suite(tmp_path) as suite:
        async with grpc.aio.insecure_channel(suite.address("gateway")) as channel:
            made = await make_resources(channel, "tenant-a", TENANT_A_KEY)
            await note_ids(channel, made)
            media = mgrpc.MediaServiceStub(channel)
            request = mpb.GenerateFramesRequest(
                parent=made.names["project"],
                spec=media_pb2.FramesSpec(
                    shot_plan_revision=made.names["shot_plan_revision"],
                    scope=media_pb2.FramesScope(type=media_pb2.FramesScope.TYPE_SCENE, scene_id=made.ids["scene_id"]),
                    backend=media_pb2.BACKEND_LOCAL,
                ),
            )
            # A first job warms every pool (database connections, threads).
            warm = await media.GenerateFrames(request, metadata=AUTH)
            await _watch_in_pieces(media, mpb, warm.name, per_connection=1000)
            tasks_before, fds_before = await _settle()
            job = await media.GenerateFrames(request, metadata=AUTH)
            seen, reconnects = await _watch_in_pieces(media, mpb, job.name, per_connection=3)
            final = await media.GetJob(mpb.GetJobRequest(name=job.name), metadata=AUTH)
            tasks_after, fds_after = await _settle(tasks_before)
    assert final.state == media_pb2.Job.STATE_SUCCEEDED
    assert reconnects >= 3
    assert seen == list(range(1, final.last_event_sequence + 1)), "events missing or repeated across reconnects"
    assert tasks_after <= tasks_before
    assert fds_after <= fds_before + 2
