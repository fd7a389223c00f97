"""The one way a running job changes: in memory, then durably, then to its
watchers.

:meth:`JobRecorder.record` numbers the new events after the job's newest
one, bumps the job's version and queues the job row, the changed items and
the events as one write; once that write is committed the events go to the
job's subscriptions. Numbering and queueing happen without an ``await`` in
between, and the writer commits in queue order, so events of a job are
committed and published in sequence order without a lock.

Progress is recorded at most every ``progress_interval_seconds`` per job (the
newest fraction always wins, and every other change records it too), so a
backend that reports 100 times a second costs a few events, not 100.
"""

from __future__ import annotations

import asyncio
import time
from typing import Iterable, Sequence

from google.protobuf.message import Message

from services.media import job_protos
from services.media.job_events import EventHub
from services.media.job_store import JobStore
from services.media.jobs import Job, JobItem, JobState, now_us

Payload = tuple[str, Message]

RUNNING_PROGRESS_CAP = 0.99


class JobRecorder:
    """Records changes of jobs held in memory by the runner."""

    def __init__(self, store: JobStore, hub: EventHub, *, progress_interval_seconds: float = 0.5) -> None:
        self._store = store
        self._hub = hub
        self._progress_interval = progress_interval_seconds
        self._last_progress: dict[str, float] = {}

    def record(
        self,
        job: Job,
        events: Sequence[Payload] = (),
        items: Iterable[JobItem] = (),
        *,
        replace_items: bool = False,
    ) -> asyncio.Future:
        """Queues the job as it is now with ``items`` and ``events``; the
        future is done once they are committed (await it where durability
        matters before going on)."""
        previous_version = job.version
        stamp = now_us()
        job.version += 1
        job.update_time_us = stamp
        protos = []
        for payload in events:
            job.last_event_sequence += 1
            protos.append(job_protos.make_event(job, job.last_event_sequence, stamp, payload))
        hub, job_id = self._hub, job.job_id

        def publish(_result: object) -> None:
            hub.publish(job_id, protos)

        return self._store.save(
            job, items, protos, previous_version, on_commit=publish if protos else None, replace_items=replace_items
        )

    def progress(self, job: Job, item: JobItem | None, text: str, *, force: bool = False) -> asyncio.Future | None:
        """Recomputes the job's progress from its items and records it as a
        progress event, unless one was recorded less than the interval ago."""
        job.progress = overall_progress(job)
        stage = job.current_stage or "render"
        now = time.monotonic()
        if not force and now - self._last_progress.get(job.job_id, 0.0) < self._progress_interval:
            return None
        job.message = text
        self._last_progress[job.job_id] = now
        return self.record(job, [job_protos.progress(job.progress, stage, text)], [item] if item else ())

    def forget(self, job: Job) -> None:
        self._last_progress.pop(job.job_id, None)


def overall_progress(job: Job) -> float:
    """Mean progress of the items (ended items count as done); below 1
    until the job has ended."""
    if job.state.is_terminal:
        return 1.0 if job.state is JobState.SUCCEEDED else job.progress
    if not job.items:
        return 0.0
    done = sum(1.0 if item.state.is_terminal else item.progress for item in job.items)
    return min(done / len(job.items), RUNNING_PROGRESS_CAP)
