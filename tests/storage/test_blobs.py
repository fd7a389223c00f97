"""Blobs: verified uploads, ranged downloads, deduplication, tenancy, and
uploads that fail or are cancelled leave nothing behind."""

import asyncio
import os

import grpc

from previs.storage.v1 import storage_service_pb2 as pb
from tests.status_details import reason_of, violated_fields
from tests.storage.harness import MiB, rpc_error, sha256_of, upload_requests


def _content(size: int, seed: int = 1) -> bytes:
    return (seed.to_bytes(4, "big") + os.urandom(60)) * (size // 64) + b"z" * (size % 64)


def _content_files(storage) -> list:
    store = storage.parts.store
    return [item.sha256 for item in store._list_contents()]


async def _no_temporary_files(storage, timeout: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while storage.parts.store.temporary_files():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_upload_verifies_and_stats_then_downloads_whole_and_ranges(storage):
    project = await storage.a.project()
    data = _content(3 * MiB + 123)
    blob = await storage.a.upload(project.name, data, "video/mp4", expected_sha256=sha256_of(data), expected_size_bytes=len(data))
    assert blob.name == f"{project.name}/blobs/{sha256_of(data)}"
    assert (blob.sha256, blob.size_bytes, blob.media_type) == (sha256_of(data), len(data), "video/mp4")
    assert await storage.a.storage.GetBlob(pb.GetBlobRequest(name=blob.name)) == blob
    described, whole = await storage.a.download(blob.name)
    assert described == blob and whole == data
    _, part = await storage.a.download(blob.name, offset=MiB - 5, length=2 * MiB)
    assert part == data[MiB - 5 : 3 * MiB - 5]
    _, tail = await storage.a.download(blob.name, offset=len(data) - 10, length=1000)
    assert tail == data[-10:]
    messages = [m async for m in storage.a.storage.DownloadBlob(pb.DownloadBlobRequest(name=blob.name, chunk_size=1000, length=4500))]
    assert [len(m.data) for m in messages] == [1000, 1000, 1000, 1000, 500]
    assert [m.offset for m in messages] == [0, 1000, 2000, 3000, 4000]
    assert messages[0].HasField("blob") and not messages[1].HasField("blob")
    big = [m async for m in storage.a.storage.DownloadBlob(pb.DownloadBlobRequest(name=blob.name, chunk_size=64 * MiB))]
    assert max(len(m.data) for m in big) <= 4 * MiB and b"".join(m.data for m in big) == data
    at_end = [m async for m in storage.a.storage.DownloadBlob(pb.DownloadBlobRequest(name=blob.name, offset=len(data)))]
    assert len(at_end) == 1 and at_end[0].data == b"" and at_end[0].blob == blob
    error = await rpc_error(storage.a.download(blob.name, offset=len(data) + 1))
    assert error.code() == grpc.StatusCode.OUT_OF_RANGE and reason_of(error) == "OFFSET_OUT_OF_RANGE"
    for request, field in (
        (pb.DownloadBlobRequest(name=blob.name, offset=-1), "offset"),
        (pb.DownloadBlobRequest(name=blob.name, length=-1), "length"),
        (pb.DownloadBlobRequest(name=blob.name, chunk_size=-1), "chunk_size"),
        (pb.DownloadBlobRequest(name=f"{project.name}/blobs/ABC"), "name"),
    ):
        error = await rpc_error(storage.a.download(request.name, offset=request.offset, length=request.length, chunk_size=request.chunk_size))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]


async def test_an_empty_blob_is_fine(storage):
    project = await storage.a.project()
    blob = await storage.a.upload(project.name, b"", "text/plain")
    assert blob.size_bytes == 0 and blob.sha256 == sha256_of(b"")
    assert await storage.a.download(blob.name) == (blob, b"")


async def test_digest_or_size_mismatch_is_data_loss_and_leaves_nothing(storage):
    project = await storage.a.project()
    data = _content(MiB + 77)
    cases = [
        ({"expected_sha256": sha256_of(b"other")}, "DIGEST_MISMATCH"),
        ({"expected_size_bytes": len(data) + 1}, "SIZE_MISMATCH"),  # the stream ends short
        ({"expected_size_bytes": len(data) - 1}, "SIZE_MISMATCH"),  # the stream runs long
    ]
    for header, reason in cases:
        error = await rpc_error(storage.a.upload(project.name, data, **header))
        assert error.code() == grpc.StatusCode.DATA_LOSS and reason_of(error) == reason
    missing = await rpc_error(storage.a.storage.GetBlob(pb.GetBlobRequest(name=f"{project.name}/blobs/{sha256_of(data)}")))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert _content_files(storage) == [] and await _no_temporary_files(storage)


async def test_a_cancelled_upload_leaves_no_blob_and_no_temporary_file(storage):
    project = await storage.a.project()
    data = _content(2 * MiB)
    sent_half = asyncio.Event()

    async def requests():
        yield pb.UploadBlobRequest(header=pb.UploadBlobHeader(parent=project.name, media_type="video/mp4"))
        yield pb.UploadBlobRequest(chunk=data[:MiB])
        sent_half.set()
        await asyncio.sleep(30)  # never finishes: the client gives up
        yield pb.UploadBlobRequest(chunk=data[MiB:])

    call = storage.a.storage.UploadBlob(requests())
    await sent_half.wait()
    deadline = asyncio.get_running_loop().time() + 5
    while not storage.parts.store.temporary_files() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert storage.parts.store.temporary_files(), "the upload should be in progress"
    call.cancel()
    assert await _no_temporary_files(storage)
    assert _content_files(storage) == []
    missing = await rpc_error(storage.a.storage.GetBlob(pb.GetBlobRequest(name=f"{project.name}/blobs/{sha256_of(data)}")))
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_identical_content_is_stored_once_and_each_tenant_sees_only_its_own(storage):
    data = _content(MiB // 2, seed=7)
    first_project, second_project = await storage.a.project("One"), await storage.a.project("Two")
    first = await storage.a.upload(first_project.name, data, "image/png")
    again = await storage.a.upload(first_project.name, data, "image/png")
    second = await storage.a.upload(second_project.name, data, "image/jpeg")
    assert again.create_time == first.create_time
    assert second.name != first.name and second.media_type == "image/jpeg"
    assert _content_files(storage) == [sha256_of(data)]
    # Tenant B cannot read A's blob, even knowing (and holding) the content.
    theirs = await storage.b.project("B")
    await storage.b.upload(theirs.name, data)
    missing_name = f"{first_project.name}/blobs/{'f' * 64}"
    hidden = await rpc_error(storage.b.storage.GetBlob(pb.GetBlobRequest(name=first.name)))
    absent = await rpc_error(storage.b.storage.GetBlob(pb.GetBlobRequest(name=missing_name)))
    assert hidden.code() == absent.code() == grpc.StatusCode.NOT_FOUND
    assert hidden.details() == absent.details().replace(missing_name, first.name)
    assert reason_of(hidden) == "BLOB_NOT_FOUND"
    error = await rpc_error(storage.b.download(first.name))
    assert error.code() == grpc.StatusCode.NOT_FOUND and error.details() == hidden.details()
    error = await rpc_error(storage.b.upload(first_project.name, b"intrusion"))
    assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == "PROJECT_NOT_FOUND"
    assert _content_files(storage) == [sha256_of(data)]


async def test_malformed_upload_streams_are_invalid_argument(storage):
    project = await storage.a.project()

    async def no_header():
        yield pb.UploadBlobRequest(chunk=b"data first")

    async def two_headers():
        header = pb.UploadBlobHeader(parent=project.name, media_type="text/plain")
        yield pb.UploadBlobRequest(header=header)
        yield pb.UploadBlobRequest(header=header)

    async def nothing():
        return
        yield  # an async generator that sends no message

    for requests, field in ((no_header(), "header"), (two_headers(), "header"), (nothing(), "header")):
        error = await rpc_error(storage.a.storage.UploadBlob(requests))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]
    oversized = upload_requests(project.name, b"x" * (MiB + 1), "text/plain", chunk=MiB + 1)
    error = await rpc_error(storage.a.storage.UploadBlob(oversized))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["chunk"]
    for header, field in (
        ({"media_type": ""}, "header.media_type"),
        ({"media_type": "not a type"}, "header.media_type"),
        ({"media_type": "text/plain", "expected_sha256": "XYZ"}, "header.expected_sha256"),
        ({"media_type": "text/plain", "expected_size_bytes": -4}, "header.expected_size_bytes"),
        ({"media_type": "text/plain", "parent": "projects/../../etc"}, "header.parent"),
    ):
        fields = {"parent": project.name, **header}
        parent, media_type = fields.pop("parent"), fields.pop("media_type")
        error = await rpc_error(storage.a.storage.UploadBlob(upload_requests(parent, b"abc", media_type, **fields)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]
    assert await _no_temporary_files(storage)


async def test_uploads_to_a_deleted_project_are_refused(storage):
    project = await storage.a.project()
    await storage.a.storage.DeleteProject(pb.DeleteProjectRequest(name=project.name))
    error = await rpc_error(storage.a.upload(project.name, b"late"))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "PROJECT_DELETED"


async def test_concurrent_uploads_of_the_same_content(storage):
    project = await storage.a.project()
    data = _content(MiB + 3, seed=3)
    blobs = await asyncio.gather(*(storage.a.upload(project.name, data) for _ in range(6)))
    assert len({b.name for b in blobs}) == 1
    assert _content_files(storage) == [sha256_of(data)]
    assert (await storage.a.download(blobs[0].name))[1] == data
    assert await _no_temporary_files(storage)


async def test_downloads_stopped_midway_close_their_files(storage):
    project = await storage.a.project()
    blob = await storage.a.upload(project.name, _content(6 * MiB, seed=5))
    content_path = str(storage.parts.store.path_of(blob.sha256))

    def open_on_content() -> int:
        found = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                found += os.readlink(f"/proc/self/fd/{fd}") == content_path
            except OSError:
                continue
        return found

    for _ in range(4):
        call = storage.a.storage.DownloadBlob(pb.DownloadBlobRequest(name=blob.name, chunk_size=MiB))
        first = await call.read()
        assert len(first.data) == MiB
        call.cancel()
    described, whole = await storage.a.download(blob.name, offset=5, length=3 * MiB)
    assert len(whole) == 3 * MiB and described.sha256 == blob.sha256
    deadline = asyncio.get_running_loop().time() + 5
    while open_on_content() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    assert open_on_content() == 0
