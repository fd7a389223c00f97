"""BatchCreateRevisions: many revisions in one call and one transaction,
all or nothing, each entry following the rules of CreateRevision."""

import grpc

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from tests.status_details import details_of, reason_of, violated_fields
from tests.storage.harness import payload_of, rpc_error, text_of

FRAME = storage_pb2.ASSET_KIND_IMAGE


def _entry(asset: str, text: str, **fields) -> pb.CreateRevisionRequest:
    revision_fields = {k: fields.pop(k) for k in ("blobs", "parents", "labels", "message") if k in fields}
    return pb.CreateRevisionRequest(parent=asset, revision=storage_pb2.Revision(payload=payload_of(text), **revision_fields), **fields)


async def _frames(storage, count: int):
    project = await storage.a.project()
    assets = [await storage.a.asset(project.name, FRAME, f"frame-s{i:03d}") for i in range(count)]
    return project, assets


async def _counts(client, assets) -> list[int]:
    return [(await client.storage.GetAsset(pb.GetAssetRequest(name=a.name))).revision_count for a in assets]


async def test_a_batch_creates_every_entry_in_order(storage):
    project, assets = await _frames(storage, 3)
    entries = [_entry(a.name, f"take of {a.name}", request_id=f"r{i}") for i, a in enumerate(assets)]
    entries.append(_entry(assets[0].name, "second take", parents=[f"{assets[0].name}/revisions/1"]))
    answer = await storage.a.storage.BatchCreateRevisions(pb.BatchCreateRevisionsRequest(parent=project.name, requests=entries))
    names = [r.name for r in answer.revisions]
    assert names == [f"{a.name}/revisions/1" for a in assets] + [f"{assets[0].name}/revisions/2"]
    # An entry may name a revision created earlier in the same batch.
    assert list(answer.revisions[3].parents) == [names[0]] and text_of(answer.revisions[3]) == "second take"
    for created in answer.revisions:
        assert await storage.a.storage.GetRevision(pb.GetRevisionRequest(name=created.name)) == created
    assert await _counts(storage.a, assets) == [2, 1, 1]


async def test_one_refused_entry_writes_nothing_and_names_its_index(storage):
    project, assets = await _frames(storage, 2)
    missing_blob = f"{project.name}/blobs/{'0' * 64}"
    cases = [
        (_entry(assets[1].name, "x", labels={"K": "v"}), grpc.StatusCode.INVALID_ARGUMENT, "requests[1].revision.labels"),
        (_entry(assets[1].name, "x", parents=["not a name"]), grpc.StatusCode.INVALID_ARGUMENT, "requests[1].revision.parents[0]"),
        (_entry("projects/p/assets/x", "x"), grpc.StatusCode.INVALID_ARGUMENT, "requests[1].parent"),
        (_entry(assets[1].name, "x", expected_revision_count=5), grpc.StatusCode.ABORTED, "requests[1]"),
        (
            _entry(assets[1].name, "x", blobs=[storage_pb2.BlobRef(role="image", blob=missing_blob)]),
            grpc.StatusCode.NOT_FOUND,
            "requests[1].revision.blobs[0].blob",
        ),
        (_entry(f"{project.name}/assets/ghost", "x"), grpc.StatusCode.NOT_FOUND, "requests[1]"),
    ]
    for bad, code, field in cases:
        request = pb.BatchCreateRevisionsRequest(parent=project.name, requests=[_entry(assets[0].name, "fine"), bad, _entry(assets[1].name, "fine")])
        error = await rpc_error(storage.a.storage.BatchCreateRevisions(request))
        assert error.code() == code, field
        info = details_of(error)["ErrorInfo"]
        assert info.metadata["field"] == field, field
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            assert violated_fields(error) == [field]
        assert field.split(".")[0] in error.details()
    assert await _counts(storage.a, assets) == [0, 0]


async def test_request_ids_make_a_batch_safe_to_retry(storage):
    project, assets = await _frames(storage, 2)
    single = await storage.a.revision(assets[0].name, "made alone", request_id="frame-0")
    request = pb.BatchCreateRevisionsRequest(
        parent=project.name,
        requests=[
            _entry(assets[0].name, "made alone", request_id="frame-0"),
            _entry(assets[1].name, "new", request_id="frame-1"),
            _entry(assets[1].name, "new", request_id="frame-1"),  # a repeat inside the batch
        ],
    )
    first = await storage.a.storage.BatchCreateRevisions(request)
    again = await storage.a.storage.BatchCreateRevisions(request)
    assert first == again
    assert first.revisions[0] == single
    assert first.revisions[1] == first.revisions[2] and first.revisions[1].revision_number == 1
    assert await _counts(storage.a, assets) == [1, 1]


async def test_batch_bounds_and_project_scope(storage):
    project, assets = await _frames(storage, 1)
    other = await storage.a.project("Other")
    for request, field in (
        (pb.BatchCreateRevisionsRequest(parent=project.name), "requests"),
        (pb.BatchCreateRevisionsRequest(parent=project.name, requests=[_entry(assets[0].name, "x")] * 501), "requests"),
        (pb.BatchCreateRevisionsRequest(parent=other.name, requests=[_entry(assets[0].name, "x")]), "requests[0].parent"),
        (pb.BatchCreateRevisionsRequest(parent="projects/../x", requests=[_entry(assets[0].name, "x")]), "parent"),
    ):
        error = await rpc_error(storage.a.storage.BatchCreateRevisions(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field], field
    full = pb.BatchCreateRevisionsRequest(parent=project.name, requests=[_entry(assets[0].name, f"t{i}") for i in range(500)])
    answer = await storage.a.storage.BatchCreateRevisions(full)
    assert [r.revision_number for r in answer.revisions] == list(range(1, 501))


async def test_another_tenant_cannot_write_into_a_project_by_batch(storage):
    project, assets = await _frames(storage, 1)
    request = pb.BatchCreateRevisionsRequest(parent=project.name, requests=[_entry(assets[0].name, "intruder")])
    error = await rpc_error(storage.b.storage.BatchCreateRevisions(request))
    assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == "ASSET_NOT_FOUND"
    assert await _counts(storage.a, assets) == [0]
