"""Test doubles for the job engine: an in-memory "cloud" whose predictions
keep running while no process watches them, a backend over it with scripted
latency and failures, and the ports (storage sink, output check, prices,
budget) as small recording fakes. Used by tests/media/test_job_*.py and
bench/media_jobs.py."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from services.media.backends.base import (
    BackendError,
    FailureReason,
    ImageRequest,
    ProgressSink,
    RenderOutput,
    UpstreamStarted,
    VideoRequest,
)
from services.media.job_database import JobDatabase, default_url
from services.media.job_options import RunnerOptions
from services.media.job_ports import output_request_id
from services.media.job_retry import RetryPolicy
from services.media.job_runner import JobRunner
from services.media.job_store import JobStore
from services.media.job_work import ItemWork, TaskWork, media_of
from services.media.jobs import Job, JobItem
from services.runtime.errors import QuotaViolation, ResourceExhausted, Unavailable

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"fake image"
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"fake video"


@dataclass
class Prediction:
    """Upstream work: runs on the cloud's clock whether anyone polls or not."""

    id: str
    backend: str
    created: float
    duration: float
    status: str = "processing"

    def fraction(self) -> float:
        if self.duration <= 0:
            return 1.0
        return min((time.monotonic() - self.created) / self.duration, 1.0)


class Cloud:
    """Upstream predictions shared by every backend instance (they survive a
    "restart" of the media service, like Replicate's do)."""

    def __init__(self) -> None:
        self.predictions: dict[str, Prediction] = {}
        self._ids = itertools.count(1)

    def create(self, backend: str, duration: float) -> Prediction:
        prediction = Prediction(f"p{next(self._ids)}", backend, time.monotonic(), duration)
        self.predictions[prediction.id] = prediction
        return prediction


class FakeBackend:
    """A :class:`MediaBackend` with scripted latency and failures.

    ``failures`` are raised by successive ``generate_*`` calls (``None`` =
    succeed) before any upstream work exists; ``fail_after_start`` raises
    once upstream work has been reported (a failed download, say).
    ``reports_upstream=False`` behaves like the local renderer (nothing to
    re-attach to; ``resume`` refuses)."""

    def __init__(
        self,
        name: str,
        cloud: Cloud | None = None,
        *,
        latency: float = 0.05,
        steps: int = 4,
        failures: Iterable[BackendError | None] = (),
        fail_after_start: Iterable[BackendError | None] = (),
        reports_upstream: bool = True,
        can_resume: bool = True,
        model: str = "fake-model",
        create_delay: float = 0.0,
    ) -> None:
        self.name = name
        self.cloud = cloud or Cloud()
        self.latency = latency
        self.steps = steps
        self.failures = list(failures)
        self.fail_after_start = list(fail_after_start)
        self.reports_upstream = reports_upstream
        self.can_resume = can_resume
        self.model = model
        self.create_delay = create_delay
        self.creates = 0
        self.calls = 0
        self.resumes: list[str] = []
        self.cancels: list[str] = []
        self.started_ids: list[str] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.started_event = asyncio.Event()

    async def generate_image(
        self, request: ImageRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput:
        return await self._generate("image", out_dir, progress, started)

    async def generate_video(
        self, request: VideoRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput:
        return await self._generate("video", out_dir, progress, started)

    async def resume(self, upstream_id: str, kind: str, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        self.resumes.append(upstream_id)
        if not self.can_resume:
            raise BackendError(FailureReason.BACKEND_UNAVAILABLE, f"{self.name} cannot re-attach to {upstream_id}")
        prediction = self.cloud.predictions.get(upstream_id)
        if prediction is None:
            raise BackendError(FailureReason.INVALID_INPUT, f"unknown prediction {upstream_id}")
        return await self._follow(prediction, kind, out_dir, progress)

    async def cancel(self, upstream_id: str) -> None:
        self.cancels.append(upstream_id)
        prediction = self.cloud.predictions.get(upstream_id)
        if prediction is not None and prediction.status == "processing":
            prediction.status = "canceled"

    async def _generate(self, kind: str, out_dir: Path, progress: ProgressSink, started: UpstreamStarted) -> RenderOutput:
        self.calls += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.failures:
                failure = self.failures.pop(0)
                if failure is not None:
                    raise failure
            if self.create_delay:
                await asyncio.sleep(self.create_delay)  # the create request is on its way
            self.creates += 1
            prediction = self.cloud.create(self.name, self.latency)
            if self.reports_upstream:
                self.started_ids.append(prediction.id)
                await started(prediction.id)
                self.started_event.set()
            return await self._follow(prediction, kind, out_dir, progress)
        finally:
            self.in_flight -= 1

    async def _follow(self, prediction: Prediction, kind: str, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        step = max(prediction.duration / max(self.steps, 1), 0.0)
        while prediction.fraction() < 1.0:
            if prediction.status == "canceled":
                raise BackendError(FailureReason.CANCELLED, f"prediction {prediction.id} was cancelled")
            remaining = prediction.duration - (time.monotonic() - prediction.created)
            await asyncio.sleep(max(min(step, remaining), 0.0))
            await progress(prediction.fraction(), f"rendering {prediction.fraction() * 100:.0f}%")
        if prediction.status == "canceled":
            raise BackendError(FailureReason.CANCELLED, f"prediction {prediction.id} was cancelled")
        prediction.status = "succeeded"
        if self.fail_after_start:
            failure = self.fail_after_start.pop(0)
            if failure is not None:
                raise failure
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{prediction.id}.{'png' if kind == 'image' else 'mp4'}"
        path.write_bytes(PNG_BYTES if kind == "image" else MP4_BYTES)
        return RenderOutput(
            path=path,
            media_type="image/png" if kind == "image" else "video/mp4",
            backend=self.name,
            model=self.model,
            upstream_id=prediction.id,
        )


class Outputs:
    """The storage port: keeps what it was given, one revision per
    (job, item) however often it is called (idempotent like storage's
    request_id), and can be told to be unavailable a few times."""

    def __init__(self, *, unavailable_times: int = 0) -> None:
        self.revisions: dict[str, str] = {}
        self.contents: dict[str, bytes] = {}
        self.calls = 0
        self.unavailable_times = unavailable_times
        self._numbers = itertools.count(1)

    async def __call__(self, job: Job, item: JobItem, output: RenderOutput) -> str:
        self.calls += 1
        if self.unavailable_times > 0:
            self.unavailable_times -= 1
            raise Unavailable("storage is down", reason="UPSTREAM_UNAVAILABLE", retry_delay_seconds=0.01)
        key = output_request_id(job, item)
        if key not in self.revisions:
            self.revisions[key] = f"projects/{job.project}/assets/a{next(self._numbers)}/revisions/1"
            self.contents[key] = Path(output.path).read_bytes()
        return self.revisions[key]


class Checks:
    """The output check: passes everything except the backends named."""

    def __init__(self, reject_backends: Sequence[str] = ()) -> None:
        self.reject_backends = set(reject_backends)
        self.checked: list[str] = []

    async def __call__(self, work: ItemWork, output: RenderOutput) -> RenderOutput:
        self.checked.append(output.backend)
        if output.backend in self.reject_backends:
            raise BackendError(FailureReason.INVALID_OUTPUT, "portrait image for 16:9", failover=True)
        return output


class Costs:
    """Prices: a fixed amount per output and backend."""

    def __init__(self, prices: dict[str, float] | None = None, default: float = 0.04) -> None:
        self.prices = prices or {}
        self.default = default

    def estimate_usd(self, work: ItemWork, backends: Sequence[str]) -> float:
        if isinstance(work, TaskWork) or media_of(work) == "task":
            return 0.0
        return max((self.prices.get(name, self.default) for name in backends), default=0.0)

    def actual_usd(self, work: ItemWork, output: RenderOutput) -> float:
        return self.prices.get(output.backend, self.default)


class Budget:
    """The budget check: refuses a start whose estimate is over ``limit``."""

    def __init__(self, limit: float = 1_000.0) -> None:
        self.limit = limit
        self.asked: list[tuple[str, float]] = []

    async def __call__(self, project: str, amount_usd: float) -> None:
        self.asked.append((project, amount_usd))
        if amount_usd > self.limit:
            raise ResourceExhausted(
                f"the job would cost ${amount_usd:.2f}; the budget has ${self.limit:.2f} left",
                reason="BUDGET_EXCEEDED",
                quota_violations=[QuotaViolation(f"projects/{project}", "budget_usd exceeded")],
            )


def fast_options(tmp_path: Path, **overrides) -> RunnerOptions:
    """Fast bounds for tests."""
    values = dict(
        scratch_dir=tmp_path / "scratch",
        image_backends=("primary", "secondary"),
        video_backends=("primary", "secondary"),
        slots_per_backend=4,
        retry=RetryPolicy(max_attempts=3, initial_delay_seconds=0.01, max_delay_seconds=0.5),
        output_retry_seconds=2.0,
        progress_interval_seconds=0.0,
        upstream_cancel_timeout_seconds=2.0,
        job_timeout_seconds=30.0,
        watch_poll_seconds=2.0,
    )
    values.update(overrides)
    return RunnerOptions(**values)


@dataclass
class Harness:
    """A runner on a SQLite database in ``tmp_path`` with recording fakes."""

    tmp_path: Path
    backends: dict[str, FakeBackend]
    options: RunnerOptions
    outputs: Outputs = field(default_factory=Outputs)
    checks: Checks = field(default_factory=Checks)
    costs: Costs = field(default_factory=Costs)
    budget: Budget = field(default_factory=Budget)
    database_url: str = ""
    runners: list[JobRunner] = field(default_factory=list)

    async def runner(self, **extra) -> JobRunner:
        """A new runner (a new "process") on the same database, started."""
        store = JobStore(JobDatabase(self.database_url or default_url(self.tmp_path)))
        runner = JobRunner(
            store,
            self.backends,
            self.options,
            on_output=self.outputs,
            check_output=self.checks,
            costs=self.costs,
            budget=self.budget,
            **extra,
        )
        await runner.start()
        self.runners.append(runner)
        return runner

    async def stop(self, runner: JobRunner) -> None:
        """The process goes away: tasks stop, jobs stay as they are."""
        await runner.close()
        await runner.store.database.close()
        self.runners.remove(runner)

    async def close(self) -> None:
        for runner in list(self.runners):
            await self.stop(runner)


async def events_until_end(runner: JobRunner, name: str, after: int = 0, timeout: float = 20.0) -> list:
    """Every event of a job after ``after`` until its completion."""
    collected = []

    async def collect() -> None:
        async for event in await runner.watch_job(name, after):
            collected.append(event)

    await asyncio.wait_for(collect(), timeout)
    return collected
