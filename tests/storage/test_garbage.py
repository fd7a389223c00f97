"""Garbage collection removes blob content no live revision references and
never content that one does."""

import asyncio
import json
import os
import subprocess
import sys
import time

import grpc
import pytest

from previs.storage.v1 import storage_admin_service_pb2 as admin_pb, storage_pb2, storage_service_pb2 as pb
from services.storage.blobs import LocalContentStore
from tests.storage.harness import StorageHarness, rpc_error, sha256_of, storage_settings, text_of

IMAGE = storage_pb2.ASSET_KIND_IMAGE


@pytest.fixture
async def storage(database_url, tmp_path):
    """Storage without a grace period, so fresh uploads are collectable."""
    harness = await StorageHarness.start(storage_settings(tmp_path / "data", database_url, gc_grace_seconds=0))
    try:
        yield harness
    finally:
        await harness.stop()


def _files(storage) -> set[str]:
    return {item.sha256 for item in storage.parts.store._list_contents()}


async def _referenced(storage, project, data: bytes, asset_id: str):
    blob = await storage.a.upload(project, data, "image/png")
    asset = await storage.a.asset(project, IMAGE, asset_id)
    revision = await storage.a.revision(asset.name, asset_id, blobs=[storage_pb2.BlobRef(role="image", blob=blob.name)])
    return blob, asset, revision


async def test_collects_unreferenced_and_dead_content_and_keeps_referenced(storage):
    project = (await storage.a.project("P")).name
    other = (await storage.a.project("Q")).name
    doomed_project = (await storage.a.project("D")).name
    kept, _, _ = await _referenced(storage, project, b"kept frame", "kept")
    unreferenced = await storage.a.upload(project, b"never used")
    dead, dead_asset, dead_revision = await _referenced(storage, project, b"edited away", "dead")
    await storage.a.storage.DeleteAsset(pb.DeleteAssetRequest(name=dead_asset.name))
    shared_here, shared_asset, _ = await _referenced(storage, project, b"shared content", "shared")
    await storage.a.storage.DeleteAsset(pb.DeleteAssetRequest(name=shared_asset.name))
    shared_there, _, _ = await _referenced(storage, other, b"shared content", "shared")
    in_deleted_project, _, _ = await _referenced(storage, doomed_project, b"project deleted", "frame")
    await storage.a.storage.DeleteProject(pb.DeleteProjectRequest(name=doomed_project))
    garbage = [unreferenced, dead, in_deleted_project]
    everything = {sha256_of(d) for d in (b"kept frame", b"never used", b"edited away", b"shared content", b"project deleted")}
    assert _files(storage) == everything

    dry = await storage.a.admin.CollectGarbage(admin_pb.CollectGarbageRequest(dry_run=True))
    assert (dry.removed_blobs, dry.freed_bytes, dry.kept_blobs) == (3, sum(b.size_bytes for b in garbage), 2)
    assert _files(storage) == everything

    report = await storage.a.admin.CollectGarbage(admin_pb.CollectGarbageRequest())
    assert (report.removed_blobs, report.freed_bytes, report.kept_blobs) == (dry.removed_blobs, dry.freed_bytes, 2)
    assert _files(storage) == {kept.sha256, shared_there.sha256}
    for blob in [*garbage, shared_here]:
        error = await rpc_error(storage.a.storage.GetBlob(pb.GetBlobRequest(name=blob.name)))
        assert error.code() == grpc.StatusCode.NOT_FOUND
    assert (await storage.a.download(kept.name))[1] == b"kept frame"
    assert (await storage.a.download(shared_there.name))[1] == b"shared content"
    # The deleted asset's revision stays readable (lineage never breaks).
    assert (await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=dead_revision.name))).blobs[0].blob == dead.name

    again = await storage.a.admin.CollectGarbage(admin_pb.CollectGarbageRequest())
    assert (again.removed_blobs, again.kept_blobs) == (0, 2)
    # Collected content can be uploaded again.
    back = await storage.a.upload(project, b"never used")
    assert (await storage.a.download(back.name))[1] == b"never used"


async def test_the_grace_period_protects_fresh_uploads(database_url, tmp_path):
    harness = await StorageHarness.start(storage_settings(tmp_path / "data", database_url, gc_grace_seconds=3600))
    try:
        project = (await harness.a.project()).name
        fresh = await harness.a.upload(project, b"uploaded a moment ago")
        report = await harness.a.admin.CollectGarbage(admin_pb.CollectGarbageRequest())
        assert report.removed_blobs == 0
        assert (await harness.a.download(fresh.name))[1] == b"uploaded a moment ago"
    finally:
        await harness.stop()


async def test_orphan_files_and_dead_uploads_are_removed(storage):
    store = storage.parts.store
    orphan_sha = sha256_of(b"placed but never committed")
    orphan = store.path_of(orphan_sha)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"placed but never committed")
    dead_upload = store.temp_dir / "999999-abcdef.part"
    dead_upload.write_bytes(b"half")
    old = time.time() - 10
    os.utime(orphan, (old, old))
    report = await storage.a.admin.CollectGarbage(admin_pb.CollectGarbageRequest())
    assert report.removed_blobs == 1 and report.freed_bytes == len(b"placed but never committed")
    assert not orphan.exists() and not dead_upload.exists()


async def test_concurrent_collection_never_removes_what_a_revision_references(storage):
    project = (await storage.a.project()).name
    asset = (await storage.a.asset(project, IMAGE, "frames")).name
    stop = asyncio.Event()

    async def collect_continuously():
        runs = 0
        while not stop.is_set():
            await storage.a.admin.CollectGarbage(admin_pb.CollectGarbageRequest())
            runs += 1
        return runs

    async def write(index: int):
        data = f"frame {index} ".encode() * 500
        for _attempt in range(50):
            blob = await storage.a.upload(project, data, "image/png")
            try:
                return await storage.a.revision(asset, str(index), blobs=[storage_pb2.BlobRef(role="image", blob=blob.name)])
            except grpc.aio.AioRpcError as error:  # collected between upload and revision: upload again
                assert error.code() == grpc.StatusCode.NOT_FOUND
        raise AssertionError("never got a revision in")

    collector = asyncio.create_task(collect_continuously())
    revisions = await asyncio.gather(*(write(i) for i in range(30)))
    stop.set()
    assert await collector > 0
    await storage.a.admin.CollectGarbage(admin_pb.CollectGarbageRequest())
    for revision in revisions:
        (ref,) = revision.blobs
        assert (await storage.a.download(ref.blob))[1] == f"frame {text_of(revision)} ".encode() * 500


async def test_the_gc_command_runs_against_the_configured_store(database_url, tmp_path):
    env = {
        **os.environ,
        "PREVIS_STORAGE_DATA_DIR": str(tmp_path / "data"),
        "PREVIS_STORAGE_GC_GRACE_SECONDS": "0",
        "PREVIS_STORAGE_LOG_FORMAT": "text",
    }
    if database_url:
        env["PREVIS_STORAGE_DATABASE_URL"] = database_url
    else:
        env.pop("PREVIS_STORAGE_DATABASE_URL", None)

    def run(*arguments):
        result = subprocess.run(
            [sys.executable, "-m", "services.storage", "gc", *arguments], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    orphan_dir = tmp_path / "data" / "blobs" / "ab" / "cd"
    orphan_dir.mkdir(parents=True)
    (orphan_dir / ("abcd" + "0" * 60)).write_bytes(b"orphan")
    old = time.time() - 10
    os.utime(orphan_dir / ("abcd" + "0" * 60), (old, old))
    assert run("--dry-run") == {"dry_run": True, "removed_blobs": 1, "freed_bytes": 6, "kept_blobs": 0}
    assert (orphan_dir / ("abcd" + "0" * 60)).exists()
    assert run() == {"dry_run": False, "removed_blobs": 1, "freed_bytes": 6, "kept_blobs": 0}
    assert not (orphan_dir / ("abcd" + "0" * 60)).exists()


async def test_uploads_left_by_an_earlier_run_with_the_same_pid_are_swept(tmp_path):
    # In a container storage is PID 1 on every start, so what a killed run
    # left behind carries the PID of the process that starts next.
    store = LocalContentStore(tmp_path / "blobs")
    pid = os.getpid()
    earlier_runs = [store.temp_dir / f"{pid}-0badc0de-1234abcd.part", store.temp_dir / f"{pid}-1234abcd.part"]
    for path in earlier_runs:
        path.write_bytes(b"half of an upload")
    live = await store.begin()
    await live.write(b"in progress")
    try:
        assert await store.sweep_temporary(older_than_seconds=3600) == 2
        assert store.temporary_files() == [live.path]
    finally:
        live.discard()
