"""The job engine's knobs, taken from :class:`MediaSettings` (or built
directly in tests and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from services.media.job_retry import RetryPolicy
from services.media.settings import MediaSettings


@dataclass(frozen=True)
class RunnerOptions:
    """How the runner schedules, retries and bounds jobs."""

    scratch_dir: Path
    image_backends: tuple[str, ...] = ("replicate", "gemini", "local")
    video_backends: tuple[str, ...] = ("replicate", "gemini", "local")
    slots_per_backend: int = 4
    backend_slots: Mapping[str, int] = field(default_factory=dict)
    job_timeout_seconds: float = 900.0
    item_parallelism: int = 2
    retry: RetryPolicy = RetryPolicy()
    output_retry_seconds: float = 60.0
    restart_safe_backends: frozenset[str] = frozenset({"local"})
    progress_interval_seconds: float = 0.5
    upstream_cancel_timeout_seconds: float = 10.0
    watch_queue_size: int = 256
    watch_poll_seconds: float = 10.0
    task_slot: str = "local"

    def slots_for(self, backend: str) -> int:
        return max(1, self.backend_slots.get(backend, self.slots_per_backend))

    @classmethod
    def from_settings(cls, settings: MediaSettings) -> "RunnerOptions":
        return cls(
            scratch_dir=Path(settings.data_dir) / "scratch" / "jobs",
            image_backends=tuple(settings.image_backends),
            video_backends=tuple(settings.video_backends),
            slots_per_backend=settings.max_concurrent_jobs_per_backend,
            backend_slots=dict(settings.backend_concurrency),
            job_timeout_seconds=settings.job_timeout_seconds,
            item_parallelism=settings.job_item_parallelism,
            retry=RetryPolicy(
                max_attempts=settings.retry_max_attempts,
                initial_delay_seconds=settings.retry_initial_delay_seconds,
                max_delay_seconds=settings.retry_max_delay_seconds,
            ),
            output_retry_seconds=settings.output_retry_seconds,
            restart_safe_backends=frozenset(settings.restart_safe_backends),
            progress_interval_seconds=settings.progress_event_interval_seconds,
            upstream_cancel_timeout_seconds=settings.upstream_cancel_timeout_seconds,
            watch_queue_size=settings.watch_queue_size,
            watch_poll_seconds=settings.watch_poll_seconds,
        )
