"""The ledger of the kill -9 tests (``tests/storage/test_kill9.py`` straight
to storage, ``tests/faults/test_storage_killed.py`` through the gateway).

Writers create revisions and upload blobs until storage goes away, noting
what they sent and what was acknowledged. After a restart, ``check`` compares
storage with the ledger and counts what went wrong:

- lost: an acknowledged revision or blob that is missing or differs;
- partly visible: a stored revision that is not exactly a sent one, a
  visible blob that is not byte-identical to what was sent, an unfinished
  upload file left behind, a content file whose bytes do not match its name;
- duplicates: a request id stored twice (checked again after resending every
  unacknowledged create with its request id);
- gaps: revision numbers of an asset that are not exactly 1..revision_count.

Blobs acknowledged or sent since the previous check are downloaded in full;
older ones (content files are immutable) are checked by their metadata each
round and downloaded in full by ``check(..., full=True)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import grpc

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.storage.storage_client import finish_upload
from tests.storage.harness import MiB, payload_of, text_of, upload_requests

BLOB_SIZES = (1000, 300_000, MiB + 5, int(2.5 * MiB))
CALL_TIMEOUT = 60.0


@dataclass
class Figures:
    lost: int = 0
    partly_visible: int = 0
    duplicates_after_resend: int = 0
    gaps: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, what: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problems) < 20:
            self.problems.append(f"{kind}: {what}")

    def merge(self, other: "Figures") -> None:
        for kind in ("lost", "partly_visible", "duplicates_after_resend", "gaps"):
            setattr(self, kind, getattr(self, kind) + getattr(other, kind))
        self.problems += other.problems

    @property
    def clean(self) -> bool:
        return not (self.lost or self.partly_visible or self.duplicates_after_resend or self.gaps)


@dataclass
class Ledger:
    """What the test sent and what storage acknowledged."""

    stub: pb_grpc.StorageServiceStub
    metadata: tuple[tuple[str, str], ...] | None
    project: str = ""
    assets: list[str] = field(default_factory=list)
    sent_revisions: dict[str, pb.CreateRevisionRequest] = field(default_factory=dict)  # by request id
    acked_revisions: dict[str, storage_pb2.Revision] = field(default_factory=dict)  # by request id
    sent_blobs: dict[str, bytes] = field(default_factory=dict)  # content by sha256
    acked_blobs: dict[str, storage_pb2.Blob] = field(default_factory=dict)  # by sha256
    verified_blobs: set[str] = field(default_factory=set)  # downloaded in full since last sent
    acknowledged_writes: int = 0  # acknowledgements received in the rounds storage was killed in
    cut_off: Counter = field(default_factory=Counter)  # status codes of the calls the kills ended
    cut_off_details: list[str] = field(default_factory=list)  # of the calls not ended UNAVAILABLE
    local_write_failures: int = 0  # uploads whose status grpc.aio replaced (local INTERNAL or CancelledError)
    resent: int = 0

    def blob_name(self, sha256: str) -> str:
        return f"{self.project}/blobs/{sha256}"

    async def setup(self, asset_count: int) -> None:
        project = await self.stub.CreateProject(
            pb.CreateProjectRequest(project=storage_pb2.Project(title="kill -9"), request_id="kill9-project"),
            metadata=self.metadata,
            timeout=CALL_TIMEOUT,
        )
        self.project = project.name
        for index in range(asset_count):
            asset = await self.stub.CreateAsset(
                pb.CreateAssetRequest(
                    parent=project.name, asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_IMAGE), asset_id=f"a{index}"
                ),
                metadata=self.metadata,
                timeout=CALL_TIMEOUT,
            )
            self.assets.append(asset.name)

    async def write_until_refused(self, rng: random.Random) -> None:
        """Creates revisions (30% with blob references) and uploads blobs
        until a call fails: storage is gone, whatever was in flight is
        unacknowledged."""
        while True:
            try:
                if rng.random() < 0.3:
                    write = "UploadBlob"
                    await self._upload(rng.randbytes(rng.choice(BLOB_SIZES)))
                else:
                    write = "CreateRevision"
                    await self._create(rng)
                self.acknowledged_writes += 1
            except grpc.aio.AioRpcError as error:
                self.cut_off[error.code().name] += 1
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    self.cut_off_details.append(f"{error.code().name} {error.details()!r} in {write}")
                return

    async def _upload(self, data: bytes) -> storage_pb2.Blob:
        sha256 = hashlib.sha256(data).hexdigest()
        self.sent_blobs[sha256] = data
        self.verified_blobs.discard(sha256)
        requests = upload_requests(
            self.project, data, "application/octet-stream", expected_sha256=sha256, expected_size_bytes=len(data)
        )
        call = self.stub.UploadBlob(requests, metadata=self.metadata, timeout=CALL_TIMEOUT)
        try:
            # As planner and media upload: the status storage (or the gateway)
            # sent, past grpc.aio's local INTERNAL and bare CancelledError.
            blob = await finish_upload(call)
        except grpc.aio.AioRpcError as error:
            if call.done() and await call.code() != error.code():
                self.local_write_failures += 1
            raise
        self.acked_blobs[sha256] = blob
        return blob

    async def _create(self, rng: random.Random) -> None:
        request_id = uuid.uuid4().hex
        known = sorted(self.acked_blobs)
        refs = [
            storage_pb2.BlobRef(role="image", blob=self.blob_name(sha256)) for sha256 in rng.sample(known, min(2, len(known)))
        ]
        request = pb.CreateRevisionRequest(
            parent=rng.choice(self.assets),
            request_id=request_id,
            revision=storage_pb2.Revision(payload=payload_of(request_id * rng.randint(1, 40)), blobs=refs),
        )
        self.sent_revisions[request_id] = request
        self.acked_revisions[request_id] = await self.stub.CreateRevision(request, metadata=self.metadata, timeout=CALL_TIMEOUT)

    async def _stored_revisions(self, figures: Figures) -> dict[str, storage_pb2.Revision]:
        stored: dict[str, storage_pb2.Revision] = {}
        for asset in self.assets:
            revisions = await self._all_revisions(asset)
            head = await self.stub.GetAsset(pb.GetAssetRequest(name=asset), metadata=self.metadata, timeout=CALL_TIMEOUT)
            numbers = sorted(r.revision_number for r in revisions)
            if numbers != list(range(1, head.revision_count + 1)):
                figures.add("gaps", f"{asset}: numbers {numbers[:5]}... vs revision_count {head.revision_count}")
            for revision in revisions:
                if revision.request_id in stored:
                    figures.add("duplicates_after_resend", f"request id {revision.request_id} stored twice")
                stored[revision.request_id] = revision
        return stored

    async def _all_revisions(self, asset: str) -> list[storage_pb2.Revision]:
        found, token = [], ""
        while True:
            page = await self.stub.ListRevisions(
                pb.ListRevisionsRequest(parent=asset, page_size=1000, page_token=token), metadata=self.metadata, timeout=CALL_TIMEOUT
            )
            found += page.revisions
            token = page.next_page_token
            if not token:
                return found

    async def check(self, blob_dir: Path, *, full: bool = False) -> Figures:
        """Compares storage with the ledger, then resends every
        unacknowledged write and checks again that nothing is duplicated."""
        figures = Figures()
        stored = await self._stored_revisions(figures)
        self._check_revisions(stored, figures)
        await self._check_blobs(figures, full=full)
        left = sorted(p.name for p in (blob_dir / "tmp").glob("*.part"))
        for name in left:
            figures.add("partly_visible", f"unfinished upload {name} left after restart")
        if full:
            check_content_files(blob_dir, figures)
        await self._resend(stored)
        after = Figures()
        stored_after = await self._stored_revisions(after)
        figures.duplicates_after_resend += after.duplicates_after_resend
        figures.gaps += after.gaps
        figures.problems += after.problems
        for request_id in self.sent_revisions:
            if request_id not in stored_after:
                figures.add("lost", f"resent create {request_id} is not stored")
        return figures

    def _check_revisions(self, stored: dict[str, storage_pb2.Revision], figures: Figures) -> None:
        for request_id, revision in stored.items():
            sent = self.sent_revisions.get(request_id)
            if sent is None:  # nothing appears that was never sent
                figures.add("partly_visible", f"{revision.name} has unknown request id {request_id!r}")
            elif (
                revision.payload != sent.revision.payload
                or not text_of(revision).startswith(request_id)
                or [b.blob for b in revision.blobs] != [b.blob for b in sent.revision.blobs]
                or not revision.name.startswith(sent.parent + "/")
            ):
                figures.add("partly_visible", f"{revision.name} differs from what was sent")
        for request_id, acked in self.acked_revisions.items():
            if stored.get(request_id) != acked:
                figures.add("lost", f"acknowledged revision {acked.name} ({request_id}) is missing or changed")

    async def _check_blobs(self, figures: Figures, *, full: bool) -> None:
        for sha256, data in self.sent_blobs.items():
            try:
                blob = await self.stub.GetBlob(pb.GetBlobRequest(name=self.blob_name(sha256)), metadata=self.metadata, timeout=CALL_TIMEOUT)
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                if sha256 in self.acked_blobs:
                    figures.add("lost", f"acknowledged blob {sha256} is not found")
                continue
            if (blob.sha256, blob.size_bytes) != (sha256, len(data)):
                figures.add("partly_visible", f"blob {sha256} is described as {blob.sha256} of {blob.size_bytes} bytes")
                continue
            if full or sha256 not in self.verified_blobs:
                if await self._download(blob.name) != data:
                    figures.add("partly_visible", f"blob {sha256} is visible but not byte-identical")
                    continue
                self.verified_blobs.add(sha256)
            acked = self.acked_blobs.get(sha256)
            if acked is not None and acked != blob:
                figures.add("lost", f"acknowledged blob {sha256} changed: {acked} -> {blob}")
            self.acked_blobs.setdefault(sha256, blob)

    async def _download(self, name: str) -> bytes:
        parts = []
        async for message in self.stub.DownloadBlob(pb.DownloadBlobRequest(name=name), metadata=self.metadata, timeout=CALL_TIMEOUT):
            parts.append(message.data)
        return b"".join(parts)

    async def _resend(self, stored: dict[str, storage_pb2.Revision]) -> None:
        """Resends the unacknowledged creates (same request id) and uploads;
        a create that was stored must come back as the stored revision."""
        for sha256, data in self.sent_blobs.items():
            if sha256 not in self.acked_blobs:
                await self._upload(data)
                self.resent += 1
        for request_id, request in self.sent_revisions.items():
            if request_id not in self.acked_revisions:
                resent = await self.stub.CreateRevision(request, metadata=self.metadata, timeout=CALL_TIMEOUT)
                self.resent += 1
                if request_id in stored and resent != stored[request_id]:
                    raise AssertionError(f"a resend of {request_id} returned {resent.name}, not the stored {stored[request_id].name}")
                self.acked_revisions[request_id] = resent


def check_content_files(blob_dir: Path, figures: Figures) -> None:
    """Every content file holds exactly the bytes its name is the SHA-256 of."""
    for path in blob_dir.glob("??/??/*"):
        digest = hashlib.sha256()
        with open(path, "rb") as file:
            while chunk := file.read(MiB):
                digest.update(chunk)
        if digest.hexdigest() != path.name:
            figures.add("partly_visible", f"half-written content file {path}")


def storage_env(data_dir, database_url: str | None, port: int = 0) -> dict[str, str]:
    """Environment of a storage process for these tests."""
    env = {
        "PREVIS_STORAGE_DATA_DIR": str(data_dir),
        "PREVIS_STORAGE_PORT": str(port),
        "PREVIS_STORAGE_METRICS_PORT": "-1",
        "PREVIS_STORAGE_LOG_FORMAT": "text",
        "PREVIS_STORAGE_LOG_LEVEL": "WARNING",
        # Settings a developer's environment or .env may hold must not leak in.
        "PREVIS_STORAGE_DATABASE_URL": database_url or "",
    }
    return env


async def kill_rounds(
    ledger: Ledger,
    restart: Callable[[], Awaitable[None]],
    kill: Callable[[], None],
    *,
    rounds: int,
    writers: int,
    assets: int,
    blob_dir: Path,
    rng: random.Random,
) -> Figures:
    """``rounds`` times: ``writers`` concurrent writers, storage killed
    after a random 0.2-1.2 s, ``restart`` (which returns once storage can
    be called through ``ledger.stub``), then ``ledger.check``. The last
    check downloads every blob and hashes every content file."""
    totals = Figures()
    await restart()
    await ledger.setup(assets)
    for round_number in range(1, rounds + 1):
        tasks = [asyncio.create_task(ledger.write_until_refused(random.Random(rng.random()))) for _ in range(writers)]
        await asyncio.sleep(rng.uniform(0.2, 1.2))
        kill()
        await asyncio.wait_for(asyncio.gather(*tasks), CALL_TIMEOUT)
        await restart()
        figures = await ledger.check(blob_dir, full=round_number == rounds)
        totals.merge(figures)
        assert figures.clean, f"round {round_number}: {figures.problems}"
    return totals


def summary(backend: str, rounds: int, writers: int, ledger: Ledger, figures: Figures) -> str:
    """One line for docs/RELIABILITY.md."""
    return (
        f"kill -9 storage ({backend}): {rounds} rounds x {writers} writers, "
        f"{ledger.acknowledged_writes} writes acknowledged under the kills "
        f"({len(ledger.acked_revisions)} revisions and {len(ledger.acked_blobs)} blobs verified after resend, "
        f"{ledger.resent} unacknowledged writes resent): lost {figures.lost}, partly visible {figures.partly_visible}, "
        f"duplicates after request_id resend {figures.duplicates_after_resend}, revision gaps {figures.gaps}"
    )
