"""A typed async client of storage, for planner and media.

Use it over ``services.runtime.channels.internal_channel(...)`` so the
caller's identity, request id and deadline travel with each call::

    storage = StorageClient(internal_channel(settings.storage_target, token))
    asset = await storage.ensure_asset(project, "plan", storage_pb2.ASSET_KIND_PLAN)
    revision = await storage.append_revision(asset.name, plan, parents=[script_revision.name], request_id=...)

Errors are ``grpc.aio.AioRpcError`` with the storage status codes.
Files stream in 1 MiB chunks both ways; a file is never held in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Mapping, Sequence, TypeVar

import grpc
from google.protobuf.message import Message

from previs.storage.v1 import (
    storage_admin_service_pb2 as admin_pb,
    storage_admin_service_pb2_grpc as admin_grpc,
    storage_pb2,
    storage_service_pb2 as pb,
    storage_service_pb2_grpc as pb_grpc,
)
from services.runtime.stream_status import StatusWitness, is_local_write_failure

_LOGGER = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
UPLOAD_ATTEMPTS = 3  # see upload_file
MessageT = TypeVar("MessageT", bound=Message)


class StorageClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = pb_grpc.StorageServiceStub(channel)
        self.admin = admin_grpc.StorageAdminServiceStub(channel)

    async def ensure_asset(
        self, project: str, asset_id: str, kind: int, *, display_name: str = "", labels: Mapping[str, str] | None = None
    ) -> storage_pb2.Asset:
        """The asset ``{project}/assets/{asset_id}``, created when missing
        (safe to call from retries and concurrent workers)."""
        request = pb.CreateAssetRequest(
            parent=project,
            asset=storage_pb2.Asset(kind=kind, display_name=display_name, labels=labels or {}),
            asset_id=asset_id,
            request_id=f"ensure-asset:{asset_id}",
        )
        try:
            return await self.stub.CreateAsset(request)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise
        return await self.stub.GetAsset(pb.GetAssetRequest(name=f"{project}/assets/{asset_id}"))

    async def append_revision(self, asset: str, payload: Message | None = None, **fields: Any) -> storage_pb2.Revision:
        """Appends a revision holding ``payload`` (packed in an Any); ``fields``
        are those of ``revision_request`` (blobs as ``(role, blob name)``
        pairs, parents, message, labels, request_id, expected_revision_count).
        Pass a ``request_id`` that is stable across your retries: a repeat
        returns the first revision."""
        return await self.stub.CreateRevision(revision_request(asset, payload, **fields))

    async def append_revisions(self, project: str, requests: Sequence[pb.CreateRevisionRequest]) -> list[storage_pb2.Revision]:
        """Appends many revisions (built with ``revision_request``) to assets of
        ``project`` in one call and one transaction: all are created or none."""
        answer = await self.stub.BatchCreateRevisions(pb.BatchCreateRevisionsRequest(parent=project, requests=requests))
        return list(answer.revisions)

    async def get_revision(self, name: str) -> storage_pb2.Revision:
        return await self.stub.GetRevision(pb.GetRevisionRequest(name=name))

    async def latest_revision(self, asset: str) -> storage_pb2.Revision:
        return await self.get_revision(f"{asset}/revisions/latest")

    @staticmethod
    def payload(revision: storage_pb2.Revision, message_type: type[MessageT]) -> MessageT:
        """The revision's payload as ``message_type``; ValueError if it holds
        another type."""
        decoded = message_type()
        if not revision.payload.Unpack(decoded):
            raise ValueError(f"{revision.name} holds {revision.payload.type_url}, not {message_type.DESCRIPTOR.full_name}")
        return decoded

    async def list_assets(
        self,
        project: str,
        *,
        kind: int = 0,
        labels: Mapping[str, str] | None = None,
        head_review_status: int = 0,
        show_deleted: bool = False,
    ) -> list[storage_pb2.Asset]:
        """Every matching asset, oldest first (all pages)."""
        found: list[storage_pb2.Asset] = []
        token = ""
        while True:
            page = await self.stub.ListAssets(
                pb.ListAssetsRequest(
                    parent=project,
                    kind=kind,
                    labels=labels or {},
                    head_review_status=head_review_status,
                    show_deleted=show_deleted,
                    page_size=1000,
                    page_token=token,
                )
            )
            found.extend(page.assets)
            token = page.next_page_token
            if not token:
                return found

    async def upload_file(self, project: str, path: Path, media_type: str) -> storage_pb2.Blob:
        """Uploads a file as a blob of ``project``: hashed first, then
        streamed with its digest and size, so storage verifies both."""
        sha256, size = await asyncio.to_thread(_digest_of, path)

        async def send() -> storage_pb2.Blob:
            return await finish_upload(self.stub.UploadBlob(_upload_requests(project, path, media_type, sha256, size)))

        for _resend in range(UPLOAD_ATTEMPTS - 1):
            try:
                return await send()
            except grpc.aio.AioRpcError as error:
                # Storage ended the call early (it refused the upload) and
                # grpc.aio lost its answer before the witness saw it: send
                # again (content-addressed, so harmless) to hear the answer.
                if not is_local_write_failure(error):
                    raise
                _LOGGER.info("storage's answer to an upload of %s was lost (grpc/grpc#36066); sending it again", path)
        return await send()

    async def download_to_file(self, blob: str, path: Path) -> int:
        """Streams a blob into ``path`` (via a temporary file renamed into
        place once the SHA-256 matches the blob's name); returns its size."""
        expected = blob.rsplit("/", 1)[-1]
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        digest, size = hashlib.sha256(), 0
        try:
            with open(temp, "wb") as file:
                async for message in self.stub.DownloadBlob(pb.DownloadBlobRequest(name=blob)):
                    digest.update(message.data)
                    await asyncio.to_thread(file.write, message.data)
                    size += len(message.data)
            if digest.hexdigest() != expected:
                raise ValueError(f"downloaded content of {blob} has SHA-256 {digest.hexdigest()}")
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        return size

    async def review_revision(self, name: str, status: int, comment: str = "") -> storage_pb2.Revision:
        return await self.stub.ReviewRevision(pb.ReviewRevisionRequest(name=name, status=status, comment=comment))

    async def record_spend(
        self, project: str, delta_usd: float, *, request_id: str, memo: str = "", enforce_budget: bool = False
    ) -> storage_pb2.Project:
        """Adds ``delta_usd`` to the project's spending once per ``request_id``;
        RESOURCE_EXHAUSTED when ``enforce_budget`` and it would exceed the budget."""
        return await self.admin.RecordSpend(
            admin_pb.RecordSpendRequest(
                name=project, delta_usd=delta_usd, enforce_budget=enforce_budget, request_id=request_id, memo=memo
            )
        )


async def finish_upload(call: grpc.aio.StreamUnaryCall) -> storage_pb2.Blob:
    """The blob an ``UploadBlob`` call stored, or its error with the status
    storage sent, working around two grpc.aio client behaviours:

    - storage may answer before the whole stream is sent (a refused header, a
      digest mismatch, an outage behind the gateway), and grpc.aio can then
      replace its answer with a local INTERNAL (see ``stream_status``);
    - when the connection drops mid-upload (storage killed), grpc.aio can end
      the call with a bare ``CancelledError`` although nobody cancelled the
      caller; that becomes UNAVAILABLE, which callers retry.
    """
    witness = StatusWitness(call)
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        raise witness.server_error(error) from None
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # the caller really is being cancelled
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.UNAVAILABLE,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            details="the connection to storage ended during the upload; retry it",
        ) from None


def _digest_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


async def _upload_requests(
    project: str, path: Path, media_type: str, sha256: str, size: int
) -> AsyncIterator[pb.UploadBlobRequest]:
    header = pb.UploadBlobHeader(parent=project, media_type=media_type, expected_sha256=sha256, expected_size_bytes=size)
    yield pb.UploadBlobRequest(header=header)
    with open(path, "rb") as file:
        while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
            yield pb.UploadBlobRequest(chunk=chunk)


def revision_request(
    asset: str,
    payload: Message | None = None,
    *,
    blobs: Sequence[tuple[str, str]] = (),
    parents: Sequence[str] = (),
    message: str = "",
    labels: Mapping[str, str] | None = None,
    request_id: str | None = None,
    expected_revision_count: int = 0,
) -> pb.CreateRevisionRequest:
    """A CreateRevisionRequest for ``asset`` (see ``StorageClient.append_revision``);
    a missing ``request_id`` is made up so that the request is safe to resend."""
    revision = storage_pb2.Revision(
        blobs=[storage_pb2.BlobRef(role=role, blob=blob) for role, blob in blobs],
        parents=list(parents),
        message=message,
        labels=labels or {},
    )
    if payload is not None:
        revision.payload.Pack(payload)
    return pb.CreateRevisionRequest(
        parent=asset,
        revision=revision,
        request_id=request_id or uuid.uuid4().hex,
        expected_revision_count=expected_revision_count,
    )
