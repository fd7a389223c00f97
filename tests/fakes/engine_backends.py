"""The real Replicate and Gemini backends (real SDKs) pointed at the fake
servers, with bounds short enough for tests, and the real output gate of the
media service. Used by the engine-level tests (tests/media/test_job_*.py),
the fault tests (tests/faults/) and bench/media_jobs.py."""

from __future__ import annotations

from typing import Any

from services.media.backends.gemini import GeminiMediaBackend
from services.media.backends.replicate import ReplicateBackend
from services.media.output_checks import OutputLimits
from services.media.output_gate import OutputGate
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.replicate_server import FakeReplicate


def replicate_backend(fake: FakeReplicate | str, **overrides: Any) -> ReplicateBackend:
    """A ReplicateBackend on the fake (or on a base URL, e.g. one where
    nothing listens)."""
    base_url = fake if isinstance(fake, str) else fake.base_url
    token = "r8_fake_test_token" if isinstance(fake, str) else fake.api_token
    options: dict[str, Any] = dict(
        base_url=base_url,
        poll_interval_seconds=0.01,
        max_poll_interval_seconds=0.05,
        image_timeout_seconds=20.0,
        video_timeout_seconds=20.0,
        request_timeout_seconds=3.0,
        download_timeout_seconds=3.0,
    )
    options.update(overrides)
    return ReplicateBackend(token, **options)


def gemini_backend(fake: FakeGemini, **overrides: Any) -> GeminiMediaBackend:
    """A GeminiMediaBackend on the fake."""
    options: dict[str, Any] = dict(
        base_url=fake.base_url,
        request_timeout_seconds=3.0,
        image_timeout_seconds=3.0,
        video_timeout_seconds=20.0,
        poll_interval_seconds=0.02,
        max_poll_interval_seconds=0.05,
        expected_video_seconds=0.5,
        download_timeout_seconds=3.0,
    )
    options.update(overrides)
    return GeminiMediaBackend(fake.api_key, **options)


def output_gate() -> OutputGate:
    """The media service's real output check (decode, media type, aspect
    ratio, video length) with its default limits."""
    return OutputGate(OutputLimits(), {})
