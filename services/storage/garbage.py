"""Garbage collection of blob content.

A blob (a project's row naming some content) is garbage when no revision of
a live asset references it (live: neither the asset nor its project is
soft-deleted) and it was last uploaded longer ago than the grace period (an
upload comes before the revision that will reference it). Content is
removed when no blob row names it any more. Content still referenced by a
revision of a live asset is never removed.

Three passes, each safe against uploads and revision creates running at the
same time:
1. Delete garbage blob rows. On PostgreSQL the candidate rows are locked
   first and the condition is checked again by a later statement, which sees
   every revision committed before the lock was granted; a revision create
   holds ``FOR SHARE`` on the blob rows it references until it commits.
2. Remove content no blob row names: lock its ``blob_contents`` row (as an
   upload does), check again, delete the file, then the row.
3. Remove files with no ``blob_contents`` row (a crash between placing the
   file and committing) and unfinished uploads, once older than the grace
   period.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, exists, func, not_, select, tuple_

from services.storage.blobs import ContentStore, StoredContent
from services.storage.database import Database, now_us
from services.storage.schema import assets, blob_contents, blobs, projects, revision_blobs

_LOGGER = logging.getLogger(__name__)

_BATCH = 500


@dataclass(frozen=True)
class GarbageReport:
    removed_blobs: int
    freed_bytes: int
    kept_blobs: int


def _live_reference():
    """A revision of a live asset (neither it nor its project deleted)
    references the blob row of the enclosing query."""
    return exists().where(
        and_(
            revision_blobs.c.project_pk == blobs.c.project_pk,
            revision_blobs.c.sha256 == blobs.c.sha256,
            assets.c.pk == revision_blobs.c.asset_pk,
            assets.c.delete_time_us.is_(None),
            projects.c.pk == assets.c.project_pk,
            projects.c.delete_time_us.is_(None),
        )
    )


def _garbage_rows(cutoff_us: int):
    return and_(blobs.c.last_upload_time_us < cutoff_us, not_(_live_reference()))


def _unnamed_content():
    return not_(exists().where(blobs.c.sha256 == blob_contents.c.sha256))


class GarbageCollector:
    def __init__(self, database: Database, store: ContentStore, grace_seconds: float) -> None:
        self._db = database
        self._store = store
        self._grace_seconds = grace_seconds

    async def collect(self, *, dry_run: bool = False) -> GarbageReport:
        cutoff = now_us() - int(self._grace_seconds * 1_000_000)
        if dry_run:
            report = await self._estimate(cutoff)
        else:
            await self._delete_garbage_rows(cutoff)
            removed, freed = await self._remove_unnamed_content()
            orphans, orphan_bytes = await self._remove_orphan_files()
            report = GarbageReport(removed + orphans, freed + orphan_bytes, await self._count_kept())
        _LOGGER.info(
            "garbage collection%s: %d blob contents (%d bytes) removed, %d kept",
            " (dry run)" if dry_run else "",
            report.removed_blobs,
            report.freed_bytes,
            report.kept_blobs,
        )
        return report

    async def _delete_garbage_rows(self, cutoff: int) -> None:
        def delete_batch(conn: Connection) -> int:
            candidates = conn.execute(
                select(blobs.c.project_pk, blobs.c.sha256).where(_garbage_rows(cutoff)).limit(_BATCH).with_for_update(of=blobs)
            ).all()
            if candidates:
                keys = [tuple(row) for row in candidates]
                conn.execute(delete(blobs).where(tuple_(blobs.c.project_pk, blobs.c.sha256).in_(keys), _garbage_rows(cutoff)))
            return len(candidates)

        while await self._db.write(delete_batch) == _BATCH:
            pass

    async def _remove_unnamed_content(self) -> tuple[int, int]:
        def remove_batch(conn: Connection) -> tuple[int, int, int]:
            rows = conn.execute(
                select(blob_contents.c.sha256).where(_unnamed_content()).limit(_BATCH).with_for_update()
            ).all()
            if not rows:
                return 0, 0, 0
            # Checked again now that the rows are locked: an upload that
            # committed meanwhile named the content.
            still = conn.execute(
                select(blob_contents.c.sha256, blob_contents.c.size_bytes).where(
                    blob_contents.c.sha256.in_([row.sha256 for row in rows]), _unnamed_content()
                )
            ).all()
            for row in still:
                # Deleted before the row: a crash in between leaves a row
                # without a file, which the next run removes.
                self._store.delete(row.sha256)
            if still:
                conn.execute(delete(blob_contents).where(blob_contents.c.sha256.in_([r.sha256 for r in still])))
            return len(rows), len(still), sum(r.size_bytes for r in still)

        removed = freed = 0
        while True:
            candidates, batch_removed, batch_freed = await self._db.write(remove_batch)
            removed, freed = removed + batch_removed, freed + batch_freed
            if candidates < _BATCH:
                return removed, freed

    async def _remove_orphan_files(self) -> tuple[int, int]:
        await self._store.sweep_temporary(self._grace_seconds)
        cutoff = time.time() - self._grace_seconds
        stale = [item for item in await self._store.list_contents() if item.modified_time < cutoff]

        def remove_batch(conn: Connection, chunk: dict[str, StoredContent]) -> tuple[int, int]:
            removed = freed = 0
            known = conn.execute(select(blob_contents.c.sha256).where(blob_contents.c.sha256.in_(list(chunk))))
            for sha256 in set(chunk) - {row.sha256 for row in known}:
                # On PostgreSQL an upload placing this content holds its
                # (uncommitted) row; claiming the row first waits for it.
                claimed = conn.execute(
                    self._db.insert(blob_contents)
                    .values(sha256=sha256, size_bytes=0, create_time_us=0)
                    .on_conflict_do_nothing()
                    .returning(blob_contents.c.sha256)
                )
                if claimed.first() is None:
                    continue
                self._store.delete(sha256)
                conn.execute(delete(blob_contents).where(blob_contents.c.sha256 == sha256))
                removed, freed = removed + 1, freed + chunk[sha256].size_bytes
            return removed, freed

        removed = freed = 0
        for start in range(0, len(stale), _BATCH):
            chunk = {item.sha256: item for item in stale[start : start + _BATCH]}
            batch_removed, batch_freed = await self._db.write(lambda conn, chunk=chunk: remove_batch(conn, chunk))
            removed, freed = removed + batch_removed, freed + batch_freed
        return removed, freed

    async def _count_kept(self) -> int:
        query = select(func.count(func.distinct(blobs.c.sha256))).where(_live_reference())
        return int(await self._db.read(lambda conn: conn.execute(query).scalar_one()))

    async def _estimate(self, cutoff: int) -> GarbageReport:
        """What a run would remove now (orphan files included)."""
        surviving = select(blobs.c.sha256).where(not_(_garbage_rows(cutoff)))
        removable = select(blob_contents.c.sha256, blob_contents.c.size_bytes).where(
            blob_contents.c.sha256.not_in(surviving)
        )

        def read(conn: Connection):
            rows = conn.execute(removable).all()
            known = {row.sha256 for row in conn.execute(select(blob_contents.c.sha256)).all()}
            return rows, known

        rows, known = await self._db.read(read)
        file_cutoff = time.time() - self._grace_seconds
        orphans = [
            item for item in await self._store.list_contents() if item.sha256 not in known and item.modified_time < file_cutoff
        ]
        return GarbageReport(
            len(rows) + len(orphans),
            sum(r.size_bytes for r in rows) + sum(o.size_bytes for o in orphans),
            await self._count_kept(),
        )
