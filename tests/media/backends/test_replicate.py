"""The Replicate backend and the real ``replicate`` SDK against the fake API."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from pathlib import Path

import httpx
import imageio_ffmpeg
import pytest
import replicate
from PIL import Image
from replicate.exceptions import ModelError

from services.media.backends.base import BackendError, FailureReason, ImageRequest, VideoRequest
from services.media.backends.replicate import ReplicateBackend, imagen_input, progress_from_logs, veo_input
from tests.fakes.replicate_server import (
    CONTENT_POLICY_ERROR,
    IMAGEN_MODEL,
    VEO_MODEL,
    FakeReplicate,
    Fault,
    PredictionScript,
    unused_loopback_url,
)

CREATE_IMAGE = f"/v1/models/{IMAGEN_MODEL}/predictions"
CREATE_VIDEO = f"/v1/models/{VEO_MODEL}/predictions"


@pytest.fixture
def fake():
    with FakeReplicate() as server:
        yield server


def make_backend(fake: FakeReplicate, api_token: str | None = None, **overrides) -> ReplicateBackend:
    """A backend on the fake with test-sized intervals and bounds."""
    options = dict(
        base_url=fake.base_url,
        poll_interval_seconds=0.01,
        max_poll_interval_seconds=0.02,
        image_timeout_seconds=10.0,
        video_timeout_seconds=10.0,
        request_timeout_seconds=5.0,
        download_timeout_seconds=5.0,
    )
    options.update(overrides)
    return ReplicateBackend(api_token or fake.api_token, **options)


@pytest.fixture
async def backend(fake):
    instance = make_backend(fake)
    yield instance
    await instance.aclose()


class Calls:
    """Collects what a backend reports through its callbacks."""

    def __init__(self) -> None:
        self.progress: list[tuple[float, str]] = []
        self.started: list[str] = []
        self.started_event = asyncio.Event()

    async def on_progress(self, fraction: float, message: str) -> None:
        self.progress.append((fraction, message))

    async def on_started(self, upstream_id: str) -> None:
        self.started.append(upstream_id)
        self.started_event.set()


def png_file(path: Path, size: tuple[int, int], color: tuple[int, int, int]) -> Path:
    Image.new("RGB", size, color).save(path, format="PNG")
    return path


async def _failed_image(backend, tmp_path, calls=None) -> pytest.ExceptionInfo:
    """Runs an image on ``backend`` expecting a BackendError, then closes it."""
    calls = calls or Calls()
    try:
        with pytest.raises(BackendError) as caught:
            await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    finally:
        await backend.aclose()
    return caught


# ------------------------------------------------------------------ success
@pytest.mark.parametrize(("asked", "sent", "pil_format"), [("png", "png", "PNG"), ("jpeg", "jpg", "JPEG")])
async def test_image_success_downloads_a_decodable_file(fake, backend, tmp_path, asked, sent, pil_format):
    calls = Calls()
    request = ImageRequest(prompt="a lighthouse at dusk", aspect_ratio="16:9", output_format=asked)

    result = await backend.generate_image(request, tmp_path, calls.on_progress, calls.on_started)

    with Image.open(result.path) as image:
        image.load()
        assert image.format == pil_format
        assert image.width / image.height == pytest.approx(16 / 9, rel=0.01)
    assert result.path.parent == tmp_path
    assert result.media_type == ("image/png" if sent == "png" else "image/jpeg")
    assert (result.backend, result.model) == ("replicate", IMAGEN_MODEL)
    assert calls.started == [result.upstream_id] == fake.prediction_ids
    assert result.predict_time_seconds == 1.25
    assert calls.progress[-1] == (1.0, "output downloaded")
    [create] = [r for r in fake.requests if r.path == CREATE_IMAGE]
    assert "prefer" not in create.headers  # never a blocking create
    assert create.headers["authorization"] == f"Bearer {fake.api_token}"
    assert create.json()["input"] == {
        "prompt": "a lighthouse at dusk",
        "aspect_ratio": "16:9",
        "safety_filter_level": "block_medium_and_above",
        "output_format": sent,
    }
    assert not list(tmp_path.glob(".*.part"))


async def test_video_success_reports_progress_from_logs(fake, backend, tmp_path):
    fake.script(VEO_MODEL, PredictionScript(starting_steps=2, progress=(0, 20, 40, 60, 80, 100), predict_time=42.5))
    calls = Calls()
    request = VideoRequest(prompt="a slow push-in on a door", duration_seconds=6, seed=7, negative_prompt="text")

    result = await backend.generate_video(request, tmp_path, calls.on_progress, calls.on_started)

    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(result.path))
    assert frames > 0 and seconds > 0
    assert result.media_type == "video/mp4" and result.path.suffix == ".mp4"
    assert result.predict_time_seconds == 42.5
    fractions = [fraction for fraction, _ in calls.progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    messages = [message for _, message in calls.progress]
    assert messages[0] == "queued at Replicate"
    for pct in (20, 40, 60, 80, 100):
        assert f"rendering {pct}%" in messages
    assert dict(calls.progress)[0.05 + 0.85 * 0.4] == "rendering 40%"
    sent = fake.requests[0].json()["input"]
    assert sent == {
        "prompt": "a slow push-in on a door",
        "aspect_ratio": "16:9",
        "duration": 6,
        "resolution": "720p",
        "generate_audio": False,
        "negative_prompt": "text",
        "seed": 7,
    }


@pytest.mark.parametrize("strategy", ["url", "base64"])
async def test_reference_images_go_through_the_sdk_as_file_handles(fake, tmp_path, strategy):
    first = png_file(tmp_path / "first.png", (64, 36), (200, 10, 10))
    last = png_file(tmp_path / "last.png", (64, 36), (10, 200, 10))
    refs = [png_file(tmp_path / f"ref{i}.png", (32, 32), (i * 40, 0, 0)) for i in range(2)]
    backend = make_backend(fake, file_encoding_strategy=strategy)
    calls = Calls()
    try:
        request = VideoRequest(prompt="hero walks in", reference_image=first, last_frame=last)
        await backend.generate_video(
            request, tmp_path / "out", calls.on_progress, calls.on_started, reference_images=refs
        )
    finally:
        await backend.aclose()

    sent = next(r for r in fake.requests if r.path == CREATE_VIDEO).json()["input"]
    sent_files = [sent["image"], sent["last_frame"], *sent["reference_images"]]
    originals = [p.read_bytes() for p in (first, last, *refs)]
    if strategy == "url":
        assert fake.count("POST", "/v1/files") == 4
        assert all(url.startswith(f"{fake.base_url}/v1/files/") for url in sent_files)
        assert [fake.uploaded(url.rsplit("/", 1)[-1]) for url in sent_files] == originals
    else:
        assert fake.count("POST", "/v1/files") == 0
        assert all(url.startswith("data:image/png;base64,") for url in sent_files)
        assert [base64.b64decode(url.split(",", 1)[1]) for url in sent_files] == originals


# ------------------------------------------------------------------ cancel, timeout, resume
async def test_cancel_mid_job_hits_the_cancel_endpoint_and_raises_cancelled(fake, backend, tmp_path):
    fake.script(VEO_MODEL, PredictionScript(progress=(0, 10, 20), outcome="never"))
    calls = Calls()
    job = asyncio.create_task(
        backend.generate_video(VideoRequest(prompt="rain"), tmp_path, calls.on_progress, calls.on_started)
    )
    await asyncio.wait_for(calls.started_event.wait(), 5)
    [prediction_id] = calls.started
    while fake.prediction(prediction_id)["status"] != "processing":
        await asyncio.sleep(0.01)

    await backend.cancel(prediction_id)

    with pytest.raises(BackendError) as caught:
        await asyncio.wait_for(job, 5)
    assert caught.value.reason is FailureReason.CANCELLED
    assert not caught.value.retryable and not caught.value.failover
    assert fake.cancel_count(prediction_id) == 1
    assert fake.prediction(prediction_id)["status"] == "canceled"
    await backend.cancel(prediction_id)  # finished work: no error


async def test_poll_past_deadline_is_a_timeout_and_cancels_upstream(fake, tmp_path):
    fake.script(IMAGEN_MODEL, PredictionScript(outcome="never"))
    backend = make_backend(fake, image_timeout_seconds=0.3)
    calls = Calls()
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(BackendError) as caught:
            await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        await backend.aclose()
    assert caught.value.reason is FailureReason.TIMEOUT
    assert 0.3 <= elapsed < 3
    [prediction_id] = calls.started
    assert fake.cancel_count(prediction_id) == 1
    assert fake.prediction(prediction_id)["status"] == "canceled"


async def test_resume_after_restart_reattaches_without_a_second_create(fake, tmp_path):
    fake.script(VEO_MODEL, PredictionScript(progress=tuple(range(0, 101, 5)), predict_time=3.0))
    first = make_backend(fake)
    calls = Calls()
    job = asyncio.create_task(
        first.generate_video(VideoRequest(prompt="dawn"), tmp_path, calls.on_progress, calls.on_started)
    )
    await asyncio.wait_for(calls.started_event.wait(), 5)
    while not any("rendering" in message for _, message in calls.progress):
        await asyncio.sleep(0.005)
    job.cancel()  # the media process goes away mid-job
    with pytest.raises(asyncio.CancelledError):
        await job
    await first.aclose()
    [prediction_id] = calls.started
    assert fake.prediction(prediction_id)["status"] == "processing"
    assert fake.cancel_count() == 0  # a shutdown must not cancel paid work

    second = make_backend(fake)  # "after restart": a new instance, only the id survived
    resumed = Calls()
    try:
        result = await second.resume(prediction_id, "video", tmp_path, resumed.on_progress)
    finally:
        await second.aclose()

    assert fake.create_count() == 1
    assert result.upstream_id == prediction_id and result.media_type == "video/mp4"
    assert result.predict_time_seconds == 3.0
    assert resumed.progress[-1][0] == 1.0
    assert imageio_ffmpeg.count_frames_and_secs(str(result.path))[0] > 0


async def test_resume_of_work_that_finished_while_down_just_downloads(fake, backend, tmp_path):
    prediction = replicate.Client(api_token=fake.api_token, base_url=fake.base_url).models.predictions.create(
        model=IMAGEN_MODEL, input={"prompt": "made before the restart"}
    )
    fake.advance(prediction.id, 100)
    gets_before = fake.count("GET", "/v1/predictions/")

    result = await backend.resume(prediction.id, "image", tmp_path, Calls().on_progress)

    assert fake.create_count() == 1
    assert fake.count("GET", "/v1/predictions/") == gets_before + 1
    assert result.media_type == "image/png" and result.path.is_file()


async def test_resume_of_an_old_unfinished_prediction_times_out_at_once(fake, tmp_path):
    fake.script(VEO_MODEL, PredictionScript(outcome="never"))
    prediction = replicate.Client(api_token=fake.api_token, base_url=fake.base_url).models.predictions.create(
        model=VEO_MODEL, input={"prompt": "started long ago"}
    )
    await asyncio.sleep(0.3)
    backend = make_backend(fake, video_timeout_seconds=0.2)  # its whole budget is already spent
    try:
        with pytest.raises(BackendError) as caught:
            await backend.resume(prediction.id, "video", tmp_path, Calls().on_progress)
    finally:
        await backend.aclose()
    assert caught.value.reason is FailureReason.TIMEOUT
    assert fake.cancel_count(prediction.id) == 1


# ------------------------------------------------------------------ upstream errors
@pytest.mark.parametrize(
    ("headers", "detail", "expected"),
    [
        ({"Retry-After": "7"}, None, 7.0),
        ({}, "Request was throttled. Expected available in 3 seconds.", 3.0),
    ],
)
async def test_rate_limited_create_then_success(fake, backend, tmp_path, headers, detail, expected):
    fake.add_fault(Fault("POST", CREATE_IMAGE, status=429, headers=headers, detail=detail))
    calls = Calls()

    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    error = caught.value
    assert error.reason is FailureReason.RATE_LIMITED
    assert error.retryable and error.failover
    assert error.retry_after_seconds == expected
    assert calls.started == [] and fake.prediction_ids == []

    result = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    assert result.path.is_file()
    assert fake.create_count() == 2 and len(fake.prediction_ids) == 1


async def test_content_policy_failure(fake, backend, tmp_path):
    fake.script(IMAGEN_MODEL, PredictionScript(outcome="failed", error=CONTENT_POLICY_ERROR))
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    assert caught.value.reason is FailureReason.CONTENT_POLICY_VIOLATION
    assert not caught.value.retryable and not caught.value.failover
    assert "E005" in caught.value.message


async def test_other_model_failure_is_not_a_policy_violation(fake, backend, tmp_path):
    fake.script(VEO_MODEL, PredictionScript(outcome="failed", error="CUDA out of memory"))
    with pytest.raises(BackendError) as caught:
        await backend.generate_video(VideoRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert caught.value.failover and not caught.value.retryable


@pytest.mark.parametrize("output", ["empty_list", "none"])
async def test_empty_nsfw_output_is_a_policy_violation(fake, backend, tmp_path, output):
    fake.script(IMAGEN_MODEL, PredictionScript(output=output))
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    assert caught.value.reason is FailureReason.CONTENT_POLICY_VIOLATION
    assert list(tmp_path.iterdir()) == []


async def test_backend_down_is_unavailable_with_failover(tmp_path):
    backend = ReplicateBackend("r8_x", base_url=unused_loopback_url(), request_timeout_seconds=2.0)
    caught = await _failed_image(backend, tmp_path)
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert caught.value.failover and caught.value.retryable
    assert "ConnectError" in caught.value.message


@pytest.mark.parametrize(
    ("fault", "reason", "retryable", "failover"),
    [
        (Fault("POST", CREATE_IMAGE, status=500), FailureReason.BACKEND_UNAVAILABLE, True, True),
        (Fault("POST", CREATE_IMAGE, status=503), FailureReason.BACKEND_UNAVAILABLE, True, True),
        (Fault("POST", CREATE_IMAGE, status=422, detail="- input.prompt: too long"), FailureReason.INVALID_INPUT, False, False),
        (
            Fault("POST", CREATE_IMAGE, status=422, detail="The prompt was flagged as sensitive (E005)"),
            FailureReason.CONTENT_POLICY_VIOLATION,
            False,
            False,
        ),
    ],
)
async def test_create_errors_map_to_reasons(fake, backend, tmp_path, fault, reason, retryable, failover):
    fake.add_fault(fault)
    calls = Calls()
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    assert (caught.value.reason, caught.value.retryable, caught.value.failover) == (reason, retryable, failover)
    assert calls.started == []


async def test_bad_token_and_unknown_model_fail_over(fake, tmp_path):
    backend = make_backend(fake, api_token="r8_wrong")
    try:
        with pytest.raises(BackendError) as unauthenticated:
            await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    finally:
        await backend.aclose()
    assert unauthenticated.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert unauthenticated.value.failover and not unauthenticated.value.retryable
    assert "401" in unauthenticated.value.message

    backend = make_backend(fake)
    try:
        with pytest.raises(BackendError) as missing:
            request = ImageRequest(prompt="x", model="acme/not-a-model")
            await backend.generate_image(request, tmp_path, Calls().on_progress, Calls().on_started)
    finally:
        await backend.aclose()
    assert missing.value.reason is FailureReason.BACKEND_UNAVAILABLE and "404" in missing.value.message


async def test_polling_rides_out_short_blips(fake, backend, tmp_path):
    fake.add_fault(Fault("GET", "/v1/predictions/", kind="reset"))
    fake.add_fault(Fault("GET", "/v1/predictions/", status=500))
    # 429 on a GET is retried inside the SDK's transport (Retry-After: 0).
    fake.add_fault(Fault("GET", "/v1/predictions/", status=429, headers={"Retry-After": "0"}))
    result = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    assert result.path.is_file()
    assert fake.create_count() == 1


async def test_polling_gives_up_after_repeated_errors_and_cancels(fake, tmp_path):
    fake.add_fault(Fault("GET", "/v1/predictions/", status=500, times=None))
    backend = make_backend(fake, max_poll_errors=2)
    calls = Calls()
    caught = await _failed_image(backend, tmp_path, calls)
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE and caught.value.retryable
    assert fake.count("GET", "/v1/predictions/") == 3
    assert fake.cancel_count(calls.started[0]) == 1


async def test_aborted_prediction_is_final_despite_the_sdk_model(fake, backend, tmp_path):
    fake.script(IMAGEN_MODEL, PredictionScript(outcome="aborted"))
    with pytest.raises(BackendError) as caught:
        await asyncio.wait_for(
            backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started), 5
        )
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert caught.value.retryable and caught.value.failover
    assert "aborted" in caught.value.message


async def test_prediction_cancelled_elsewhere_is_cancelled(fake, backend, tmp_path):
    fake.script(IMAGEN_MODEL, PredictionScript(outcome="canceled"))
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    assert caught.value.reason is FailureReason.CANCELLED


# ------------------------------------------------------------------ lost creates
def list_requests(fake: FakeReplicate) -> list:
    return [r for r in fake.requests if r.method == "GET" and r.path == "/v1/predictions"]


def plant(fake: FakeReplicate, model: str, input_: dict, *, files: dict | None = None, strategy: str = "url") -> str:
    """A prediction made through the real SDK (another job, another client)."""
    client = replicate.Client(api_token=fake.api_token, base_url=fake.base_url)
    opened = {key: path.open("rb") for key, path in (files or {}).items()}
    try:
        prediction = client.models.predictions.create(
            model=model, input={**input_, **opened}, file_encoding_strategy=strategy
        )
    finally:
        for handle in opened.values():
            handle.close()
    return prediction.id


IMAGE_INPUT = {
    "prompt": "the lighthouse in a storm",
    "aspect_ratio": "1:1",
    "safety_filter_level": "block_medium_and_above",
    "output_format": "png",
}


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", CREATE_IMAGE, kind="reset_after"),
        Fault("POST", CREATE_IMAGE, kind="delay_after", delay_seconds=2.5),
    ],
    ids=["reset-after-create", "timeout-after-create"],
)
async def test_create_whose_answer_was_lost_after_it_was_made_is_adopted(fake, tmp_path, fault):
    fake.add_fault(fault)
    backend = make_backend(fake, request_timeout_seconds=1.0)
    calls = Calls()
    try:
        result = await backend.generate_image(
            ImageRequest(prompt=IMAGE_INPUT["prompt"]), tmp_path, calls.on_progress, calls.on_started
        )
    finally:
        await backend.aclose()

    assert fake.create_count() == 1 and len(fake.prediction_ids) == 1
    assert calls.started == fake.prediction_ids == [result.upstream_id]
    assert fake.cancel_count() == 0
    assert fake.prediction(result.upstream_id)["status"] == "succeeded"
    assert len(list_requests(fake)) == 1
    with Image.open(result.path) as image:
        image.load()


async def test_unreadable_create_answer_made_nothing_so_it_is_sent_again(fake, backend, tmp_path):
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="raw", body=b'{"id": ,}'))
    calls = Calls()
    result = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    assert fake.create_count() == 2 and fake.prediction_ids == calls.started == [result.upstream_id]


async def test_create_lost_before_anything_was_made_is_sent_again_once(fake, backend, tmp_path):
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset"))
    calls = Calls()

    result = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)

    assert fake.create_count() == 2  # the lost one and the one sent again
    assert fake.prediction_ids == calls.started == [result.upstream_id]  # one prediction upstream
    assert len(list_requests(fake)) == 1
    assert fake.cancel_count() == 0
    assert result.path.is_file()


async def test_creates_that_keep_losing_their_answers_stop_at_three(fake, backend, tmp_path):
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset", times=None))
    calls = Calls()
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    # Nothing was made: another attempt or another backend is safe.
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert caught.value.retryable and caught.value.failover
    assert fake.create_count() == 3 and len(list_requests(fake)) == 3
    assert fake.prediction_ids == [] and calls.started == []


@pytest.mark.parametrize(
    "list_fault",
    [
        Fault("GET", "/v1/predictions", status=500),
        Fault("GET", "/v1/predictions", kind="reset"),
        Fault("GET", "/v1/predictions", kind="raw", body=b'{"results": [{"id": "x"'),
    ],
    ids=["500", "reset", "malformed"],
)
async def test_failing_listing_after_a_lost_create_is_the_typed_failure(fake, backend, tmp_path, list_fault):
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset"))
    fake.add_fault(list_fault)
    calls = Calls()
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    error = caught.value
    assert error.reason is FailureReason.BACKEND_UNAVAILABLE
    assert not error.retryable and not error.failover
    assert "may have been made upstream" in error.message and "listing" in error.message
    assert fake.create_count() == 1 and calls.started == []


async def test_listing_holding_a_prediction_the_sdk_cannot_read_is_inconclusive(fake, backend, tmp_path):
    fake.script_once(IMAGEN_MODEL, PredictionScript(outcome="aborted", starting_steps=0, progress=()))
    with pytest.raises(ValueError):  # created "aborted": the SDK cannot read it, nor a page holding it
        sdk_client(fake).models.predictions.create(model=IMAGEN_MODEL, input={"prompt": "other"})
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset"))
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    assert not caught.value.retryable and "could not be read" in caught.value.message
    assert fake.create_count() == 2  # the planted one and ours, not sent again


async def test_timed_out_create_listed_a_little_later_is_adopted(fake, tmp_path):
    # The server makes the prediction only after our timeout: the first look
    # finds nothing, a later one within the request timeout finds it.
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="delay", delay_seconds=1.4))
    backend = make_backend(fake, request_timeout_seconds=1.0)
    calls = Calls()
    try:
        result = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    finally:
        await backend.aclose()
    assert fake.create_count() == 1 and fake.prediction_ids == calls.started == [result.upstream_id]
    assert len(list_requests(fake)) >= 2


async def test_timed_out_create_never_listed_is_not_sent_again(fake, tmp_path):
    # Still in flight when we stop looking: "not listed" does not prove "not made".
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="delay", delay_seconds=3.0))
    backend = make_backend(fake, request_timeout_seconds=0.5)
    calls = Calls()
    caught = await _failed_image(backend, tmp_path, calls)
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert not caught.value.retryable and not caught.value.failover
    assert "in flight" in caught.value.message
    assert fake.create_count() == 1 and calls.started == []
    assert len(list_requests(fake)) >= 2


async def test_older_other_model_or_other_input_predictions_are_not_adopted(fake, backend, tmp_path):
    fake.script("acme/other-model", PredictionScript())
    older = plant(fake, IMAGEN_MODEL, IMAGE_INPUT)
    fake.backdate(older, 3600)
    other_ratio = plant(fake, IMAGEN_MODEL, {**IMAGE_INPUT, "aspect_ratio": "16:9"})
    other_model = plant(fake, "acme/other-model", IMAGE_INPUT)
    other_input = plant(fake, IMAGEN_MODEL, {**IMAGE_INPUT, "prompt": "the lighthouse at noon"})
    planted = [older, other_ratio, other_model, other_input]
    creates_before = fake.create_count()
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset"))
    calls = Calls()

    result = await backend.generate_image(
        ImageRequest(prompt=IMAGE_INPUT["prompt"], aspect_ratio="1:1"), tmp_path, calls.on_progress, calls.on_started
    )

    assert calls.started == [result.upstream_id] and result.upstream_id not in planted
    assert fake.create_count() == creates_before + 2
    assert fake.cancel_count() == 0
    assert all(fake.prediction(pid)["status"] == "starting" for pid in planted)  # nobody touched them
    # The older one and the other model's had exactly our input: only time and model kept them out.
    assert fake.prediction(older)["input"] == fake.prediction(other_model)["input"] == IMAGE_INPUT
    assert fake.prediction(result.upstream_id)["input"] == IMAGE_INPUT


async def test_prediction_within_the_clock_skew_is_adopted(fake, backend, tmp_path):
    # Made "30 s before" our create by a clock that runs behind: still ours.
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset_after"))
    calls = Calls()
    task = asyncio.create_task(
        backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    )
    while not fake.prediction_ids:
        await asyncio.sleep(0.001)
    fake.backdate(fake.prediction_ids[0], 30)
    result = await asyncio.wait_for(task, 10)
    assert fake.create_count() == 1 and calls.started == fake.prediction_ids == [result.upstream_id]


async def test_a_prediction_this_backend_already_follows_is_not_adopted_again(fake, backend, tmp_path):
    first = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset"))
    calls = Calls()
    second = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, calls.on_progress, calls.on_started)
    assert second.upstream_id != first.upstream_id and calls.started == [second.upstream_id]
    assert fake.create_count() == 3 and len(fake.prediction_ids) == 2


async def _lost_video_create_beside_a_lookalike(fake, tmp_path, strategy: str, lost: str):
    """A video create lost (``lost``: the fault's kind) while the account
    holds a prediction with the same text input and another reference image;
    returns the result, the callbacks, the look-alike's id and the text input."""
    first = png_file(tmp_path / "first.png", (64, 36), (200, 10, 10))
    lookalike = png_file(tmp_path / "lookalike.png", (64, 36), (10, 10, 200))
    request = VideoRequest(prompt="hero walks in", reference_image=first)
    sent = {k: v for k, v in veo_input(request).items() if k != "image"}
    other_image = plant(fake, VEO_MODEL, sent, files={"image": lookalike}, strategy=strategy)
    fake.add_fault(Fault("POST", CREATE_VIDEO, kind=lost))
    backend = make_backend(fake, file_encoding_strategy=strategy)
    calls = Calls()
    try:
        result = await backend.generate_video(request, tmp_path / "out", calls.on_progress, calls.on_started)
    finally:
        await backend.aclose()
    return result, calls, other_image, sent


@pytest.mark.parametrize("strategy", ["url", "base64"])
async def test_lost_create_with_file_inputs_is_matched_by_file_content(fake, tmp_path, strategy):
    result, calls, other_image, _sent = await _lost_video_create_beside_a_lookalike(fake, tmp_path, strategy, "reset_after")
    [ours] = [pid for pid in fake.prediction_ids if pid != other_image]
    assert calls.started == [ours] == [result.upstream_id]
    assert fake.create_count() == 2  # the planted one and ours, answered or not: never sent again
    assert fake.cancel_count() == 0
    assert fake.count("GET", "/v1/files/") == (1 if strategy == "url" else 0)  # only our candidate's file


@pytest.mark.parametrize("strategy", ["url", "base64"])
async def test_same_text_input_with_another_file_is_not_adopted(fake, tmp_path, strategy):
    result, calls, other_image, sent = await _lost_video_create_beside_a_lookalike(fake, tmp_path, strategy, "reset")
    assert result.upstream_id != other_image and calls.started == [result.upstream_id]
    assert fake.create_count() == 3  # planted, lost, sent again
    assert fake.prediction(other_image)["status"] == "starting"
    # Only the file told them apart, and it was looked at.
    assert {k: v for k, v in fake.prediction(other_image)["input"].items() if k != "image"} == sent
    assert fake.count("GET", "/v1/files/") == (1 if strategy == "url" else 0)


@pytest.mark.parametrize("backdated", [False, True], ids=["busy-account", "quiet-account"])
async def test_listing_reads_two_pages_at_most(tmp_path, backdated):
    with FakeReplicate(list_page_size=2) as fake:
        others = [plant(fake, IMAGEN_MODEL, {**IMAGE_INPUT, "prompt": f"other {i}"}) for i in range(5)]
        for pid in others if backdated else ():
            fake.backdate(pid, 3600)
        fake.add_fault(Fault("POST", CREATE_IMAGE, kind="reset"))
        backend = make_backend(fake)
        try:
            if backdated:  # the first page already reaches back past the create: surely not made
                await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
            else:  # two pages of recent predictions and still more: cannot tell
                with pytest.raises(BackendError) as caught:
                    await backend.generate_image(
                        ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started
                    )
                assert not caught.value.retryable and "did not reach back" in caught.value.message
        finally:
            await backend.aclose()
        assert fake.list_count() == (1 if backdated else 2)
        assert fake.create_count() == len(others) + (2 if backdated else 1)


async def test_file_input_that_cannot_be_checked_is_inconclusive(fake, backend, tmp_path):
    first = png_file(tmp_path / "first.png", (64, 36), (200, 10, 10))
    request = VideoRequest(prompt="hero walks in", reference_image=first)
    plant(fake, VEO_MODEL, {**veo_input(request), "image": "https://elsewhere.example/first.png"})
    fake.add_fault(Fault("POST", CREATE_VIDEO, kind="reset"))
    with pytest.raises(BackendError) as caught:
        await backend.generate_video(request, tmp_path / "out", Calls().on_progress, Calls().on_started)
    assert not caught.value.retryable and "cannot be checked" in caught.value.message
    assert fake.create_count() == 2  # the planted one and ours: not sent again


# ------------------------------------------------------------------ downloads
async def test_truncated_download_is_retried(fake, backend, tmp_path):
    fake.add_fault(Fault("GET", "/files/", kind="truncate"))
    result = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    with Image.open(result.path) as image:
        image.load()
    assert fake.count("GET", "/files/") == 2


async def test_download_that_keeps_failing_is_unavailable(fake, backend, tmp_path):
    fake.add_fault(Fault("GET", "/files/", kind="truncate", times=None))
    with pytest.raises(BackendError) as caught:
        await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert fake.count("GET", "/files/") == 3
    assert list(tmp_path.iterdir()) == []


async def test_output_over_the_size_bound_is_rejected(fake, tmp_path):
    backend = make_backend(fake, max_image_bytes=200)
    caught = await _failed_image(backend, tmp_path)
    assert caught.value.reason is FailureReason.INVALID_OUTPUT
    assert list(tmp_path.iterdir()) == []


async def test_wrong_media_kind_and_plain_http_refusal(fake, tmp_path):
    fake.script(IMAGEN_MODEL, PredictionScript(output="video"))
    backend = make_backend(fake)
    try:
        with pytest.raises(BackendError) as wrong_kind:
            await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    finally:
        await backend.aclose()
    assert wrong_kind.value.reason is FailureReason.INVALID_OUTPUT

    fake.script(IMAGEN_MODEL, PredictionScript())
    backend = make_backend(fake, allow_http_outputs=False)
    try:
        with pytest.raises(BackendError) as insecure:
            await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    finally:
        await backend.aclose()
    assert insecure.value.reason is FailureReason.INVALID_OUTPUT
    assert fake.count("GET", "/files/") == 1  # only the video above was fetched


async def test_data_url_output_is_decoded(fake, backend, tmp_path):
    fake.script(IMAGEN_MODEL, PredictionScript(output="image_list", output_encoding="data"))
    result = await backend.generate_image(ImageRequest(prompt="x"), tmp_path, Calls().on_progress, Calls().on_started)
    with Image.open(result.path) as image:
        assert image.format == "PNG"


# ------------------------------------------------------------------ inputs
def test_inputs_this_backend_cannot_serve_are_refused_before_any_call():
    cases = [
        lambda: imagen_input(ImageRequest(prompt="x", aspect_ratio="2.39:1")),
        lambda: imagen_input(ImageRequest(prompt="x", output_format="tiff")),
        lambda: veo_input(VideoRequest(prompt="x", duration_seconds=5)),
        lambda: veo_input(VideoRequest(prompt="x", aspect_ratio="1:1")),
        lambda: veo_input(VideoRequest(prompt="x", aspect_ratio="9:16"), [Path(__file__)]),
    ]
    for case in cases:
        with pytest.raises(BackendError) as caught:
            case()
        assert caught.value.reason is FailureReason.INVALID_INPUT and caught.value.failover
    for case in (
        lambda: imagen_input(ImageRequest(prompt="  ")),
        lambda: veo_input(VideoRequest(prompt="x", reference_image=Path("/nonexistent.png"))),
        lambda: veo_input(VideoRequest(prompt="x", seed=-1)),
    ):
        with pytest.raises(BackendError) as caught:
            case()
        assert caught.value.reason is FailureReason.INVALID_INPUT and not caught.value.failover


async def test_malformed_ids_never_reach_the_url(fake, backend, tmp_path):
    for bad in ("../v1/account", "a/b", ""):
        with pytest.raises(BackendError):
            await backend.resume(bad, "image", tmp_path, Calls().on_progress)
        with pytest.raises(BackendError):
            await backend.cancel(bad)
    assert fake.requests == []


def test_progress_from_logs_takes_the_last_percentage():
    assert progress_from_logs(None) is None
    assert progress_from_logs("Starting prediction\n") is None
    assert progress_from_logs("  0%|   | 0/10\n 40%|████ | 4/10\n") == pytest.approx(0.4)
    assert progress_from_logs("Generating video... 12.5%\nupload 200% done") == pytest.approx(0.125)


# ------------------------------------------------------------------ the fake itself, through the SDK
def sdk_client(fake: FakeReplicate) -> replicate.Client:
    client = replicate.Client(api_token=fake.api_token, base_url=fake.base_url)
    client.poll_interval = 0.01
    return client


def test_run_with_prefer_wait_returns_the_finished_output_without_polling(fake):
    output = sdk_client(fake).run(IMAGEN_MODEL, input={"prompt": "x", "aspect_ratio": "1:1"}, wait=5)

    [prediction_id] = fake.prediction_ids
    assert isinstance(output, str)  # plain http: the SDK does not wrap it in FileOutput
    assert output == fake.prediction(prediction_id)["output"]
    assert fake.requests[0].headers["prefer"] == "wait=5"
    assert fake.count("GET", "/v1/predictions/") == 0
    with Image.open(io.BytesIO(httpx.get(output).content)) as image:
        assert image.size == (256, 256)


def test_unfinished_blocking_create_answers_starting_and_run_polls_on(fake):
    fake.script(VEO_MODEL, PredictionScript(progress=tuple(range(0, 101, 4)), tick_seconds=0.05))
    client = sdk_client(fake)

    created = client.models.predictions.create(model=VEO_MODEL, input={"prompt": "x"}, wait=1)
    assert created.status == "starting"
    assert fake.prediction(created.id)["status"] == "processing"  # the truth behind the answer

    output = client.run(VEO_MODEL, input={"prompt": "y"}, wait=1)
    second = fake.prediction_ids[1]
    assert output == fake.prediction(second)["output"]
    assert fake.count("GET", f"/v1/predictions/{second}") > 0


def test_run_with_data_output_gives_a_file_output(fake):
    fake.script(IMAGEN_MODEL, PredictionScript(output_encoding="data"))
    output = sdk_client(fake).run(IMAGEN_MODEL, input={"prompt": "x", "aspect_ratio": "9:16"})
    assert isinstance(output, replicate.helpers.FileOutput)
    with Image.open(io.BytesIO(output.read())) as image:
        assert image.size == (256, 456)


def test_run_of_a_failed_prediction_raises_model_error(fake):
    fake.script(IMAGEN_MODEL, PredictionScript(outcome="failed", error=CONTENT_POLICY_ERROR))
    with pytest.raises(ModelError) as caught:
        sdk_client(fake).run(IMAGEN_MODEL, input={"prompt": "x"})
    assert caught.value.prediction.error == CONTENT_POLICY_ERROR


def test_sdk_cannot_parse_an_aborted_prediction(fake):
    """Documents replicate 1.0.7: 'aborted' is not in its status Literal."""
    fake.script(IMAGEN_MODEL, PredictionScript(outcome="aborted", starting_steps=0, progress=()))
    with pytest.raises(ValueError, match="given=aborted"):
        sdk_client(fake).models.predictions.create(model=IMAGEN_MODEL, input={"prompt": "x"})


def test_problem_json_errors_and_time_based_progress(fake):
    client = sdk_client(fake)
    with pytest.raises(replicate.exceptions.ReplicateError) as invalid:
        client.models.predictions.create(model=VEO_MODEL, input={"prompt": "x", "duration": 5, "colour": "red"})
    assert invalid.value.status == 422 and invalid.value.title == "Input validation failed"
    assert "input.duration" in invalid.value.detail and "colour" in invalid.value.detail
    with pytest.raises(replicate.exceptions.ReplicateError) as missing:
        client.predictions.get("doesnotexist")
    assert missing.value.status == 404

    fake.script(IMAGEN_MODEL, PredictionScript(advance="time", tick_seconds=0.05, progress=(0, 50, 100)))
    prediction = client.models.predictions.create(model=IMAGEN_MODEL, input={"prompt": "x"})
    time.sleep(0.4)
    prediction.reload()  # one poll, but the wall clock moved it to the end
    assert prediction.status == "succeeded"
    assert prediction.progress is not None and prediction.progress.percentage == 1.0
    assert prediction.metrics["predict_time"] == 1.25
    assert prediction.completed_at is not None


def test_prediction_listing_paginates_newest_first_through_the_sdk():
    with FakeReplicate(list_page_size=3) as fake:
        client = sdk_client(fake)
        made = [client.models.predictions.create(model=IMAGEN_MODEL, input={"prompt": f"p{i}"}).id for i in range(7)]
        fake.backdate(made[2], 600)  # listed by created_at, not by creation order

        pages = []
        for page in replicate.paginate(client.predictions.list):
            pages.append([p.id for p in page.results])
            if len(pages) == 1:  # a prediction made between two page reads shifts nothing
                client.models.predictions.create(model=IMAGEN_MODEL, input={"prompt": "late"})

        listed = [pid for page in pages for pid in page]
        assert [len(page) for page in pages] == [3, 3, 1]
        assert listed == [*reversed(made[3:]), made[1], made[0], made[2]]
        first = client.predictions.list()
        assert first.previous is None and first.next and "cursor=" in first.next
        assert first.results[0].input == {"prompt": "late"} and first.results[0].model == IMAGEN_MODEL
        assert first.results[1].dict(include={"id", "status", "created_at", "urls"}) == {
            key: fake.prediction(made[-1])[key] for key in ("id", "status", "created_at", "urls")
        }
        cursors = [r.query for r in fake.requests if r.path == "/v1/predictions" and r.query]
        assert len(cursors) == 2 and fake.list_count() == 4

        with pytest.raises(replicate.exceptions.ReplicateError) as unauthenticated:
            replicate.Client(api_token="r8_wrong", base_url=fake.base_url).predictions.list()
        assert unauthenticated.value.status == 401
        fake.add_fault(Fault("GET", "/v1/predictions", status=500))
        with pytest.raises(replicate.exceptions.ReplicateError) as failed:
            client.predictions.list()
        assert failed.value.status == 500


async def test_prediction_listing_through_the_async_sdk(fake):
    client = sdk_client(fake)
    made = [client.models.predictions.create(model=VEO_MODEL, input={"prompt": f"v{i}"}).id for i in range(3)]
    seen = [p.id async for page in replicate.async_paginate(client.predictions.async_list) for p in page]
    assert seen == list(reversed(made))
