"""Group commit for the jobs database: one writer task, many writes per
transaction.

Every change of a job (a state, an item, a progress event) is one small
write, and hundreds of jobs change at once. Callers hand the writer an
operation; the writer runs whatever is waiting, up to ``max_batch``
operations, in one transaction, so 1,000 progress events cost a handful of
commits instead of 1,000. Operations run in the order they were submitted,
and ``on_commit`` callbacks run in that order right after their commit (the
event fan-out relies on it).

When a batch fails on a fault of the database it is retried with backoff for
up to ``retry_seconds``; when it fails otherwise (a constraint, a lost
optimistic check) its operations run again one per transaction, so one bad
write cannot fail its neighbours.

An operation whose caller stopped waiting (cancelled) still runs: the caller
changed its in-memory job before submitting, and the database must follow.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from services.media.job_database import JobDatabase, is_unavailability
from services.runtime.errors import Unavailable

_LOGGER = logging.getLogger(__name__)

Operation = Callable[[AsyncConnection], Awaitable[Any]]
OnCommit = Callable[[Any], None]


@dataclass
class _Pending:
    operation: Operation
    future: asyncio.Future
    on_commit: OnCommit | None


class GroupWriter:
    """Runs write operations in batched transactions on one task."""

    def __init__(self, database: JobDatabase, *, max_batch: int = 256, retry_seconds: float = 30.0) -> None:
        self._database = database
        self._max_batch = max_batch
        self._retry_seconds = retry_seconds
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self.commits = 0
        self.operations = 0

    def submit(self, operation: Operation, on_commit: OnCommit | None = None) -> asyncio.Future:
        """Queues ``operation``; the future holds its result once committed."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="media-job-writer")
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(operation, future, on_commit))
        return future

    async def write(self, operation: Operation, on_commit: OnCommit | None = None) -> Any:
        """Submits and waits for the commit."""
        return await self.submit(operation, on_commit)

    async def close(self) -> None:
        """Finishes what is queued, then stops."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit_batch(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit_batch(self, batch: list[_Pending]) -> None:
        try:
            results = await self._with_retries(batch)
        except Exception as error:
            if len(batch) > 1 and not is_unavailability(error):
                for pending in batch:
                    await self._commit_batch([pending])
                return
            for pending in batch:
                _fail(pending.future, error)
            return
        for pending, result in zip(batch, results):
            if pending.on_commit is not None:
                try:
                    pending.on_commit(result)
                except Exception:  # a subscriber's fault must not stop the writer
                    _LOGGER.exception("on_commit callback failed")
            if not pending.future.done():
                pending.future.set_result(result)

    async def _with_retries(self, batch: list[_Pending]) -> list[Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._retry_seconds
        delay = 0.05
        while True:
            try:
                async with self._database.write() as connection:
                    results = [await pending.operation(connection) for pending in batch]
                self.commits += 1
                self.operations += len(batch)
                return results
            except Exception as error:
                if not is_unavailability(error) or loop.time() + delay > deadline:
                    raise
                _LOGGER.warning("jobs database write failed (%s); retrying in %.2fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)


def _fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error if isinstance(error, Exception) else Unavailable(str(error)))
        # Mark it retrieved: a caller that was cancelled never reads it.
        future.exception()
