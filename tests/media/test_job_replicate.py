"""The job engine with the real ReplicateBackend (and the real ``replicate``
SDK) against the fake Replicate API: a media restart mid-job re-attaches to
the prediction with zero extra creates; a cancel reaches the cancel
endpoint."""

from __future__ import annotations

import asyncio

import pytest

from services.media.backends.base import ImageRequest, VideoRequest
from services.media.backends.replicate import ReplicateBackend
from services.media.jobs import ItemPlan, JobKind, JobState, SpecEcho
from tests.fakes.replicate_server import IMAGEN_MODEL, VEO_MODEL, FakeReplicate, PredictionScript
from tests.media.job_doubles import Harness, events_until_end, fast_options


@pytest.fixture
def fake():
    with FakeReplicate() as server:
        yield server


def replicate_backend(fake: FakeReplicate) -> ReplicateBackend:
    return ReplicateBackend(
        fake.api_token,
        base_url=fake.base_url,
        poll_interval_seconds=0.01,
        max_poll_interval_seconds=0.02,
        image_timeout_seconds=20.0,
        video_timeout_seconds=20.0,
        request_timeout_seconds=5.0,
        download_timeout_seconds=5.0,
    )


async def wait_until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def options(tmp_path):
    return fast_options(tmp_path, image_backends=("replicate",), video_backends=("replicate",))


async def test_restart_mid_prediction_re_attaches_with_zero_extra_creates(fake, tmp_path):
    fake.script(VEO_MODEL, PredictionScript(progress=tuple(range(0, 101, 4)), predict_time=3.0))
    harness = Harness(tmp_path, {}, options(tmp_path))
    first_backend = replicate_backend(fake)
    harness.backends = {"replicate": first_backend}
    try:
        first = await harness.runner()
        job = await first.start_job(
            "projects/p1", JobKind.VIDEO, SpecEcho("video", b""),
            items=[ItemPlan("output", VideoRequest(prompt="a slow push-in on a door", duration_seconds=4))],
        )
        await wait_until(lambda: len(fake.prediction_ids) == 1)
        [prediction_id] = fake.prediction_ids
        await wait_until(lambda: "%" in fake.prediction(prediction_id).get("logs", ""))
        seen = []
        async for event in await first.watch_job(job.name, 0):
            seen.append(event)
            if event.HasField("progress"):
                break
        await harness.stop(first)  # media goes away mid-prediction
        await first_backend.aclose()
        assert fake.prediction(prediction_id)["status"] == "processing"
        assert fake.cancel_count() == 0

        second_backend = replicate_backend(fake)
        harness.backends = {"replicate": second_backend}
        try:
            second = await harness.runner()
            rest = await events_until_end(second, job.name, after=seen[-1].sequence)
            done = await second.get_job(job.name)
        finally:
            await harness.close()
            await second_backend.aclose()

        assert done.state is JobState.SUCCEEDED, done.error
        assert fake.create_count() == 1 and fake.cancel_count() == 0
        assert done.items[0].upstream_id == prediction_id and done.items[0].model == VEO_MODEL
        [stored] = harness.outputs.contents.values()
        assert stored[4:8] == b"ftyp"  # the MP4 the fake made
        sequences = [e.sequence for e in seen + rest]
        assert sequences == list(range(1, done.last_event_sequence + 1))
    finally:
        await harness.close()


async def test_cancel_reaches_the_replicate_cancel_endpoint(fake, tmp_path):
    fake.script(IMAGEN_MODEL, PredictionScript(outcome="never"))
    backend = replicate_backend(fake)
    harness = Harness(tmp_path, {"replicate": backend}, options(tmp_path))
    try:
        runner = await harness.runner()
        job = await runner.start_job("projects/p1", JobKind.IMAGE, SpecEcho("image", b""),
                                     items=[ItemPlan("output", ImageRequest(prompt="a lighthouse"))])
        await wait_until(lambda: len(fake.prediction_ids) == 1)
        [prediction_id] = fake.prediction_ids
        await wait_until(lambda: fake.prediction(prediction_id)["status"] == "processing")

        cancelled = await asyncio.wait_for(runner.cancel_job(job.name), 10)

        assert cancelled.state is JobState.CANCELLED
        assert fake.cancel_count(prediction_id) == 1
        assert fake.prediction(prediction_id)["status"] == "canceled"
        assert fake.create_count() == 1
    finally:
        await harness.close()
        await backend.aclose()
