"""Revisions: append-only numbering, idempotent retries, optimistic
concurrency, typed payloads, blob references, parents, review."""

import asyncio

import grpc
from google.protobuf import any_pb2, timestamp_pb2

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from tests.status_details import details_of, reason_of, violated_fields
from tests.storage.harness import rpc_error, text_of

PLAN = storage_pb2.ASSET_KIND_PLAN


async def _asset(storage, asset_id="plan"):
    project = await storage.a.project()
    return project, await storage.a.asset(project.name, PLAN, asset_id)


async def test_revisions_append_and_never_change_earlier_ones(storage):
    _project, asset = await _asset(storage)
    first = await storage.a.revision(asset.name, "draft one", message="first", labels={"backend": "offline"})
    second = await storage.a.revision(asset.name, "draft two")
    assert (first.revision_number, second.revision_number) == (1, 2)
    assert first.name == f"{asset.name}/revisions/1" and first.creator == "alice"
    assert text_of(first) == "draft one" and dict(first.labels) == {"backend": "offline"}
    assert await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=first.name)) == first
    latest = await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=f"{asset.name}/revisions/latest"))
    assert latest == second
    head = await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))
    assert (head.revision_count, head.head_revision) == (2, second.name)
    assert head.etag != asset.etag


async def test_any_payload_round_trips_as_bytes_and_type_url(storage):
    _project, asset = await _asset(storage)
    stamp = timestamp_pb2.Timestamp(seconds=1234, nanos=5)
    packed = any_pb2.Any()
    packed.Pack(stamp)
    created = await storage.a.storage.CreateRevision(
        pb.CreateRevisionRequest(parent=asset.name, revision=storage_pb2.Revision(payload=packed))
    )
    fetched = await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=created.name))
    assert fetched.payload.type_url == "type.googleapis.com/google.protobuf.Timestamp"
    decoded = timestamp_pb2.Timestamp()
    assert fetched.payload.Unpack(decoded) and decoded == stamp
    # Storage does not need to understand the payload: unknown types are fine.
    opaque = any_pb2.Any(type_url="type.googleapis.com/previs.future.v9.Thing", value=b"\x08\x96\x01\xff\x00")
    stored = await storage.a.storage.CreateRevision(
        pb.CreateRevisionRequest(parent=asset.name, revision=storage_pb2.Revision(payload=opaque))
    )
    assert (await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=stored.name))).payload == opaque


async def test_concurrent_writers_get_distinct_gap_free_numbers(storage):
    _project, asset = await _asset(storage)
    created = await asyncio.gather(*(storage.a.revision(asset.name, f"w{i}") for i in range(60)))
    assert sorted(r.revision_number for r in created) == list(range(1, 61))
    by_number = {r.revision_number: text_of(r) for r in created}
    listed = await storage.a.storage.ListRevisions(pb.ListRevisionsRequest(parent=asset.name, page_size=100))
    assert [r.revision_number for r in listed.revisions] == list(range(60, 0, -1))
    assert {r.revision_number: text_of(r) for r in listed.revisions} == by_number


async def test_a_retry_with_the_same_request_id_returns_the_original(storage):
    _project, asset = await _asset(storage)
    first = await storage.a.revision(asset.name, "once", request_id="job-7-frame")
    again = await storage.a.revision(asset.name, "once", request_id="job-7-frame")
    assert again == first
    # Concurrent retries of one request also write once.
    racing = await asyncio.gather(*(storage.a.revision(asset.name, "race", request_id="same") for _ in range(20)))
    assert len({r.name for r in racing}) == 1
    head = await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))
    assert head.revision_count == 2
    # Request ids are scoped to their asset.
    _p, other = await _asset(storage, "other")
    assert (await storage.a.revision(other.name, "x", request_id="job-7-frame")).revision_number == 1


async def test_a_stale_expectation_is_aborted_and_writes_nothing(storage):
    _project, asset = await _asset(storage)
    await storage.a.revision(asset.name, "one")
    current = await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))
    ok = await storage.a.revision(asset.name, "two", expected_revision_count=1, expected_etag=current.etag)
    assert ok.revision_number == 2
    stale_count = await rpc_error(storage.a.revision(asset.name, "lost", expected_revision_count=1))
    assert stale_count.code() == grpc.StatusCode.ABORTED and reason_of(stale_count) == "REVISION_COUNT_MISMATCH"
    stale_etag = await rpc_error(storage.a.revision(asset.name, "lost", expected_etag=current.etag))
    assert stale_etag.code() == grpc.StatusCode.ABORTED and reason_of(stale_etag) == "ETAG_MISMATCH"
    head = await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))
    assert head.revision_count == 2
    # Of concurrent writers expecting the same head, exactly one wins.
    outcomes = await asyncio.gather(
        *(storage.a.revision(asset.name, f"c{i}", expected_revision_count=2) for i in range(8)), return_exceptions=True
    )
    winners = [o for o in outcomes if isinstance(o, storage_pb2.Revision)]
    assert len(winners) == 1 and winners[0].revision_number == 3
    assert all(o.code() == grpc.StatusCode.ABORTED for o in outcomes if not isinstance(o, storage_pb2.Revision))


async def test_blob_references_and_parents(storage):
    project, asset = await _asset(storage)
    script = await storage.a.asset(project.name, storage_pb2.ASSET_KIND_SCRIPT, "script")
    script_rev = await storage.a.revision(script.name, "INT. HOUSE - DAY")
    blob = await storage.a.upload(project.name, b"\x89PNG fake pixels", "image/png")
    plan = await storage.a.revision(
        asset.name,
        "plan",
        blobs=[storage_pb2.BlobRef(role="image", blob=blob.name)],
        parents=[f"{script.name}/revisions/latest"],
    )
    assert list(plan.parents) == [script_rev.name]
    (ref,) = plan.blobs
    assert (ref.role, ref.blob, ref.media_type, ref.size_bytes) == ("image", blob.name, "image/png", blob.size_bytes)
    assert (await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=plan.name))) == plan


async def test_bad_references_are_rejected_and_nothing_is_written(storage):
    project, asset = await _asset(storage)
    other_project = await storage.a.project("Other")
    other_blob = await storage.a.upload(other_project.name, b"elsewhere")
    missing_blob = f"{project.name}/blobs/{'0' * 64}"
    cases = [
        ({"blobs": [storage_pb2.BlobRef(role="image", blob=other_blob.name)]}, grpc.StatusCode.INVALID_ARGUMENT, "revision.blobs[0].blob"),
        ({"blobs": [storage_pb2.BlobRef(role="Image!", blob=missing_blob)]}, grpc.StatusCode.INVALID_ARGUMENT, "revision.blobs[0].role"),
        ({"blobs": [storage_pb2.BlobRef(role="image", blob="blobs/x")]}, grpc.StatusCode.INVALID_ARGUMENT, "revision.blobs[0].blob"),
        ({"parents": [f"{other_project.name}/assets/a/revisions/1"]}, grpc.StatusCode.INVALID_ARGUMENT, "revision.parents[0]"),
        ({"parents": ["not a name"]}, grpc.StatusCode.INVALID_ARGUMENT, "revision.parents[0]"),
        ({"message": "m" * 2001}, grpc.StatusCode.INVALID_ARGUMENT, "revision.message"),
        ({"labels": {"K": "v"}}, grpc.StatusCode.INVALID_ARGUMENT, "revision.labels"),
        ({"expected_revision_count": -1}, grpc.StatusCode.INVALID_ARGUMENT, "expected_revision_count"),
    ]
    for fields, code, field in cases:
        error = await rpc_error(storage.a.revision(asset.name, "bad", **fields))
        assert error.code() == code, field
        assert violated_fields(error) == [field], field
    missing = await rpc_error(storage.a.revision(asset.name, "x", blobs=[storage_pb2.BlobRef(role="image", blob=missing_blob)]))
    assert missing.code() == grpc.StatusCode.NOT_FOUND and reason_of(missing) == "BLOB_NOT_FOUND"
    assert details_of(missing)["ErrorInfo"].metadata["field"] == "revision.blobs[0].blob"
    for parent in (f"{asset.name}/revisions/1", f"{asset.name}/revisions/latest", f"{project.name}/assets/ghost/revisions/1"):
        error = await rpc_error(storage.a.revision(asset.name, "x", parents=[parent]))
        assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == "REVISION_NOT_FOUND"
    head = await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))
    assert head.revision_count == 0


async def test_list_revisions_newest_first_in_pages(storage):
    _project, asset = await _asset(storage)
    for i in range(5):
        await storage.a.revision(asset.name, f"r{i + 1}")
    numbers, token = [], ""
    while True:
        page = await storage.a.storage.ListRevisions(pb.ListRevisionsRequest(parent=asset.name, page_size=2, page_token=token))
        numbers += [r.revision_number for r in page.revisions]
        if not page.next_page_token:
            break
        token = page.next_page_token
        await storage.a.revision(asset.name, "new head")  # newer revisions do not disturb the walk back
    assert numbers == [5, 4, 3, 2, 1]
    error = await rpc_error(storage.a.storage.ListRevisions(pb.ListRevisionsRequest(parent=asset.name, page_token=token + "x")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["page_token"]


async def test_review_records_history_and_head_status(storage):
    _project, asset = await _asset(storage)
    first = await storage.a.revision(asset.name, "one")
    second = await storage.a.revision(asset.name, "two")
    rejected = await storage.a.storage.ReviewRevision(
        pb.ReviewRevisionRequest(name=f"{asset.name}/revisions/latest", status=storage_pb2.REVIEW_STATUS_REJECTED, comment="too dark")
    )
    accepted = await storage.a.storage.ReviewRevision(
        pb.ReviewRevisionRequest(name=second.name, status=storage_pb2.REVIEW_STATUS_ACCEPTED)
    )
    assert rejected.name == second.name and accepted.review_status == storage_pb2.REVIEW_STATUS_ACCEPTED
    history = [(e.status, e.actor, e.comment) for e in accepted.review_history]
    assert history == [(storage_pb2.REVIEW_STATUS_REJECTED, "alice", "too dark"), (storage_pb2.REVIEW_STATUS_ACCEPTED, "alice", "")]
    assert text_of(accepted) == "two" and accepted.payload == second.payload  # content unchanged
    head = await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))
    assert head.head_review_status == storage_pb2.REVIEW_STATUS_ACCEPTED
    # Reviewing an older revision does not change the head's status.
    await storage.a.storage.ReviewRevision(pb.ReviewRevisionRequest(name=first.name, status=storage_pb2.REVIEW_STATUS_REJECTED))
    assert (await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))).head_review_status == storage_pb2.REVIEW_STATUS_ACCEPTED
    # A new head has not been reviewed.
    await storage.a.revision(asset.name, "three")
    assert (await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset.name))).head_review_status == storage_pb2.REVIEW_STATUS_UNSPECIFIED
    for request, field in (
        (pb.ReviewRevisionRequest(name=first.name), "status"),
        (pb.ReviewRevisionRequest(name=first.name, status=2, comment="c" * 2001), "comment"),
    ):
        error = await rpc_error(storage.a.storage.ReviewRevision(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]
    error = await rpc_error(storage.a.storage.ReviewRevision(pb.ReviewRevisionRequest(name=f"{asset.name}/revisions/9", status=2)))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_another_tenants_revision_answers_like_a_missing_one(storage):
    _project, asset = await _asset(storage)
    revision = await storage.a.revision(asset.name, "secret")
    missing = f"{asset.name}/revisions/2"
    hidden = await rpc_error(storage.b.storage.GetRevision(pb.GetRevisionRequest(name=revision.name)))
    absent = await rpc_error(storage.b.storage.GetRevision(pb.GetRevisionRequest(name=missing)))
    assert hidden.code() == absent.code() == grpc.StatusCode.NOT_FOUND
    assert hidden.details() == absent.details().replace(missing, revision.name)
    for call in (
        storage.b.storage.GetRevision(pb.GetRevisionRequest(name=f"{asset.name}/revisions/latest")),
        storage.b.storage.ReviewRevision(pb.ReviewRevisionRequest(name=revision.name, status=2)),
        storage.b.storage.WalkLineage(pb.WalkLineageRequest(name=revision.name, direction=1)),
    ):
        error = await rpc_error(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == "REVISION_NOT_FOUND"
    for name in (f"{asset.name}/revisions/0", f"{asset.name}/revisions/-1", f"{asset.name}/revisions/head"):
        error = await rpc_error(storage.a.storage.GetRevision(pb.GetRevisionRequest(name=name)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["name"]
