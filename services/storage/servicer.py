"""gRPC servicers of storage: requests → domain calls → messages. Identity
comes from the call context (``current_identity()``); errors are domain
errors, mapped to statuses by the runtime's call wrapper."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, AsyncIterator

from previs.storage.v1 import (
    storage_admin_service_pb2 as admin_pb,
    storage_admin_service_pb2_grpc as admin_grpc,
    storage_service_pb2 as pb,
    storage_service_pb2_grpc as pb_grpc,
)
from services.runtime.errors import InvalidArgument, errors_nested_in
from services.runtime.request_context import current_identity
from services.runtime.resource_names import parse_asset, parse_blob, parse_project, parse_revision
from services.storage import messages
from services.storage.revisions import RevisionDraft, check_batch, draft_of

if TYPE_CHECKING:
    from services.storage.app import StorageParts

STORAGE_SERVICE = "previs.storage.v1.StorageService"
STORAGE_ADMIN_SERVICE = "previs.storage.v1.StorageAdminService"


def _draft_of(request: pb.CreateRevisionRequest) -> RevisionDraft:
    project_id, asset_id = parse_asset(request.parent, "parent")
    revision = request.revision
    return draft_of(
        current_identity(),
        project_id,
        asset_id,
        payload_type_url=revision.payload.type_url,
        payload_value=revision.payload.value,
        blob_refs=[(ref.role, ref.blob) for ref in revision.blobs],
        parents=list(revision.parents),
        labels=dict(revision.labels),
        message=revision.message,
        request_id=request.request_id,
        expected_revision_count=request.expected_revision_count,
        expected_etag=request.expected_etag,
    )


class StorageServicer(pb_grpc.StorageServiceServicer):
    def __init__(self, parts: StorageParts) -> None:
        self._parts = parts

    # Projects

    async def CreateProject(self, request: pb.CreateProjectRequest, context):
        project = request.project
        record = await self._parts.projects.create(
            current_identity(),
            title=project.title,
            owner=project.owner,
            labels=dict(project.labels),
            budget_usd=project.budget_usd,
            project_id=request.project_id,
            request_id=request.request_id,
        )
        return messages.project(record)

    async def GetProject(self, request: pb.GetProjectRequest, context):
        return messages.project(await self._parts.projects.get(current_identity(), parse_project(request.name)))

    async def ListProjects(self, request: pb.ListProjectsRequest, context):
        page = await self._parts.projects.list(
            current_identity(),
            page_size=request.page_size,
            page_token=request.page_token,
            owner=request.owner,
            show_deleted=request.show_deleted,
        )
        return pb.ListProjectsResponse(
            projects=[messages.project(r) for r in page.items], next_page_token=page.next_page_token
        )

    async def UpdateProject(self, request: pb.UpdateProjectRequest, context):
        project = request.project
        record = await self._parts.projects.update(
            current_identity(),
            parse_project(project.name, "project.name"),
            paths=list(request.update_mask.paths),
            changes={
                "title": project.title,
                "owner": project.owner,
                "labels": dict(project.labels),
                "budget_usd": project.budget_usd,
            },
            etag=project.etag,
        )
        return messages.project(record)

    async def DeleteProject(self, request: pb.DeleteProjectRequest, context):
        record = await self._parts.projects.delete(current_identity(), parse_project(request.name), request.etag)
        return messages.project(record)

    # Assets

    async def CreateAsset(self, request: pb.CreateAssetRequest, context):
        asset = request.asset
        record = await self._parts.assets.create(
            current_identity(),
            parse_project(request.parent, "parent"),
            kind=asset.kind,
            display_name=asset.display_name,
            labels=dict(asset.labels),
            asset_id=request.asset_id,
            request_id=request.request_id,
        )
        return messages.asset(record)

    async def GetAsset(self, request: pb.GetAssetRequest, context):
        project_id, asset_id = parse_asset(request.name)
        return messages.asset(await self._parts.assets.get(current_identity(), project_id, asset_id))

    async def ListAssets(self, request: pb.ListAssetsRequest, context):
        page = await self._parts.assets.list(
            current_identity(),
            parse_project(request.parent, "parent"),
            page_size=request.page_size,
            page_token=request.page_token,
            kind=request.kind,
            labels=dict(request.labels),
            head_review_status=request.head_review_status,
            show_deleted=request.show_deleted,
        )
        return pb.ListAssetsResponse(assets=[messages.asset(r) for r in page.items], next_page_token=page.next_page_token)

    async def UpdateAsset(self, request: pb.UpdateAssetRequest, context):
        asset = request.asset
        project_id, asset_id = parse_asset(asset.name, "asset.name")
        record = await self._parts.assets.update(
            current_identity(),
            project_id,
            asset_id,
            paths=list(request.update_mask.paths),
            changes={"display_name": asset.display_name, "labels": dict(asset.labels)},
            etag=asset.etag,
        )
        return messages.asset(record)

    async def DeleteAsset(self, request: pb.DeleteAssetRequest, context):
        project_id, asset_id = parse_asset(request.name)
        return messages.asset(await self._parts.assets.delete(current_identity(), project_id, asset_id, request.etag))

    # Revisions

    async def CreateRevision(self, request: pb.CreateRevisionRequest, context):
        return messages.revision(await self._parts.writer.create(_draft_of(request)))

    async def BatchCreateRevisions(self, request: pb.BatchCreateRevisionsRequest, context):
        project_id = parse_project(request.parent, "parent")
        drafts = []
        for index, entry in enumerate(request.requests):
            with errors_nested_in(f"requests[{index}]"):
                drafts.append(_draft_of(entry))
        check_batch(project_id, drafts)
        records = await self._parts.writer.create_all(drafts)
        return pb.BatchCreateRevisionsResponse(revisions=[messages.revision(record) for record in records])

    async def GetRevision(self, request: pb.GetRevisionRequest, context):
        name = parse_revision(request.name)
        return messages.revision(await self._parts.revisions.get(current_identity(), name, request.name))

    async def ListRevisions(self, request: pb.ListRevisionsRequest, context):
        project_id, asset_id = parse_asset(request.parent, "parent")
        page = await self._parts.revisions.list(
            current_identity(), project_id, asset_id, page_size=request.page_size, page_token=request.page_token
        )
        return pb.ListRevisionsResponse(
            revisions=[messages.revision(r) for r in page.items], next_page_token=page.next_page_token
        )

    async def ReviewRevision(self, request: pb.ReviewRevisionRequest, context):
        name = parse_revision(request.name)
        record = await self._parts.revisions.review(
            current_identity(), name, request.name, status=request.status, comment=request.comment
        )
        return messages.revision(record)

    async def WalkLineage(self, request: pb.WalkLineageRequest, context):
        name = parse_revision(request.name)
        page = await self._parts.lineage.walk(
            current_identity(),
            name,
            request.name,
            direction=request.direction,
            max_depth=request.max_depth,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.WalkLineageResponse(
            entries=[messages.lineage_entry(e) for e in page.items], next_page_token=page.next_page_token
        )

    # Blobs

    async def UploadBlob(self, request_iterator: AsyncIterator[pb.UploadBlobRequest], context):
        first = await anext(request_iterator, None)
        if first is None or first.WhichOneof("part") != "header":
            raise InvalidArgument.for_field("header", "the first message of an upload must be the header")
        header = first.header
        record = await self._parts.blobs.upload(
            current_identity(),
            parse_project(header.parent, "header.parent"),
            media_type=header.media_type,
            expected_sha256=header.expected_sha256,
            expected_size_bytes=header.expected_size_bytes,
            chunks=_chunks(request_iterator),
        )
        return messages.blob(record)

    async def DownloadBlob(self, request: pb.DownloadBlobRequest, context):
        project_id, sha256 = parse_blob(request.name)
        record, chunks = await self._parts.blobs.download(
            current_identity(),
            project_id,
            sha256,
            offset=request.offset,
            length=request.length,
            chunk_size=request.chunk_size,
        )
        offset, described = request.offset, None
        async with contextlib.aclosing(chunks):
            async for data in chunks:
                yield messages.download_chunk(offset, data, None if described else record)
                offset, described = offset + len(data), record
        if described is None:  # an empty range: the metadata alone
            yield messages.download_chunk(offset, b"", record)

    async def GetBlob(self, request: pb.GetBlobRequest, context):
        project_id, sha256 = parse_blob(request.name)
        return messages.blob(await self._parts.blobs.get(current_identity(), project_id, sha256))


async def _chunks(requests: AsyncIterator[pb.UploadBlobRequest]) -> AsyncIterator[bytes]:
    async for message in requests:
        if message.WhichOneof("part") != "chunk":
            raise InvalidArgument.for_field("header", "only the first message of an upload may be a header")
        yield message.chunk


class StorageAdminServicer(admin_grpc.StorageAdminServiceServicer):
    def __init__(self, parts: StorageParts) -> None:
        self._parts = parts

    async def RecordSpend(self, request: admin_pb.RecordSpendRequest, context):
        record = await self._parts.spending.record(
            current_identity(),
            parse_project(request.name),
            delta_usd=request.delta_usd,
            enforce_budget=request.enforce_budget,
            request_id=request.request_id,
            memo=request.memo,
        )
        return messages.project(record)

    async def CollectGarbage(self, request: admin_pb.CollectGarbageRequest, context):
        report = await self._parts.garbage.collect(dry_run=request.dry_run)
        return admin_pb.CollectGarbageResponse(
            removed_blobs=report.removed_blobs, freed_bytes=report.freed_bytes, kept_blobs=report.kept_blobs
        )
