"""The job engine over the real backends and SDKs (``replicate.Client(
base_url=...)``, google-genai ``HttpOptions(base_url=...)``) against the
fake Replicate and Gemini servers, with the service's real output gate:
success with progress, 429 then success, a content-policy failure, a
backend down or refusing → failover with the maker of each output recorded,
a wrong aspect ratio rejected before anything is stored, a Veo job
re-attached after a restart and a Veo job cancelled mid-poll.

(Replicate restart and cancel through the engine: test_job_replicate.py;
``Prefer: wait`` semantics: backends/test_replicate.py.)"""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from services.media.backends.base import ImageRequest, VideoRequest
from services.media.jobs import ErrorReason, ItemPlan, JobKind, JobState, SpecEcho
from tests.fakes.engine_backends import gemini_backend, output_gate, replicate_backend
from tests.fakes.gemini_server import (
    GET_OPERATION,
    PREDICT,
    PREDICT_LONG_RUNNING,
    FakeGemini,
    Images,
    Operation,
    VideoResult,
)
from tests.fakes.replicate_server import (
    CONTENT_POLICY_ERROR,
    IMAGEN_MODEL,
    Fault,
    FakeReplicate,
    PredictionScript,
    unused_loopback_url,
)
from tests.media.job_doubles import Harness, events_until_end, fast_options

GEMINI_IMAGE_MODEL = "imagen-4.0-generate-001"
CREATE_IMAGE = f"/v1/models/{IMAGEN_MODEL}/predictions"


@pytest.fixture
def replicate_fake():
    with FakeReplicate() as server:
        yield server


@pytest.fixture
def gemini_fake():
    with FakeGemini() as server:
        yield server


class Upstreams:
    """A harness whose backends are the real Replicate and Gemini backends."""

    def __init__(self, tmp_path, replicate_fake, gemini_fake, *, replicate_url: str | None = None, **options):
        self.replicate = replicate_backend(replicate_url or replicate_fake)
        self.gemini = gemini_backend(gemini_fake)
        defaults = dict(image_backends=("replicate", "gemini"), video_backends=("replicate", "gemini"))
        defaults.update(options)
        self.harness = Harness(
            tmp_path, {"replicate": self.replicate, "gemini": self.gemini}, fast_options(tmp_path, **defaults)
        )
        self.harness.checks = output_gate()

    async def run(self, *plans: ItemPlan, kind: JobKind = JobKind.IMAGE):
        runner = await self.harness.runner()
        job = await runner.start_job("projects/p1", kind, SpecEcho("image", b""), items=list(plans))
        events = await events_until_end(runner, job.name, timeout=30)
        return await runner.get_job(job.name), events

    async def close(self) -> None:
        await self.harness.close()
        await self.replicate.aclose()
        await self.gemini.aclose()


@pytest.fixture
async def upstreams(tmp_path, replicate_fake, gemini_fake):
    built = Upstreams(tmp_path, replicate_fake, gemini_fake)
    yield built
    await built.close()


def image(key: str = "output", prompt: str = "a lighthouse at dusk", aspect_ratio: str = "16:9") -> ItemPlan:
    return ItemPlan(key, ImageRequest(prompt=prompt, aspect_ratio=aspect_ratio))


def stored_images(harness: Harness) -> list[tuple[int, int]]:
    sizes = []
    for content in harness.outputs.contents.values():
        with Image.open(io.BytesIO(content)) as decoded:
            decoded.load()
            sizes.append(decoded.size)
    return sizes


def progress_messages(events) -> list[str]:
    return [event.progress.message for event in events if event.HasField("progress")]


async def test_replicate_success_streams_progress_from_the_prediction_logs(upstreams, replicate_fake, gemini_fake):
    done, events = await upstreams.run(image())

    assert done.state is JobState.SUCCEEDED, done.error
    [item] = done.items
    assert (item.backend, item.model) == ("replicate", IMAGEN_MODEL)
    assert item.upstream_id in replicate_fake.prediction_ids
    assert any("rendering 50%" in message for message in progress_messages(events))
    [(width, height)] = stored_images(upstreams.harness)
    assert width > height  # 16:9, checked and decoded before it was stored
    assert replicate_fake.create_count() == 1 and gemini_fake.count(PREDICT) == 0
    assert [e.sequence for e in events] == list(range(1, done.last_event_sequence + 1))


async def test_429_with_retry_after_then_success_on_the_same_backend(upstreams, replicate_fake, gemini_fake):
    replicate_fake.add_fault(Fault("POST", CREATE_IMAGE, status=429, headers={"Retry-After": "0.2"}))

    done, events = await upstreams.run(image())

    assert done.state is JobState.SUCCEEDED, done.error
    assert done.items[0].backend == "replicate" and done.items[0].attempts == 2
    assert replicate_fake.create_count() == 2 and len(replicate_fake.prediction_ids) == 1
    assert any("retrying in" in message for message in progress_messages(events))
    creates = [r.at for r in replicate_fake.requests if r.method == "POST" and r.path == CREATE_IMAGE]
    assert creates[1] - creates[0] >= 0.2  # Retry-After was honoured (a lower bound, not a timing bound)
    assert gemini_fake.count(PREDICT) == 0


async def test_content_policy_failure_is_typed_and_not_failed_over(upstreams, replicate_fake, gemini_fake):
    replicate_fake.script(IMAGEN_MODEL, PredictionScript(outcome="failed", error=CONTENT_POLICY_ERROR))

    done, events = await upstreams.run(image())

    assert done.state is JobState.FAILED
    assert done.error.reason is ErrorReason.CONTENT_POLICY_VIOLATION and "E005" in done.error.message
    assert events[-1].completed.error.reason == 1  # CONTENT_POLICY_VIOLATION on the wire
    assert gemini_fake.count(PREDICT) == 0 and upstreams.harness.outputs.contents == {}


async def test_replicate_down_fails_over_to_gemini(tmp_path, replicate_fake, gemini_fake):
    upstreams = Upstreams(tmp_path, replicate_fake, gemini_fake, replicate_url=unused_loopback_url())
    try:
        done, events = await upstreams.run(image("S001"), image("S002"), kind=JobKind.FRAMES)
    finally:
        await upstreams.close()

    assert done.state is JobState.SUCCEEDED, done.error
    assert [(item.backend, item.model) for item in done.items] == [("gemini", GEMINI_IMAGE_MODEL)] * 2
    assert gemini_fake.count(PREDICT) == 2
    retried = [e.item_result for e in events if e.HasField("item_result") and e.item_result.state == 2]
    assert {r.key for r in retried} == {"S001", "S002"}
    assert all(r.error.reason == 3 for r in retried)  # BACKEND_UNAVAILABLE on replicate, then gemini


async def test_each_output_records_the_backend_that_made_it(upstreams, replicate_fake, gemini_fake):
    # Replicate refuses one create (402: this account cannot pay): that item
    # fails over to gemini, the other is made by replicate.
    replicate_fake.add_fault(Fault("POST", CREATE_IMAGE, status=402, detail="Insufficient credit"))

    done, _ = await upstreams.run(image("S001"), image("S002"), kind=JobKind.FRAMES)

    assert done.state is JobState.SUCCEEDED, done.error
    makers = {item.key: (item.backend, item.model) for item in done.items}
    assert sorted(makers.values()) == [("gemini", GEMINI_IMAGE_MODEL), ("replicate", IMAGEN_MODEL)]
    assert replicate_fake.create_count() == 2 and len(replicate_fake.prediction_ids) == 1
    assert gemini_fake.count(PREDICT) == 1
    assert all(item.output_revision for item in done.items)
    for item in done.items:  # the upstream id belongs to the backend that made the output
        assert (item.upstream_id in replicate_fake.prediction_ids) == (item.backend == "replicate")


async def test_a_portrait_image_for_16_9_is_rejected_then_made_elsewhere(upstreams, replicate_fake, gemini_fake):
    replicate_fake.script(IMAGEN_MODEL, PredictionScript(image_size=(144, 256)))

    done, events = await upstreams.run(image())

    assert done.state is JobState.SUCCEEDED, done.error
    assert done.items[0].backend == "gemini"
    rejected = [e.item_result for e in events if e.HasField("item_result") and e.item_result.state == 2]
    assert len(rejected) == 1 and "portrait" in rejected[0].error.message
    [(width, height)] = stored_images(upstreams.harness)
    assert width > height


async def test_a_wrong_aspect_ratio_with_no_other_backend_fails_and_stores_nothing(tmp_path, replicate_fake, gemini_fake):
    upstreams = Upstreams(tmp_path, replicate_fake, gemini_fake, image_backends=("gemini",))
    gemini_fake.set_default(PREDICT, Images(size=(768, 1408)))
    try:
        done, _ = await upstreams.run(image())
    finally:
        await upstreams.close()

    assert done.state is JobState.FAILED and done.error.reason is ErrorReason.INVALID_OUTPUT
    assert "768x1408" in done.error.message
    assert upstreams.harness.outputs.calls == 0
    assert not list((tmp_path / "scratch").rglob("*.png"))


async def test_veo_job_re_attaches_to_its_operation_after_a_restart(tmp_path, gemini_fake):
    gemini_fake.set_default(PREDICT_LONG_RUNNING, Operation(polls=400, outcome=VideoResult(seconds=4.0)))
    options = fast_options(tmp_path, video_backends=("gemini",))
    harness = Harness(tmp_path, {"gemini": gemini_backend(gemini_fake)}, options)
    harness.checks = output_gate()
    request = VideoRequest(prompt="the keeper climbs the stairs", duration_seconds=4)
    try:
        first = await harness.runner()
        job = await first.start_job("projects/p1", JobKind.VIDEO, SpecEcho("video", b""),
                                    items=[ItemPlan("output", request)])
        async with asyncio.timeout(10):
            while gemini_fake.count(GET_OPERATION) < 3:
                await asyncio.sleep(0.01)
        seen = []
        async for event in await first.watch_job(job.name, 0):
            seen.append(event)
            if len(seen) == 2:
                break
        old = harness.backends["gemini"]
        await harness.stop(first)  # media goes away while Veo renders
        await old.aclose()
        [operation] = gemini_fake.operation_names()
        gemini_fake.set_default(PREDICT_LONG_RUNNING, Operation(polls=0))
        with gemini_fake._lock:  # the operation finishes while nobody polls
            gemini_fake._operations[operation].polls_left = 2

        harness.backends = {"gemini": gemini_backend(gemini_fake)}
        second = await harness.runner()
        rest = await events_until_end(second, job.name, after=seen[-1].sequence, timeout=30)
        done = await second.get_job(job.name)
    finally:
        await harness.close()
        for backend in harness.backends.values():
            await backend.aclose()

    assert done.state is JobState.SUCCEEDED, done.error
    assert gemini_fake.count(PREDICT_LONG_RUNNING) == 1  # never created twice
    assert done.items[0].upstream_id == operation and done.items[0].backend == "gemini"
    [stored] = harness.outputs.contents.values()
    assert stored[4:8] == b"ftyp"
    assert [e.sequence for e in seen + rest] == list(range(1, done.last_event_sequence + 1))


async def test_cancelling_a_veo_job_stops_polling_its_operation(tmp_path, gemini_fake):
    gemini_fake.set_default(PREDICT_LONG_RUNNING, Operation(polls=100_000))
    harness = Harness(tmp_path, {"gemini": gemini_backend(gemini_fake)}, fast_options(tmp_path, video_backends=("gemini",)))
    harness.checks = output_gate()
    try:
        runner = await harness.runner()
        job = await runner.start_job("projects/p1", JobKind.VIDEO, SpecEcho("video", b""),
                                     items=[ItemPlan("output", VideoRequest(prompt="waves", duration_seconds=4))])
        async with asyncio.timeout(10):
            while gemini_fake.count(GET_OPERATION) < 2:
                await asyncio.sleep(0.01)

        cancelled = await asyncio.wait_for(runner.cancel_job(job.name), 10)
        polls = gemini_fake.count(GET_OPERATION)
        await asyncio.sleep(0.3)  # several poll intervals: nothing more may arrive

        assert cancelled.state is JobState.CANCELLED and cancelled.error.reason is ErrorReason.CANCELLED
        assert gemini_fake.count(GET_OPERATION) == polls
        assert gemini_fake.count(PREDICT_LONG_RUNNING) == 1 and harness.outputs.calls == 0
    finally:
        await harness.close()
        await harness.backends["gemini"].aclose()
