"""Property-based tests: numbering under concurrent writers, and pages that
return every item exactly once while items are being inserted."""

import asyncio
import os

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from tests.storage.harness import text_of

EXAMPLES = int(os.environ.get("PREVIS_HYPOTHESIS_EXAMPLES", "15"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# One create: (request id or None, expect the head to be this count or 0)
create = st.tuples(st.one_of(st.none(), st.sampled_from(["r1", "r2", "r3", "r4"])), st.integers(0, 4))
writers = st.lists(st.lists(create, min_size=1, max_size=6), min_size=2, max_size=16)


async def _all_revisions(storage, asset: str) -> list:
    revisions, token = [], ""
    while True:
        page = await storage.a.storage.ListRevisions(pb.ListRevisionsRequest(parent=asset, page_size=7, page_token=token))
        revisions += page.revisions
        token = page.next_page_token
        if not token:
            return revisions


@PROPERTY_SETTINGS
@given(plan=writers)
async def test_concurrent_writers_get_distinct_gap_free_numbers(storage, plan):
    project = await storage.a.project()
    asset = (await storage.a.asset(project.name, storage_pb2.ASSET_KIND_PLAN)).name

    async def writer(index: int, creates):
        outcomes = []
        for step, (request_id, expected) in enumerate(creates):
            content = f"{request_id}" if request_id else f"w{index}-{step}"
            try:
                revision = await storage.a.revision(
                    asset, content, request_id=request_id or "", expected_revision_count=expected
                )
                outcomes.append((request_id, expected, revision))
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.ABORTED and expected > 0
        return outcomes

    outcomes = [o for batch in await asyncio.gather(*(writer(i, c) for i, c in enumerate(plan))) for o in batch]
    stored = await _all_revisions(storage, asset)
    numbers = sorted(r.revision_number for r in stored)
    assert numbers == list(range(1, len(stored) + 1))  # distinct and gap-free
    head = await storage.a.storage.GetAsset(pb.GetAssetRequest(name=asset))
    assert head.revision_count == len(stored)
    by_name = {r.name: r for r in stored}
    for request_id, expected, revision in outcomes:
        assert by_name[revision.name] == revision  # what was acknowledged is what is stored
        if request_id is None and expected:
            assert revision.revision_number == expected + 1  # an expectation holds when it wins
    for request_id in {r for r, _e, _rev in outcomes if r}:
        number = next(rev.revision_number for r, _e, rev in outcomes if r == request_id)
        # Some create of this request id made it, under its own expectation.
        assert any(r == request_id and (e == 0 or e + 1 == number) for r, e, _rev in outcomes)
    request_ids = [r.request_id for r in stored if r.request_id]
    assert len(request_ids) == len(set(request_ids))  # each request id written once
    for request_id, _expected, revision in outcomes:
        if request_id:
            assert revision.request_id == request_id and text_of(revision) == request_id
    unkeyed = [o for o in outcomes if o[0] is None]
    assert len(stored) == len(unkeyed) + len(set(request_ids))


@PROPERTY_SETTINGS
@given(
    initial=st.integers(0, 25),
    page_sizes=st.lists(st.integers(1, 6), min_size=1, max_size=12),
    inserts=st.lists(st.integers(0, 3), max_size=12),
)
async def test_every_item_exactly_once_across_pages_despite_inserts(storage, initial, page_sizes, inserts):
    project = (await storage.a.project()).name
    assets = [(await storage.a.asset(project, storage_pb2.ASSET_KIND_IMAGE)).name for _ in range(initial)]
    log = (await storage.a.asset(project, storage_pb2.ASSET_KIND_LLM_TRACE, "log")).name
    revisions = [(await storage.a.revision(log, f"r{i}")).name for i in range(initial)]

    async def walk(fetch, items_of, insert):
        seen, token, page_index = [], "", 0
        while True:
            size = page_sizes[page_index % len(page_sizes)]
            page = await fetch(size, token)
            seen += [item.name for item in items_of(page)]
            for _ in range(inserts[page_index] if page_index < len(inserts) else 0):
                await insert()
            page_index += 1
            token = page.next_page_token
            if not token:
                return seen

    seen_assets = await walk(
        lambda size, token: storage.a.storage.ListAssets(
            pb.ListAssetsRequest(parent=project, kind=storage_pb2.ASSET_KIND_IMAGE, page_size=size, page_token=token)
        ),
        lambda page: page.assets,
        lambda: storage.a.asset(project, storage_pb2.ASSET_KIND_IMAGE),
    )
    assert len(seen_assets) == len(set(seen_assets))
    assert seen_assets[: len(assets)] == assets  # oldest first; later inserts only after

    seen_revisions = await walk(
        lambda size, token: storage.a.storage.ListRevisions(pb.ListRevisionsRequest(parent=log, page_size=size, page_token=token)),
        lambda page: page.revisions,
        lambda: storage.a.revision(log, "inserted"),
    )
    assert seen_revisions == list(reversed(revisions))  # newest first at the start; newer ones never appear
