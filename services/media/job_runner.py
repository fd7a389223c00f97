"""The job engine's public face: start, get, list, cancel and watch jobs, and
bring back the jobs a previous process left unfinished.

The servicer calls these with names from requests (``projects/{p}`` and
``projects/{p}/jobs/{j}``); every call acts for ``current_identity()``:
jobs are stored with its tenant and another tenant's job answers exactly
like a missing one (NOT_FOUND).

Each job runs on its own task, in a fresh context that carries the identity
of the principal that started it (not the start call's deadline), so the
ports (storage uploads, the planner, the budget check) act for that
principal after the start call has returned, and after a restart.

On :meth:`JobRunner.start` every job left QUEUED or RUNNING is picked up:
items whose backend had reported an upstream id re-attach to it with
``backend.resume`` (never a second create); items interrupted on a
restart-safe backend (the local renderer) or before any dispatch run again;
items that were dispatched to a paid backend that had not yet reported an id
fail with BACKEND_UNAVAILABLE, because making them again could pay twice.
Every picked-up job runs to an end, so none stays RUNNING.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import secrets
from dataclasses import dataclass
from typing import AsyncIterator, Mapping, Sequence

from previs.media.v1 import media_pb2
from services.media import job_protos
from services.media.backends.base import MediaBackend
from services.media.job_engine import Engine
from services.media.job_events import EventHub, watch_events
from services.media.job_execution import JobExecution, JobFailed, plans_to_items
from services.media.job_failures import Failure
from services.media.job_options import RunnerOptions
from services.media.job_ports import BudgetCheck, CostModel, OutputCheck, OutputSink, Preparer, TaskHandler
from services.media.job_recorder import JobRecorder, Payload
from services.media.job_store import JobStore, ListPosition
from services.media.job_work import TASK, TaskWork, media_of
from services.media.jobs import (
    ErrorReason,
    ItemPlan,
    Job,
    JobItem,
    JobKind,
    JobStage,
    JobState,
    SpecEcho,
    now_us,
    usd,
)
from services.runtime.errors import FailedPrecondition, InvalidArgument, Unavailable, not_found
from services.runtime.page_tokens import PageTokenCodec, page_size_or_default
from services.runtime.request_context import CallIdentity, current_identity, identity_var, request_id_var
from services.runtime.resource_names import parse_job, parse_project

_LOGGER = logging.getLogger(__name__)

MAX_REQUEST_ID_CHARS = 128
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class JobPage:
    """One page of ``list_jobs``."""

    jobs: list[Job]
    next_page_token: str


@dataclass
class _Active:
    job: Job
    task: asyncio.Task


class JobRunner:
    """Runs media jobs durably; see the module docstring."""

    def __init__(
        self,
        store: JobStore,
        backends: Mapping[str, MediaBackend],
        options: RunnerOptions,
        *,
        on_output: OutputSink,
        check_output: OutputCheck,
        costs: CostModel,
        budget: BudgetCheck,
        preparers: Mapping[JobKind, Preparer] | None = None,
        tasks: Mapping[str, TaskHandler] | None = None,
        page_tokens: PageTokenCodec | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.hub = EventHub(options.watch_queue_size)
        self.recorder = JobRecorder(store, self.hub, progress_interval_seconds=options.progress_interval_seconds)
        self.engine = Engine(
            options=options,
            backends=dict(backends),
            recorder=self.recorder,
            on_output=on_output,
            check_output=check_output,
            costs=costs,
            budget=budget,
            preparers=dict(preparers or {}),
            tasks=dict(tasks or {}),
            rng=rng or random.Random(),
        )
        self._page_tokens = page_tokens or PageTokenCodec()
        self._active: dict[str, _Active] = {}

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> int:
        """Creates the tables if needed and picks up every unfinished job;
        returns how many were picked up."""
        await self.store.create_tables()
        unfinished = await self.store.unfinished()
        for job in unfinished:
            self._spawn(job, self._recover(job))
        if unfinished:
            _LOGGER.info("picked up %d unfinished jobs", len(unfinished))
        return len(unfinished)

    async def close(self) -> None:
        """Stops every job task without ending the jobs (upstream work keeps
        running; the next start re-attaches) and flushes pending writes."""
        self.engine.closing = True
        tasks = [active.task for active in self._active.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.store.writer.close()

    def active_jobs(self) -> int:
        return len(self._active)

    # ---------------------------------------------------------------- start
    async def start_job(
        self,
        parent: str,
        kind: JobKind,
        spec: SpecEcho,
        *,
        items: Sequence[ItemPlan] = (),
        request_id: str = "",
        backend: str = "",
    ) -> Job:
        """Starts a job in ``parent`` (``projects/{p}``) and returns it at
        once, QUEUED. Without ``items`` the job's kind needs a preparer. A
        retried start with the same ``request_id`` in the same project
        returns the first job. Raises INVALID_ARGUMENT, FAILED_PRECONDITION
        (backend or task not configured) or RESOURCE_EXHAUSTED (budget)."""
        project = parse_project(parent, "parent")
        if len(request_id) > MAX_REQUEST_ID_CHARS:
            raise InvalidArgument.for_field("request_id", f"must be at most {MAX_REQUEST_ID_CHARS} characters")
        identity = current_identity()
        if request_id:
            existing = await self.store.find_by_request(identity.tenant, project, request_id)
            if existing is not None:
                return existing
        job = self._new_job(project, kind, spec, identity, request_id, backend)
        if items:
            try:
                job.items = plans_to_items(self.engine, job, list(items))
            except JobFailed as failed:
                raise InvalidArgument.for_field("items", failed.failure.message) from None
            self._check_runnable(job)
            job.estimated_usd = usd(sum(item.estimated_usd for item in job.items))
            await self.engine.budget(project, job.estimated_usd)
        elif kind not in self.engine.preparers:
            raise InvalidArgument.for_field("items", f"a {kind.value} job needs items")
        first = [job_protos.state_change(None, JobState.QUEUED, "job accepted")]
        events = [job_protos.make_event(job, 1, job.create_time_us, first[0])]
        job.last_event_sequence = 1
        stored, created = await self.store.create(job, events)
        if created:
            self.hub.publish(job.job_id, events)
            self._spawn(job)
        return stored

    def _new_job(
        self, project: str, kind: JobKind, spec: SpecEcho, identity: CallIdentity, request_id: str, backend: str
    ) -> Job:
        if backend and backend not in self.engine.backends:
            raise FailedPrecondition(
                f"backend {backend!r} is not configured", reason="BACKEND_NOT_CONFIGURED", metadata={"backend": backend}
            )
        stamp = now_us()
        stages = [JobStage("render", "Render, check and store")]
        if kind in self.engine.preparers:
            stages.insert(0, JobStage("prepare", "Plan the items"))
        return Job(
            job_id="".join(secrets.choice(_ID_ALPHABET) for _ in range(16)),
            project=project,
            tenant=identity.tenant,
            principal=identity.principal,
            kind=kind,
            spec=spec,
            request_id=request_id,
            backend=backend,
            stages=stages,
            current_stage=stages[0].id,
            message="queued",
            create_time_us=stamp,
            update_time_us=stamp,
        )

    def _check_runnable(self, job: Job) -> None:
        for item in job.items:
            media = media_of(item.work)
            if media == TASK:
                task = item.work.task if isinstance(item.work, TaskWork) else ""
                if task not in self.engine.tasks:
                    raise FailedPrecondition(f"task {task!r} is not available", reason="TASK_NOT_CONFIGURED")
            elif not self.engine.order_for(job, media):
                raise FailedPrecondition(f"no backend is configured for {media}", reason="BACKEND_NOT_CONFIGURED")

    # ---------------------------------------------------------------- reads
    async def get_job(self, name: str) -> Job:
        """The job named ``projects/{p}/jobs/{j}``; NOT_FOUND when it does
        not exist or belongs to another tenant."""
        project, job_id = parse_job(name)
        job = await self.store.get(current_identity().tenant, project, job_id)
        if job is None:
            raise not_found("job", name)
        return job

    async def list_jobs(
        self,
        parent: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        states: Sequence[JobState] = (),
        kinds: Sequence[JobKind] = (),
    ) -> JobPage:
        """Jobs of a project, newest first, filtered by state and kind."""
        project = parse_project(parent, "parent")
        size = page_size_or_default(page_size)
        tenant = current_identity().tenant
        query = {
            "tenant": tenant,
            "project": project,
            "states": sorted({state.value for state in states}),
            "kinds": sorted({kind.value for kind in kinds}),
        }
        position = self._page_tokens.decode(page_token, query)
        after = None
        if position is not None:
            try:
                after = ListPosition(int(position["t"]), str(position["j"]))
            except (KeyError, TypeError, ValueError):
                raise InvalidArgument.for_field("page_token", "is not a valid page token", "INVALID_PAGE_TOKEN")
        found = await self.store.list(tenant, project, states=states, kinds=kinds, limit=size + 1, after=after)
        token = ""
        if len(found) > size:
            last = found[size - 1]
            token = self._page_tokens.encode({"t": last.create_time_us, "j": last.job_id}, query)
        return JobPage(found[:size], token)

    async def watch_job(self, name: str, after_sequence: int = 0) -> AsyncIterator[media_pb2.JobEvent]:
        """Checks the job (NOT_FOUND, INVALID_ARGUMENT) and returns the
        stream of its events after ``after_sequence``: stored ones, then live
        ones, each once, ending after ``completed``."""
        job = self._running(name) or await self.get_job(name)
        if after_sequence < 0:
            raise InvalidArgument.for_field("after_sequence", "must not be negative")
        if after_sequence > job.last_event_sequence:
            raise InvalidArgument.for_field(
                "after_sequence", f"is past the job's newest event ({job.last_event_sequence})"
            )
        options = self.engine.options
        return watch_events(self.store, self.hub, job.job_id, after_sequence, poll_seconds=options.watch_poll_seconds)

    def _running(self, name: str) -> Job | None:
        """The in-memory job of a running job of the caller's tenant (no
        database read), else None."""
        project, job_id = parse_job(name)
        active = self._active.get(job_id)
        if active is None or active.job.project != project or active.job.tenant != current_identity().tenant:
            return None
        return active.job

    # ---------------------------------------------------------------- cancel
    async def cancel_job(self, name: str) -> Job:
        """Cancels a job and its upstream work and returns it once it has
        ended; an ended job is returned unchanged."""
        job = await self.get_job(name)
        if job.state.is_terminal:
            return job
        if self.engine.closing:
            raise Unavailable("the media service is shutting down; retry", reason="SHUTTING_DOWN",
                              retry_delay_seconds=1.0)
        active = self._active.get(job.job_id)
        if active is None:
            job = await self.get_job(name)  # it may have ended since the first read
            if job.state.is_terminal:
                return job
            # Not running here (picked up by no runner yet): end it now,
            # cancelling what it had started upstream.
            job.cancel_requested = True
            self._spawn(job)
            active = self._active[job.job_id]
        elif not active.job.cancel_requested:
            active.job.cancel_requested = True
            await self.recorder.record(active.job)  # a crash from here on still cancels
            active.task.cancel()
        await asyncio.shield(_quietly(active.task))
        return active.job

    # ---------------------------------------------------------------- tasks
    def _spawn(self, job: Job, reattach: frozenset[str] = frozenset()) -> None:
        context = contextvars.Context()
        context.run(identity_var.set, CallIdentity(principal=job.principal, tenant=job.tenant))
        context.run(request_id_var.set, f"job-{job.job_id}")
        execution = JobExecution(self.engine, job, reattach)
        task = asyncio.get_running_loop().create_task(execution.run(), name=f"job-{job.job_id}", context=context)
        self._active[job.job_id] = _Active(job, task)
        task.add_done_callback(lambda done, job_id=job.job_id: self._finished(job_id, done))

    def _finished(self, job_id: str, task: asyncio.Task) -> None:
        active = self._active.get(job_id)
        if active is not None and active.task is task:
            del self._active[job_id]
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.error("job %s stopped on an unexpected error", job_id, exc_info=task.exception())

    def _recover(self, job: Job) -> frozenset[str]:
        """Decides what each interrupted item does now; returns the keys of
        the items that re-attach to upstream work."""
        reattach: set[str] = set()
        events: list[Payload] = []
        changed: list[JobItem] = []
        rerun = 0
        for item in job.items:
            if item.state is not JobState.RUNNING:
                continue
            failure = self._recovery_failure(item)
            if failure is None and item.upstream_id:
                reattach.add(item.key)
                continue
            if failure is None:
                item.state, item.progress = JobState.QUEUED, 0.0
                rerun += 1
            else:
                item.state, item.error = JobState.FAILED, failure.job_error(item.upstream_backend)
                events.append(job_protos.item_result(item))
            changed.append(item)
        if job.state is JobState.RUNNING:
            text = f"media service restarted: re-attaching {len(reattach)} items, making {rerun} again"
            events.append(job_protos.progress(job.progress, job.current_stage or "render", text))
            job.message = text
        if events or changed:
            self.recorder.record(job, events, changed)
        return frozenset(reattach)

    def _recovery_failure(self, item: JobItem) -> Failure | None:
        backend = item.upstream_backend
        if item.upstream_id:
            if backend in self.engine.backends:
                return None
            return Failure(
                ErrorReason.BACKEND_UNAVAILABLE,
                f"was running on backend {backend!r} as {item.upstream_id}, which is not configured after the "
                "restart; it cannot be re-attached",
            )
        if not backend or self.engine.is_restart_safe(backend):
            return None
        return Failure(
            ErrorReason.BACKEND_UNAVAILABLE,
            f"interrupted before backend {backend!r} reported its upstream id; not started again so that it "
            "is not paid for twice",
        )


async def _quietly(task: asyncio.Task) -> None:
    try:
        await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
    except Exception:  # logged by the runner's done callback
        pass
