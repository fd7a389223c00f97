"""SIGKILL the storage process in the middle of writes, restart it, and
check against the test's own ledger: every acknowledged revision and blob is
readable and byte-identical, nothing half-written is visible, numbers have
no gaps or duplicates, and resending unacknowledged creates with their
request ids writes each at most once.

A few rounds by default; ``PREVIS_LONG_TESTS=1`` runs many more.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from tests.storage.harness import MiB, StorageHarness, TenantClient, payload_of, text_of, upload_requests

LONG = os.environ.get("PREVIS_LONG_TESTS") == "1"
ROUNDS = 25 if LONG else 3
WRITERS = 8
ASSETS = 4


@dataclass
class Ledger:
    """What the test sent and what storage acknowledged."""

    sent_revisions: dict[str, pb.CreateRevisionRequest] = field(default_factory=dict)  # by request id
    acked_revisions: dict[str, storage_pb2.Revision] = field(default_factory=dict)  # by request id
    sent_blobs: dict[str, bytes] = field(default_factory=dict)  # content by sha256
    acked_blobs: dict[str, storage_pb2.Blob] = field(default_factory=dict)  # by sha256


class StorageProcess:
    def __init__(self, data_dir: Path, database_url: str | None, log: Path) -> None:
        self.ready_file = data_dir.parent / f"ready-{uuid.uuid4().hex}.json"
        env = {
            **os.environ,
            "PREVIS_READY_FILE": str(self.ready_file),
            "PREVIS_STORAGE_DATA_DIR": str(data_dir),
            "PREVIS_STORAGE_PORT": "0",
            "PREVIS_STORAGE_METRICS_PORT": "-1",
            "PREVIS_STORAGE_LOG_FORMAT": "text",
            "PREVIS_STORAGE_LOG_LEVEL": "WARNING",
        }
        env.pop("PREVIS_STORAGE_DATABASE_URL", None)
        if database_url:
            env["PREVIS_STORAGE_DATABASE_URL"] = database_url
        self._log = open(log, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "services.storage"], env=env, stdout=self._log, stderr=self._log)

    async def address(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            assert self.process.poll() is None, "storage exited during start-up"
            assert time.monotonic() < deadline, "storage did not start"
            await asyncio.sleep(0.05)
        return f"127.0.0.1:{json.loads(self.ready_file.read_text())['port']}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(30)
        self._log.close()
        return status


async def _writer(client: TenantClient, project: str, assets: list[str], ledger: Ledger, rng: random.Random) -> None:
    """Creates revisions and uploads blobs until storage goes away."""
    while True:
        try:
            if rng.random() < 0.3:
                data = rng.randbytes(rng.choice([1000, 300_000, MiB + 5, int(2.5 * MiB)]))
                sha256 = hashlib.sha256(data).hexdigest()
                ledger.sent_blobs[sha256] = data
                blob = await client.storage.UploadBlob(
                    upload_requests(project, data, "application/octet-stream", expected_sha256=sha256, expected_size_bytes=len(data))
                )
                ledger.acked_blobs[sha256] = blob
            else:
                request_id = uuid.uuid4().hex
                refs = [
                    storage_pb2.BlobRef(role="image", blob=blob.name)
                    for blob in rng.sample(list(ledger.acked_blobs.values()), min(2, len(ledger.acked_blobs)))
                ]
                request = pb.CreateRevisionRequest(
                    parent=rng.choice(assets),
                    request_id=request_id,
                    revision=storage_pb2.Revision(payload=payload_of(request_id * rng.randint(1, 40)), blobs=refs),
                )
                ledger.sent_revisions[request_id] = request
                ledger.acked_revisions[request_id] = await client.storage.CreateRevision(request)
        except grpc.aio.AioRpcError:
            return  # killed: whatever was in flight is unacknowledged


async def _all_revisions(client: TenantClient, asset: str) -> list[storage_pb2.Revision]:
    found, token = [], ""
    while True:
        page = await client.storage.ListRevisions(pb.ListRevisionsRequest(parent=asset, page_size=1000, page_token=token))
        found += page.revisions
        token = page.next_page_token
        if not token:
            return found


async def _verify(client: TenantClient, assets: list[str], ledger: Ledger, data_dir: Path) -> dict[str, int]:
    stored: dict[str, storage_pb2.Revision] = {}
    for asset in assets:
        revisions = await _all_revisions(client, asset)
        head = await client.storage.GetAsset(pb.GetAssetRequest(name=asset))
        assert sorted(r.revision_number for r in revisions) == list(range(1, head.revision_count + 1)), "gap or duplicate"
        for revision in revisions:
            assert revision.request_id not in stored, "a request id was written twice"
            stored[revision.request_id] = revision
    for request_id, revision in stored.items():
        sent = ledger.sent_revisions[request_id]  # nothing appears that was never sent
        assert revision.payload == sent.revision.payload and text_of(revision).startswith(request_id), "half-written revision"
        assert [b.blob for b in revision.blobs] == [b.blob for b in sent.revision.blobs]
    for request_id, acked in ledger.acked_revisions.items():
        assert stored.get(request_id) == acked, "an acknowledged revision was lost or changed"
    # Resending the unacknowledged creates returns the stored one or writes it once.
    for request_id, request in ledger.sent_revisions.items():
        if request_id not in ledger.acked_revisions:
            resent = await client.storage.CreateRevision(request)
            if request_id in stored:
                assert resent == stored[request_id]
            ledger.acked_revisions[request_id] = resent
    for sha256, data in ledger.sent_blobs.items():
        name = f"{assets[0].rsplit('/assets/', 1)[0]}/blobs/{sha256}"
        try:
            blob = await client.storage.GetBlob(pb.GetBlobRequest(name=name))
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND and sha256 not in ledger.acked_blobs, "an acknowledged blob was lost"
            continue
        _, content = await client.download(blob.name)
        assert content == data, "a blob is visible but not byte-identical"
        ledger.acked_blobs[sha256] = blob
    assert not list((data_dir / "blobs" / "tmp").glob("*.part")), "unfinished uploads of the killed process remain"
    return {"revisions": len(stored), "blobs": len(ledger.acked_blobs)}


async def test_sigkill_during_writes_loses_nothing_acknowledged(database_url, tmp_path):
    data_dir = tmp_path / "data"
    seed = int(os.environ.get("PREVIS_KILL9_SEED", time.time_ns()))
    print(f"PREVIS_KILL9_SEED={seed}")
    ledger, rng = Ledger(), random.Random(seed)
    project, assets = "", []
    totals = {}
    for round_number in range(ROUNDS + 1):
        storage = StorageProcess(data_dir, database_url, tmp_path / "storage.log")
        client = StorageHarness.client(await storage.address(), "tenant-a", "alice")
        try:
            if not project:
                project = (await client.project("kill -9")).name
                assets = [(await client.asset(project, storage_pb2.ASSET_KIND_IMAGE, f"a{i}")).name for i in range(ASSETS)]
            else:
                totals = await _verify(client, assets, ledger, data_dir)
            if round_number == ROUNDS:
                assert storage.terminate() == 0
                break
            writers = [asyncio.create_task(_writer(client, project, assets, ledger, random.Random(rng.random()))) for _ in range(WRITERS)]
            await asyncio.sleep(rng.uniform(0.2, 1.2))
            storage.kill()
            await asyncio.wait_for(asyncio.gather(*writers), 30)
        finally:
            if storage.process.poll() is None:
                storage.kill()
            await client.channel.close()
    print(f"kill -9: {ROUNDS} rounds, {totals}")
    assert totals["revisions"] >= ROUNDS * 10, totals  # the rounds really wrote under load
    _check_every_stored_file_matches_its_name(data_dir / "blobs")


def _check_every_stored_file_matches_its_name(blob_dir: Path) -> None:
    for path in blob_dir.glob("??/??/*"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"half-written content file {path}"
