"""Lineage walks: from a revision up to its ancestors or down to its
descendants, breadth first, each revision once.

The walk order is deterministic (by level, then by the order of the
revision reached from, then by parent position or child key), so a page
token can hold how many entries were returned. Ancestors never change
(parents are fixed when a revision is created); descendants are limited to
revisions created before the first page (``as_of`` in the token), so revisions
created while a client pages through are neither skipped nor repeated.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import Connection, select, tuple_

from services.runtime.errors import InvalidArgument, not_found
from services.runtime.resource_names import RevisionName, revision_name
from services.storage import assets as asset_rules
from services.storage import revisions as revision_rules
from services.storage.database import Database, now_us
from services.storage.paging import Paging
from services.storage.records import Caller, LineageEntryRecord, Page
from services.storage.schema import revision_parents, revisions

ANCESTORS = 1
DESCENDANTS = 2
_IN_CHUNK = 500

Key = tuple[int, int]  # (asset_pk, number)


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

        def walk(conn: Connection) -> Page:
            asset = asset_rules.find_row(conn, caller.tenant, name.project, name.asset)
            if asset is None:
                raise not_found("revision", text)
            if position is not None:
                # The start stays the revision `latest` named on the first page.
                number, offset, as_of = int(position["start"]), int(position["offset"]), int(position["as_of"])
            else:
                number = asset.revision_count if name.is_latest else name.number
                offset, as_of = 0, now_us()
            if number < 1 or number > asset.revision_count:
                raise not_found("revision", text)
            reached = _breadth_first(conn, (asset.pk, number), direction, max_depth, offset + size + 1, as_of)
            page = reached[offset : offset + size]
            rows = revision_rules.find_rows(conn, [key for key, _d, _v in page] + [via for _k, _d, via in page])
            records = revision_rules.records_of(conn, [rows[key] for key, _d, _v in page])
            entries = [
                LineageEntryRecord(record, depth, _name_of(rows[via])) for record, (_key, depth, via) in zip(records, page)
            ]
            more = len(reached) > offset + size
            next_position = {"start": number, "offset": offset + size, "as_of": as_of}
            return Page(entries, self._paging.encode(next_position, query_key) if more else "")

        return await self._db.read(walk)


def _name_of(row) -> str:
    return revision_name(row.project_id, row.asset_id, row.number)


def _breadth_first(
    conn: Connection, start: Key, direction: int, max_depth: int, limit: int, as_of: int
) -> list[tuple[Key, int, Key]]:
    """``(revision, depth, reached_from)`` in walk order, at most ``limit``."""
    visited = {start}
    frontier = [start]
    reached: list[tuple[Key, int, Key]] = []
    depth = 0
    while frontier and len(reached) < limit and (max_depth == 0 or depth < max_depth):
        depth += 1
        next_frontier = []
        for source, target in _edges(conn, frontier, direction, as_of):
            if target not in visited:
                visited.add(target)
                reached.append((target, depth, source))
                next_frontier.append(target)
        frontier = next_frontier
    return reached[:limit]


def _edges(conn: Connection, frontier: Sequence[Key], direction: int, as_of: int) -> list[tuple[Key, Key]]:
    """Edges out of ``frontier`` as ``(from, to)``, in walk order."""
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
            query = (
                select(revision_parents)
                .join(
                    revisions,
                    (revisions.c.asset_pk == revision_parents.c.asset_pk)
                    & (revisions.c.number == revision_parents.c.number),
                )
                .where(
                    tuple_(revision_parents.c.parent_asset_pk, revision_parents.c.parent_number).in_(chunk),
                    revisions.c.create_time_us <= as_of,
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
