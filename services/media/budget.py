"""The project budget around media jobs: checked before a job is accepted,
reserved when its items are planned, settled to the actual cost when it
ends.

1. **Check** (start call, synchronous): the estimate of the job against the
   project's budget and spending in storage. Over → RESOURCE_EXHAUSTED with
   a ``QuotaFailure``, and no job is created.
2. **Reserve** (the engine's ``budget`` hook, once the items are planned):
   ``RecordSpend(estimate, enforce_budget=True)`` with the request id
   ``media-job:{job}:reserve``, so concurrent jobs cannot together overshoot
   the budget (storage locks the project row for the check). The hold is
   written to ``media_budget_holds`` beside the job.
3. **Settle** (when the job has ended): ``RecordSpend(actual - reserved)``
   with ``media-job:{job}:settle``; a failed or cancelled job gives back
   what it did not spend. Holds left open by a restart are settled once
   their jobs end after the next start.

Free work (the local renderer, animatics, exports) reserves nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Sequence

from sqlalchemy import BigInteger, Column, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from previs.storage.v1 import storage_pb2, storage_service_pb2
from services.media.caller_context import acting_for
from services.media.job_events import watch_events
from services.media.job_runner import JobRunner
from services.media.jobs import Job, now_us, usd
from services.runtime.errors import Internal, QuotaViolation, ResourceExhausted
from services.runtime.resource_names import project_name
from services.runtime.upstream_errors import translated
from services.storage.storage_client import StorageClient

_LOGGER = logging.getLogger(__name__)

MICROS_PER_USD = 1_000_000

metadata = MetaData()

budget_holds = Table(
    "media_budget_holds",
    metadata,
    Column("job_id", String(63), primary_key=True),
    Column("project", String(63), nullable=False),
    Column("tenant", String(128), nullable=False),
    Column("reserved_micros", BigInteger, nullable=False),
    Column("settled_time_us", BigInteger, nullable=True),
)

# The job whose items a preparer has just planned: the engine calls the
# budget hook right after the preparer, in the same task.
planning_job: contextvars.ContextVar[Job | None] = contextvars.ContextVar("media_planning_job", default=None)


def over_budget(project: str, estimate: float, budget: float, spent: float) -> ResourceExhausted:
    name = project_name(project)
    description = (
        f"this job is estimated at ${estimate:.6f}; with ${spent:.6f} already spent or reserved it would exceed "
        f"the project's budget of ${budget:.2f}"
    )
    return ResourceExhausted(
        f"{name}: {description}",
        reason="BUDGET_EXCEEDED",
        metadata={"name": name, "estimated_usd": f"{estimate:.6f}"},
        quota_violations=[QuotaViolation(name, description)],
    )


class BudgetKeeper:
    """Checks, reserves and settles; the engine's ``budget`` hook."""

    def __init__(self, storage: StorageClient) -> None:
        self._storage = storage
        self._runner: JobRunner | None = None
        self._settling: dict[str, asyncio.Task] = {}

    def bind(self, runner: JobRunner) -> None:
        self._runner = runner

    @property
    def runner(self) -> JobRunner:
        if self._runner is None:
            raise Internal("the budget keeper is not bound to a job runner", reason="NOT_WIRED")
        return self._runner

    async def create_table(self) -> None:
        async with self.runner.store.database.write() as connection:
            await connection.run_sync(metadata.create_all)

    # ------------------------------------------------------------ check
    async def project(self, project: str) -> storage_pb2.Project:
        """The project as storage shows it to the caller (NOT_FOUND when it
        does not exist or is another tenant's)."""
        with translated("storage"):
            return await self._storage.stub.GetProject(storage_service_pb2.GetProjectRequest(name=project_name(project)))

    async def check(self, project: str, estimate_usd: float, found: storage_pb2.Project | None = None) -> None:
        """RESOURCE_EXHAUSTED when ``estimate_usd`` more would exceed the
        project's budget (0 means no budget); ``found`` is the project if
        the caller has just read it."""
        if estimate_usd <= 0:
            return
        if found is None:
            found = await self.project(project)
        if found.budget_usd > 0 and found.spent_usd + estimate_usd > found.budget_usd + 1e-9:
            raise over_budget(project, estimate_usd, found.budget_usd, found.spent_usd)

    # ------------------------------------------------------------ reserve
    async def __call__(self, project: str, amount_usd: float) -> None:
        """The engine's hook: reserve ``amount_usd`` for the job being
        planned."""
        job = planning_job.get()
        if job is None or job.project != project:
            await self.check(project, amount_usd)  # not from one of our preparers: check only
            return
        amount = usd(amount_usd)
        if amount <= 0:
            return
        with acting_for(job), translated("storage"):
            await self._storage.record_spend(
                project_name(project), amount, request_id=f"media-job:{job.job_id}:reserve",
                memo=f"reserved for media job {job.job_id}", enforce_budget=True,
            )
        await self._hold(job, amount)
        self._watch(job.job_id, job.tenant)

    async def _hold(self, job: Job, amount: float) -> None:
        database = self.runner.store.database
        row = {"job_id": job.job_id, "project": job.project, "tenant": job.tenant,
               "reserved_micros": round(amount * MICROS_PER_USD), "settled_time_us": None}

        async def write(connection: AsyncConnection) -> None:
            await connection.execute(database.insert(budget_holds).values(**row).on_conflict_do_nothing())

        await self.runner.store.writer.write(write)

    # ------------------------------------------------------------ settle
    async def resume(self) -> int:
        """Watches the jobs of holds a previous process left open."""
        async with self.runner.store.database.read() as connection:
            rows = (await connection.execute(
                select(budget_holds.c.job_id, budget_holds.c.tenant).where(budget_holds.c.settled_time_us.is_(None))
            )).all()
        for row in rows:
            self._watch(row.job_id, row.tenant)
        return len(rows)

    def _watch(self, job_id: str, tenant: str) -> None:
        if job_id in self._settling:
            return
        task = asyncio.get_running_loop().create_task(self._settle_when_ended(job_id), name=f"settle-{job_id}")
        self._settling[job_id] = task
        task.add_done_callback(lambda _done: self._settling.pop(job_id, None))

    async def _settle_when_ended(self, job_id: str) -> None:
        store = self.runner.store
        try:
            head = await store.head(job_id)
            if head is not None:
                async for _event in watch_events(store, self.runner.hub, job_id, head[1],
                                                 poll_seconds=self.runner.engine.options.watch_poll_seconds):
                    pass
            await self._settle(job_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # stays open; the next start settles it
            _LOGGER.exception("settling the budget hold of job %s failed", job_id)

    async def _settle(self, job_id: str) -> None:
        store = self.runner.store
        async with store.database.read() as connection:
            hold = (await connection.execute(select(budget_holds).where(budget_holds.c.job_id == job_id))).first()
        if hold is None or hold.settled_time_us is not None:
            return
        job = await store.get(hold.tenant, hold.project, job_id)
        if job is None or not job.state.is_terminal:
            return
        delta = usd(job.actual_usd - hold.reserved_micros / MICROS_PER_USD)
        if delta != 0:
            with acting_for(job), translated("storage"):
                await self._storage.record_spend(
                    project_name(job.project), delta, request_id=f"media-job:{job_id}:settle",
                    memo=f"settled media job {job_id} ({job.state.value.lower()}): ${job.actual_usd:.6f} spent",
                )

        async def write(connection: AsyncConnection) -> None:
            await connection.execute(
                update(budget_holds).where(budget_holds.c.job_id == job_id).values(settled_time_us=now_us())
            )

        await store.writer.write(write)
        _LOGGER.info("job %s settled: actual $%.6f, reserved $%.6f", job_id, job.actual_usd,
                     hold.reserved_micros / MICROS_PER_USD)

    async def close(self) -> None:
        tasks: Sequence[asyncio.Task] = list(self._settling.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
