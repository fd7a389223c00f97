"""Assets: create (idempotent), get, list with filters, update, soft delete."""

import grpc
from google.protobuf import field_mask_pb2

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from tests.status_details import reason_of, violated_fields
from tests.storage.harness import rpc_error

PLAN = storage_pb2.ASSET_KIND_PLAN
IMAGE = storage_pb2.ASSET_KIND_IMAGE


async def test_create_and_get(storage):
    project = await storage.a.project()
    asset = await storage.a.asset(project.name, IMAGE, "frame_s003", display_name="Frame S003", labels={"shot_id": "S003"})
    assert asset.name == f"{project.name}/assets/frame_s003"
    assert (asset.kind, asset.revision_count, asset.head_revision) == (IMAGE, 0, "")
    assert asset.etag
    assert await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name)) == asset
    generated = await storage.a.asset(project.name, PLAN)
    assert generated.name.startswith(f"{project.name}/assets/")


async def test_create_is_idempotent_by_request_id_and_ids_are_unique(storage):
    project = await storage.a.project()
    request = pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=PLAN), asset_id="plan", request_id="r1")
    first = await storage.a.storage.CreateAsset(request)
    assert await storage.a.storage.CreateAsset(request) == first
    other = pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=PLAN), asset_id="plan", request_id="r2")
    error = await rpc_error(storage.a.storage.CreateAsset(other))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS and reason_of(error) == "ASSET_ALREADY_EXISTS"


async def test_bad_fields_are_invalid_argument_naming_the_field(storage):
    project = await storage.a.project()
    cases = [
        (pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset()), "asset.kind"),
        (pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=99)), "asset.kind"),
        (pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=PLAN, display_name="d" * 201)), "asset.display_name"),
        (pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=PLAN, labels={"shot id": "x"})), "asset.labels"),
        (pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=PLAN), asset_id="Bad/Id"), "asset_id"),
        (pb.CreateAssetRequest(parent="projects/../x", asset=storage_pb2.Asset(kind=PLAN)), "parent"),
    ]
    for request, field in cases:
        error = await rpc_error(storage.a.storage.CreateAsset(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert violated_fields(error) == [field]
    for request, field in (
        (pb.ListAssetsRequest(parent=project.name, page_size=-5), "page_size"),
        (pb.ListAssetsRequest(parent=project.name, kind=77), "kind"),
        (pb.ListAssetsRequest(parent=project.name, head_review_status=9), "head_review_status"),
        (pb.ListAssetsRequest(parent=project.name, labels={"": "x"}), "labels"),
    ):
        error = await rpc_error(storage.a.storage.ListAssets(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]


async def test_list_filters_by_kind_labels_and_head_review_status(storage):
    project = await storage.a.project()
    plan = await storage.a.asset(project.name, PLAN, "plan")
    frames = [
        await storage.a.asset(project.name, IMAGE, f"f{i}", labels={"shot_id": f"S00{i}", "image_type": "shot_frame"})
        for i in range(3)
    ]
    reference = await storage.a.asset(project.name, IMAGE, "ref", labels={"image_type": "character_ref"})

    async def names(**filters):
        response = await storage.a.storage.ListAssets(pb.ListAssetsRequest(parent=project.name, **filters))
        return [a.name for a in response.assets]

    assert await names() == [plan.name, *(f.name for f in frames), reference.name]
    assert await names(kind=IMAGE) == [*(f.name for f in frames), reference.name]
    assert await names(labels={"image_type": "shot_frame"}) == [f.name for f in frames]
    assert await names(labels={"image_type": "shot_frame", "shot_id": "S001"}) == [frames[1].name]
    assert await names(labels={"shot_id": "S009"}) == []
    revision = await storage.a.revision(frames[2].name, "pixels")
    await storage.a.storage.ReviewRevision(
        pb.ReviewRevisionRequest(name=revision.name, status=storage_pb2.REVIEW_STATUS_ACCEPTED)
    )
    assert await names(head_review_status=storage_pb2.REVIEW_STATUS_ACCEPTED) == [frames[2].name]


async def test_list_pages_cover_every_asset_once(storage):
    project = await storage.a.project()
    created = [(await storage.a.asset(project.name, PLAN, f"a{i:02d}")).name for i in range(7)]
    seen, token = [], ""
    while True:
        page = await storage.a.storage.ListAssets(pb.ListAssetsRequest(parent=project.name, page_size=3, page_token=token))
        seen += [a.name for a in page.assets]
        if not page.next_page_token:
            break
        token = page.next_page_token
        await storage.a.asset(project.name, PLAN)  # inserted while paging: lands after, never skipped
    assert seen[: len(created)] == created
    assert len(seen) == len(set(seen))


async def test_update_labels_and_display_name_with_etag(storage):
    project = await storage.a.project()
    asset = await storage.a.asset(project.name, IMAGE, "img", labels={"shot_id": "S001"})
    updated = await storage.a.storage.UpdateAsset(
        pb.UpdateAssetRequest(
            asset=storage_pb2.Asset(name=asset.name, labels={"shot_id": "S002"}, display_name="Moved", etag=asset.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["labels", "display_name"]),
        )
    )
    assert dict(updated.labels) == {"shot_id": "S002"} and updated.display_name == "Moved"
    found = await storage.a.storage.ListAssets(pb.ListAssetsRequest(parent=project.name, labels={"shot_id": "S002"}))
    assert [a.name for a in found.assets] == [asset.name]
    assert not (await storage.a.storage.ListAssets(pb.ListAssetsRequest(parent=project.name, labels={"shot_id": "S001"}))).assets
    stale = await rpc_error(
        storage.a.storage.UpdateAsset(
            pb.UpdateAssetRequest(
                asset=storage_pb2.Asset(name=asset.name, display_name="Lost", etag=asset.etag),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            )
        )
    )
    assert stale.code() == grpc.StatusCode.ABORTED
    error = await rpc_error(
        storage.a.storage.UpdateAsset(
            pb.UpdateAssetRequest(asset=storage_pb2.Asset(name=asset.name, kind=PLAN), update_mask=field_mask_pb2.FieldMask(paths=["kind"]))
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["update_mask"]


async def test_soft_delete_hides_the_asset_keeps_revisions_readable_and_blocks_writes(storage):
    project = await storage.a.project()
    asset = await storage.a.asset(project.name, PLAN, "plan")
    revision = await storage.a.revision(asset.name, "v1")
    deleted = await storage.a.storage.DeleteAsset(pb.DeleteAssetRequest(name=asset.name))
    assert deleted.delete_time.seconds > 0
    assert not (await storage.a.storage.ListAssets(pb.ListAssetsRequest(parent=project.name))).assets
    shown = await storage.a.storage.ListAssets(pb.ListAssetsRequest(parent=project.name, show_deleted=True))
    assert [a.name for a in shown.assets] == [asset.name]
    assert (await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=revision.name))) == revision
    error = await rpc_error(storage.a.revision(asset.name, "v2"))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "ASSET_DELETED"
    error = await rpc_error(
        storage.a.storage.ReviewRevision(pb.ReviewRevisionRequest(name=revision.name, status=storage_pb2.REVIEW_STATUS_ACCEPTED))
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_another_tenants_asset_answers_like_a_missing_one(storage):
    project = await storage.a.project()
    asset = await storage.a.asset(project.name, PLAN, "plan")
    missing = f"{project.name}/assets/nope"
    hidden = await rpc_error(storage.b.storage.GetAsset(pb.GetAssetRequest(name=asset.name)))
    absent = await rpc_error(storage.b.storage.GetAsset(pb.GetAssetRequest(name=missing)))
    assert hidden.code() == absent.code() == grpc.StatusCode.NOT_FOUND
    assert hidden.details() == absent.details().replace(missing, asset.name)
    assert reason_of(hidden) == reason_of(absent) == "ASSET_NOT_FOUND"
    for call in (
        storage.b.storage.DeleteAsset(pb.DeleteAssetRequest(name=asset.name)),
        storage.b.storage.UpdateAsset(
            pb.UpdateAssetRequest(asset=storage_pb2.Asset(name=asset.name, display_name="x"), update_mask=field_mask_pb2.FieldMask(paths=["display_name"]))
        ),
        storage.b.storage.ListRevisions(pb.ListRevisionsRequest(parent=asset.name)),
        storage.b.revision(asset.name, "intruder"),
    ):
        error = await rpc_error(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == "ASSET_NOT_FOUND"
    assert (await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))).revision_count == 0
