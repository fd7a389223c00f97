"""Appends revisions with group commit.

Concurrent creates queue up; one flusher takes them in batches and writes a
batch in one transaction with a fixed number of statements (lock the target
assets, look up request ids, blobs and parents, insert the rows, move the
heads), so many writers share each round trip and each commit.

Why it is correct:
- Numbers are gap-free and distinct: the target asset rows are locked (the
  SQLite write lock; ``SELECT ... FOR UPDATE`` in asset order on PostgreSQL)
  before their counts are read, the new count is written in the same
  transaction as the revisions, and a rollback undoes both.
- Every check (tenant, deleted, request id, expected count and etag, blobs,
  parents) is decided before anything is written, so a create that fails
  writes nothing and does not disturb the others of its batch.
- A retry with the same request id finds the first revision, whether it was
  committed earlier or sits earlier in the same batch; the unique constraint
  ``(asset, request_id)`` stops a concurrent retry from another process, and
  the batch is then run again to return the winner.
- An unexpected failure of a batch runs its creates again one by one, so only
  the create at fault fails.
- ``create_all`` (BatchCreateRevisions) runs its drafts as one such batch that
  is all or nothing: the first draft refused rolls the transaction back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Connection, bindparam, insert, select, tuple_, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from services.runtime.errors import Aborted, PrevisError, not_found
from services.runtime.resource_names import asset_name, blob_name, revision_name
from services.storage import assets as asset_rules
from services.storage import labels as label_rules
from services.storage import revisions as revision_rules
from services.storage.database import Database, now_us
from services.storage.etags import etag_of
from services.storage.records import BlobRefRecord, RevisionRecord
from services.storage.revisions import RevisionDraft
from services.storage.schema import assets, blobs, projects, revision_blobs, revision_parents, revisions

_LOGGER = logging.getLogger(__name__)

Outcome = RevisionRecord | PrevisError


@dataclass
class _Queued:
    draft: RevisionDraft
    future: asyncio.Future


@dataclass
class _Head:
    """An asset's state as the batch moves it."""

    row: Row
    count: int
    version: int
    touched: bool = False


class RevisionWriter:
    def __init__(self, database: Database, batch_max: int = 256) -> None:
        self._db = database
        self._batch_max = batch_max
        self._queue: list[_Queued] = []
        self._flusher: asyncio.Task | None = None

    async def create(self, draft: RevisionDraft) -> RevisionRecord:
        future = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(draft, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="revision-writer")
        return await future

    async def create_all(self, drafts: Sequence[RevisionDraft]) -> list[RevisionRecord]:
        """Creates every draft in one transaction, or none of them: the first
        draft that cannot be created raises its error, nested in
        ``requests[i]``. It bypasses the queue; the database orders it with
        the flusher's batches (one SQLite writer, row locks on PostgreSQL)."""
        try:
            return await self._write_with_retry(list(drafts), atomic=True)
        except _EntryRefused as refused:
            raise refused.error.nested_in(f"requests[{refused.index}]") from None

    async def close(self) -> None:
        """Waits for queued creates to be written."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        while self._queue:
            batch = [q for q in self._queue[: self._batch_max] if not q.future.done()]
            del self._queue[: self._batch_max]
            if batch:
                await self._write(batch)

    async def _write(self, batch: list[_Queued]) -> None:
        try:
            outcomes = await self._write_with_retry([q.draft for q in batch])
        except PrevisError as error:  # e.g. the database is unavailable
            outcomes = [error] * len(batch)
        except Exception as error:
            if len(batch) > 1:
                _LOGGER.warning("a batch of %d revision creates failed (%s); writing them one by one", len(batch), error)
                for queued in batch:
                    await self._write([queued])
                return
            _LOGGER.exception("a revision create failed")
            outcomes = [error]
        for queued, outcome in zip(batch, outcomes):
            if queued.future.done():
                continue
            if isinstance(outcome, BaseException):
                queued.future.set_exception(outcome)
            else:
                queued.future.set_result(outcome)

    async def _write_with_retry(self, drafts: list[RevisionDraft], *, atomic: bool = False) -> list[Outcome]:
        try:
            return await self._write_batch(drafts, atomic)
        except IntegrityError:
            # Another process committed a create with one of these request ids
            # meanwhile; running the batch again returns its revision.
            _LOGGER.info("request id conflict in a batch of %d; running it again", len(drafts))
            return await self._write_batch(drafts, atomic)

    async def _write_batch(self, drafts: list[RevisionDraft], atomic: bool) -> list[Outcome]:
        try:
            return await self._db.write(lambda conn: _Batch(self._db, conn, drafts, look_up_request_ids=False, atomic=atomic).run())
        except _RequestIdSeen:
            # A create is a retry of one committed earlier: run the batch again,
            # this time looking the request ids up (rare, so not done up front).
            return await self._db.write(lambda conn: _Batch(self._db, conn, drafts, look_up_request_ids=True, atomic=atomic).run())


class _RequestIdSeen(Exception):
    """Rolls back a batch that tried to insert a request id stored earlier."""


class _EntryRefused(Exception):
    """Rolls back an all-or-nothing batch: entry ``index`` cannot be created."""

    def __init__(self, index: int, error: PrevisError) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


class _Batch:
    """One transaction's worth of creates."""

    def __init__(
        self, database: Database, conn: Connection, drafts: Sequence[RevisionDraft], *, look_up_request_ids: bool, atomic: bool = False
    ) -> None:
        self._db = database
        self._atomic = atomic
        self._conn = conn
        self._drafts = drafts
        self._look_up_request_ids = look_up_request_ids
        self._now = now_us()
        self._heads: dict[tuple[str, str, str], _Head] = {}
        self._other_assets: dict[tuple[str, str, str], Row] = {}
        self._earlier: dict[tuple[int, str], RevisionRecord] = {}
        self._blobs: dict[tuple[int, str], Row] = {}
        self._revision_rows: list[dict] = []
        self._blob_rows: list[dict] = []
        self._parent_rows: list[dict] = []

    def run(self) -> list[Outcome]:
        self._load()
        outcomes = self._decide_all()
        self._store()
        return outcomes

    def _load(self) -> None:
        targets = {_target(d) for d in self._drafts}
        rows = self._assets(_LOCK_ASSETS, targets)
        self._heads = {key: _Head(row, row.revision_count, row.version) for key, row in rows.items()}
        parent_keys = {(d.caller.tenant, d.project_id, p.asset_id) for d in self._drafts for p in d.parents} - targets
        self._other_assets = self._assets(_READ_ASSETS, parent_keys)
        if self._look_up_request_ids:
            self._load_earlier()
        self._load_blobs()

    def _assets(self, query, keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], Row]:
        if not keys:
            return {}
        rows = self._conn.execute(query, {"keys": sorted(keys)}).all()
        return {(row.tenant, row.project_id, row.asset_id): row for row in rows}

    def _load_earlier(self) -> None:
        keys = {
            (head.row.pk, d.request_id)
            for d in self._drafts
            if d.request_id is not None and (head := self._heads.get(_target(d))) is not None
        }
        if not keys:
            return
        rows = self._conn.execute(_EARLIER, {"keys": sorted(keys)}).all()
        for record, row in zip(revision_rules.records_of(self._conn, rows), rows):
            self._earlier[(row.asset_pk, row.request_id)] = record

    def _load_blobs(self) -> None:
        keys = {
            (head.row.project_pk, sha256)
            for d in self._drafts
            if (head := self._heads.get(_target(d))) is not None
            for _role, sha256 in d.blobs
        }
        if keys:
            rows = self._conn.execute(_SHARE_BLOBS, {"keys": sorted(keys)}).all()
            self._blobs = {(row.project_pk, row.sha256): row for row in rows}

    def _decide_all(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for index, draft in enumerate(self._drafts):
            try:
                outcomes.append(self._decide(draft))
            except PrevisError as error:
                if self._atomic:
                    raise _EntryRefused(index, error) from None
                outcomes.append(error)
        return outcomes

    def _decide(self, draft: RevisionDraft) -> RevisionRecord:
        head = self._heads.get(_target(draft))
        if head is None:
            raise not_found("asset", asset_name(draft.project_id, draft.asset_id))
        if draft.request_id is not None and (earlier := self._earlier.get((head.row.pk, draft.request_id))):
            return earlier
        asset_rules.require_writable(head.row)
        _check_expectations(draft, head)
        blob_refs = self._blob_refs(draft, head.row.project_pk)
        parents = self._parents(draft)
        number = head.count + 1
        record = RevisionRecord(
            project_id=draft.project_id,
            asset_id=draft.asset_id,
            number=number,
            payload_type_url=draft.payload_type_url,
            payload_value=draft.payload_value,
            blobs=blob_refs,
            parents=[revision_name(draft.project_id, asset_id, n) for asset_id, n, _pk in parents],
            labels=draft.labels,
            message=draft.message,
            creator=draft.caller.principal,
            request_id=draft.request_id or "",
            review_status=0,
            create_time_us=self._now,
        )
        self._append_rows(head, record, parents)
        head.count, head.version, head.touched = number, head.version + 1, True
        if draft.request_id is not None:
            self._earlier[(head.row.pk, draft.request_id)] = record
        return record

    def _blob_refs(self, draft: RevisionDraft, project_pk: int) -> list[BlobRefRecord]:
        refs = []
        for (role, sha256), field in zip(draft.blobs, draft.blob_fields):
            row = self._blobs.get((project_pk, sha256))
            if row is None:
                error = not_found("blob", blob_name(draft.project_id, sha256))
                error.metadata = {**error.metadata, "field": field}
                raise error
            refs.append(BlobRefRecord(role, sha256, row.media_type, row.size_bytes))
        return refs

    def _parents(self, draft: RevisionDraft) -> list[tuple[str, int, int]]:
        """``(asset_id, number, asset_pk)`` of each parent, which must exist."""
        resolved = []
        for parent in draft.parents:
            key = (draft.caller.tenant, draft.project_id, parent.asset_id)
            head = self._heads.get(key)
            row = head.row if head is not None else self._other_assets.get(key)
            count = head.count if head is not None else (row.revision_count if row is not None else 0)
            number = count if parent.number is None else parent.number
            if row is None or number < 1 or number > count:
                shown = parent.number if parent.number is not None else "latest"
                error = not_found("revision", revision_name(draft.project_id, parent.asset_id, shown))
                error.metadata = {**error.metadata, "field": parent.field}
                raise error
            resolved.append((parent.asset_id, number, row.pk))
        return resolved

    def _append_rows(self, head: _Head, record: RevisionRecord, parents: list[tuple[str, int, int]]) -> None:
        asset_pk, project_pk, number = head.row.pk, head.row.project_pk, record.number
        self._revision_rows.append(
            {
                "asset_pk": asset_pk,
                "number": number,
                "project_pk": project_pk,
                "payload_type_url": record.payload_type_url,
                "payload_value": record.payload_value,
                "blobs": revision_rules.blobs_json(record.blobs),
                "parents": json.dumps(record.parents, separators=(",", ":")),
                "labels": label_rules.to_json(record.labels),
                "message": record.message,
                "creator": record.creator,
                "request_id": record.request_id or None,
                "review_status": 0,
                "create_time_us": record.create_time_us,
            }
        )
        for position, ref in enumerate(record.blobs):
            self._blob_rows.append(
                {"asset_pk": asset_pk, "number": number, "position": position, "project_pk": project_pk, "sha256": ref.sha256}
            )
        for position, (_asset_id, parent_number, parent_pk) in enumerate(parents):
            self._parent_rows.append(
                {
                    "asset_pk": asset_pk,
                    "number": number,
                    "position": position,
                    "parent_asset_pk": parent_pk,
                    "parent_number": parent_number,
                }
            )

    def _store(self) -> None:
        if not self._revision_rows:
            return
        # A request id stored earlier makes its row conflict and be skipped;
        # the batch is then rolled back and run again with a lookup.
        inserted = self._conn.execute(
            self._db.insert(revisions).on_conflict_do_nothing().returning(revisions.c.number), self._revision_rows
        ).all()
        if len(inserted) != len(self._revision_rows):
            raise _RequestIdSeen()
        if self._blob_rows:
            self._conn.execute(insert(revision_blobs), self._blob_rows)
        if self._parent_rows:
            self._conn.execute(insert(revision_parents), self._parent_rows)
        moved = [
            {"target_pk": head.row.pk, "new_count": head.count, "new_version": head.version, "now": self._now}
            for head in self._heads.values()
            if head.touched
        ]
        self._conn.execute(_MOVE_HEAD, moved)


_ASSET_KEYS = tuple_(projects.c.tenant, projects.c.project_id, assets.c.asset_id).in_(bindparam("keys", expanding=True))
# Locked in key order of the rows, so concurrent batches cannot deadlock.
_LOCK_ASSETS = asset_rules.joined_query().where(_ASSET_KEYS).order_by(assets.c.pk).with_for_update(of=assets)
_READ_ASSETS = asset_rules.joined_query().where(_ASSET_KEYS)
_EARLIER = revision_rules.joined_query().where(
    tuple_(revisions.c.asset_pk, revisions.c.request_id).in_(bindparam("keys", expanding=True))
)
# FOR SHARE: garbage collection cannot delete these blob rows until this
# transaction commits its references to them.
_SHARE_BLOBS = (
    select(blobs.c.project_pk, blobs.c.sha256, blobs.c.size_bytes, blobs.c.media_type)
    .where(tuple_(blobs.c.project_pk, blobs.c.sha256).in_(bindparam("keys", expanding=True)))
    .with_for_update(read=True)
)
_MOVE_HEAD = (
    update(assets)
    .where(assets.c.pk == bindparam("target_pk"))
    .values(
        revision_count=bindparam("new_count"),
        version=bindparam("new_version"),
        head_review_status=0,
        update_time_us=bindparam("now"),
    )
)


def _target(draft: RevisionDraft) -> tuple[str, str, str]:
    return (draft.caller.tenant, draft.project_id, draft.asset_id)


def _check_expectations(draft: RevisionDraft, head: _Head) -> None:
    name = asset_name(draft.project_id, draft.asset_id)
    if draft.expected_revision_count and draft.expected_revision_count != head.count:
        raise Aborted(
            f"{name} has {head.count} revisions, not the expected {draft.expected_revision_count}",
            reason="REVISION_COUNT_MISMATCH",
            metadata={"name": name, "revision_count": str(head.count)},
        )
    if draft.expected_etag and draft.expected_etag != etag_of(head.version):
        raise Aborted(
            f"expected_etag {draft.expected_etag[:80]!r} is stale: {name} changed since it was read",
            reason="ETAG_MISMATCH",
            metadata={"name": name, "current_etag": etag_of(head.version)},
        )
