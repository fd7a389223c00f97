"""The typed client planner and media use, over an internal channel."""

import asyncio
import hashlib
import os

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_pb2_service
from tests.status_details import reason_of
from services.runtime.channels import internal_channel
from services.runtime.request_context import CallIdentity, identity_var
from services.storage.storage_client import StorageClient, revision_request

MiB = 1024 * 1024


@pytest.fixture
async def client(storage):
    token = identity_var.set(CallIdentity("media-worker", "tenant-a"))
    channel = internal_channel(storage.address)
    try:
        yield StorageClient(channel)
    finally:
        await channel.close()
        identity_var.reset(token)


async def test_assets_revisions_reviews_and_spend(storage, client):
    project = (await storage.a.project(budget_usd=2)).name
    concurrent = await asyncio.gather(
        *(client.ensure_asset(project, "frame_s001", storage_pb2.ASSET_KIND_IMAGE, labels={"shot_id": "S001"}) for _ in range(5))
    )
    assert len({a.name for a in concurrent}) == 1
    asset = await client.ensure_asset(project, "frame_s001", storage_pb2.ASSET_KIND_IMAGE)
    assert asset.name == f"{project}/assets/frame_s001"
    stamp = timestamp_pb2.Timestamp(seconds=42)
    first = await client.append_revision(asset.name, stamp, message="first", request_id="job-1:frame")
    assert await client.append_revision(asset.name, stamp, request_id="job-1:frame") == first
    second = await client.append_revision(asset.name, struct_pb2.Value(string_value="edit"), parents=[first.name])
    assert first.creator == "media-worker"
    latest = await client.latest_revision(asset.name)
    assert latest == second and client.payload(latest, struct_pb2.Value).string_value == "edit"
    assert client.payload(await client.get_revision(first.name), timestamp_pb2.Timestamp) == stamp
    with pytest.raises(ValueError):
        client.payload(first, struct_pb2.Value)
    reviewed = await client.review_revision(second.name, storage_pb2.REVIEW_STATUS_ACCEPTED, "good")
    assert reviewed.review_history[0].actor == "media-worker"
    await client.ensure_asset(project, "plan", storage_pb2.ASSET_KIND_PLAN)
    frames = await client.list_assets(project, labels={"shot_id": "S001"})
    assert [a.name for a in frames] == [asset.name]
    accepted = await client.list_assets(project, head_review_status=storage_pb2.REVIEW_STATUS_ACCEPTED)
    assert [a.name for a in accepted] == [asset.name]
    other = await client.ensure_asset(project, "frame_s002", storage_pb2.ASSET_KIND_IMAGE)
    batch = [revision_request(other.name, stamp, request_id="job-1:s002"), revision_request(asset.name, stamp, parents=[second.name])]
    written = await client.append_revisions(project, batch)
    assert [r.name for r in written] == [f"{other.name}/revisions/1", f"{asset.name}/revisions/3"]
    assert await client.append_revisions(project, batch[:1]) == written[:1]
    assert list((await client.latest_revision(asset.name)).parents) == [second.name]
    spent = await client.record_spend(project, 1.5, request_id="job-1", memo="veo")
    assert spent.spent_usd == 1.5
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.record_spend(project, 1.0, request_id="job-2", enforce_budget=True)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_files_stream_up_and_down(storage, client, tmp_path):
    project = (await storage.a.project()).name
    source = tmp_path / "clip.mp4"
    source.write_bytes(os.urandom(3 * MiB + 17))
    blob = await client.upload_file(project, source, "video/mp4")
    assert blob.sha256 == hashlib.sha256(source.read_bytes()).hexdigest() and blob.size_bytes == source.stat().st_size
    asset = await client.ensure_asset(project, "clip", storage_pb2.ASSET_KIND_VIDEO)
    revision = await client.append_revision(asset.name, blobs=[("video", blob.name)])
    assert revision.blobs[0].media_type == "video/mp4"
    target = tmp_path / "out" / "copy.mp4"
    target.parent.mkdir()
    assert await client.download_to_file(revision.blobs[0].blob, target) == source.stat().st_size
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.mp4"]


async def test_an_upload_refused_at_its_header_reports_the_servers_status(storage, client, tmp_path):
    # Storage answers before the client has sent the file; grpc.aio would
    # then report its own INTERNAL (grpc/grpc#36066) instead of the answer.
    project = await storage.a.project()
    await storage.a.storage.DeleteProject(storage_pb2_service.DeleteProjectRequest(name=project.name))
    source = tmp_path / "late.mp4"
    source.write_bytes(os.urandom(4 * MiB))
    for _attempt in range(3):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.upload_file(project.name, source, "video/mp4")
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION, caught.value.details()
        assert reason_of(caught.value) == "PROJECT_DELETED"


async def test_a_cancelled_uploader_is_cancelled_not_told_unavailable(storage, client, tmp_path):
    # finish_upload turns grpc.aio's stray CancelledError (a dropped
    # connection) into UNAVAILABLE, but never a real cancellation.
    project = (await storage.a.project()).name
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(32 * MiB))
    task = asyncio.create_task(client.upload_file(project, source, "application/octet-stream"))
    deadline = asyncio.get_running_loop().time() + 10
    while not storage.parts.store.temporary_files() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
