"""Revisions: immutable, gap-free numbered versions of an asset with a typed
payload, blob references, lineage parents and a review status.

Creating revisions is ``revision_writer.RevisionWriter``'s job; this module
validates what a create asks for (``RevisionDraft``) and serves the reads and
review decisions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, insert, select, tuple_, update
from sqlalchemy.engine import Row

from services.runtime.errors import InvalidArgument, not_found
from services.runtime.resource_names import (
    RevisionName,
    asset_name,
    parse_blob,
    parse_revision,
)
from services.storage import assets as asset_rules
from services.storage import labels as label_rules
from services.storage import projects as project_rules
from services.storage.database import Database, now_us
from services.storage.paging import Paging
from services.storage.records import (
    REVIEW_STATUSES,
    BlobRefRecord,
    Caller,
    Page,
    ReviewEventRecord,
    RevisionRecord,
)
from services.storage.schema import assets, projects, review_events, revisions

MAX_MESSAGE_CHARS = 2000
MAX_COMMENT_CHARS = 2000
MAX_TYPE_URL_CHARS = 2048
MAX_BLOB_REFS = 100
MAX_PARENTS = 100
MAX_BATCH_ENTRIES = 500
ROLE_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,63}")

REVISION_COLUMNS = (*revisions.c, assets.c.asset_id, assets.c.revision_count, projects.c.project_id)


@dataclass(frozen=True)
class ParentRef:
    """A lineage parent in the same project; ``number`` None means latest."""

    asset_id: str
    number: int | None
    field: str


@dataclass(frozen=True)
class RevisionDraft:
    """A validated CreateRevision request."""

    caller: Caller
    project_id: str
    asset_id: str
    payload_type_url: str
    payload_value: bytes
    blobs: list[tuple[str, str]]  # (role, sha256), blobs of the same project
    parents: list[ParentRef]
    labels: dict[str, str]
    message: str
    request_id: str | None
    expected_revision_count: int = 0
    expected_etag: str = ""
    blob_fields: list[str] = field(default_factory=list)


def draft_of(
    caller: Caller,
    project_id: str,
    asset_id: str,
    *,
    payload_type_url: str,
    payload_value: bytes,
    blob_refs: Sequence[tuple[str, str]],
    parents: Sequence[str],
    labels: Mapping[str, str],
    message: str,
    request_id: str,
    expected_revision_count: int,
    expected_etag: str,
) -> RevisionDraft:
    """Checks every field of a create; INVALID_ARGUMENT names the first bad
    one (``revision.blobs[2].blob`` ...)."""
    if len(payload_type_url) > MAX_TYPE_URL_CHARS:
        raise InvalidArgument.for_field("revision.payload.type_url", f"must be at most {MAX_TYPE_URL_CHARS} characters")
    if payload_value and not payload_type_url:
        raise InvalidArgument.for_field("revision.payload.type_url", "is required when the payload has a value")
    if len(message) > MAX_MESSAGE_CHARS:
        raise InvalidArgument.for_field("revision.message", f"must be at most {MAX_MESSAGE_CHARS} characters")
    if expected_revision_count < 0:
        raise InvalidArgument.for_field("expected_revision_count", "must not be negative")
    return RevisionDraft(
        caller=caller,
        project_id=project_id,
        asset_id=asset_id,
        payload_type_url=payload_type_url,
        payload_value=payload_value,
        blobs=_checked_blob_refs(project_id, blob_refs),
        blob_fields=[f"revision.blobs[{i}].blob" for i in range(len(blob_refs))],
        parents=_checked_parents(project_id, parents),
        labels=label_rules.validated(labels, "revision.labels"),
        message=message,
        request_id=project_rules.checked_request_id(request_id),
        expected_revision_count=expected_revision_count,
        expected_etag=expected_etag,
    )


def check_batch(project_id: str, drafts: Sequence[RevisionDraft]) -> None:
    """A batch create has 1 to ``MAX_BATCH_ENTRIES`` entries, all for assets
    of the project named by the request's ``parent``."""
    if not 1 <= len(drafts) <= MAX_BATCH_ENTRIES:
        raise InvalidArgument.for_field("requests", f"must hold 1 to {MAX_BATCH_ENTRIES} entries, not {len(drafts)}")
    for index, draft in enumerate(drafts):
        if draft.project_id != project_id:
            raise InvalidArgument.for_field(f"requests[{index}].parent", f"must be an asset of projects/{project_id}")


def _checked_blob_refs(project_id: str, refs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(refs) > MAX_BLOB_REFS:
        raise InvalidArgument.for_field("revision.blobs", f"at most {MAX_BLOB_REFS} blobs per revision")
    checked = []
    for index, (role, blob) in enumerate(refs):
        if ROLE_PATTERN.fullmatch(role) is None:
            raise InvalidArgument.for_field(
                f"revision.blobs[{index}].role", "must be lowercase [a-z][a-z0-9_.-], up to 64 characters"
            )
        blob_project, sha256 = parse_blob(blob, f"revision.blobs[{index}].blob")
        if blob_project != project_id:
            raise InvalidArgument.for_field(f"revision.blobs[{index}].blob", "must be a blob of the same project")
        checked.append((role, sha256))
    return checked


def _checked_parents(project_id: str, parents: Sequence[str]) -> list[ParentRef]:
    if len(parents) > MAX_PARENTS:
        raise InvalidArgument.for_field("revision.parents", f"at most {MAX_PARENTS} parents per revision")
    checked = []
    for index, parent in enumerate(parents):
        name: RevisionName = parse_revision(parent, f"revision.parents[{index}]")
        if name.project != project_id:
            raise InvalidArgument.for_field(f"revision.parents[{index}]", "must be a revision of the same project")
        checked.append(ParentRef(name.asset, None if name.is_latest else name.number, f"revision.parents[{index}]"))
    return checked


def blobs_json(refs: Iterable[BlobRefRecord]) -> str:
    return json.dumps(
        [{"role": r.role, "sha256": r.sha256, "media_type": r.media_type, "size_bytes": r.size_bytes} for r in refs],
        separators=(",", ":"),
    )


def record_of(row: Row, history: Sequence[ReviewEventRecord] = ()) -> RevisionRecord:
    """``row`` has the revision columns plus ``asset_id`` and ``project_id``."""
    return RevisionRecord(
        project_id=row.project_id,
        asset_id=row.asset_id,
        number=row.number,
        payload_type_url=row.payload_type_url,
        payload_value=bytes(row.payload_value),
        blobs=[BlobRefRecord(**ref) for ref in json.loads(row.blobs)],
        parents=json.loads(row.parents),
        labels=label_rules.from_json(row.labels),
        message=row.message,
        creator=row.creator,
        request_id=row.request_id or "",
        review_status=row.review_status,
        create_time_us=row.create_time_us,
        review_history=list(history),
    )


def joined_query():
    return select(*REVISION_COLUMNS).select_from(
        revisions.join(assets, revisions.c.asset_pk == assets.c.pk).join(projects, assets.c.project_pk == projects.c.pk)
    )


def review_histories(conn: Connection, rows: Sequence[Row]) -> dict[tuple[int, int], list[ReviewEventRecord]]:
    """Review events of the reviewed revisions among ``rows``, oldest first."""
    keys = [(row.asset_pk, row.number) for row in rows if row.review_status]
    found: dict[tuple[int, int], list[ReviewEventRecord]] = {}
    if not keys:
        return found
    query = (
        select(review_events)
        .where(tuple_(review_events.c.asset_pk, review_events.c.number).in_(keys))
        .order_by(review_events.c.pk)
    )
    for event in conn.execute(query).all():
        found.setdefault((event.asset_pk, event.number), []).append(
            ReviewEventRecord(event.status, event.actor, event.comment, event.time_us)
        )
    return found


def records_of(conn: Connection, rows: Sequence[Row]) -> list[RevisionRecord]:
    histories = review_histories(conn, rows)
    return [record_of(row, histories.get((row.asset_pk, row.number), ())) for row in rows]


def find_rows(conn: Connection, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Row]:
    """Revision rows by ``(asset_pk, number)``."""
    if not keys:
        return {}
    query = joined_query().where(tuple_(revisions.c.asset_pk, revisions.c.number).in_(list(keys)))
    return {(row.asset_pk, row.number): row for row in conn.execute(query).all()}


_BY_ASSET = joined_query().where(
    projects.c.tenant == bindparam("tenant"),
    projects.c.project_id == bindparam("project_id"),
    assets.c.asset_id == bindparam("asset_id"),
)
_BY_NUMBER = _BY_ASSET.where(revisions.c.number == bindparam("number"))
_LATEST = _BY_ASSET.where(revisions.c.number == assets.c.revision_count)


def _revision_row(conn: Connection, caller: Caller, name: RevisionName, text: str) -> Row:
    parameters = {"tenant": caller.tenant, "project_id": name.project, "asset_id": name.asset}
    if name.is_latest:
        row = conn.execute(_LATEST, parameters).first()
    else:
        row = conn.execute(_BY_NUMBER, {**parameters, "number": name.number}).first()
    if row is None:
        raise not_found("revision", text)
    return row


class Revisions:
    def __init__(self, database: Database, paging: Paging) -> None:
        self._db = database
        self._paging = paging

    async def get(self, caller: Caller, name: RevisionName, text: str) -> RevisionRecord:
        return await self._db.read(lambda conn: records_of(conn, [_revision_row(conn, caller, name, text)])[0])

    async def list(self, caller: Caller, project_id: str, asset_id: str, *, page_size: int, page_token: str) -> Page:
        size = self._paging.size(page_size)
        query_key = {"list": "revisions", "asset": asset_name(project_id, asset_id)}
        position = self._paging.position(page_token, query_key)

        def fetch(conn: Connection) -> tuple[list[Row], list[RevisionRecord]]:
            asset = asset_rules.existing_row(conn, caller.tenant, project_id, asset_id)
            query = joined_query().where(revisions.c.asset_pk == asset.pk)
            if position is not None:
                query = query.where(revisions.c.number < int(position["number"]))
            rows = conn.execute(query.order_by(revisions.c.number.desc()).limit(size + 1)).all()
            return rows, records_of(conn, rows[:size])

        rows, records = await self._db.read(fetch)
        page = self._paging.page(rows, size, query_key, lambda row: {"number": row.number}, lambda row: row)
        return Page(records, page.next_page_token)

    async def review(self, caller: Caller, name: RevisionName, text: str, *, status: int, comment: str) -> RevisionRecord:
        if status not in REVIEW_STATUSES:
            raise InvalidArgument.for_field("status", "must be PENDING, ACCEPTED or REJECTED")
        if len(comment) > MAX_COMMENT_CHARS:
            raise InvalidArgument.for_field("comment", f"must be at most {MAX_COMMENT_CHARS} characters")

        def record_review(conn: Connection) -> RevisionRecord:
            asset = asset_rules.find_row(conn, caller.tenant, name.project, name.asset, lock=True)
            if asset is None:
                raise not_found("revision", text)
            number = asset.revision_count if name.is_latest else name.number
            if number < 1 or number > asset.revision_count:
                raise not_found("revision", text)
            asset_rules.require_writable(asset)
            now = now_us()
            conn.execute(
                update(revisions)
                .where(revisions.c.asset_pk == asset.pk, revisions.c.number == number)
                .values(review_status=status)
            )
            conn.execute(
                insert(review_events).values(
                    asset_pk=asset.pk, number=number, status=status, actor=caller.principal, comment=comment, time_us=now
                )
            )
            if number == asset.revision_count:
                conn.execute(
                    update(assets).where(assets.c.pk == asset.pk).values(head_review_status=status, update_time_us=now)
                )
            row = _revision_row(conn, caller, RevisionName(name.project, name.asset, str(number)), text)
            return records_of(conn, [row])[0]

        return await self._db.write(record_review)
