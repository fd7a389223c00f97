"""Batched writes of the jobs database: new jobs and saves of changed jobs.

Creates and saves queue up while the group writer is busy; the first one
queued submits a flush, and when the flush runs it takes everything queued
by then. A flush costs a fixed number of statements however many jobs it
carries (each statement is a few thread hops on SQLite: a per-job statement
made the write that dispatches a job to a free slot wait behind a dozen
others):

- creates: one lookup of the request ids already used, then one insert each
  for the job rows, their items and their first events;
- saves: one read of the current versions (row locks on PostgreSQL), the
  version checks in Python, then one update for the job rows, one for the
  items and one insert for the events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Generic, TypeVar

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.media.job_schema import job_events, job_items, jobs

Rows = list[dict[str, Any]]
EntryT = TypeVar("EntryT")

_UPDATE_JOB = (
    update(jobs)
    .where(jobs.c.job_id == bindparam("k_job_id"), jobs.c.version == bindparam("k_version"))
    .values({column.name: bindparam(column.name) for column in jobs.columns if column.name != "job_id"})
)
_ITEM_COLUMNS = [column.name for column in job_items.columns if column.name not in ("job_id", "position")]
_UPDATE_ITEM = (
    update(job_items)
    .where(job_items.c.job_id == bindparam("k_job_id"), job_items.c.position == bindparam("k_position"))
    .values({name: bindparam(name) for name in _ITEM_COLUMNS})
)


@dataclass
class QueuedCreate:
    job_row: dict[str, Any]
    item_rows: Rows
    event_rows: Rows
    future: asyncio.Future
    duplicate: bool = False  # its request id was used before: nothing written


@dataclass
class QueuedSave:
    job_row: dict[str, Any]  # with the keys k_job_id and k_version (the version expected)
    item_rows: Rows
    event_rows: Rows
    replace_items: bool
    on_commit: Callable[[Any], None] | None
    future: asyncio.Future
    conflict: bool = False  # the job's version was not the one expected: nothing written


class Flush(Generic[EntryT]):
    """A writer operation that writes, with ``write``, the entries queued
    until it first runs (the same entries again if the writer retries it)."""

    def __init__(self, queue: list[EntryT], write: Callable[[AsyncConnection, list[EntryT]], Awaitable[None]]) -> None:
        self._queue = queue
        self._write = write
        self.taken: list[EntryT] = []

    async def __call__(self, connection: AsyncConnection) -> list[EntryT]:
        if not self.taken:
            self.taken.extend(self._queue)
            self._queue.clear()
        await self._write(connection, self.taken)
        return self.taken

    def failed(self, written: asyncio.Future) -> None:
        """The writer gave up (the database stayed unreachable)."""
        if written.cancelled() or written.exception() is None:
            return
        if not self.taken:
            self.taken.extend(self._queue)
            self._queue.clear()
        for entry in self.taken:
            fail(entry.future, written.exception())  # type: ignore[attr-defined]


async def write_creates(connection: AsyncConnection, creates: list[QueuedCreate]) -> None:
    used = await _used_request_keys(connection, creates)
    fresh: list[QueuedCreate] = []
    for entry in creates:
        key = _request_key(entry.job_row)
        entry.duplicate = key is not None and key in used
        if key is not None:
            used.add(key)
        if not entry.duplicate:
            fresh.append(entry)
    if fresh:
        await connection.execute(jobs.insert(), [entry.job_row for entry in fresh])
        await _insert(connection, job_items, [row for entry in fresh for row in entry.item_rows])
        await _insert(connection, job_events, [row for entry in fresh for row in entry.event_rows])


async def write_saves(connection: AsyncConnection, saves: list[QueuedSave]) -> None:
    await _update_jobs(connection, saves)
    items: Rows = []
    events: Rows = []
    for entry in saves:
        if entry.conflict:
            continue
        if entry.replace_items:
            await _write_rows(connection, items, events)
            await connection.execute(delete(job_items).where(job_items.c.job_id == entry.job_row["job_id"]))
            await _insert(connection, job_items, entry.item_rows)
        else:
            items.extend(entry.item_rows)
        events.extend(entry.event_rows)
    await _write_rows(connection, items, events)


async def _update_jobs(connection: AsyncConnection, saves: list[QueuedSave]) -> None:
    """Checks each save's expected version against the stored one (and the
    versions the saves before it in this flush move to), then writes the rows
    that pass in one statement."""
    query = select(jobs.c.job_id, jobs.c.version).where(jobs.c.job_id.in_({e.job_row["job_id"] for e in saves}))
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    versions = {row.job_id: row.version for row in await connection.execute(query)}
    passed: Rows = []
    for entry in saves:
        row = entry.job_row
        entry.conflict = versions.get(row["job_id"]) != row["k_version"]
        if not entry.conflict:
            versions[row["job_id"]] = row["version"]
            passed.append(row)
    if passed:
        result = await connection.execute(_UPDATE_JOB, passed)
        if connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(passed):
            raise RuntimeError(f"{len(passed) - result.rowcount} job rows changed under their lock")


def _request_key(job_row: dict[str, Any]) -> tuple[str, str, str] | None:
    request_id = job_row.get("request_id")
    return (job_row["tenant"], job_row["project"], request_id) if request_id else None


async def _used_request_keys(connection: AsyncConnection, entries: list[QueuedCreate]) -> set[tuple[str, str, str]]:
    keys = {key for entry in entries if (key := _request_key(entry.job_row)) is not None}
    if not keys:
        return set()
    query = select(jobs.c.tenant, jobs.c.project, jobs.c.request_id).where(jobs.c.request_id.in_({k[2] for k in keys}))
    return {tuple(row) for row in await connection.execute(query)} & keys


async def _insert(connection: AsyncConnection, table, rows: Rows) -> None:
    if rows:
        await connection.execute(table.insert(), rows)


async def _write_rows(connection: AsyncConnection, items: Rows, events: Rows) -> None:
    """Item updates (in order: the newest row of an item wins) and event
    inserts, each as one executemany; empties the lists."""
    if items:
        await connection.execute(_UPDATE_ITEM, items)
        items.clear()
    await _insert(connection, job_events, events)
    events.clear()


def fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
        future.exception()  # retrieved: a caller that went away never reads it
