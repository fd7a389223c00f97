"""Tenant isolation over every RPC of storage, generated from the service
descriptors so a new RPC cannot be forgotten: tenant B naming tenant A's
project, asset, revision or blob gets NOT_FOUND (exactly as for a missing
one), reads nothing and changes nothing; and inside B's own project of the
same id, A's asset ids and blob digests do not resolve either."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2

from previs.storage.v1 import (
    storage_admin_service_pb2 as admin_pb,
    storage_pb2,
    storage_service_pb2 as pb,
)
from tests.status_details import reason_of
from tests.storage.harness import TenantClient, rpc_error, sha256_of, upload_requests

# RPCs that name no resource: they act in the caller's tenant only (checked
# below) or on the store as a whole (an internal admin call).
WITHOUT_NAMES = {"CreateProject", "ListProjects", "CollectGarbage"}
ANCESTORS, DESCENDANTS = 1, 2


def _methods() -> set[str]:
    services = (pb.DESCRIPTOR.services_by_name["StorageService"], admin_pb.DESCRIPTOR.services_by_name["StorageAdminService"])
    return {method.name for service in services for method in service.methods}


async def _download(client: TenantClient, name: str) -> bytes:
    return b"".join([m.data async for m in client.storage.DownloadBlob(pb.DownloadBlobRequest(name=name))])


def _calls(client: TenantClient, project: str, asset: str, revision: str, blob: str) -> dict[str, list]:
    """Per method, calls by ``client`` that name the given resources (not
    started: a grpc.aio call starts when it is made)."""
    s, admin = client.storage, client.admin
    mask = field_mask_pb2.FieldMask
    return {
        "GetProject": [lambda: s.GetProject(pb.GetProjectRequest(name=project))],
        "UpdateProject": [
            lambda: s.UpdateProject(pb.UpdateProjectRequest(project=storage_pb2.Project(name=project, title="x"), update_mask=mask(paths=["title"])))
        ],
        "DeleteProject": [lambda: s.DeleteProject(pb.DeleteProjectRequest(name=project))],
        "CreateAsset": [
            lambda: s.CreateAsset(pb.CreateAssetRequest(parent=project, asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_PLAN)))
        ],
        "GetAsset": [lambda: s.GetAsset(pb.GetAssetRequest(name=asset))],
        "ListAssets": [lambda: s.ListAssets(pb.ListAssetsRequest(parent=project))],
        "UpdateAsset": [
            lambda: s.UpdateAsset(
                pb.UpdateAssetRequest(asset=storage_pb2.Asset(name=asset, display_name="x"), update_mask=mask(paths=["display_name"]))
            )
        ],
        "DeleteAsset": [lambda: s.DeleteAsset(pb.DeleteAssetRequest(name=asset))],
        "CreateRevision": [
            lambda: s.CreateRevision(pb.CreateRevisionRequest(parent=asset, revision=storage_pb2.Revision(message="intruder"))),
            lambda: s.CreateRevision(pb.CreateRevisionRequest(parent=asset, revision=storage_pb2.Revision(), request_id="first")),
        ],
        "BatchCreateRevisions": [
            lambda: s.BatchCreateRevisions(
                pb.BatchCreateRevisionsRequest(
                    parent=project, requests=[pb.CreateRevisionRequest(parent=asset, revision=storage_pb2.Revision(message="intruder"))]
                )
            ),
        ],
        "GetRevision": [
            lambda: s.GetRevision(pb.GetRevisionRequest(name=revision)),
            lambda: s.GetRevision(pb.GetRevisionRequest(name=f"{asset}/revisions/latest")),
        ],
        "ListRevisions": [lambda: s.ListRevisions(pb.ListRevisionsRequest(parent=asset))],
        "ReviewRevision": [
            lambda: s.ReviewRevision(pb.ReviewRevisionRequest(name=revision, status=storage_pb2.REVIEW_STATUS_ACCEPTED)),
            lambda: s.ReviewRevision(pb.ReviewRevisionRequest(name=f"{asset}/revisions/latest", status=storage_pb2.REVIEW_STATUS_REJECTED)),
        ],
        "WalkLineage": [
            lambda: s.WalkLineage(pb.WalkLineageRequest(name=revision, direction=ANCESTORS)),
            lambda: s.WalkLineage(pb.WalkLineageRequest(name=f"{asset}/revisions/latest", direction=DESCENDANTS)),
        ],
        "UploadBlob": [lambda: s.UploadBlob(upload_requests(project, b"intrusion", "text/plain"))],
        "DownloadBlob": [lambda: _download(client, blob)],
        "GetBlob": [lambda: s.GetBlob(pb.GetBlobRequest(name=blob))],
        "RecordSpend": [lambda: admin.RecordSpend(admin_pb.RecordSpendRequest(name=project, delta_usd=1.0, request_id="spend"))],
    }


async def _project(client: TenantClient, title: str, project_id: str) -> storage_pb2.Project:
    project = storage_pb2.Project(title=title, budget_usd=10)
    return await client.storage.CreateProject(pb.CreateProjectRequest(project=project, project_id=project_id))


async def _a_resources(storage, project_id: str):
    project = await _project(storage.a, "A's", project_id)
    data = b"tenant A's frame " * 100
    blob = await storage.a.upload(project.name, data, "image/png")
    script = await storage.a.asset(project.name, storage_pb2.ASSET_KIND_SCRIPT, "script")
    plan = await storage.a.asset(project.name, storage_pb2.ASSET_KIND_PLAN, "plan")
    script_rev = await storage.a.revision(script.name, "INT. LIGHTHOUSE - NIGHT", request_id="first")
    plan_rev = await storage.a.revision(
        plan.name, "plan", parents=[script_rev.name], blobs=[storage_pb2.BlobRef(role="image", blob=blob.name)]
    )
    return project, plan, plan_rev, blob, data


async def _snapshot(client: TenantClient, project: str, asset: str) -> tuple:
    """Everything of A's the calls could have changed, as A reads it."""
    s = client.storage
    revisions = await s.ListRevisions(pb.ListRevisionsRequest(parent=asset))
    assets = await s.ListAssets(pb.ListAssetsRequest(parent=project, show_deleted=True))
    blobs = [(await s.GetBlob(pb.GetBlobRequest(name=b.blob))) for r in revisions.revisions for b in r.blobs]
    return await s.GetProject(pb.GetProjectRequest(name=project)), assets, revisions, blobs


async def test_every_rpc_naming_another_tenants_resource_is_not_found_and_changes_nothing(storage):
    project, plan, plan_rev, blob, _data = await _a_resources(storage, "a-only")
    before = await _snapshot(storage.a, project.name, plan.name)
    hidden = _calls(storage.b, project.name, plan.name, plan_rev.name, blob.name)
    assert set(hidden) | WITHOUT_NAMES == _methods(), "a storage RPC is missing from this matrix"
    missing_project = "projects/never-made"
    absent = _calls(
        storage.b, missing_project, f"{missing_project}/assets/plan", plan_rev.name.replace(project.name, missing_project),
        f"{missing_project}/blobs/{blob.sha256}",
    )
    checked = 0
    for method, calls in hidden.items():
        for call, twin in zip(calls, absent[method]):
            error, expected = await rpc_error(call()), await rpc_error(twin())
            assert error.code() == grpc.StatusCode.NOT_FOUND, (method, error.code(), error.details())
            assert reason_of(error) == reason_of(expected), method
            # Word for word the answer about a resource that does not exist.
            assert error.details() == expected.details().replace(missing_project, project.name), method
            checked += 1
    assert checked == sum(len(calls) for calls in hidden.values())
    assert (await storage.b.storage.ListProjects(pb.ListProjectsRequest(show_deleted=True))).projects == []
    assert await _snapshot(storage.a, project.name, plan.name) == before


async def test_a_project_of_the_same_id_does_not_reach_the_other_tenants_content(storage):
    project, plan, plan_rev, blob, data = await _a_resources(storage, "shared")
    before = await _snapshot(storage.a, project.name, plan.name)
    mine = await _project(storage.b, "B's", "shared")
    assert mine.name == project.name and mine.tenant == "tenant-b"
    # In B's project of that name, A's asset, revision and blob do not exist.
    for method, calls in _calls(storage.b, mine.name, plan.name, plan_rev.name, blob.name).items():
        if method in {"GetProject", "UpdateProject", "DeleteProject", "CreateAsset", "ListAssets", "UploadBlob", "RecordSpend"}:
            continue  # these name only the project, which B has: they act on B's own
        for call in calls:
            error = await rpc_error(call())
            assert error.code() == grpc.StatusCode.NOT_FOUND, (method, error.details())
    assert (await storage.b.storage.ListAssets(pb.ListAssetsRequest(parent=mine.name, show_deleted=True))).assets == []
    # Nor can B's revisions point at A's blob or A's revisions by name.
    own = await storage.b.asset(mine.name, storage_pb2.ASSET_KIND_IMAGE, "frame")
    for revision, reason in (
        (storage_pb2.Revision(blobs=[storage_pb2.BlobRef(role="image", blob=blob.name)]), "BLOB_NOT_FOUND"),
        (storage_pb2.Revision(parents=[plan_rev.name]), "REVISION_NOT_FOUND"),
    ):
        error = await rpc_error(storage.b.storage.CreateRevision(pb.CreateRevisionRequest(parent=own.name, revision=revision)))
        assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == reason
    assert (await storage.b.storage.GetAsset(pb.GetAssetRequest(name=own.name))).revision_count == 0
    # Holding the same bytes gives B its own blob; A's stays A's.
    theirs = await storage.b.upload(mine.name, data, "text/plain")
    assert theirs.sha256 == sha256_of(data) == blob.sha256 and theirs.media_type == "text/plain"
    assert (await storage.a.storage.GetBlob(pb.GetBlobRequest(name=blob.name))).media_type == "image/png"
    assert await _snapshot(storage.a, project.name, plan.name) == before
