"""What every media task module (frames, images, videos, image actions,
animatics, storyboards) needs: the clients of storage and the planner, the
job runner, the output targets, the budget, prices and defaults; and the two
steps every start shares.

A task module has a ``start_*`` function (runs in the start call: validates
the spec, reads what it must to answer NOT_FOUND or INVALID_ARGUMENT at
once, estimates the cost, checks the budget, then starts the job) and a
``prepare_*`` function (the job's ``prepare`` stage: builds prompts,
downloads inputs, decides the output targets and returns the items).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from google.protobuf import json_format
from google.protobuf.message import Message

from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media import job_protos
from services.media.backends.base import VideoRequest
from services.media.budget import BudgetKeeper, planning_job
from services.media.config.defaults import MediaDefaults
from services.media.costs import PriceCosts
from services.media.job_options import RunnerOptions
from services.media.job_runner import JobRunner
from services.media.job_work import IMAGE, VIDEO, ItemWork
from services.media.jobs import ItemPlan, Job, JobKind, usd
from services.media.output_checks import OutputLimits
from services.media.output_targets import OutputTarget, TargetBook
from services.media.planner_client import PlannerClient
from services.runtime.errors import FailedPrecondition, Internal, InvalidArgument
from services.runtime.request_context import current_identity
from services.runtime.resource_names import parse_project
from services.storage.storage_client import StorageClient

PROMPT_PAYLOAD = "prompt"
LOCAL_BACKEND = "local"
# What the generative backends (Imagen and Veo, on Replicate or Gemini) make.
GENERATIVE_IMAGE_ASPECT_RATIOS = ("1:1", "9:16", "16:9", "3:4", "4:3")
GENERATIVE_VIDEO_ASPECT_RATIOS = ("16:9", "9:16")


@dataclass(frozen=True)
class PlannedItem:
    """An item of a job with where its output goes."""

    key: str
    work: ItemWork
    target: OutputTarget


def with_prompt(target: OutputTarget, prompt: planner_pb2.RenderPrompt) -> OutputTarget:
    """``target`` carrying the render prompt, stored as the revision's
    payload (edits and regenerations rebuild from it)."""
    return replace(target, payload=json_format.MessageToJson(prompt, indent=None))


class TaskContext:
    """Shared by the task modules; built once by ``app.wire``."""

    def __init__(
        self,
        *,
        storage: StorageClient,
        planner: PlannerClient,
        targets: TargetBook,
        budget: BudgetKeeper,
        costs: PriceCosts,
        defaults: MediaDefaults,
        options: RunnerOptions,
        backends: Sequence[str],
    ) -> None:
        self.storage = storage
        self.planner = planner
        self.targets = targets
        self.budget = budget
        self.costs = costs
        self.defaults = defaults
        self.options = options
        self.backends = tuple(backends)
        self.limits = OutputLimits(**defaults.output_checks.model_dump())
        self._runner: JobRunner | None = None

    def bind(self, runner: JobRunner) -> None:
        self._runner = runner

    @property
    def runner(self) -> JobRunner:
        if self._runner is None:
            raise Internal("the task context is not bound to a job runner", reason="NOT_WIRED")
        return self._runner

    # ------------------------------------------------------------ estimates
    def candidates(self, media: str, backend: str) -> list[str]:
        """Backends that may make ``media`` (``image``/``video``): the one
        asked for, else the configured failover order."""
        if backend:
            return [backend] if backend in self.backends else []
        order = self.options.image_backends if media == IMAGE else self.options.video_backends
        return [name for name in order if name in self.backends]

    def check_makeable(self, work: ItemWork, backend: str, aspect_field: str) -> None:
        """INVALID_ARGUMENT naming ``aspect_field`` when only generative
        backends may make ``work`` and none of them makes its aspect ratio
        (the job would fail on every backend it may use)."""
        media = VIDEO if isinstance(work, VideoRequest) else IMAGE
        candidates = self.candidates(media, backend)
        if not candidates or LOCAL_BACKEND in candidates:
            return
        supported = GENERATIVE_VIDEO_ASPECT_RATIOS if media == VIDEO else GENERATIVE_IMAGE_ASPECT_RATIOS
        aspect = getattr(work, "aspect_ratio", "")
        if aspect and aspect not in supported:
            raise InvalidArgument.for_field(
                aspect_field, f"{aspect} is not made by {', '.join(candidates)} (they make {', '.join(supported)}); "
                "set another aspect ratio or ask for BACKEND_LOCAL", "UNSUPPORTED_ASPECT_RATIO")

    def estimate(self, works: Sequence[ItemWork], backend: str) -> float:
        """The most ``works`` can cost on the backends that may make them."""
        total = 0.0
        for work in works:
            media = VIDEO if isinstance(work, VideoRequest) else IMAGE
            total += self.costs.estimate_usd(work, self.candidates(media, backend))
        return usd(total)

    # ------------------------------------------------------------ the two steps
    async def start(self, parent: str, kind: JobKind, spec: Message, *, request_id: str, backend: str = "",
                    estimate_usd: float = 0.0) -> Job:
        """A retried start returns the first job; otherwise the budget is
        checked (RESOURCE_EXHAUSTED, no job) and the job starts QUEUED."""
        project = parse_project(parent, "parent")
        if request_id:
            existing = await self.runner.store.find_by_request(current_identity().tenant, project, request_id)
            if existing is not None:
                return existing
        await self.budget.check(project, estimate_usd, await self.writable_project(project))
        return await self.runner.start_job(
            parent, kind, job_protos.spec_echo(spec), request_id=request_id, backend=backend
        )

    async def writable_project(self, project: str) -> storage_pb2.Project:
        """The project a job would store its outputs in: NOT_FOUND when the
        caller cannot see it, FAILED_PRECONDITION when it is deleted (so no
        job renders, maybe paid, what it could never store)."""
        found = await self.budget.project(project)
        if found.state == storage_pb2.Project.STATE_DELETED:
            raise FailedPrecondition(f"project {found.name!r} is deleted and read-only", reason="PROJECT_DELETED",
                                     metadata={"project": found.name})
        return found

    async def visible_project(self, parent: str) -> str:
        """``parent``'s project id once the caller is known to see it
        (NOT_FOUND otherwise, as for a project that does not exist)."""
        project = parse_project(parent, "parent")
        await self.budget.project(project)
        return project

    async def planned(self, job: Job, items: Sequence[PlannedItem]) -> list[ItemPlan]:
        """Records where each item's output goes and hands the items to the
        engine (which then reserves their estimate)."""
        await self.targets.put(job.job_id, {item.key: item.target for item in items})
        planning_job.set(job)
        return [ItemPlan(item.key, item.work) for item in items]

    def inputs_dir(self, job: Job) -> Path:
        """Scratch folder of a job's downloaded inputs (removed with the
        job's scratch when it ends)."""
        return self.options.scratch_dir / job.job_id / "inputs"
