"""Lineage walks: from a revision up to its ancestors or down to its
descendants, breadth first, each revision once.

The walk order is deterministic (by level, then by the order of the
revision reached from, then by parent position or child key), so a page
token holds the start revision and how many entries were returned, and a
later page walks again and skips that many.

What paging guarantees. Ancestors never change: a revision's parents are
fixed when it is created and revisions are never deleted, so the pages of
an ancestors walk are one walk. Descendants grow while a client pages
through, so the first page fixes *which revisions exist for this walk* by
the database's own notion of visibility (a "visibility mark", kept in the
token), and every page of the walk, the first included, walks only those.
Across the pages of one descendants walk:

- every descendant within ``max_depth`` whose create had committed when
  the first page's read transaction took its snapshot appears exactly once,
  in walk order;
- a revision whose create commits later appears on no page of that walk,
  however early its ``create_time`` (it is set before the commit); a new
  walk (no token) sees it.

A revision and its parent edges are written in one transaction, so a mark
sees a revision with all its edges or not at all.

The mark, by database (``visibility_mark`` and ``_visible_to``, the only
database-specific code here):

- SQLite: ``max(rowid)`` of ``revisions`` (a rowid table: its primary key is
  composite). Write transactions are serialized by SQLite's database-wide
  write lock (``BEGIN IMMEDIATE``, see ``database.py``), a new row takes
  ``max(rowid) + 1``, revision rows are never deleted, and an insert that
  rolls back leaves no row (the next insert takes its rowid), so rowids grow
  in commit order: ``rowid <= mark`` are exactly the rows committed when the
  first page read the mark, in the same snapshot as its walk.
- PostgreSQL: writers commit concurrently and in any order, so no counter
  would do. Each revision row records its inserting transaction
  (``create_xact``, filled by the server default ``pg_current_xact_id()``,
  which is the top-level transaction even inside a savepoint); the mark is
  ``pg_current_snapshot()`` taken before the first page's walk (the reads run
  at READ COMMITTED, so each later statement and page sees a superset of
  it), and a row is walked when ``pg_visible_in_snapshot(create_xact, mark)``.
  Rows written before migration 0002 have no ``create_xact`` and count as
  visible (they committed long before). The mark is ``xmin:xmax:`` and the
  ids of the transactions then in progress (at most one per server
  connection or prepared transaction): a token is about 120 bytes, and each
  transaction in flight adds its id (7 to 15 bytes), so about 1.5 KB with
  100 in flight.

A token from another query, a changed byte, or a mark of the wrong shape is
INVALID_ARGUMENT (``page_token``).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from sqlalchemy import ColumnElement, Connection, bindparam, literal_column, or_, select, tuple_
from sqlalchemy import text as sql

from services.runtime.errors import InvalidArgument, not_found
from services.runtime.resource_names import RevisionName, revision_name
from services.storage import assets as asset_rules
from services.storage import revisions as revision_rules
from services.storage.database import Database
from services.storage.paging import Paging
from services.storage.records import Caller, LineageEntryRecord, Page
from services.storage.schema import revision_parents, revisions

ANCESTORS = 1
DESCENDANTS = 2
_IN_CHUNK = 500

Key = tuple[int, int]  # (asset_pk, number)
Mark = int | str  # see visibility_mark


class Lineage:
    def __init__(self, database: Database, paging: Paging) -> None:
        self._db = database
        self._paging = paging

    async def walk(
        self,
        caller: Caller,
        name: RevisionName,
        text: str,
        *,
        direction: int,
        max_depth: int,
        page_size: int,
        page_token: str,
    ) -> Page:
        if direction not in (ANCESTORS, DESCENDANTS):
            raise InvalidArgument.for_field("direction", "must be ANCESTORS or DESCENDANTS")
        if max_depth < 0:
            raise InvalidArgument.for_field("max_depth", "must not be negative")
        size = self._paging.size(page_size)
        query_key = {"walk": text, "direction": direction, "max_depth": max_depth}
        position = self._paging.position(page_token, query_key)
        mark: Mark | None = None
        if position is not None and direction == DESCENDANTS:
            mark = _checked_mark(self._db.dialect, position.get("mark"))

        def walk(conn: Connection) -> Page:
            nonlocal mark
            asset = asset_rules.find_row(conn, caller.tenant, name.project, name.asset)
            if asset is None:
                raise not_found("revision", text)
            if position is not None:
                # The start stays the revision `latest` named on the first page.
                number, offset = int(position["start"]), int(position["offset"])
            else:
                number = asset.revision_count if name.is_latest else name.number
                offset = 0
                if direction == DESCENDANTS:
                    mark = visibility_mark(conn)  # before the walk reads any edge
            if number < 1 or number > asset.revision_count:
                raise not_found("revision", text)
            reached = _breadth_first(conn, (asset.pk, number), direction, max_depth, offset + size + 1, mark)
            page = reached[offset : offset + size]
            rows = revision_rules.find_rows(conn, [key for key, _d, _v in page] + [via for _k, _d, via in page])
            records = revision_rules.records_of(conn, [rows[key] for key, _d, _v in page])
            entries = [
                LineageEntryRecord(record, depth, _name_of(rows[via])) for record, (_key, depth, via) in zip(records, page)
            ]
            more = len(reached) > offset + size
            next_position: dict[str, Any] = {"start": number, "offset": offset + size}
            if mark is not None:
                next_position["mark"] = mark
            return Page(entries, self._paging.encode(next_position, query_key) if more else "")

        return await self._db.read(walk)


def _name_of(row) -> str:
    return revision_name(row.project_id, row.asset_id, row.number)


# Visibility marks: which revisions a walk sees (see the module docstring).

_SNAPSHOT = re.compile(r"[0-9]{1,20}:[0-9]{1,20}:(?:[0-9]{1,20}(?:,[0-9]{1,20})*)?")
_MAX_SNAPSHOT_CHARS = 64 * 1024


def visibility_mark(conn: Connection) -> Mark:
    """The revisions visible to ``conn``'s transaction now: on SQLite the
    greatest rowid of ``revisions`` (0 when empty), on PostgreSQL the text
    of the current snapshot (``xmin:xmax:xip,...``)."""
    if conn.dialect.name == "sqlite":
        return int(conn.execute(sql("SELECT coalesce(max(rowid), 0) FROM revisions")).scalar_one())
    return str(conn.execute(sql("SELECT pg_current_snapshot()::text")).scalar_one())


def _visible_to(dialect: str, mark: Mark) -> ColumnElement[bool]:
    """A condition on ``revisions``: the row was visible when ``mark`` was
    taken."""
    if dialect == "sqlite":
        return literal_column("revisions.rowid") <= bindparam("visibility_mark", mark)
    return or_(
        revisions.c.create_xact.is_(None),
        sql("pg_visible_in_snapshot(revisions.create_xact::text::xid8, CAST(:visibility_mark AS TEXT)::pg_snapshot)")
        .bindparams(visibility_mark=mark),
    )


def _checked_mark(dialect: str, mark: Any) -> Mark:
    """A mark from a page token, of the shape ``visibility_mark`` makes on
    this database, or INVALID_ARGUMENT (``page_token``): the token is signed,
    but may come from another version or another kind of database."""
    if dialect == "sqlite":
        if isinstance(mark, int) and not isinstance(mark, bool) and 0 <= mark < 2**63:
            return mark
    elif isinstance(mark, str) and len(mark) <= _MAX_SNAPSHOT_CHARS and _SNAPSHOT.fullmatch(mark):
        return mark
    raise InvalidArgument.for_field("page_token", "is not a page token issued for this query", "INVALID_PAGE_TOKEN")


def _breadth_first(
    conn: Connection, start: Key, direction: int, max_depth: int, limit: int, mark: Mark | None
) -> list[tuple[Key, int, Key]]:
    """``(revision, depth, reached_from)`` in walk order, at most ``limit``."""
    visited = {start}
    frontier = [start]
    reached: list[tuple[Key, int, Key]] = []
    depth = 0
    while frontier and len(reached) < limit and (max_depth == 0 or depth < max_depth):
        depth += 1
        next_frontier = []
        for source, target in _edges(conn, frontier, direction, mark):
            if target not in visited:
                visited.add(target)
                reached.append((target, depth, source))
                next_frontier.append(target)
        frontier = next_frontier
    return reached[:limit]


def _edges(conn: Connection, frontier: Sequence[Key], direction: int, mark: Mark | None) -> list[tuple[Key, Key]]:
    """Edges out of ``frontier`` as ``(from, to)``, in walk order; going down,
    only to revisions visible at ``mark``."""
    order = {key: index for index, key in enumerate(frontier)}
    found: list[tuple[tuple, Key, Key]] = []
    for chunk in _chunks(frontier):
        if direction == ANCESTORS:
            query = select(revision_parents).where(
                tuple_(revision_parents.c.asset_pk, revision_parents.c.number).in_(chunk)
            )
            for edge in conn.execute(query).all():
                source = (edge.asset_pk, edge.number)
                found.append(((order[source], edge.position), source, (edge.parent_asset_pk, edge.parent_number)))
        else:
            assert mark is not None
            query = (
                select(revision_parents)
                .join(
                    revisions,
                    (revisions.c.asset_pk == revision_parents.c.asset_pk)
                    & (revisions.c.number == revision_parents.c.number),
                )
                .where(
                    tuple_(revision_parents.c.parent_asset_pk, revision_parents.c.parent_number).in_(chunk),
                    _visible_to(conn.dialect.name, mark),
                )
            )
            for edge in conn.execute(query).all():
                source = (edge.parent_asset_pk, edge.parent_number)
                target = (edge.asset_pk, edge.number)
                found.append(((order[source], *target), source, target))
    found.sort(key=lambda item: item[0])
    return [(source, target) for _order, source, target in found]


def _chunks(keys: Sequence[Key]) -> Iterable[list[Key]]:
    for start in range(0, len(keys), _IN_CHUNK):
        yield list(keys[start : start + _IN_CHUNK])
