"""Domain records → ``previs.storage.v1`` messages."""

from __future__ import annotations

from google.protobuf import any_pb2, timestamp_pb2

from previs.storage.v1 import storage_pb2, storage_service_pb2
from services.runtime.resource_names import asset_name, blob_name, project_name, revision_name
from services.storage.etags import etag_of
from services.storage.projects import MICROS_PER_USD
from services.storage.records import (
    PROJECT_STATE_ACTIVE,
    PROJECT_STATE_DELETED,
    AssetRecord,
    BlobRecord,
    LineageEntryRecord,
    ProjectRecord,
    RevisionRecord,
)


def timestamp(time_us: int | None) -> timestamp_pb2.Timestamp | None:
    if time_us is None:
        return None
    return timestamp_pb2.Timestamp(seconds=time_us // 1_000_000, nanos=(time_us % 1_000_000) * 1000)


def project(record: ProjectRecord) -> storage_pb2.Project:
    return storage_pb2.Project(
        name=project_name(record.project_id),
        title=record.title,
        owner=record.owner,
        labels=record.labels,
        budget_usd=record.budget_micros / MICROS_PER_USD,
        spent_usd=record.spent_micros / MICROS_PER_USD,
        tenant=record.tenant,
        state=PROJECT_STATE_DELETED if record.deleted else PROJECT_STATE_ACTIVE,
        create_time=timestamp(record.create_time_us),
        update_time=timestamp(record.update_time_us),
        delete_time=timestamp(record.delete_time_us),
        etag=etag_of(record.version),
    )


def asset(record: AssetRecord) -> storage_pb2.Asset:
    head = revision_name(record.project_id, record.asset_id, record.revision_count) if record.revision_count else ""
    return storage_pb2.Asset(
        name=asset_name(record.project_id, record.asset_id),
        kind=record.kind,
        display_name=record.display_name,
        labels=record.labels,
        head_revision=head,
        revision_count=record.revision_count,
        head_review_status=record.head_review_status,
        create_time=timestamp(record.create_time_us),
        update_time=timestamp(record.update_time_us),
        delete_time=timestamp(record.delete_time_us),
        etag=etag_of(record.version),
    )


def revision(record: RevisionRecord) -> storage_pb2.Revision:
    message = storage_pb2.Revision(
        name=revision_name(record.project_id, record.asset_id, record.number),
        revision_number=record.number,
        blobs=[
            storage_pb2.BlobRef(
                role=ref.role,
                blob=blob_name(record.project_id, ref.sha256),
                media_type=ref.media_type,
                size_bytes=ref.size_bytes,
            )
            for ref in record.blobs
        ],
        parents=record.parents,
        message=record.message,
        creator=record.creator,
        create_time=timestamp(record.create_time_us),
        request_id=record.request_id,
        review_status=record.review_status,
        review_history=[
            storage_pb2.ReviewEvent(status=e.status, actor=e.actor, comment=e.comment, time=timestamp(e.time_us))
            for e in record.review_history
        ],
        labels=record.labels,
    )
    if record.payload_type_url or record.payload_value:
        message.payload.CopyFrom(any_pb2.Any(type_url=record.payload_type_url, value=record.payload_value))
    return message


def blob(record: BlobRecord) -> storage_pb2.Blob:
    return storage_pb2.Blob(
        name=blob_name(record.project_id, record.sha256),
        sha256=record.sha256,
        size_bytes=record.size_bytes,
        media_type=record.media_type,
        create_time=timestamp(record.create_time_us),
    )


def lineage_entry(entry: LineageEntryRecord) -> storage_pb2.LineageEntry:
    return storage_pb2.LineageEntry(revision=revision(entry.revision), depth=entry.depth, via=entry.via)


def download_chunk(offset: int, data: bytes, record: BlobRecord | None = None) -> storage_service_pb2.DownloadBlobResponse:
    response = storage_service_pb2.DownloadBlobResponse(offset=offset, data=data)
    if record is not None:
        response.blob.CopyFrom(blob(record))
    return response
