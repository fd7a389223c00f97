"""Blobs of projects: uploads verified before they become visible, stat and
ranged downloads, all checked against the caller's tenant.

A blob row per project names content in the content store, so the same bytes
uploaded to two projects (or twice) are stored once, and a tenant sees only
the blobs of its own projects.

Uploads and garbage collection coordinate through the ``blob_contents`` row
of the digest: an upload locks it (an upsert) before it places the content,
and garbage collection locks it before it removes the content, so a blob row
never names content that was removed under it.
"""

from __future__ import annotations

import re
from typing import AsyncIterator

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.engine import Row

from services.runtime.errors import Code, DataLoss, InvalidArgument, PrevisError, not_found
from services.runtime.resource_names import SHA256_HEX, blob_name
from services.storage import projects as project_rules
from services.storage.blobs import ContentMissing, ContentStore, PendingContent
from services.storage.database import Database, now_us
from services.storage.records import BlobRecord, Caller
from services.storage.schema import blob_contents, blobs, projects

MiB = 1024 * 1024
MAX_CHUNK_BYTES = MiB
DEFAULT_DOWNLOAD_CHUNK = MiB
# "At most 4 MiB": a little less, so that a chunk with its framing and the
# blob metadata still fits the 4 MiB a default gRPC client accepts.
MAX_DOWNLOAD_CHUNK = 4 * MiB - 64 * 1024
_MEDIA_TYPE = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;[ -~]{1,120})?", re.IGNORECASE
)


class OutOfRange(PrevisError):
    """A read past the end of a blob (OUT_OF_RANGE)."""

    code = Code.OUT_OF_RANGE


def record_of(row: Row) -> BlobRecord:
    return BlobRecord(row.project_id, row.sha256, row.size_bytes, row.media_type, row.create_time_us)


_BY_NAME = (
    select(blobs, projects.c.project_id)
    .select_from(blobs.join(projects, blobs.c.project_pk == projects.c.pk))
    .where(
        projects.c.tenant == bindparam("tenant"),
        projects.c.project_id == bindparam("project_id"),
        blobs.c.sha256 == bindparam("sha256"),
    )
)


def find_row(conn: Connection, tenant: str, project_id: str, sha256: str) -> Row | None:
    return conn.execute(_BY_NAME, {"tenant": tenant, "project_id": project_id, "sha256": sha256}).first()


def check_header(media_type: str, expected_sha256: str, expected_size_bytes: int) -> None:
    if not media_type:
        raise InvalidArgument.for_field("header.media_type", "is required, e.g. image/png")
    if _MEDIA_TYPE.fullmatch(media_type) is None:
        raise InvalidArgument.for_field("header.media_type", "is not a media type such as image/png")
    if expected_sha256 and re.fullmatch(SHA256_HEX, expected_sha256) is None:
        raise InvalidArgument.for_field("header.expected_sha256", "must be 64 lowercase hex digits")
    if expected_size_bytes < 0:
        raise InvalidArgument.for_field("header.expected_size_bytes", "must not be negative")


class Blobs:
    def __init__(self, database: Database, store: ContentStore) -> None:
        self._db = database
        self._store = store

    async def upload(
        self,
        caller: Caller,
        project_id: str,
        *,
        media_type: str,
        expected_sha256: str,
        expected_size_bytes: int,
        chunks: AsyncIterator[bytes],
    ) -> BlobRecord:
        """Receives the content, verifies size and digest, then makes it
        visible. Anything that ends the upload early (an error, a cancelled
        call) removes what was received."""
        check_header(media_type, expected_sha256, expected_size_bytes)
        # Refuse before receiving any byte when the project is not writable.
        await self._db.read(lambda conn: self._writable_project(conn, caller, project_id))
        pending = await self._store.begin()
        try:
            await _receive(pending, chunks, expected_size_bytes)
            sha256 = pending.hexdigest()
            if expected_sha256 and sha256 != expected_sha256:
                raise DataLoss(
                    f"the content's SHA-256 is {sha256}, not the expected {expected_sha256}; nothing was stored",
                    reason="DIGEST_MISMATCH",
                    metadata={"expected_sha256": expected_sha256, "actual_sha256": sha256},
                )
            await pending.seal()
            return await self._commit(caller, project_id, pending, sha256, media_type)
        except BaseException:
            pending.discard()
            raise

    @staticmethod
    def _writable_project(conn: Connection, caller: Caller, project_id: str) -> Row:
        project = project_rules.existing_row(conn, caller.tenant, project_id)
        project_rules.require_writable(project)
        return project

    async def _commit(
        self, caller: Caller, project_id: str, pending: PendingContent, sha256: str, media_type: str
    ) -> BlobRecord:
        now = now_us()

        def record(conn: Connection) -> BlobRecord:
            project = self._writable_project(conn, caller, project_id)
            content = self._db.insert(blob_contents).values(sha256=sha256, size_bytes=pending.size, create_time_us=now)
            # An upsert locks the content row even when it exists already.
            conn.execute(content.on_conflict_do_update(index_elements=[blob_contents.c.sha256], set_={"sha256": sha256}))
            self._store.place(pending, sha256)
            row = self._db.insert(blobs).values(
                project_pk=project.pk,
                sha256=sha256,
                size_bytes=pending.size,
                media_type=media_type,
                create_time_us=now,
                last_upload_time_us=now,
            )
            conn.execute(
                row.on_conflict_do_update(
                    index_elements=[blobs.c.project_pk, blobs.c.sha256], set_={"last_upload_time_us": now}
                )
            )
            return record_of(find_row(conn, caller.tenant, project_id, sha256))

        return await self._db.write(record)

    async def get(self, caller: Caller, project_id: str, sha256: str) -> BlobRecord:
        row = await self._db.read(lambda conn: find_row(conn, caller.tenant, project_id, sha256))
        if row is None:
            raise not_found("blob", blob_name(project_id, sha256))
        return record_of(row)

    async def download(
        self, caller: Caller, project_id: str, sha256: str, *, offset: int, length: int, chunk_size: int
    ) -> tuple[BlobRecord, AsyncIterator[bytes]]:
        """The blob and an iterator over the requested range. The iterator
        reads the content chunk by chunk as the caller consumes it."""
        if offset < 0:
            raise InvalidArgument.for_field("offset", "must not be negative")
        if length < 0:
            raise InvalidArgument.for_field("length", "must not be negative")
        if chunk_size < 0:
            raise InvalidArgument.for_field("chunk_size", "must not be negative")
        record = await self.get(caller, project_id, sha256)
        if offset > record.size_bytes:
            raise OutOfRange(
                f"offset {offset} is past the end of the blob ({record.size_bytes} bytes)",
                reason="OFFSET_OUT_OF_RANGE",
                metadata={"size_bytes": str(record.size_bytes)},
            )
        count = record.size_bytes - offset if length == 0 else min(length, record.size_bytes - offset)
        size = min(chunk_size or DEFAULT_DOWNLOAD_CHUNK, MAX_DOWNLOAD_CHUNK)
        return record, self._chunks(record, offset, count, size)

    async def _chunks(self, record: BlobRecord, offset: int, count: int, size: int) -> AsyncIterator[bytes]:
        sent = 0
        try:
            async for data in self._store.read(record.sha256, offset, count, size):
                sent += len(data)
                yield data
        except ContentMissing:
            name = blob_name(record.project_id, record.sha256)
            if sent == 0:
                raise not_found("blob", name) from None
            raise DataLoss(f"the content of {name} ended early", reason="CONTENT_TRUNCATED") from None


async def _receive(pending: PendingContent, chunks: AsyncIterator[bytes], expected_size: int) -> None:
    async for chunk in chunks:
        if len(chunk) > MAX_CHUNK_BYTES:
            raise InvalidArgument.for_field("chunk", "chunks must be at most 1 MiB", "CHUNK_TOO_LARGE")
        if expected_size and pending.size + len(chunk) > expected_size:
            raise DataLoss(
                f"the stream is longer than the expected {expected_size} bytes; nothing was stored",
                reason="SIZE_MISMATCH",
                metadata={"expected_size_bytes": str(expected_size)},
            )
        await pending.write(chunk)
    if expected_size and pending.size != expected_size:
        raise DataLoss(
            f"the stream ended after {pending.size} of the expected {expected_size} bytes; nothing was stored",
            reason="SIZE_MISMATCH",
            metadata={"expected_size_bytes": str(expected_size), "received_bytes": str(pending.size)},
        )
