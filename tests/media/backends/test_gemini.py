"""GeminiMediaBackend: the real google-genai SDK against the fake Gemini server."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from PIL import Image

from services.media.backends.base import BackendError, FailureReason, ImageRequest, RenderOutput, VideoRequest
from services.media.backends.gemini import GeminiMediaBackend, _wait_for_event
from tests.fakes.gemini_server import (
    DOWNLOAD,
    GET_OPERATION,
    PREDICT,
    PREDICT_LONG_RUNNING,
    FakeGemini,
    HttpError,
    Images,
    ImagesFiltered,
    Operation,
    OperationFailed,
    Pass,
    Reset,
    Slow,
    Truncated,
    VideoFiltered,
    VideoResult,
    fake_gemini,  # noqa: F401 - pytest fixture
    make_image,
)

IMAGE_MODEL = "imagen-4.0-generate-001"
VIDEO_MODEL = "veo-3.1-generate-preview"


class Recorder:
    """Progress sink and ``started`` callback in one."""

    def __init__(self) -> None:
        self.progress: list[tuple[float, str]] = []
        self.started: list[str] = []

    async def on_progress(self, fraction: float, message: str) -> None:
        self.progress.append((fraction, message))

    async def on_started(self, upstream_id: str) -> None:
        self.started.append(upstream_id)

    @property
    def fractions(self) -> list[float]:
        return [fraction for fraction, _ in self.progress]


def make_backend(fake: FakeGemini, **overrides: object) -> GeminiMediaBackend:
    options: dict[str, object] = dict(
        base_url=fake.base_url,
        request_timeout_seconds=5.0,
        image_timeout_seconds=5.0,
        video_timeout_seconds=10.0,
        poll_interval_seconds=0.05,
        max_poll_interval_seconds=0.1,
        expected_video_seconds=0.5,
        download_timeout_seconds=5.0,
    )
    options.update(overrides)
    return GeminiMediaBackend(fake.api_key, **options)  # type: ignore[arg-type]


async def render_image(
    backend: GeminiMediaBackend, request: ImageRequest, out: Path, recorder: Recorder | None = None
) -> RenderOutput:
    recorder = recorder or Recorder()
    return await backend.generate_image(request, out, recorder.on_progress, recorder.on_started)


async def render_video(
    backend: GeminiMediaBackend, request: VideoRequest, out: Path, recorder: Recorder | None = None
) -> RenderOutput:
    recorder = recorder or Recorder()
    return await backend.generate_video(request, out, recorder.on_progress, recorder.on_started)


@pytest.fixture
async def backend(fake_gemini: FakeGemini):  # type: ignore[no-untyped-def]
    backend = make_backend(fake_gemini)
    yield backend
    await backend.aclose()


# --------------------------------------------------------------------------- images
async def test_image_success_writes_a_decodable_png(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    recorder = Recorder()
    request = ImageRequest(prompt="A diner at night, rain on the window", negative_prompt="text, logos", seed=7)
    output = await render_image(backend, request, tmp_path, recorder)

    with Image.open(output.path) as image:
        image.load()
        assert image.size == (1408, 768)  # Imagen's 16:9
        assert image.format == "PNG"
    assert output.path.parent == tmp_path and output.media_type == "image/png"
    assert (output.backend, output.model, output.upstream_id) == ("gemini", IMAGE_MODEL, "")
    assert output.extra["images"] == "1" and output.extra["seed"] == "ignored_in_api_key_mode"
    assert output.extra["negative_prompt"] == "folded_into_prompt"
    assert recorder.started == []  # Imagen is synchronous: nothing to re-attach to
    assert recorder.fractions[-1] == 1.0 and recorder.fractions == sorted(recorder.fractions)
    [call] = fake_gemini.requests(PREDICT)
    assert call.path == f"/v1beta/models/{IMAGE_MODEL}:predict"
    assert call.body["instances"][0]["prompt"].endswith("Avoid: text, logos")
    assert call.body["parameters"] == {
        "sampleCount": 1, "aspectRatio": "16:9", "safetySetting": "BLOCK_MEDIUM_AND_ABOVE",
        "personGeneration": "ALLOW_ADULT", "includeRaiReason": True, "outputOptions": {"mimeType": "image/png"},
    }
    assert list(tmp_path.iterdir()) == [output.path]  # no leftover partial files


async def test_image_safety_filtered_is_a_content_policy_violation(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    fake_gemini.enqueue(PREDICT, ImagesFiltered())
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_image(backend, ImageRequest(prompt="x"), tmp_path, recorder)
    assert raised.value.reason is FailureReason.CONTENT_POLICY_VIOLATION
    assert "filtered out the generated image" in raised.value.message
    assert not raised.value.retryable and list(tmp_path.iterdir()) == []


async def test_image_429_is_rate_limited_with_the_hint(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    fake_gemini.enqueue(PREDICT, HttpError(429, retry_delay=7))
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_image(backend, ImageRequest(prompt="x"), tmp_path, recorder)
    error = raised.value
    assert (error.reason, error.retryable, error.failover, error.retry_after_seconds) == (
        FailureReason.RATE_LIMITED, True, True, 7.0,
    )
    assert fake_gemini.count(PREDICT) == 1  # the runner decides about retries


async def test_image_with_the_wrong_aspect_is_rejected(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    fake_gemini.enqueue(PREDICT, Images(size=(768, 1408)))
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_image(backend, ImageRequest(prompt="x", aspect_ratio="16:9"), tmp_path, recorder)
    assert raised.value.reason is FailureReason.INVALID_OUTPUT
    assert "768x1408" in raised.value.message and raised.value.failover


@pytest.mark.parametrize(
    ("fault", "reason", "retryable"),
    [
        (HttpError(503), FailureReason.BACKEND_UNAVAILABLE, True),
        # A reset after the request was sent: the image may have been made
        # and billed, so it is not asked for again.
        (Reset(), FailureReason.BACKEND_UNAVAILABLE, False),
        (
            HttpError(400, "Image generation failed: the prompt violates our usage guidelines."),
            FailureReason.CONTENT_POLICY_VIOLATION,
            False,
        ),
        (HttpError(400, "Unsupported sample count"), FailureReason.INVALID_INPUT, False),
    ],
)
async def test_image_errors_map_to_reasons(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path,
    fault: object, reason: FailureReason, retryable: bool,
) -> None:
    fake_gemini.enqueue(PREDICT, fault)
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_image(backend, ImageRequest(prompt="x"), tmp_path, recorder)
    assert (raised.value.reason, raised.value.retryable) == (reason, retryable)


async def test_unsupported_image_inputs_fail_over_without_a_call(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    recorder = Recorder()
    for request in (
        ImageRequest(prompt="x", aspect_ratio="2.39:1"),
        ImageRequest(prompt="x", safety_filter_level="block_none"),
        ImageRequest(prompt="x", person_generation="allow_all"),
    ):
        with pytest.raises(BackendError) as raised:
            await render_image(backend, request, tmp_path, recorder)
        assert raised.value.reason is FailureReason.INVALID_INPUT and raised.value.failover
    assert fake_gemini.count(PREDICT) == 0


async def test_image_timeout_is_backend_unavailable(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    fake_gemini.enqueue(PREDICT, Slow(3.0))
    backend = make_backend(fake_gemini, image_timeout_seconds=0.3)
    recorder = Recorder()
    try:
        with pytest.raises(BackendError) as raised:
            await asyncio.wait_for(render_image(backend, ImageRequest(prompt="x"), tmp_path), 3.0)
    finally:
        await backend.aclose()
    assert raised.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert not raised.value.retryable and not raised.value.failover  # it may have been made: never twice
    assert "not asked for again" in raised.value.message


# --------------------------------------------------------------------------- video
async def test_video_success_with_progress_and_download(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=3, outcome=VideoResult(seconds=1.0)))
    reference = tmp_path / "ref.png"
    reference.write_bytes(make_image(256, 144))
    recorder = Recorder()
    request = VideoRequest(prompt="Slow push-in on the diner", negative_prompt="text", duration_seconds=6,
                           seed=3, reference_image=reference)
    output = await backend.generate_video(request, tmp_path / "out", recorder.on_progress, recorder.on_started)

    [name] = fake_gemini.operation_names()
    assert recorder.started == [name] and output.upstream_id == name
    assert name.startswith(f"models/{VIDEO_MODEL}/operations/")
    assert output.path.read_bytes()[4:8] == b"ftyp" and output.media_type == "video/mp4"
    assert output.path.parent == tmp_path / "out"
    assert (output.model, output.backend) == (VIDEO_MODEL, "gemini")
    assert float(output.extra["video_seconds"]) == pytest.approx(1.0, abs=0.05)
    assert output.extra["requested_seconds"] == "6" and output.extra["seed"] == "ignored_in_api_key_mode"
    assert fake_gemini.operation_polls(name) == 4  # 3 not done + 1 done
    assert fake_gemini.count(DOWNLOAD) == 1
    fractions = recorder.fractions
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("rendering" in message for _, message in recorder.progress)
    [create] = fake_gemini.requests(PREDICT_LONG_RUNNING)
    instance, parameters = create.body["instances"][0], create.body["parameters"]
    assert instance["prompt"] == "Slow push-in on the diner"
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == reference.read_bytes()
    assert instance["image"]["mimeType"] == "image/png"
    assert parameters == {"sampleCount": 1, "durationSeconds": 6, "aspectRatio": "16:9",
                          "resolution": "720p", "negativePrompt": "text"}


async def test_inline_video_bytes_need_no_download(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=0, outcome=VideoResult(inline=True)))
    recorder = Recorder()
    output = await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
    assert output.path.read_bytes()[4:8] == b"ftyp"
    assert fake_gemini.count(DOWNLOAD) == 0


async def test_video_safety_filtered_is_a_content_policy_violation(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=1, outcome=VideoFiltered()))
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
    assert raised.value.reason is FailureReason.CONTENT_POLICY_VIOLATION
    assert "usage guidelines" in raised.value.message
    assert len(recorder.started) == 1 and fake_gemini.count(DOWNLOAD) == 0


@pytest.mark.parametrize(
    ("error", "reason", "retryable"),
    [
        (OperationFailed(13, "internal"), FailureReason.BACKEND_UNAVAILABLE, True),
        (OperationFailed(3, "durationSeconds out of range"), FailureReason.INVALID_INPUT, False),
        (OperationFailed(3, "The prompt could not be submitted: it violates Responsible AI practices."),
         FailureReason.CONTENT_POLICY_VIOLATION, False),
    ],
)
async def test_failed_operation_maps_its_rpc_code(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path,
    error: OperationFailed, reason: FailureReason, retryable: bool,
) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=1, outcome=error))
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
    assert (raised.value.reason, raised.value.retryable) == (reason, retryable)


async def test_video_429_is_rate_limited_and_nothing_starts(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, HttpError(429, retry_after="12"))
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
    assert raised.value.reason is FailureReason.RATE_LIMITED
    assert (raised.value.retryable, raised.value.failover, raised.value.retry_after_seconds) == (True, True, 12.0)
    assert recorder.started == [] and fake_gemini.operation_names() == []


async def test_transient_poll_errors_are_tolerated_up_to_a_bound(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=1), Operation(polls=5))
    fake_gemini.enqueue(GET_OPERATION, HttpError(503), Reset(), Pass(), Pass())
    backend = make_backend(fake_gemini, max_poll_errors=2)
    recorder = Recorder()
    try:
        output = await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
        assert output.path.exists()
        fake_gemini.set_default(GET_OPERATION, HttpError(500))
        with pytest.raises(BackendError) as raised:
            await render_video(backend, VideoRequest(prompt="y"), tmp_path, recorder)
    finally:
        await backend.aclose()
    assert raised.value.reason is FailureReason.BACKEND_UNAVAILABLE and raised.value.retryable
    second = recorder.started[1]
    # 1 poll + 2 tolerated errors, the third error ends it.
    assert len([r for r in fake_gemini.requests(GET_OPERATION) if r.path.endswith(second)]) == 3


async def test_resume_after_restart_finishes_without_a_new_create(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    # 30 polls 50 ms apart: the first process is surely still polling when
    # it is cancelled at its 2nd poll, even on a loaded machine.
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=30))
    fast_polls = {"poll_interval_seconds": 0.05, "max_poll_interval_seconds": 0.05}
    first = make_backend(fake_gemini, **fast_polls)
    recorder = Recorder()
    task = asyncio.create_task(
        first.generate_video(VideoRequest(prompt="x"), tmp_path, recorder.on_progress, recorder.on_started)
    )
    while fake_gemini.count(GET_OPERATION) < 2:
        await asyncio.sleep(0.01)
    task.cancel()  # the media process dies mid-job
    with pytest.raises(asyncio.CancelledError):
        await task
    await first.aclose()
    [name] = recorder.started

    second = make_backend(fake_gemini, **fast_polls)  # a new process, same operation name from the jobs table
    resumed = Recorder()
    try:
        output = await second.resume(name, "video", tmp_path, resumed.on_progress)
    finally:
        await second.aclose()
    assert output.upstream_id == name and output.path.read_bytes()[4:8] == b"ftyp"
    assert output.extra["resumed"] == "true" and output.model == VIDEO_MODEL
    assert fake_gemini.count(PREDICT_LONG_RUNNING) == 1
    assert resumed.fractions[-1] == 1.0


async def test_resume_rejects_unknown_kinds_and_foreign_names(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    recorder = Recorder()
    for upstream_id, kind in (
        ("models/veo-3.1-generate-preview/operations/abc", "image"),
        ("models/veo/operations/../../files/x", "video"),
        ("https://evil.example/operations/abc", "video"),
    ):
        with pytest.raises(BackendError) as raised:
            await backend.resume(upstream_id, kind, tmp_path, recorder.on_progress)
        assert raised.value.reason is FailureReason.INVALID_INPUT
    with pytest.raises(BackendError) as raised:
        await backend.resume("models/veo-3.1-generate-preview/operations/gone", "video", tmp_path, recorder.on_progress)
    assert raised.value.reason is FailureReason.BACKEND_UNAVAILABLE and not raised.value.retryable
    assert fake_gemini.count(GET_OPERATION) == 1


async def test_poll_past_the_deadline_is_a_timeout(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=1000))
    backend = make_backend(fake_gemini, video_timeout_seconds=0.6)
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        with pytest.raises(BackendError) as raised:
            await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
    finally:
        await backend.aclose()
    assert raised.value.reason is FailureReason.TIMEOUT
    assert 0.6 <= loop.time() - began < 1.5
    polls = fake_gemini.count(GET_OPERATION)
    assert 3 <= polls <= 15  # bounded, growing interval (0.05 s up to 0.1 s)
    assert max(recorder.fractions) <= 0.9


async def test_cancel_stops_polling_at_once(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=1000))
    backend = make_backend(fake_gemini, poll_interval_seconds=0.2, max_poll_interval_seconds=0.2)
    recorder = Recorder()
    try:
        task = asyncio.create_task(
            backend.generate_video(VideoRequest(prompt="x"), tmp_path, recorder.on_progress, recorder.on_started)
        )
        while fake_gemini.count(GET_OPERATION) < 1:
            await asyncio.sleep(0.01)
        [name] = recorder.started
        await backend.cancel(name)
        with pytest.raises(BackendError) as raised:
            await asyncio.wait_for(task, 1.0)
        polls_at_cancel = fake_gemini.count(GET_OPERATION)
        await asyncio.sleep(0.5)
        with pytest.raises(BackendError) as resumed:
            await backend.resume(name, "video", tmp_path, recorder.on_progress)
    finally:
        await backend.aclose()
    assert raised.value.reason is FailureReason.CANCELLED
    assert resumed.value.reason is FailureReason.CANCELLED
    assert fake_gemini.count(GET_OPERATION) == polls_at_cancel  # never called again
    assert fake_gemini.count(PREDICT_LONG_RUNNING) == 1


async def test_truncated_download_is_fetched_again(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=0))
    fake_gemini.enqueue(DOWNLOAD, Truncated(0.5, honest_length=False), Truncated(0.6, honest_length=True))
    backend = make_backend(fake_gemini, download_attempts=3, poll_interval_seconds=0.05)
    recorder = Recorder()
    try:
        output = await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
        assert output.path.read_bytes()[4:8] == b"ftyp"
        assert fake_gemini.count(DOWNLOAD) == 3

        fake_gemini.enqueue(PREDICT_LONG_RUNNING, Operation(polls=0))
        fake_gemini.set_default(DOWNLOAD, Truncated(0.7, honest_length=True))
        with pytest.raises(BackendError) as raised:
            await render_video(backend, VideoRequest(prompt="x"), tmp_path, recorder)
    finally:
        await backend.aclose()
    assert raised.value.reason is FailureReason.INVALID_OUTPUT and raised.value.retryable
    assert "not a complete MP4" in raised.value.message
    assert fake_gemini.count(DOWNLOAD) == 6


async def test_unsupported_video_inputs_fail_over_without_a_call(
    fake_gemini: FakeGemini, backend: GeminiMediaBackend, tmp_path: Path
) -> None:
    recorder = Recorder()
    with pytest.raises(BackendError) as raised:
        await render_video(backend, VideoRequest(prompt="x", aspect_ratio="1:1"), tmp_path, recorder)
    assert raised.value.reason is FailureReason.INVALID_INPUT and raised.value.failover
    with pytest.raises(BackendError) as raised:
        await render_video(backend, VideoRequest(prompt="x", reference_image=tmp_path / "missing.png"), tmp_path)
    assert raised.value.reason is FailureReason.INVALID_INPUT
    assert fake_gemini.count(PREDICT_LONG_RUNNING) == 0


async def test_wrong_key_is_unavailable_and_fails_over(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    backend = GeminiMediaBackend("not-the-key", base_url=fake_gemini.base_url)
    recorder = Recorder()
    try:
        with pytest.raises(BackendError) as raised:
            await render_image(backend, ImageRequest(prompt="x"), tmp_path, recorder)
    finally:
        await backend.aclose()
    assert raised.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert raised.value.failover and not raised.value.retryable


async def test_a_cancel_that_arrives_as_a_wait_ends_is_not_lost() -> None:
    # On Python 3.11, asyncio.wait_for returned the inner result here and the
    # cancelled job kept polling (seen in CI as a resume test that never
    # got its CancelledError).
    event = asyncio.Event()
    waiting = asyncio.create_task(_wait_for_event(event, 5.0))
    await asyncio.sleep(0)
    event.set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
