"""What the executions of jobs share: backends and their slots, the failover
order, the ports to storage and pricing, the recorder, and scratch space."""

from __future__ import annotations

import asyncio
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Mapping, TypeVar

from services.media.backends.base import MediaBackend
from services.media.job_failures import is_transient
from services.media.job_options import RunnerOptions
from services.media.job_ports import BudgetCheck, CostModel, OutputCheck, OutputSink, Preparer, TaskHandler
from services.media.job_recorder import JobRecorder
from services.media.job_work import IMAGE, TASK
from services.media.jobs import Job, JobItem, JobKind

T = TypeVar("T")


@dataclass
class Engine:
    """Shared by every job execution of one runner."""

    options: RunnerOptions
    backends: Mapping[str, MediaBackend]
    recorder: JobRecorder
    on_output: OutputSink
    check_output: OutputCheck
    costs: CostModel
    budget: BudgetCheck
    preparers: Mapping[JobKind, Preparer] = field(default_factory=dict)
    tasks: Mapping[str, TaskHandler] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    closing: bool = False
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def slot(self, name: str) -> asyncio.Semaphore:
        """The semaphore bounding concurrent calls of backend ``name``."""
        found = self._slots.get(name)
        if found is None:
            found = self._slots[name] = asyncio.Semaphore(self.options.slots_for(name))
        return found

    def order_for(self, job: Job, media: str) -> list[str]:
        """Backends that may make an item of ``media``, in failover order."""
        if media == TASK:
            return []
        if job.backend:
            return [job.backend] if job.backend in self.backends else []
        configured = self.options.image_backends if media == IMAGE else self.options.video_backends
        return [name for name in configured if name in self.backends]

    def is_restart_safe(self, backend: str) -> bool:
        return backend in self.options.restart_safe_backends

    def item_dir(self, job: Job, item: JobItem) -> Path:
        """Scratch directory of one item (never named after client text)."""
        return self.options.scratch_dir / job.job_id / str(job.items.index(item))

    async def remove_scratch(self, job: Job) -> None:
        await asyncio.to_thread(shutil.rmtree, self.options.scratch_dir / job.job_id, True)

    async def with_retries(self, call: Callable[[], Awaitable[T]]) -> T:
        """Runs a call to another previs service (storage, planner), retrying
        transient errors with backoff for up to ``output_retry_seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.output_retry_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except Exception as error:
                if not is_transient(error):
                    raise
                hint = getattr(error, "retry_delay_seconds", None)
                step = min(self.options.retry.initial_delay_seconds * 2 ** (attempt - 1), 5.0)
                delay = max(step / 2 + self.rng.uniform(0, step / 2), hint or 0.0)
                if loop.time() + delay > deadline:
                    raise
                await asyncio.sleep(delay)

