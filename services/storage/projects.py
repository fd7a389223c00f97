"""Projects: create, get, list, update, soft delete; each owned by the
tenant that created it.

Project ids are unique within a tenant and every query names the caller's
tenant, so another tenant's project is indistinguishable from a missing one
(the same NOT_FOUND), and a tenant can never learn that an id is taken
elsewhere.
"""

from __future__ import annotations

import math
import re
import secrets
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from services.runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, not_found
from services.runtime.resource_names import PROJECT_ID, project_name
from services.storage import labels as label_rules
from services.storage.database import Database, now_us
from services.storage.etags import check_etag
from services.storage.paging import Paging
from services.storage.records import Caller, Page, ProjectRecord
from services.storage.schema import projects

MAX_TITLE_CHARS = 200
MAX_OWNER_CHARS = 128
MAX_REQUEST_ID_CHARS = 128
MICROS_PER_USD = 1_000_000
UPDATABLE_FIELDS = ("title", "owner", "labels", "budget_usd")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_id(length: int = 12) -> str:
    """A random URL-safe id (62 bits) that matches every id pattern."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def checked_request_id(request_id: str, field: str = "request_id") -> str | None:
    if len(request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_REQUEST_ID_CHARS} characters")
    return request_id or None


def usd_to_micros(value: float, field: str, *, allow_negative: bool = False) -> int:
    if not math.isfinite(value) or (value < 0 and not allow_negative) or abs(value) > 1e12:
        raise InvalidArgument.for_field(field, "must be a finite amount of US dollars" + ("" if allow_negative else " >= 0"))
    return round(value * MICROS_PER_USD)


def _checked_title(title: str, field: str) -> str:
    if not title.strip():
        raise InvalidArgument.for_field(field, "is required")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_TITLE_CHARS} characters")
    return title


def _checked_owner(owner: str, field: str) -> str:
    if len(owner) > MAX_OWNER_CHARS:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_OWNER_CHARS} characters")
    return owner


def record_of(row: Row) -> ProjectRecord:
    return ProjectRecord(
        project_id=row.project_id,
        tenant=row.tenant,
        title=row.title,
        owner=row.owner,
        labels=label_rules.from_json(row.labels),
        budget_micros=row.budget_micros,
        spent_micros=row.spent_micros,
        version=row.version,
        create_time_us=row.create_time_us,
        update_time_us=row.update_time_us,
        delete_time_us=row.delete_time_us,
    )


_BY_ID = select(projects).where(projects.c.tenant == bindparam("tenant"), projects.c.project_id == bindparam("project_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()


def find_row(conn: Connection, tenant: str, project_id: str, *, lock: bool = False) -> Row | None:
    query = _BY_ID_LOCKED if lock else _BY_ID
    return conn.execute(query, {"tenant": tenant, "project_id": project_id}).first()


def existing_row(conn: Connection, tenant: str, project_id: str, *, lock: bool = False) -> Row:
    """The caller's project; NOT_FOUND when missing or another tenant's."""
    row = find_row(conn, tenant, project_id, lock=lock)
    if row is None:
        raise not_found("project", project_name(project_id))
    return row


def require_writable(row: Row) -> None:
    """Soft-deleted projects are read-only."""
    if row.delete_time_us is not None:
        raise FailedPrecondition(
            f"project {project_name(row.project_id)!r} is deleted and read-only",
            reason="PROJECT_DELETED",
            metadata={"name": project_name(row.project_id)},
        )


class Projects:
    def __init__(self, database: Database, paging: Paging) -> None:
        self._db = database
        self._paging = paging

    async def create(
        self,
        caller: Caller,
        *,
        title: str,
        owner: str,
        labels: Mapping[str, str],
        budget_usd: float,
        project_id: str,
        request_id: str,
    ) -> ProjectRecord:
        if project_id and re.fullmatch(PROJECT_ID, project_id) is None:
            raise InvalidArgument.for_field("project_id", "must match [a-z0-9][a-z0-9-]{0,62}", "INVALID_NAME")
        values = {
            "tenant": caller.tenant,
            "title": _checked_title(title, "project.title"),
            "owner": _checked_owner(owner or caller.principal, "project.owner"),
            "labels": label_rules.to_json(label_rules.validated(labels, "project.labels")),
            "budget_micros": usd_to_micros(budget_usd, "project.budget_usd"),
            "spent_micros": 0,
            "version": 1,
            "request_id": checked_request_id(request_id),
        }
        for _attempt in range(3):
            try:
                return await self._insert(caller, values, project_id)
            except IntegrityError:
                # A concurrent create with the same request id or project id
                # won (or, once in 2**62, a generated id was taken: try again).
                earlier = await self._after_conflict(caller, values["request_id"])
                if earlier is not None:
                    return earlier
                if project_id:
                    raise _taken(project_id) from None
        raise AlreadyExists("could not generate a free project id", reason="PROJECT_ID_CONFLICT")

    async def _insert(self, caller: Caller, values: dict[str, Any], project_id: str) -> ProjectRecord:
        def insert(conn: Connection) -> ProjectRecord:
            if values["request_id"] is not None:
                earlier = _by_request_id(conn, caller.tenant, values["request_id"])
                if earlier is not None:
                    return record_of(earlier)
            if project_id and find_row(conn, caller.tenant, project_id) is not None:
                raise _taken(project_id)
            now = now_us()
            row_values = {**values, "project_id": project_id or new_id(), "create_time_us": now, "update_time_us": now}
            conn.execute(projects.insert().values(**row_values))
            return record_of(existing_row(conn, caller.tenant, row_values["project_id"]))

        return await self._db.write(insert)

    async def _after_conflict(self, caller: Caller, request_id: str | None) -> ProjectRecord | None:
        if request_id is None:
            return None
        earlier = await self._db.read(lambda conn: _by_request_id(conn, caller.tenant, request_id))
        return record_of(earlier) if earlier is not None else None

    async def get(self, caller: Caller, project_id: str) -> ProjectRecord:
        return await self._db.read(lambda conn: record_of(existing_row(conn, caller.tenant, project_id)))

    async def list(self, caller: Caller, *, page_size: int, page_token: str, owner: str, show_deleted: bool) -> Page:
        size = self._paging.size(page_size)
        query_key = {"list": "projects", "tenant": caller.tenant, "owner": owner, "show_deleted": show_deleted}
        position = self._paging.position(page_token, query_key)
        query = select(projects).where(projects.c.tenant == caller.tenant)
        if owner:
            query = query.where(projects.c.owner == owner)
        if not show_deleted:
            query = query.where(projects.c.delete_time_us.is_(None))
        if position is not None:
            query = query.where(projects.c.pk < int(position["pk"]))
        query = query.order_by(projects.c.pk.desc()).limit(size + 1)
        rows = await self._db.read(lambda conn: conn.execute(query).all())
        return self._paging.page(rows, size, query_key, lambda row: {"pk": row.pk}, record_of)

    async def update(
        self, caller: Caller, project_id: str, *, paths: Sequence[str], changes: Mapping[str, Any], etag: str
    ) -> ProjectRecord:
        values = _validated_changes(paths, changes)

        def change(conn: Connection) -> ProjectRecord:
            row = existing_row(conn, caller.tenant, project_id, lock=True)
            require_writable(row)
            check_etag(etag, row.version, "project.etag")
            conn.execute(
                update(projects)
                .where(projects.c.pk == row.pk)
                .values(**values, version=row.version + 1, update_time_us=now_us())
            )
            return record_of(existing_row(conn, caller.tenant, project_id))

        return await self._db.write(change)

    async def delete(self, caller: Caller, project_id: str, etag: str) -> ProjectRecord:
        def soft_delete(conn: Connection) -> ProjectRecord:
            row = existing_row(conn, caller.tenant, project_id, lock=True)
            if row.delete_time_us is not None:
                return record_of(row)
            check_etag(etag, row.version, "etag")
            now = now_us()
            conn.execute(
                update(projects)
                .where(projects.c.pk == row.pk)
                .values(delete_time_us=now, update_time_us=now, version=row.version + 1)
            )
            return record_of(existing_row(conn, caller.tenant, project_id))

        return await self._db.write(soft_delete)


def _by_request_id(conn: Connection, tenant: str, request_id: str) -> Row | None:
    query = select(projects).where(projects.c.tenant == tenant, projects.c.request_id == request_id)
    return conn.execute(query).first()


def _validated_changes(paths: Sequence[str], changes: Mapping[str, Any]) -> dict[str, Any]:
    if not paths:
        raise InvalidArgument.for_field("update_mask", f"name the fields to update: {', '.join(UPDATABLE_FIELDS)}")
    values: dict[str, Any] = {}
    for path in paths:
        if path == "title":
            values["title"] = _checked_title(changes["title"], "project.title")
        elif path == "owner":
            values["owner"] = _checked_owner(changes["owner"], "project.owner")
        elif path == "labels":
            values["labels"] = label_rules.to_json(label_rules.validated(changes["labels"], "project.labels"))
        elif path == "budget_usd":
            values["budget_micros"] = usd_to_micros(changes["budget_usd"], "project.budget_usd")
        else:
            raise InvalidArgument.for_field(
                "update_mask", f"{path[:80]!r} cannot be updated; allowed: {', '.join(UPDATABLE_FIELDS)}"
            )
    return values


def _taken(project_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"project {project_name(project_id)!r} already exists",
        reason="PROJECT_ALREADY_EXISTS",
        metadata={"name": project_name(project_id)},
    )
