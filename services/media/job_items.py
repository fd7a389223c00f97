"""Making one item of a job: slots, retries, failover, checks, storing.

For each backend in the failover order: wait for a slot of that backend,
record the dispatch (durably, before the call, unless the backend is
restart-safe), call it, and hand the upstream id it reports to the job
before it polls. A retryable error is retried on the same backend with
backoff (re-attaching with ``resume`` when upstream work exists, so a failed
download after a paid success is fetched again, not made again); an error
with ``failover`` moves to the next backend; anything else fails the item.
The output is checked, priced and stored outside the backend's slot.

An item re-attached after a restart only ever resumes its upstream work: if
that fails, the item fails with the reason; it is never created again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from services.media import job_protos
from services.media.backends.base import MediaBackend, RenderOutput
from services.media.job_engine import Engine
from services.media.job_failures import Failure, failure_of
from services.media.job_recorder import Payload, overall_progress
from services.media.job_work import TASK, TaskWork, media_of
from services.media.jobs import ErrorReason, Job, JobItem, JobState, now_us, usd

_LOGGER = logging.getLogger(__name__)


class ItemRunner:
    """Runs one item of a job to SUCCEEDED or FAILED (or is cancelled)."""

    def __init__(self, engine: Engine, job: Job, item: JobItem, *, reattach: bool = False) -> None:
        self._engine = engine
        self._job = job
        self._item = item
        self._reattach = reattach
        self._media = media_of(item.work)

    async def run(self) -> None:
        try:
            failure = await self._make()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug must fail the item, not hang the job
            failure = failure_of(error, f"item {self._item.key}")
        if failure is not None:
            await self._fail(failure)

    async def _make(self) -> Failure | None:
        if self._media == TASK:
            return await self._run_task()
        if self._reattach:
            return await self._on_backend(self._item.upstream_backend, self._item.upstream_id)
        order = self._engine.order_for(self._job, self._media)
        if not order:
            return Failure(ErrorReason.BACKEND_UNAVAILABLE, f"no backend is configured for {self._media}")
        failure: Failure | None = None
        for index, name in enumerate(order):
            failure = await self._on_backend(name, None)
            if failure is None:
                return None
            if not failure.failover or index + 1 == len(order):
                break
            await self._note_failover(name, failure, order[index + 1])
        return failure

    # ---------------------------------------------------------------- backends
    async def _on_backend(self, name: str, resume_id: str | None) -> Failure | None:
        """Attempts on one backend until success, a failure that is not
        retryable, or the retry bound; ``None`` on success."""
        backend = self._engine.backends[name]
        policy = self._engine.options.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                output = await self._call(backend, name, resume_id)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failure = self._after_error(name, failure_of(error, name))
            else:
                return await self._check_and_store(name, output)
            resume_id = self._item.upstream_id if self._item.upstream_id and self._item.upstream_backend == name else None
            if self._reattach and resume_id is None:
                return failure  # re-attached work is never created again
            delay = policy.delay(attempt, failure.retry_after_seconds, self._engine.rng) if failure.retryable else None
            if delay is None:
                return failure
            self._engine.recorder.progress(
                self._job,
                self._item,
                f"{self._item.key}: {failure.message[:200]}; retrying in {delay:.1f}s "
                f"(attempt {attempt + 1} of {policy.max_attempts})",
                force=True,
            )
            await asyncio.sleep(delay)

    def _after_error(self, name: str, failure: Failure) -> Failure:
        """A CANCELLED answer the user did not ask for means the upstream work
        is gone (the backend gave up on it), and so does work that ended
        without an output (aborted upstream): make it again on retry instead
        of re-attaching to it."""
        if failure.reason is ErrorReason.CANCELLED and not self._job.cancel_requested:
            self._item.upstream_id = ""
            return Failure(ErrorReason.BACKEND_UNAVAILABLE, failure.message, retryable=True, failover=True)
        if failure.upstream_ended:
            self._item.upstream_id = ""
        return failure

    async def _call(self, backend: MediaBackend, name: str, resume_id: str | None) -> RenderOutput:
        item, job, engine = self._item, self._job, self._engine
        async with engine.slot(name):
            await self._dispatch(name, upstream_backend=name, keep_upstream=resume_id is not None)
            out_dir = engine.item_dir(job, item)
            out_dir.mkdir(parents=True, exist_ok=True)
            if resume_id is not None:
                return await backend.resume(resume_id, self._media, out_dir, self._progress)
            if self._media == "video":
                return await backend.generate_video(item.work, out_dir, self._progress, self._started)
            return await backend.generate_image(item.work, out_dir, self._progress, self._started)

    async def _dispatch(self, name: str, *, upstream_backend: str, keep_upstream: bool) -> None:
        """Marks the item RUNNING on ``name`` (and the job RUNNING when this
        is its first slot); durable before the call unless nothing upstream
        could be paid for twice."""
        item, job = self._item, self._job
        events: list[Payload] = []
        if job.state is JobState.QUEUED:
            events.append(self._start_job(f"slot free on backend {name}"))
        item.state = JobState.RUNNING
        item.attempts += 1
        item.backend = name
        item.error = None
        if not keep_upstream:
            item.upstream_backend = upstream_backend
            item.upstream_id = ""
        written = self._engine.recorder.record(job, events, [item])
        if events or (upstream_backend and not self._engine.is_restart_safe(name)):
            await written

    def _start_job(self, reason: str) -> Payload:
        job = self._job
        job.state = JobState.RUNNING
        job.start_time_us = job.start_time_us or now_us()
        job.current_stage = "render"
        stage = job.stage("render")
        if stage is not None and stage.state is JobState.QUEUED:
            stage.state = JobState.RUNNING
            stage.start_time_us = now_us()
        return job_protos.state_change(JobState.QUEUED, JobState.RUNNING, reason)

    async def _started(self, upstream_id: str) -> None:
        """The backend's upstream id, durable before it polls."""
        self._item.upstream_id = upstream_id
        await self._engine.recorder.record(self._job, [], [self._item])

    async def _progress(self, fraction: float, message: str) -> None:
        self._item.progress = min(max(fraction, 0.0), 1.0)
        self._engine.recorder.progress(self._job, self._item, f"{self._item.key}: {message}")

    async def _note_failover(self, name: str, failure: Failure, next_name: str) -> None:
        item = self._item
        item.error = failure.job_error(name)
        self._engine.recorder.record(
            self._job,
            [job_protos.item_result(item), job_protos.progress(self._job.progress, "render",
                                                               f"{item.key}: {name} failed; trying {next_name}")],
            [item],
        )
        item.error = None

    # ---------------------------------------------------------------- tasks
    async def _run_task(self) -> Failure | None:
        work = self._item.work
        assert isinstance(work, TaskWork)
        handler = self._engine.tasks.get(work.task)
        if handler is None:
            return Failure(ErrorReason.INVALID_INPUT, f"no handler for task {work.task!r}")
        slot = self._engine.options.task_slot
        try:
            async with self._engine.slot(slot):
                await self._dispatch(slot, upstream_backend="", keep_upstream=False)
                out_dir = self._engine.item_dir(self._job, self._item)
                out_dir.mkdir(parents=True, exist_ok=True)
                output = await handler(self._job, self._item, out_dir, self._progress)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            return failure_of(error, work.task)
        return await self._store(output.backend or slot, output)

    # ---------------------------------------------------------------- outputs
    async def _check_and_store(self, name: str, output: RenderOutput) -> Failure | None:
        try:
            checked = await self._engine.check_output(self._item.work, output)
        except asyncio.CancelledError:
            _remove(output.path)
            raise
        except Exception as error:
            _remove(output.path)
            return failure_of(error, f"{name} output")
        return await self._store(name, checked)

    async def _store(self, name: str, output: RenderOutput) -> Failure | None:
        item, job, engine = self._item, self._job, self._engine
        try:
            cost = usd(engine.costs.actual_usd(item.work, output))
            item.actual_usd = usd(item.actual_usd + cost)
            job.actual_usd = usd(job.actual_usd + cost)
            revision = await engine.with_retries(lambda: engine.on_output(job, item, output))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            failure = failure_of(error, "storing the output")
            return Failure(failure.reason, failure.message)  # paid for: never fail over after this
        finally:
            _remove(output.path)
        item.state = JobState.SUCCEEDED
        item.progress = 1.0
        item.output_revision = revision
        item.backend = name
        item.model = output.model
        item.error = None
        job.progress = overall_progress(job)
        await engine.recorder.record(
            job,
            [job_protos.item_result(item), job_protos.cost_update(job),
             job_protos.progress(job.progress, "render", f"{item.key}: stored {revision}")],
            [item],
        )
        return None

    async def _fail(self, failure: Failure) -> None:
        item, job = self._item, self._job
        item.state = JobState.FAILED
        item.error = failure.job_error(item.backend)
        job.progress = overall_progress(job)
        await self._engine.recorder.record(job, [job_protos.item_result(item), job_protos.cost_update(job)], [item])


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        Path(path).unlink(missing_ok=True)
