"""A job's event log, as its watchers see it: stored events first, then live
ones, each exactly once, ending after the job's ``completed`` event.

Events are numbered per job from 1 without gaps and are committed to the
database before anyone sees them (``job_store``); right after the commit the
:class:`EventHub` hands them to the in-memory subscriptions of that job.

A watcher subscribes *before* it reads the backlog, then de-duplicates by
sequence number, so an event committed while the backlog was being read is
neither missed nor repeated. Each subscription holds at most
``queue_size`` events: a watcher that falls further behind is marked
overflowed, drops its buffer and re-reads from the database, so a slow client
costs a bounded amount of memory and a fast one costs no database reads at
all. A gap in the sequence (an event of another process, or a publish that
raced a read) is also filled from the database, and a watcher that hears
nothing for ``poll_seconds`` checks the database, which keeps it correct
when another process writes the job.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import AsyncIterator, Iterable

from previs.media.v1 import media_pb2
from services.media.job_store import JobStore
from services.media.jobs import JobState

_LOGGER = logging.getLogger(__name__)

BACKLOG_PAGE = 500


def is_completion(event: media_pb2.JobEvent) -> bool:
    return event.WhichOneof("event") == "completed"


class Subscription:
    """The live events of one job for one watcher, bounded."""

    __slots__ = ("job_id", "_events", "_limit", "_wakeup", "overflowed")

    def __init__(self, job_id: str, limit: int) -> None:
        self.job_id = job_id
        self._events: list[media_pb2.JobEvent] = []
        self._limit = limit
        self._wakeup = asyncio.Event()
        self.overflowed = False

    def push(self, event: media_pb2.JobEvent) -> None:
        if self.overflowed:
            return
        if len(self._events) >= self._limit:
            self._events.clear()
            self.overflowed = True
        else:
            self._events.append(event)
        self._wakeup.set()

    async def wait(self, timeout: float) -> bool:
        """Waits for events (or an overflow); False after ``timeout``."""
        if self._events or self.overflowed:
            return True
        self._wakeup.clear()
        try:
            async with asyncio.timeout(timeout):
                await self._wakeup.wait()
        except TimeoutError:
            return False
        return True

    def take(self) -> list[media_pb2.JobEvent]:
        events, self._events = self._events, []
        return events

    def reset(self) -> None:
        self._events.clear()
        self.overflowed = False


class EventHub:
    """In-memory fan-out of committed events to the subscriptions of a job.

    It also keeps the newest ``recent_size`` events of each job that is
    running in this process, so a watcher of a running job that is not far
    behind reads its backlog from memory instead of the database. A job's
    recent events are dropped with its ``completed`` event.
    """

    def __init__(self, queue_size: int = 256, recent_size: int = 128) -> None:
        self._queue_size = queue_size
        self._recent_size = recent_size
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._recent: dict[str, collections.deque[media_pb2.JobEvent]] = {}
        self.delivered = 0

    def subscribe(self, job_id: str) -> Subscription:
        subscription = Subscription(job_id, self._queue_size)
        self._subscriptions.setdefault(job_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        watchers = self._subscriptions.get(subscription.job_id)
        if watchers is not None:
            watchers.discard(subscription)
            if not watchers:
                del self._subscriptions[subscription.job_id]

    def publish(self, job_id: str, events: Iterable[media_pb2.JobEvent]) -> None:
        """Hands committed events (in sequence order) to the job's watchers."""
        events = list(events)
        self._remember(job_id, events)
        watchers = self._subscriptions.get(job_id)
        if not watchers:
            return
        for subscription in watchers:
            for event in events:
                subscription.push(event)
        self.delivered += len(events) * len(watchers)

    def recent(self, job_id: str, after_sequence: int) -> list[media_pb2.JobEvent] | None:
        """The job's events after ``after_sequence`` from memory, or None
        when memory does not hold all of them."""
        ring = self._recent.get(job_id)
        if not ring or ring[0].sequence > after_sequence + 1:
            return None
        return [event for event in ring if event.sequence > after_sequence]

    def _remember(self, job_id: str, events: list[media_pb2.JobEvent]) -> None:
        if not events:
            return
        if is_completion(events[-1]):
            self._recent.pop(job_id, None)
            return
        ring = self._recent.get(job_id)
        if ring is None:
            ring = self._recent[job_id] = collections.deque(maxlen=self._recent_size)
        elif ring and events[0].sequence != ring[-1].sequence + 1:
            ring.clear()  # never hold a gap
        ring.extend(events)

    def watcher_count(self, job_id: str | None = None) -> int:
        if job_id is not None:
            return len(self._subscriptions.get(job_id, ()))
        return sum(len(watchers) for watchers in self._subscriptions.values())


async def watch_events(
    store: JobStore, hub: EventHub, job_id: str, after_sequence: int, *, poll_seconds: float = 10.0
) -> AsyncIterator[media_pb2.JobEvent]:
    """Every event of ``job_id`` with a sequence above ``after_sequence``, in
    order, each once; ends after the ``completed`` event. The caller has
    checked that the job exists and belongs to its tenant."""
    subscription = hub.subscribe(job_id)
    last = after_sequence
    try:
        while True:
            if subscription.overflowed:
                subscription.reset()  # before the re-read: later events queue again
            # Backlog (and any gap): from memory for a running job that holds
            # it, else from the database, page by page.
            remembered = hub.recent(job_id, last)
            while True:
                stored = remembered if remembered is not None else await store.events(job_id, last, BACKLOG_PAGE)
                for event in stored:
                    if event.sequence != last + 1:
                        raise RuntimeError(f"job {job_id} event log has a gap after {last}")
                    last = event.sequence
                    yield event
                    if is_completion(event):
                        return
                if remembered is not None or len(stored) < BACKLOG_PAGE:
                    break
            if remembered is None and await _ended_without_more(store, job_id, last):
                return
            # Live events until a gap, an overflow or a quiet spell.
            while True:
                if not await subscription.wait(poll_seconds):
                    break
                if subscription.overflowed:
                    break
                in_order = True
                for event in subscription.take():
                    if event.sequence <= last:
                        continue
                    if event.sequence != last + 1:
                        in_order = False
                        break
                    last = event.sequence
                    yield event
                    if is_completion(event):
                        return
                if not in_order:
                    break
    finally:
        hub.unsubscribe(subscription)


async def _ended_without_more(store: JobStore, job_id: str, last: int) -> bool:
    """True when the job has ended and ``last`` is its final event (a watch
    that started after the end must not wait forever)."""
    head = await store.head(job_id)
    if head is None:
        return True
    state, newest = head
    return state.is_terminal and newest <= last
