"""Jobs as domain objects: what a job is, its items, states and typed errors.

A job is a list of items (one per shot for frames, one for a single image or
video, one per export format...). Each item is made by a backend (or a local
task), checked, and stored; the job records which backend made each output,
what it cost, and why it failed when it did. ``job_runner.py`` moves jobs
through ``QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED``;
``job_store.py`` keeps them durable; ``job_protos.py`` maps them to the
``previs.media.v1.Job`` message.

No ``grpc`` here. Money is US dollars rounded to micro-dollars; times are
integer microseconds since the Unix epoch.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

from services.media.job_work import ItemWork
from services.runtime.errors import Code
from services.runtime.resource_names import job_name


def now_us() -> int:
    """Wall-clock time in integer microseconds since the Unix epoch."""
    return time.time_ns() // 1000


class JobState(enum.Enum):
    """Lifecycle of a job, a stage or an item (names match ``Job.State``)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class JobKind(enum.Enum):
    """What a job makes (names match ``JobKind`` without its prefix)."""

    FRAMES = "FRAMES"
    CHARACTER_REFERENCE = "CHARACTER_REFERENCE"
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    IMAGE_EDIT = "IMAGE_EDIT"
    IMAGE_REGENERATE = "IMAGE_REGENERATE"
    ANIMATIC = "ANIMATIC"
    STORYBOARD_EXPORT = "STORYBOARD_EXPORT"


class ErrorReason(enum.Enum):
    """Why a job or an item failed (names match ``JobErrorReason``)."""

    CONTENT_POLICY_VIOLATION = "CONTENT_POLICY_VIOLATION"
    RATE_LIMITED = "RATE_LIMITED"
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE"
    INVALID_INPUT = "INVALID_INPUT"
    TIMEOUT = "TIMEOUT"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    CANCELLED = "CANCELLED"
    INVALID_OUTPUT = "INVALID_OUTPUT"
    INTERNAL = "INTERNAL"

    @property
    def code(self) -> Code:
        """The status a synchronous call would have answered."""
        return _CODES[self]


_CODES = {
    ErrorReason.CONTENT_POLICY_VIOLATION: Code.INVALID_ARGUMENT,
    ErrorReason.RATE_LIMITED: Code.RESOURCE_EXHAUSTED,
    ErrorReason.BACKEND_UNAVAILABLE: Code.UNAVAILABLE,
    ErrorReason.INVALID_INPUT: Code.INVALID_ARGUMENT,
    ErrorReason.TIMEOUT: Code.DEADLINE_EXCEEDED,
    ErrorReason.BUDGET_EXCEEDED: Code.RESOURCE_EXHAUSTED,
    ErrorReason.CANCELLED: Code.CANCELLED,
    ErrorReason.INVALID_OUTPUT: Code.INTERNAL,
    ErrorReason.INTERNAL: Code.INTERNAL,
}


@dataclass(frozen=True)
class JobError:
    """Why a job or an item failed. ``message`` never holds secrets."""

    reason: ErrorReason
    message: str
    backend: str = ""
    item_key: str = ""

    @property
    def code(self) -> Code:
        return self.reason.code


@dataclass(frozen=True)
class SpecEcho:
    """The start call's spec, echoed on the job: the name of the ``Job``
    oneof field (``frames``, ``video``...) and the serialized message."""

    field: str
    payload: bytes = b""


@dataclass(frozen=True)
class ItemPlan:
    """One item a job will make: a key unique in the job (``S004``,
    ``CHAR_01``, ``output``) and the work that makes it."""

    key: str
    work: ItemWork


@dataclass
class JobItem:
    """One item of a job and how it went.

    ``upstream_backend``/``upstream_id`` are durable before any polling: the
    backend an attempt was dispatched to, and the prediction or operation id
    it reported. A restart re-attaches to them instead of creating again.
    """

    key: str
    work: ItemWork
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    attempts: int = 0
    backend: str = ""
    model: str = ""
    output_revision: str = ""
    error: JobError | None = None
    estimated_usd: float = 0.0
    actual_usd: float = 0.0
    upstream_backend: str = ""
    upstream_id: str = ""


@dataclass
class JobStage:
    """One stage of a job (``prepare``, ``render``)."""

    id: str
    display_name: str
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    start_time_us: int | None = None
    end_time_us: int | None = None
    message: str = ""


@dataclass
class Job:
    """A unit of media work, owned by the tenant that started it."""

    job_id: str
    project: str
    tenant: str
    principal: str
    kind: JobKind
    spec: SpecEcho
    request_id: str = ""
    backend: str = ""
    state: JobState = JobState.QUEUED
    items: list[JobItem] = field(default_factory=list)
    stages: list[JobStage] = field(default_factory=list)
    progress: float = 0.0
    current_stage: str = ""
    message: str = ""
    estimated_usd: float = 0.0
    actual_usd: float = 0.0
    error: JobError | None = None
    create_time_us: int = 0
    start_time_us: int | None = None
    end_time_us: int | None = None
    update_time_us: int = 0
    version: int = 1
    last_event_sequence: int = 0
    cancel_requested: bool = False

    @property
    def name(self) -> str:
        return job_name(self.project, self.job_id)

    @property
    def etag(self) -> str:
        return f"W/\"{self.version}\""

    @property
    def output_revisions(self) -> list[str]:
        """Stored outputs, in item order."""
        return [item.output_revision for item in self.items if item.output_revision]

    def item(self, key: str) -> JobItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def stage(self, stage_id: str) -> JobStage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)


def usd(amount: float) -> float:
    """An amount rounded to micro-dollars."""
    return round(amount, 6)
