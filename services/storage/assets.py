"""Assets: stable, named containers of immutable revisions, with a kind and
labels for queries."""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection, and_, bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from services.runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, not_found
from services.runtime.resource_names import ASSET_ID, asset_name
from services.storage import labels as label_rules
from services.storage import projects as project_rules
from services.storage.database import Database, now_us
from services.storage.etags import check_etag
from services.storage.paging import Paging
from services.storage.records import ASSET_KINDS, REVIEW_STATUSES, AssetRecord, Caller, Page
from services.storage.schema import asset_labels, assets, projects

MAX_DISPLAY_NAME_CHARS = 200
UPDATABLE_FIELDS = ("display_name", "labels")

# An asset row joined with what its project adds (tenant check, read-only).
ASSET_COLUMNS = (
    *assets.c,
    projects.c.project_id,
    projects.c.tenant,
    projects.c.delete_time_us.label("project_delete_time_us"),
)


def record_of(row: Row) -> AssetRecord:
    return AssetRecord(
        project_id=row.project_id,
        asset_id=row.asset_id,
        kind=row.kind,
        display_name=row.display_name,
        labels=label_rules.from_json(row.labels),
        revision_count=row.revision_count,
        head_review_status=row.head_review_status,
        version=row.version,
        create_time_us=row.create_time_us,
        update_time_us=row.update_time_us,
        delete_time_us=row.delete_time_us,
    )


def checked_kind(kind: int, field: str, *, allow_unspecified: bool = False) -> int:
    if kind == 0 and allow_unspecified:
        return kind
    if kind not in ASSET_KINDS:
        raise InvalidArgument.for_field(field, "must be one of the AssetKind values (not UNSPECIFIED)", "INVALID_KIND")
    return kind


def checked_review_filter(status: int, field: str) -> int:
    if status != 0 and status not in REVIEW_STATUSES:
        raise InvalidArgument.for_field(field, "is not a ReviewStatus value")
    return status


def _checked_display_name(display_name: str, field: str) -> str:
    if len(display_name) > MAX_DISPLAY_NAME_CHARS:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_DISPLAY_NAME_CHARS} characters")
    return display_name


def joined_query():
    return select(*ASSET_COLUMNS).select_from(assets.join(projects, assets.c.project_pk == projects.c.pk))


_BY_ID = joined_query().where(
    projects.c.tenant == bindparam("tenant"),
    projects.c.project_id == bindparam("project_id"),
    assets.c.asset_id == bindparam("asset_id"),
)
_BY_ID_LOCKED = _BY_ID.with_for_update(of=assets)


def find_row(conn: Connection, tenant: str, project_id: str, asset_id: str, *, lock: bool = False) -> Row | None:
    query = _BY_ID_LOCKED if lock else _BY_ID
    return conn.execute(query, {"tenant": tenant, "project_id": project_id, "asset_id": asset_id}).first()


def existing_row(conn: Connection, tenant: str, project_id: str, asset_id: str, *, lock: bool = False) -> Row:
    """The asset; NOT_FOUND (naming the asset) when it, or its project, is
    missing or another tenant's."""
    row = find_row(conn, tenant, project_id, asset_id, lock=lock)
    if row is None:
        raise not_found("asset", asset_name(project_id, asset_id))
    return row


def require_writable(row: Row) -> None:
    """Soft-deleted assets, and assets of soft-deleted projects, are read-only."""
    if row.project_delete_time_us is not None:
        raise FailedPrecondition(
            f"project 'projects/{row.project_id}' is deleted and read-only",
            reason="PROJECT_DELETED",
            metadata={"name": f"projects/{row.project_id}"},
        )
    if row.delete_time_us is not None:
        name = asset_name(row.project_id, row.asset_id)
        raise FailedPrecondition(f"asset {name!r} is deleted and read-only", reason="ASSET_DELETED", metadata={"name": name})


def _replace_labels(conn: Connection, asset_pk: int, labels: Mapping[str, str]) -> None:
    conn.execute(delete(asset_labels).where(asset_labels.c.asset_pk == asset_pk))
    if labels:
        conn.execute(insert(asset_labels), [{"asset_pk": asset_pk, "key": k, "value": v} for k, v in labels.items()])


class Assets:
    def __init__(self, database: Database, paging: Paging) -> None:
        self._db = database
        self._paging = paging

    async def create(
        self,
        caller: Caller,
        project_id: str,
        *,
        kind: int,
        display_name: str,
        labels: Mapping[str, str],
        asset_id: str,
        request_id: str,
    ) -> AssetRecord:
        if asset_id and re.fullmatch(ASSET_ID, asset_id) is None:
            raise InvalidArgument.for_field("asset_id", "must match [a-z0-9][a-z0-9_-]{0,62}", "INVALID_NAME")
        fields = {
            "kind": checked_kind(kind, "asset.kind"),
            "display_name": _checked_display_name(display_name, "asset.display_name"),
            "labels": label_rules.validated(labels, "asset.labels"),
            "request_id": project_rules.checked_request_id(request_id),
        }
        for _attempt in range(3):
            try:
                return await self._insert(caller, project_id, asset_id, fields)
            except IntegrityError:
                # A concurrent create with the same request id or asset id won.
                earlier = await self._by_request_id(caller, project_id, fields["request_id"])
                if earlier is not None:
                    return earlier
                if asset_id:
                    raise _taken(project_id, asset_id) from None
        raise AlreadyExists("could not generate a free asset id", reason="ASSET_ID_CONFLICT")

    async def _insert(self, caller: Caller, project_id: str, asset_id: str, fields: dict[str, Any]) -> AssetRecord:
        return await self._db.write(lambda conn: _insert(conn, caller, project_id, asset_id, fields))

    async def _by_request_id(self, caller: Caller, project_id: str, request_id: str | None) -> AssetRecord | None:
        if request_id is None:
            return None

        def find(conn: Connection) -> Row | None:
            return _row_by_request_id(conn, project_rules.existing_row(conn, caller.tenant, project_id).pk, request_id)

        row = await self._db.read(find)
        return record_of(row) if row is not None else None

    async def get(self, caller: Caller, project_id: str, asset_id: str) -> AssetRecord:
        return await self._db.read(lambda conn: record_of(existing_row(conn, caller.tenant, project_id, asset_id)))

    async def list(
        self,
        caller: Caller,
        project_id: str,
        *,
        page_size: int,
        page_token: str,
        kind: int,
        labels: Mapping[str, str],
        head_review_status: int,
        show_deleted: bool,
    ) -> Page:
        size = self._paging.size(page_size)
        kind = checked_kind(kind, "kind", allow_unspecified=True)
        wanted_labels = label_rules.validated(labels, "labels")
        status = checked_review_filter(head_review_status, "head_review_status")
        query_key = {
            "list": "assets",
            "project": project_id,
            "kind": kind,
            "labels": wanted_labels,
            "status": status,
            "show_deleted": show_deleted,
        }
        position = self._paging.position(page_token, query_key)

        def fetch(conn: Connection) -> list[Row]:
            project = project_rules.existing_row(conn, caller.tenant, project_id)
            query = joined_query().where(assets.c.project_pk == project.pk)
            if kind:
                query = query.where(assets.c.kind == kind)
            if status:
                query = query.where(assets.c.head_review_status == status)
            if not show_deleted:
                query = query.where(assets.c.delete_time_us.is_(None))
            for key, value in sorted(wanted_labels.items()):
                query = query.where(
                    exists().where(
                        and_(asset_labels.c.asset_pk == assets.c.pk, asset_labels.c.key == key, asset_labels.c.value == value)
                    )
                )
            if position is not None:
                query = query.where(assets.c.pk > int(position["pk"]))
            return conn.execute(query.order_by(assets.c.pk).limit(size + 1)).all()

        rows = await self._db.read(fetch)
        return self._paging.page(rows, size, query_key, lambda row: {"pk": row.pk}, record_of)

    async def update(
        self,
        caller: Caller,
        project_id: str,
        asset_id: str,
        *,
        paths: Sequence[str],
        changes: Mapping[str, Any],
        etag: str,
    ) -> AssetRecord:
        values = _validated_changes(paths, changes)
        new_labels = values.pop("labels_dict", None)
        if new_labels is not None:
            values["labels"] = label_rules.to_json(new_labels)

        def change(conn: Connection) -> AssetRecord:
            row = existing_row(conn, caller.tenant, project_id, asset_id, lock=True)
            require_writable(row)
            check_etag(etag, row.version, "asset.etag")
            if new_labels is not None:
                _replace_labels(conn, row.pk, new_labels)
            conn.execute(
                update(assets).where(assets.c.pk == row.pk).values(**values, version=row.version + 1, update_time_us=now_us())
            )
            return record_of(existing_row(conn, caller.tenant, project_id, asset_id))

        return await self._db.write(change)

    async def delete(self, caller: Caller, project_id: str, asset_id: str, etag: str) -> AssetRecord:
        def soft_delete(conn: Connection) -> AssetRecord:
            row = existing_row(conn, caller.tenant, project_id, asset_id, lock=True)
            if row.delete_time_us is not None:
                return record_of(row)
            if row.project_delete_time_us is not None:
                require_writable(row)
            check_etag(etag, row.version, "etag")
            now = now_us()
            conn.execute(
                update(assets)
                .where(assets.c.pk == row.pk)
                .values(delete_time_us=now, update_time_us=now, version=row.version + 1)
            )
            return record_of(existing_row(conn, caller.tenant, project_id, asset_id))

        return await self._db.write(soft_delete)


def _insert(conn: Connection, caller: Caller, project_id: str, asset_id: str, fields: dict[str, Any]) -> AssetRecord:
    project = project_rules.existing_row(conn, caller.tenant, project_id)
    if fields["request_id"] is not None:
        earlier = _row_by_request_id(conn, project.pk, fields["request_id"])
        if earlier is not None:
            return record_of(earlier)
    project_rules.require_writable(project)
    if asset_id and find_row(conn, caller.tenant, project_id, asset_id) is not None:
        raise _taken(project_id, asset_id)
    now = now_us()
    new_asset_id = asset_id or project_rules.new_id()
    result = conn.execute(
        insert(assets).values(
            project_pk=project.pk,
            asset_id=new_asset_id,
            kind=fields["kind"],
            display_name=fields["display_name"],
            labels=label_rules.to_json(fields["labels"]),
            revision_count=0,
            head_review_status=0,
            version=1,
            request_id=fields["request_id"],
            create_time_us=now,
            update_time_us=now,
        )
    )
    _replace_labels(conn, result.inserted_primary_key[0], fields["labels"])
    return record_of(existing_row(conn, caller.tenant, project_id, new_asset_id))


def _row_by_request_id(conn: Connection, project_pk: int, request_id: str) -> Row | None:
    query = joined_query().where(assets.c.project_pk == project_pk, assets.c.request_id == request_id)
    return conn.execute(query).first()


def _validated_changes(paths: Sequence[str], changes: Mapping[str, Any]) -> dict[str, Any]:
    if not paths:
        raise InvalidArgument.for_field("update_mask", f"name the fields to update: {', '.join(UPDATABLE_FIELDS)}")
    values: dict[str, Any] = {}
    for path in paths:
        if path == "display_name":
            values["display_name"] = _checked_display_name(changes["display_name"], "asset.display_name")
        elif path == "labels":
            values["labels_dict"] = label_rules.validated(changes["labels"], "asset.labels")
        else:
            raise InvalidArgument.for_field(
                "update_mask", f"{path[:80]!r} cannot be updated; allowed: {', '.join(UPDATABLE_FIELDS)}"
            )
    return values


def _taken(project_id: str, asset_id: str) -> AlreadyExists:
    name = asset_name(project_id, asset_id)
    return AlreadyExists(f"asset {name!r} already exists", reason="ASSET_ALREADY_EXISTS", metadata={"name": name})
