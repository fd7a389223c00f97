"""Lineage walks up to ancestors and down to descendants, breadth first."""

import grpc

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from tests.status_details import violated_fields
from tests.storage.harness import rpc_error

ANCESTORS = pb.LINEAGE_DIRECTION_ANCESTORS
DESCENDANTS = pb.LINEAGE_DIRECTION_DESCENDANTS


async def _pipeline(storage):
    """script r1 → plan r1 → shot plan r1 → frame r1 → frame r2 (an edit),
    and a second plan made from the same script."""
    project = await storage.a.project()
    assets = {}
    for asset_id, kind in (
        ("script", storage_pb2.ASSET_KIND_SCRIPT),
        ("plan", storage_pb2.ASSET_KIND_PLAN),
        ("shots", storage_pb2.ASSET_KIND_SHOT_PLAN),
        ("frame", storage_pb2.ASSET_KIND_IMAGE),
    ):
        assets[asset_id] = (await storage.a.asset(project.name, kind, asset_id)).name
    script = await storage.a.revision(assets["script"], "script")
    plan = await storage.a.revision(assets["plan"], "plan", parents=[script.name])
    plan2 = await storage.a.revision(assets["plan"], "plan v2", parents=[script.name, plan.name])
    shots = await storage.a.revision(assets["shots"], "shots", parents=[plan.name])
    frame = await storage.a.revision(assets["frame"], "frame", parents=[shots.name])
    edit = await storage.a.revision(assets["frame"], "edited", parents=[frame.name, shots.name])
    return script, plan, plan2, shots, frame, edit


async def _walk(storage, name, direction, **options):
    entries, token = [], ""
    while True:
        page = await storage.a.storage.WalkLineage(
            pb.WalkLineageRequest(name=name, direction=direction, page_token=token, **options)
        )
        entries += [(e.revision.name, e.depth, e.via) for e in page.entries]
        if not page.next_page_token:
            return entries
        token = page.next_page_token


async def test_ancestors_breadth_first_each_once(storage):
    script, plan, _plan2, shots, frame, edit = await _pipeline(storage)
    assert await _walk(storage, edit.name, ANCESTORS) == [
        (frame.name, 1, edit.name),
        (shots.name, 1, edit.name),
        (plan.name, 2, shots.name),
        (script.name, 3, plan.name),
    ]
    assert await _walk(storage, edit.name, ANCESTORS, max_depth=1) == [(frame.name, 1, edit.name), (shots.name, 1, edit.name)]
    paged = await _walk(storage, edit.name, ANCESTORS, page_size=1)
    assert paged == await _walk(storage, edit.name, ANCESTORS)


async def test_descendants_include_later_work_and_pages_are_stable(storage):
    script, plan, plan2, shots, frame, edit = await _pipeline(storage)
    expected = [
        (plan.name, 1, script.name),
        (plan2.name, 1, script.name),
        (shots.name, 2, plan.name),
        (frame.name, 3, shots.name),
        (edit.name, 3, shots.name),
    ]
    assert await _walk(storage, script.name, DESCENDANTS) == expected
    first = await storage.a.storage.WalkLineage(pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, page_size=2))
    # Work made from the script after the first page does not shift the pages.
    await storage.a.revision(plan.name.rsplit("/revisions/", 1)[0], "plan v3", parents=[script.name])
    rest = await _walk_from(storage, script.name, first.next_page_token)
    assert [(e.revision.name, e.depth, e.via) for e in first.entries] + rest == expected


async def _walk_from(storage, name, token):
    entries = []
    while token:
        page = await storage.a.storage.WalkLineage(
            pb.WalkLineageRequest(name=name, direction=DESCENDANTS, page_size=2, page_token=token)
        )
        entries += [(e.revision.name, e.depth, e.via) for e in page.entries]
        token = page.next_page_token
    return entries


async def test_latest_alias_and_bad_arguments(storage):
    script, plan, plan2, *_ = await _pipeline(storage)
    plan_asset = plan.name.rsplit("/revisions/", 1)[0]
    assert await _walk(storage, f"{plan_asset}/revisions/latest", ANCESTORS) == [
        (script.name, 1, plan2.name),
        (plan.name, 1, plan2.name),
    ]
    for request, field in (
        (pb.WalkLineageRequest(name=plan.name), "direction"),
        (pb.WalkLineageRequest(name=plan.name, direction=ANCESTORS, max_depth=-1), "max_depth"),
        (pb.WalkLineageRequest(name=plan.name, direction=ANCESTORS, page_size=-1), "page_size"),
        (pb.WalkLineageRequest(name=plan.name, direction=ANCESTORS, page_token="forged"), "page_token"),
    ):
        error = await rpc_error(storage.a.storage.WalkLineage(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]
    error = await rpc_error(storage.a.storage.WalkLineage(pb.WalkLineageRequest(name=f"{plan_asset}/revisions/9", direction=1)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
