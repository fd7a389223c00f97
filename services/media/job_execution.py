"""Running one job from where it stands to its end.

``prepare`` (only for jobs started without items: a preparer plans them,
then the budget is checked against their estimate), then the items, at most
``item_parallelism`` at once, each bounded by its backend's slots; the job
ends SUCCEEDED when every item did, else FAILED with the first failed item's
error. The whole run is bounded by ``job_timeout_seconds`` from the job's
start (across restarts).

A user's cancel and the timeout both cancel the upstream work of the items
in flight (``backend.cancel``) and end the job, CANCELLED or FAILED/TIMEOUT.
A shutdown of the service cancels the task too, but leaves the job as it is
in the database (RUNNING, with its upstream ids) for the next start to
re-attach.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace

from services.media import job_protos
from services.media.job_engine import Engine
from services.media.job_failures import Failure, failure_of
from services.media.job_items import ItemRunner
from services.media.job_recorder import Payload, overall_progress
from services.media.job_work import media_of
from services.media.jobs import ErrorReason, ItemPlan, Job, JobError, JobItem, JobState, now_us, usd

_LOGGER = logging.getLogger(__name__)

ITEM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_ITEMS = 10_000


class JobFailed(Exception):
    """Ends a job FAILED with ``failure`` (budget, bad plan...)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class JobExecution:
    """Runs one job held in memory by the runner."""

    def __init__(self, engine: Engine, job: Job, reattach: frozenset[str] = frozenset()) -> None:
        self.engine = engine
        self.job = job
        self._reattach = reattach

    async def run(self) -> None:
        job = self.job
        try:
            if job.cancel_requested:
                raise asyncio.CancelledError
            async with asyncio.timeout(self._time_left()):
                if not job.items and job.kind in self.engine.preparers:
                    await self._prepare()
                await self._run_items()
            await self._finish()
        except TimeoutError:
            await self._abort(
                JobState.FAILED,
                ErrorReason.TIMEOUT,
                f"the job ran past its limit of {self.engine.options.job_timeout_seconds:.0f}s",
            )
        except JobFailed as failed:
            await self._end(JobState.FAILED, failed.failure.job_error(), failed.failure.message)
        except asyncio.CancelledError:
            if not job.cancel_requested or self.engine.closing:
                raise  # shutdown: the next start re-attaches
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            await self._abort(JobState.CANCELLED, ErrorReason.CANCELLED, f"cancelled by {job.principal}")
        except Exception as error:
            failure = failure_of(error, f"job {job.job_id}")
            await self._abort(JobState.FAILED, failure.reason, failure.message)
        finally:
            self.engine.recorder.forget(job)

    def _time_left(self) -> float:
        limit = self.engine.options.job_timeout_seconds
        if self.job.start_time_us is None:
            return limit
        return max(limit - (now_us() - self.job.start_time_us) / 1e6, 0.0)

    # ---------------------------------------------------------------- prepare
    async def _prepare(self) -> None:
        job, engine = self.job, self.engine
        preparer = engine.preparers[job.kind]
        stage = job.stage("prepare")
        events: list[Payload] = []
        if job.state is JobState.QUEUED:
            job.state = JobState.RUNNING
            job.start_time_us = now_us()
            events.append(job_protos.state_change(JobState.QUEUED, JobState.RUNNING, "planning the items"))
        job.current_stage = "prepare"
        if stage is not None:
            stage.state, stage.start_time_us = JobState.RUNNING, now_us()
        await engine.recorder.record(job, events)
        try:
            plans = list(await engine.with_retries(lambda: preparer(job)))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise JobFailed(failure_of(error, "planning the items")) from error
        items = plans_to_items(engine, job, plans)
        estimate = usd(sum(item.estimated_usd for item in items))
        try:
            await engine.with_retries(lambda: engine.budget(job.project, estimate))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise JobFailed(failure_of(error, "checking the budget")) from error
        job.items = items
        job.estimated_usd = estimate
        job.current_stage = "render"
        if stage is not None:
            stage.state, stage.end_time_us, stage.progress = JobState.SUCCEEDED, now_us(), 1.0
            stage.message = f"{len(items)} items planned"
        render = job.stage("render")
        if render is not None:
            render.state, render.start_time_us = JobState.RUNNING, now_us()
        await engine.recorder.record(
            job,
            [job_protos.cost_update(job), job_protos.progress(0.0, "prepare", f"{len(items)} items planned")],
            replace_items=True,
        )

    # ---------------------------------------------------------------- items
    async def _run_items(self) -> None:
        limiter = asyncio.Semaphore(self.engine.options.item_parallelism)

        async def one(item: JobItem) -> None:
            async with limiter:
                await ItemRunner(self.engine, self.job, item, reattach=item.key in self._reattach).run()

        pending = [item for item in self.job.items if not item.state.is_terminal]
        pending.sort(key=lambda item: item.key not in self._reattach)  # re-attach first
        async with asyncio.TaskGroup() as group:
            for item in pending:
                group.create_task(one(item))

    # ---------------------------------------------------------------- endings
    async def _finish(self) -> None:
        failed = [item for item in self.job.items if item.state is JobState.FAILED]
        if not failed:
            await self._end(JobState.SUCCEEDED, None, f"{len(self.job.items)} outputs stored")
            return
        first = failed[0]
        error = replace(first.error, item_key=first.key) if first.error else JobError(
            ErrorReason.INTERNAL, "an item failed", item_key=first.key
        )
        await self._end(JobState.FAILED, error, f"{len(failed)} of {len(self.job.items)} items failed: {error.message}")

    async def _abort(self, state: JobState, reason: ErrorReason, text: str) -> None:
        """Cancels the upstream work of items in flight, then ends the job."""
        job = self.job
        if job.state.is_terminal:
            return
        await self._cancel_upstream()
        changed = []
        for item in job.items:
            if not item.state.is_terminal:
                item.state = JobState.CANCELLED if state is JobState.CANCELLED else JobState.FAILED
                item.error = JobError(reason, text, item.backend)
                changed.append(item)
        await self._end(state, JobError(reason, text), text, changed)

    async def _cancel_upstream(self) -> None:
        calls = []
        for item in self.job.items:
            backend = self.engine.backends.get(item.upstream_backend)
            if item.state is JobState.RUNNING and item.upstream_id and backend is not None:
                calls.append(self._cancel_one(backend, item))
        if calls:
            await asyncio.gather(*calls)

    async def _cancel_one(self, backend, item: JobItem) -> None:
        try:
            async with asyncio.timeout(self.engine.options.upstream_cancel_timeout_seconds):
                await backend.cancel(item.upstream_id)
        except Exception as error:  # best effort: the job still ends
            _LOGGER.warning("cancel of %s on %s failed: %s", item.upstream_id, item.upstream_backend, error)

    async def _end(
        self, state: JobState, error: JobError | None, text: str, changed: list[JobItem] | None = None
    ) -> None:
        job = self.job
        if job.state.is_terminal:
            return
        previous = job.state
        job.state = state
        job.error = error
        job.end_time_us = now_us()
        job.progress = overall_progress(job)
        job.message = text[:1000]
        for stage in job.stages:
            if not stage.state.is_terminal:
                stage.state = state if stage.state is JobState.RUNNING else JobState.CANCELLED
                stage.end_time_us = job.end_time_us
        events = [job_protos.state_change(previous, state, job.message), job_protos.completed(job)]
        await self.engine.recorder.record(job, events, changed or [])
        await self.engine.remove_scratch(job)


def plans_to_items(engine: Engine, job: Job, plans: list[ItemPlan]) -> list[JobItem]:
    """Items for ``plans``, with their estimates; JobFailed(INVALID_INPUT)
    for an empty or malformed plan."""
    if not plans:
        raise JobFailed(Failure(ErrorReason.INVALID_INPUT, "nothing to make: the plan has no items"))
    if len(plans) > MAX_ITEMS:
        raise JobFailed(Failure(ErrorReason.INVALID_INPUT, f"{len(plans)} items is more than {MAX_ITEMS}"))
    seen: set[str] = set()
    items = []
    for plan in plans:
        if not ITEM_KEY.match(plan.key) or plan.key in seen:
            raise JobFailed(Failure(ErrorReason.INVALID_INPUT, f"item key {plan.key[:80]!r} is invalid or repeated"))
        seen.add(plan.key)
        order = engine.order_for(job, media_of(plan.work))
        estimate = usd(engine.costs.estimate_usd(plan.work, order))
        items.append(JobItem(key=plan.key, work=plan.work, estimated_usd=estimate))
    return items
