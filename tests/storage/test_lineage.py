"""Lineage walks up to ancestors and down to descendants, breadth first,
and pages that hold each revision exactly once however writes and pages
interleave."""

import asyncio

import grpc
from sqlalchemy import Connection, create_engine, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from services.storage import revisions as revision_rules
from services.storage.database import now_us
from services.storage.records import Caller
from services.storage.revision_writer import _Batch
from services.storage.schema import revisions
from tests.status_details import violated_fields
from tests.storage.harness import payload_of, rpc_error

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


def _script_descendants(script, plan, plan2, shots, frame, edit) -> list[tuple[str, int, str]]:
    """The pipeline's walk down from the script: (revision, depth, via)."""
    return [
        (plan.name, 1, script.name),
        (plan2.name, 1, script.name),
        (shots.name, 2, plan.name),
        (frame.name, 3, shots.name),
        (edit.name, 3, shots.name),
    ]


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
    expected = _script_descendants(script, plan, plan2, shots, frame, edit)
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


def _entries(page) -> list[tuple[str, int, str]]:
    return [(e.revision.name, e.depth, e.via) for e in page.entries]


def _asset_of(revision) -> str:
    return revision.name.rsplit("/revisions/", 1)[0]


class _HeldWrite:
    """A write transaction on a connection of its own, as another storage
    process would run one, left open until ``commit``. On SQLite it starts
    with ``BEGIN IMMEDIATE`` (it holds the write lock; WAL lets the storage's
    reads run beside it)."""

    def __init__(self, url: str) -> None:
        self._url = make_url(url)
        self._sqlite = self._url.get_backend_name() == "sqlite"

    async def __aenter__(self) -> "_HeldWrite":
        if self._sqlite:
            self._engine = create_engine(self._url.set(drivername="sqlite"), connect_args={"check_same_thread": False})

            @event.listens_for(self._engine, "connect")
            def _on_connect(dbapi_connection, _record) -> None:
                dbapi_connection.isolation_level = None

            @event.listens_for(self._engine, "begin")
            def _on_begin(connection) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

            self._connection = await asyncio.to_thread(self._engine.connect)
            await asyncio.to_thread(self._connection.begin)
        else:
            self._engine = create_async_engine(self._url)
            self._connection = await self._engine.connect()
            await self._connection.begin()
        return self

    async def run(self, body):
        if self._sqlite:
            return await asyncio.to_thread(body, self._connection)
        return await self._connection.run_sync(body)

    async def commit(self) -> None:
        if self._sqlite:
            await asyncio.to_thread(self._connection.commit)
        else:
            await self._connection.commit()

    async def __aexit__(self, *_exc) -> None:
        if self._sqlite:
            await asyncio.to_thread(self._connection.close)
            self._engine.dispose()
        else:
            await self._connection.close()
            await self._engine.dispose()


def _create_revision(storage, conn: Connection, asset: str, text: str, parents: list[str]):
    """What CreateRevision writes (the revision writer's own batch), in the
    transaction of ``conn``: its create time is taken now, before the commit."""
    _projects, project_id, _assets, asset_id = asset.split("/")
    payload = payload_of(text)
    draft = revision_rules.draft_of(
        Caller(principal="alice", tenant=storage.a.tenant),
        project_id,
        asset_id,
        payload_type_url=payload.type_url,
        payload_value=payload.value,
        blob_refs=[],
        parents=parents,
        labels={},
        message="",
        request_id="",
        expected_revision_count=0,
        expected_etag="",
    )
    [record] = _Batch(storage.parts.database, conn, [draft], look_up_request_ids=False).run()
    return record


async def test_a_create_committed_after_the_first_page_shifts_no_page(storage):
    """The race: a revision's create time is set inside its write, before the
    commit. One made from the script, created before the first page is read
    but committed after it, appears on no page of that walk, and no entry is
    repeated or skipped; a new walk sees it."""
    script, plan, plan2, shots, frame, edit = await _pipeline(storage)
    expected = _script_descendants(script, plan, plan2, shots, frame, edit)
    async with _HeldWrite(storage.settings.resolved_database_url) as held:
        # script r2 comes first of the script's children: it would shift every later page.
        late = await held.run(lambda conn: _create_revision(storage, conn, _asset_of(script), "late", [script.name]))
        first_page_time = now_us()
        first = await asyncio.wait_for(
            storage.a.storage.WalkLineage(pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, page_size=2)), 10
        )
        await held.commit()
    assert late.create_time_us < first_page_time
    late_name = f"{_asset_of(script)}/revisions/{late.number}"
    assert _entries(first) + await _walk_from(storage, script.name, first.next_page_token) == expected
    assert await _walk(storage, script.name, DESCENDANTS, page_size=2) == [(late_name, 1, script.name), *expected]


async def test_pages_hold_what_the_first_page_saw_and_nothing_committed_later(storage):
    script, plan, plan2, shots, frame, edit = await _pipeline(storage)
    before = await storage.a.revision(_asset_of(script), "before", parents=[script.name])
    expected = [(before.name, 1, script.name), *_script_descendants(script, plan, plan2, shots, frame, edit)]
    entries, token, later = [], "", set()
    while True:
        page = await storage.a.storage.WalkLineage(
            pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, page_size=1, page_token=token)
        )
        assert not later & {name for name, _depth, _via in _entries(page)}
        entries += _entries(page)
        # Committed between pages: a child of the script (first of its
        # children) and one at the bottom of the walk.
        for asset, parent in ((_asset_of(script), script), (_asset_of(edit), edit)):
            later.add((await storage.a.revision(asset, "later", parents=[parent.name])).name)
        if not page.next_page_token:
            break
        token = page.next_page_token
    assert entries == expected
    fresh = await _walk(storage, script.name, DESCENDANTS, page_size=1)
    assert len(fresh) == len(set(fresh)) == len(expected) + len(later)
    assert {name for name, _depth, _via in fresh} == {name for name, _d, _v in expected} | later


async def test_revisions_from_before_the_transaction_was_recorded_are_walked(storage):
    """Rows written before migration 0002 have no ``create_xact`` (on SQLite
    none has one): every page walks them."""
    script, plan, plan2, shots, frame, edit = await _pipeline(storage)
    async with _HeldWrite(storage.settings.resolved_database_url) as held:
        await held.run(lambda conn: conn.execute(update(revisions).values(create_xact=None)))
        await held.commit()
    assert await _walk(storage, script.name, DESCENDANTS, page_size=1) == [
        (plan.name, 1, script.name),
        (plan2.name, 1, script.name),
        (shots.name, 2, plan.name),
        (frame.name, 3, shots.name),
        (edit.name, 3, shots.name),
    ]


async def test_tampered_foreign_and_malformed_tokens_are_invalid(storage):
    script, plan, *_ = await _pipeline(storage)
    first = await storage.a.storage.WalkLineage(pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, page_size=2))
    token = first.next_page_token
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    requests = [
        pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, page_size=2, page_token=tampered),
        pb.WalkLineageRequest(name=script.name, direction=ANCESTORS, page_size=2, page_token=token),
        pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, max_depth=1, page_size=2, page_token=token),
        pb.WalkLineageRequest(name=plan.name, direction=DESCENDANTS, page_size=2, page_token=token),
    ]
    # Signed by this server but with no mark, an old ``as_of`` or a mark of
    # the wrong shape (another kind of database, or not a snapshot at all).
    paging = storage.parts.lineage._paging
    query = {"walk": script.name, "direction": DESCENDANTS, "max_depth": 0}
    other_kind = "10:20:15" if storage.parts.database.is_sqlite else 5
    for extra in ({}, {"as_of": now_us()}, {"mark": other_kind}, {"mark": "1:2:; SELECT 1"}, {"mark": -1}, {"mark": True}):
        forged = paging.encode({"start": 1, "offset": 2, **extra}, query)
        requests.append(pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, page_size=2, page_token=forged))
    for request in requests:
        error = await rpc_error(storage.a.storage.WalkLineage(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["page_token"], request
    # The genuine token still reads the next page.
    page = await storage.a.storage.WalkLineage(
        pb.WalkLineageRequest(name=script.name, direction=DESCENDANTS, page_size=2, page_token=token)
    )
    assert len(page.entries) == 2
