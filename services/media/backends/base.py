"""The one interface every media backend implements (local, Replicate, Gemini).

A backend turns an :class:`ImageRequest` or :class:`VideoRequest` into a file
on local disk. The job runner (``services/media/jobs.py``) owns retries across
backends (failover), cost bookkeeping, output checks and storage uploads; a
backend only talks to its upstream, reports progress, and raises
:class:`BackendError` with a typed :class:`FailureReason`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Protocol


class FailureReason(enum.Enum):
    """Why a backend call failed; maps 1:1 to the media proto's Job error reasons."""

    CONTENT_POLICY_VIOLATION = "CONTENT_POLICY_VIOLATION"
    RATE_LIMITED = "RATE_LIMITED"
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE"
    INVALID_INPUT = "INVALID_INPUT"
    TIMEOUT = "TIMEOUT"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    CANCELLED = "CANCELLED"
    INVALID_OUTPUT = "INVALID_OUTPUT"


class BackendError(Exception):
    """A failed upstream call. ``retryable`` tells the runner whether the same
    backend may be tried again (429/5xx); ``failover`` whether the next backend
    in the configured order should be tried (unavailable, rate limited);
    ``upstream_ended`` that the upstream work this item had (prediction,
    operation) has ended without an output (aborted, failed): a retry must
    create new work, re-attaching to the old one cannot succeed."""

    def __init__(
        self,
        reason: FailureReason,
        message: str,
        *,
        retryable: bool = False,
        failover: bool = False,
        retry_after_seconds: float | None = None,
        upstream_ended: bool = False,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable
        self.failover = failover
        self.retry_after_seconds = retry_after_seconds
        self.upstream_ended = upstream_ended


@dataclass(frozen=True)
class PanelLook:
    """Relative look changes an edit asked for (the planner's
    ``LookAdjustment``), applied to a rendered panel's picture. Zero is no
    change; the ranges are the planner's."""

    lighting: int = 0
    """Key light, -100 (darker) .. 100 (brighter)."""
    contrast: int = 0
    """-100 .. 100."""
    saturation: int = 0
    """-100 (grey) .. 100."""
    temperature_kelvin: int = 0
    """Colour temperature change; negative is warmer."""
    bloom: int = 0
    """Glow around highlights, -100 .. 100 (only more glow is drawn)."""
    fov_degrees: float = 0.0
    """Field of view change; negative is tighter (the picture is cropped in)."""


@dataclass(frozen=True)
class PanelSpec:
    """What the local renderer needs to compose a storyboard panel for a shot.

    Enum-like fields hold the shared vocabulary of docs/CONVENTIONS.md without
    prefixes: shot_size "CLOSE_UP", camera_angle "LOW", camera_movement
    "PUSH_IN", time_of_day "NIGHT", screen_direction "LEFT_TO_RIGHT".
    """

    shot_id: str = ""
    scene_id: str = ""
    shot_size: str = "MEDIUM"
    camera_angle: str = "EYE_LEVEL"
    camera_movement: str = "STATIC"
    screen_direction: str = "NEUTRAL"
    time_of_day: str = "DAY"
    style: str = ""
    location: str = ""
    interior: bool = False
    """An ``INT.`` location: a room (walls, a window, a floor) instead of a
    horizon with sky and scenery."""
    characters: tuple[str, ...] = ()
    props: tuple[str, ...] = ()
    description: str = ""
    dialogue: str = ""
    lens_mm: float = 35.0
    duration_seconds: float = 3.0
    look: PanelLook = PanelLook()


@dataclass(frozen=True)
class ImageRequest:
    """One image to make. ``reference_images`` are local files (already
    downloaded from storage blobs), never base64 or client URLs."""

    prompt: str
    negative_prompt: str = ""
    aspect_ratio: str = "16:9"
    seed: int | None = None
    output_format: str = "png"
    safety_filter_level: str = "block_medium_and_above"
    person_generation: str = "allow_adult"
    model: str = ""
    reference_images: tuple[Path, ...] = ()
    panel: PanelSpec | None = None


@dataclass(frozen=True)
class VideoRequest:
    """One video clip to make."""

    prompt: str
    negative_prompt: str = ""
    aspect_ratio: str = "16:9"
    duration_seconds: int = 8
    generate_audio: bool = False
    seed: int | None = None
    resolution: str = "720p"
    model: str = ""
    reference_image: Path | None = None
    last_frame: Path | None = None
    panel: PanelSpec | None = None


@dataclass(frozen=True)
class RenderOutput:
    """A finished output on local disk, before checks and upload."""

    path: Path
    media_type: str
    backend: str
    model: str
    upstream_id: str = ""
    predict_time_seconds: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


ProgressSink = Callable[[float, str], Awaitable[None]]
"""Called with progress in [0, 1] and a short human message."""

UpstreamStarted = Callable[[str], Awaitable[None]]
"""Called once with the upstream prediction/operation id as soon as it exists,
so the job can be made durable before polling (re-attach after restart)."""


class MediaBackend(Protocol):
    """Implemented by ``backends/local.py``, ``backends/replicate.py``, ``backends/gemini.py``."""

    name: str

    async def generate_image(
        self, request: ImageRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput: ...

    async def generate_video(
        self, request: VideoRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput: ...

    async def resume(self, upstream_id: str, kind: str, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        """Re-attach to upstream work started before a restart (``kind`` is
        "image" or "video"): poll it again instead of paying twice."""
        ...

    async def cancel(self, upstream_id: str) -> None:
        """Cancel upstream work; best effort, never raises for finished work."""
        ...


def check_polling_settings(
    positive: dict[str, float],
    *,
    poll_interval_seconds: float,
    max_poll_interval_seconds: float,
    download_attempts: int,
    max_poll_errors: int,
) -> None:
    """The checks every polling HTTP backend makes of its settings: each of
    ``positive`` (name -> value) above zero, a backoff that can grow, at least
    one download attempt."""
    for label, value in positive.items():
        if not value > 0:
            raise ValueError(f"{label} must be > 0")
    if max_poll_interval_seconds < poll_interval_seconds:
        raise ValueError("max_poll_interval_seconds must be >= poll_interval_seconds")
    if download_attempts < 1 or max_poll_errors < 0:
        raise ValueError("download_attempts must be >= 1 and max_poll_errors >= 0")
