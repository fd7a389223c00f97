"""Durable jobs: rows for jobs and items, and each job's event log.

Writes go through the :class:`~services.media.job_writer.GroupWriter` (one
writer, batched transactions; ``job_flushes`` writes many jobs in a few
statements); reads use their own connections. A save writes the job row, the
items that changed and the new events in one transaction, guarded by the
job's version, so a job's row and its event log never disagree and a lost
write cannot be followed by a later one (the next save of that job fails its
version check instead of leaving a gap in the sequence numbers).

Every read takes the tenant: another tenant's job is indistinguishable from a
missing one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from previs.media.v1 import media_pb2
from services.media.job_database import JobDatabase
from services.media.job_flushes import Flush, QueuedCreate, QueuedSave, fail, write_creates, write_saves
from services.media.job_schema import job_events, job_items, jobs, metadata
from services.media.job_work import decode_work, encode_work
from services.media.job_writer import GroupWriter
from services.media.jobs import ErrorReason, Job, JobError, JobItem, JobKind, JobStage, JobState, SpecEcho
from services.runtime.errors import Aborted

_LOGGER = logging.getLogger(__name__)

MICROS_PER_USD = 1_000_000
_ACTIVE_STATES = (JobState.QUEUED.value, JobState.RUNNING.value)


@dataclass(frozen=True)
class ListPosition:
    """Keyset position of the last job of a page (newest first)."""

    create_time_us: int
    job_id: str


class JobStore:
    """Jobs, items and events in SQL."""

    def __init__(self, database: JobDatabase, *, write_retry_seconds: float = 30.0) -> None:
        self.database = database
        self.writer = GroupWriter(database, retry_seconds=write_retry_seconds)
        self._saves: list[QueuedSave] = []
        self._creates: list[QueuedCreate] = []

    async def create_tables(self) -> None:
        """Creates the tables that do not exist yet."""
        async with self.database.write() as connection:
            await connection.run_sync(metadata.create_all)

    async def close(self) -> None:
        await self.writer.close()
        await self.database.close()

    # ----------------------------------------------------------------- writes
    async def create(self, job: Job, first_events: Sequence[media_pb2.JobEvent]) -> tuple[Job, bool]:
        """Inserts a new job with its items and first events. When a job
        with the same (tenant, project, request_id) exists, returns it and
        ``False`` instead. Creates that queue up are written together."""
        entry = QueuedCreate(
            job_row=_job_row(job),
            item_rows=_item_rows(job, job.items),
            event_rows=_event_rows(job.job_id, first_events),
            future=asyncio.get_running_loop().create_future(),
        )
        self._creates.append(entry)
        if len(self._creates) == 1:
            flush = Flush(self._creates, write_creates)
            self.writer.submit(flush, _creates_committed).add_done_callback(flush.failed)
        try:
            duplicate = await entry.future
        except IntegrityError:
            # Another process committed the same request id meanwhile.
            duplicate = bool(job.request_id)
            if not duplicate:
                raise
        if not duplicate:
            return job, True
        existing = await self.find_by_request(job.tenant, job.project, job.request_id)
        if existing is None:
            raise Aborted(f"the job of request {job.request_id} changed meanwhile; retry", reason="JOB_REQUEST_CONFLICT")
        return existing, False

    def save(
        self,
        job: Job,
        items: Iterable[JobItem],
        events: Sequence[media_pb2.JobEvent],
        previous_version: int,
        on_commit: Callable[[Any], None] | None = None,
        *,
        replace_items: bool = False,
    ) -> asyncio.Future:
        """Queues the job row, ``items`` and ``events`` as they are now;
        returns a future that is done once they are committed (then
        ``on_commit`` has run). The row is written only if its version is
        still ``previous_version``, else the future fails ABORTED and
        nothing of this save is written. ``replace_items`` writes the job's
        whole item list anew (after its ``prepare`` stage planned it).

        Saves that queue up while the writer is busy are written together:
        one statement per job row, then one for all their items and one for
        all their events."""
        row = _job_row(job)
        row["k_job_id"], row["k_version"] = job.job_id, previous_version
        entry = QueuedSave(
            job_row=row,
            item_rows=_item_rows(job, job.items if replace_items else list(items), keyed=not replace_items),
            event_rows=_event_rows(job.job_id, events),
            replace_items=replace_items,
            on_commit=on_commit,
            future=asyncio.get_running_loop().create_future(),
        )
        self._saves.append(entry)
        if len(self._saves) == 1:
            flush = Flush(self._saves, write_saves)
            written = self.writer.submit(flush, _saves_committed)
            written.add_done_callback(flush.failed)
        return entry.future

    # ----------------------------------------------------------------- reads
    async def get(self, tenant: str, project: str, job_id: str) -> Job | None:
        async with self.database.read() as connection:
            row = (
                await connection.execute(
                    select(jobs).where(jobs.c.job_id == job_id, jobs.c.tenant == tenant, jobs.c.project == project)
                )
            ).first()
            if row is None:
                return None
            return (await _with_items(connection, [row]))[0]

    async def find_by_request(self, tenant: str, project: str, request_id: str) -> Job | None:
        async with self.database.read() as connection:
            row = (
                await connection.execute(
                    select(jobs).where(
                        jobs.c.tenant == tenant, jobs.c.project == project, jobs.c.request_id == request_id
                    )
                )
            ).first()
            if row is None:
                return None
            return (await _with_items(connection, [row]))[0]

    async def list(
        self,
        tenant: str,
        project: str,
        *,
        states: Sequence[JobState] = (),
        kinds: Sequence[JobKind] = (),
        limit: int,
        after: ListPosition | None = None,
    ) -> list[Job]:
        """Jobs of a project, newest first, ``limit`` of them after ``after``."""
        query = select(jobs).where(jobs.c.tenant == tenant, jobs.c.project == project)
        if states:
            query = query.where(jobs.c.state.in_([state.value for state in states]))
        if kinds:
            query = query.where(jobs.c.kind.in_([kind.value for kind in kinds]))
        if after is not None:
            query = query.where(
                or_(
                    jobs.c.create_time_us < after.create_time_us,
                    and_(jobs.c.create_time_us == after.create_time_us, jobs.c.job_id < after.job_id),
                )
            )
        query = query.order_by(jobs.c.create_time_us.desc(), jobs.c.job_id.desc()).limit(limit)
        async with self.database.read() as connection:
            rows = (await connection.execute(query)).all()
            return await _with_items(connection, rows)

    async def unfinished(self) -> list[Job]:
        """Every job of every tenant still QUEUED or RUNNING, oldest first."""
        async with self.database.read() as connection:
            rows = (
                await connection.execute(
                    select(jobs).where(jobs.c.state.in_(_ACTIVE_STATES)).order_by(jobs.c.create_time_us, jobs.c.job_id)
                )
            ).all()
            return await _with_items(connection, rows)

    async def events(self, job_id: str, after_sequence: int, limit: int) -> list[media_pb2.JobEvent]:
        """Stored events of a job with a sequence above ``after_sequence``,
        in order, at most ``limit``."""
        async with self.database.read() as connection:
            rows = (
                await connection.execute(
                    select(job_events.c.payload)
                    .where(job_events.c.job_id == job_id, job_events.c.sequence > after_sequence)
                    .order_by(job_events.c.sequence)
                    .limit(limit)
                )
            ).all()
        return [media_pb2.JobEvent.FromString(row.payload) for row in rows]

    async def head(self, job_id: str) -> tuple[JobState, int] | None:
        """A job's state and newest event sequence (no tenant check: for
        watchers that already passed one)."""
        async with self.database.read() as connection:
            row = (
                await connection.execute(
                    select(jobs.c.state, jobs.c.last_event_sequence).where(jobs.c.job_id == job_id)
                )
            ).first()
        return None if row is None else (JobState(row.state), row.last_event_sequence)


# --------------------------------------------------------------------- flushes
def _saves_committed(taken: list[QueuedSave]) -> None:
    for entry in taken:
        if entry.conflict:
            job_id = entry.job_row["job_id"]
            fail(entry.future, Aborted(f"job {job_id} changed elsewhere", reason="JOB_VERSION_CONFLICT"))
            continue
        if entry.on_commit is not None:
            try:
                entry.on_commit(None)
            except Exception:
                _LOGGER.exception("on_commit callback failed")
        if not entry.future.done():
            entry.future.set_result(None)


def _creates_committed(taken: list[QueuedCreate]) -> None:
    for entry in taken:
        if not entry.future.done():
            entry.future.set_result(entry.duplicate)


# --------------------------------------------------------------------- rows
def _micros(amount: float) -> int:
    return round(amount * MICROS_PER_USD)


def _usd(micros: int) -> float:
    return micros / MICROS_PER_USD


def _error_json(error: JobError | None) -> str | None:
    if error is None:
        return None
    return json.dumps(
        {"reason": error.reason.value, "message": error.message, "backend": error.backend, "item_key": error.item_key}
    )


def _error_of(text: str | None) -> JobError | None:
    if not text:
        return None
    data = json.loads(text)
    return JobError(ErrorReason(data["reason"]), data["message"], data.get("backend", ""), data.get("item_key", ""))


def _stages_json(stages: Sequence[JobStage]) -> str:
    return json.dumps(
        [
            {
                "id": stage.id,
                "name": stage.display_name,
                "state": stage.state.value,
                "progress": stage.progress,
                "start": stage.start_time_us,
                "end": stage.end_time_us,
                "message": stage.message,
            }
            for stage in stages
        ]
    )


def _stages_of(text: str) -> list[JobStage]:
    return [
        JobStage(
            id=data["id"],
            display_name=data["name"],
            state=JobState(data["state"]),
            progress=data["progress"],
            start_time_us=data["start"],
            end_time_us=data["end"],
            message=data["message"],
        )
        for data in json.loads(text or "[]")
    ]


def _job_row(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "tenant": job.tenant,
        "principal": job.principal,
        "project": job.project,
        "kind": job.kind.value,
        "state": job.state.value,
        "request_id": job.request_id or None,
        "backend": job.backend,
        "spec_field": job.spec.field,
        "spec_payload": job.spec.payload,
        "progress": job.progress,
        "current_stage": job.current_stage,
        "message": job.message,
        "stages": _stages_json(job.stages),
        "estimated_micros": _micros(job.estimated_usd),
        "actual_micros": _micros(job.actual_usd),
        "error": _error_json(job.error),
        "cancel_requested": job.cancel_requested,
        "version": job.version,
        "last_event_sequence": job.last_event_sequence,
        "create_time_us": job.create_time_us,
        "start_time_us": job.start_time_us,
        "end_time_us": job.end_time_us,
        "update_time_us": job.update_time_us,
    }


def _item_rows(job: Job, items: Iterable[JobItem], *, keyed: bool = False) -> list[dict[str, Any]]:
    """Rows of ``items``; ``keyed`` rows carry ``k_job_id``/``k_position``
    for the item update of ``job_flushes``."""
    positions = {id(item): position for position, item in enumerate(job.items)}
    rows = [
        {
            "job_id": job.job_id,
            "position": positions[id(item)],
            "item_key": item.key,
            "work": encode_work(item.work),
            "state": item.state.value,
            "progress": item.progress,
            "attempts": item.attempts,
            "backend": item.backend,
            "model": item.model,
            "output_revision": item.output_revision,
            "error": _error_json(item.error),
            "estimated_micros": _micros(item.estimated_usd),
            "actual_micros": _micros(item.actual_usd),
            "upstream_backend": item.upstream_backend,
            "upstream_id": item.upstream_id,
        }
        for item in items
    ]
    if keyed:
        for row in rows:
            row["k_job_id"], row["k_position"] = row.pop("job_id"), row.pop("position")
    return rows


def _event_rows(job_id: str, events: Sequence[media_pb2.JobEvent]) -> list[dict[str, Any]]:
    return [
        {
            "job_id": job_id,
            "sequence": event.sequence,
            "time_us": event.time.seconds * 1_000_000 + event.time.nanos // 1000,
            "payload": event.SerializeToString(),
        }
        for event in events
    ]


def _item_of(row: Row) -> JobItem:
    return JobItem(
        key=row.item_key,
        work=decode_work(row.work),
        state=JobState(row.state),
        progress=row.progress,
        attempts=row.attempts,
        backend=row.backend,
        model=row.model,
        output_revision=row.output_revision,
        error=_error_of(row.error),
        estimated_usd=_usd(row.estimated_micros),
        actual_usd=_usd(row.actual_micros),
        upstream_backend=row.upstream_backend,
        upstream_id=row.upstream_id,
    )


def _job_of(row: Row, items: list[JobItem]) -> Job:
    return Job(
        job_id=row.job_id,
        project=row.project,
        tenant=row.tenant,
        principal=row.principal,
        kind=JobKind(row.kind),
        spec=SpecEcho(row.spec_field, bytes(row.spec_payload)),
        request_id=row.request_id or "",
        backend=row.backend,
        state=JobState(row.state),
        items=items,
        stages=_stages_of(row.stages),
        progress=row.progress,
        current_stage=row.current_stage,
        message=row.message,
        estimated_usd=_usd(row.estimated_micros),
        actual_usd=_usd(row.actual_micros),
        error=_error_of(row.error),
        create_time_us=row.create_time_us,
        start_time_us=row.start_time_us,
        end_time_us=row.end_time_us,
        update_time_us=row.update_time_us,
        version=row.version,
        last_event_sequence=row.last_event_sequence,
        cancel_requested=bool(row.cancel_requested),
    )


async def _with_items(connection: AsyncConnection, rows: Sequence[Row]) -> list[Job]:
    if not rows:
        return []
    ids = [row.job_id for row in rows]
    by_job: dict[str, list[JobItem]] = {job_id: [] for job_id in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        item_rows = (
            await connection.execute(
                select(job_items).where(job_items.c.job_id.in_(chunk)).order_by(job_items.c.job_id, job_items.c.position)
            )
        ).all()
        for item_row in item_rows:
            by_job[item_row.job_id].append(_item_of(item_row))
    return [_job_of(row, by_job[row.job_id]) for row in rows]
