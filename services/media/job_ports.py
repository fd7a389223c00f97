"""What the job engine needs from the rest of the media service, as small
protocols, so the engine has no storage, planner or pricing dependency and
tests pass plain fakes.

- :class:`OutputSink` stores a checked output (uploads it to storage) and
  returns the revision name. It must be idempotent per (job, item):
  after a restart the same item's output can be stored again, so the
  servicer passes :func:`output_request_id` as the storage ``request_id``.
  Raising ``Unavailable``/``DeadlineExceeded`` makes the runner retry it
  within ``output_retry_seconds``.
- :class:`OutputCheck` checks a backend's file before it is stored and
  returns the output to store (it may correct ``media_type`` and add facts
  such as ``duration_seconds`` to ``extra``); it raises ``BackendError``
  with reason INVALID_OUTPUT (``failover=True``) to reject it.
- :class:`CostModel` estimates an item before the job starts (over the
  backends that may make it) and prices the output that was made.
- :class:`BudgetCheck` raises ``ResourceExhausted`` with a
  ``QuotaViolation`` when ``amount_usd`` more would exceed the project's
  budget.
- :class:`Preparer` plans the items of a job started without them (frames
  whose prompts come from the planner), as the job's ``prepare`` stage.
- :class:`TaskHandler` makes the output of a :class:`TaskWork` item
  (animatic, storyboard export) on this machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from services.media.backends.base import ProgressSink, RenderOutput
from services.media.job_work import ItemWork
from services.media.jobs import ItemPlan, Job, JobItem


class OutputSink(Protocol):
    async def __call__(self, job: Job, item: JobItem, output: RenderOutput) -> str: ...


class OutputCheck(Protocol):
    async def __call__(self, work: ItemWork, output: RenderOutput) -> RenderOutput: ...


class CostModel(Protocol):
    def estimate_usd(self, work: ItemWork, backends: Sequence[str]) -> float: ...

    def actual_usd(self, work: ItemWork, output: RenderOutput) -> float: ...


class BudgetCheck(Protocol):
    async def __call__(self, project: str, amount_usd: float) -> None: ...


class Preparer(Protocol):
    async def __call__(self, job: Job) -> Sequence[ItemPlan]: ...


class TaskHandler(Protocol):
    async def __call__(self, job: Job, item: JobItem, out_dir: Path, progress: ProgressSink) -> RenderOutput: ...


def output_request_id(job: Job, item: JobItem) -> str:
    """The idempotency key for storing ``item``'s output (at most 128
    characters: a 63-character job id and a 64-character item key)."""
    return f"{job.job_id}:{item.key}"[:128]
