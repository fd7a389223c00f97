"""Cost over gRPC (issue 5, "Cost"): each job records its estimated and
actual cost from the price table; the project's budget, read from storage,
is checked before a job starts, and a job that would exceed it is refused
with RESOURCE_EXHAUSTED and a QuotaFailure, creating nothing. Paid work
runs on a fake Replicate through the real SDK (imagen-4 at $0.04 an image,
veo-3.1 at $0.20 a second without audio, from the shipped prices.yaml)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
import pytest_asyncio
from google.protobuf import duration_pb2

from previs.media.v1 import media_pb2, media_service_pb2 as mpb
from previs.storage.v1 import storage_service_pb2 as spb
from tests.fakes.replicate_server import IMAGEN_MODEL, VEO_MODEL, FakeReplicate, PredictionScript
from tests.media.service_harness import media_harness, rpc_error, replicate_overrides
from tests.status_details import details_of, reason_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPLICATE, LOCAL = media_pb2.BACKEND_REPLICATE, media_pb2.BACKEND_LOCAL
IMAGE_USD, VEO_SECOND_USD = 0.04, 0.20
SCOPE = media_pb2.FramesScope


@pytest.fixture(scope="module")
def replicate():
    with FakeReplicate() as fake:
        yield fake


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory, replicate):
    async with media_harness(
        tmp_path_factory.mktemp("cost"), **replicate_overrides(replicate),
    ) as running:
        yield running


def _image(project: str, backend=REPLICATE, prompt: str = "A harbour at dawn") -> mpb.GenerateImageRequest:
    return mpb.GenerateImageRequest(parent=project, spec=media_pb2.ImageSpec(prompt=prompt, backend=backend))


async def _spent(caller, project: str, expected: float) -> float:
    """The project's spending once it reaches ``expected`` (the settlement of
    a job runs right after its end), bounded."""
    async with asyncio.timeout(20):
        while True:
            spent = (await caller.storage.GetProject(spb.GetProjectRequest(name=project))).spent_usd
            if spent == pytest.approx(expected):
                return spent
            await asyncio.sleep(0.02)


async def test_a_job_records_its_estimated_and_actual_cost(harness):
    caller = harness.a
    project = await caller.project()
    started = await caller.media.GenerateImage(_image(project))
    job = await caller.succeeded(started)
    assert job.cost.estimated_usd == pytest.approx(IMAGE_USD)
    assert job.cost.actual_usd == pytest.approx(IMAGE_USD)
    assert job.items[0].cost.actual_usd == pytest.approx(IMAGE_USD)
    updates = [event.cost_update for event in await caller.events(job.name) if event.HasField("cost_update")]
    assert updates and updates[-1].actual_usd == pytest.approx(IMAGE_USD)
    completed = (await caller.events(job.name, after=job.last_event_sequence - 1))[-1].completed
    assert completed.cost.actual_usd == pytest.approx(IMAGE_USD)
    await _spent(caller, project, IMAGE_USD)


async def test_a_clip_costs_its_seconds(harness, replicate):
    caller = harness.a
    project = await caller.project()
    replicate.script(VEO_MODEL, PredictionScript(video_seconds=4, video_size=(160, 90)))
    job = await caller.succeeded(await caller.media.GenerateVideo(mpb.GenerateVideoRequest(
        parent=project, spec=media_pb2.VideoSpec(prompt="Waves on rocks", duration=duration_pb2.Duration(seconds=4),
                                                 generate_audio=False, backend=REPLICATE))))
    assert job.cost.estimated_usd == pytest.approx(4 * VEO_SECOND_USD)
    assert job.cost.actual_usd == pytest.approx(4 * VEO_SECOND_USD)
    await _spent(caller, project, 4 * VEO_SECOND_USD)


async def test_local_work_is_free(harness):
    caller = harness.a
    project = await caller.project(budget_usd=0.01)
    job = await caller.succeeded(await caller.media.GenerateImage(_image(project, LOCAL)))
    assert job.cost.estimated_usd == 0 and job.cost.actual_usd == 0


async def test_a_job_over_the_budget_is_refused_before_it_starts(harness):
    caller = harness.a
    story = await caller.story(await caller.project(budget_usd=0.06))
    project = story.project
    scene = story.shots[-1].scene_id
    shots = [shot.id for shot in story.shots if shot.scene_id == scene]
    assert len(shots) * IMAGE_USD > 0.06
    frames = mpb.GenerateFramesRequest(parent=project, request_id="scene-frames", spec=media_pb2.FramesSpec(
        shot_plan_revision=story.shot_plan.revision, scope=SCOPE(type=SCOPE.TYPE_SCENE, scene_id=scene),
        backend=REPLICATE))
    error = await rpc_error(caller.media.GenerateFrames(frames))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and reason_of(error) == "BUDGET_EXCEEDED"
    violation = details_of(error)["QuotaFailure"].violations[0]
    assert violation.subject == project
    assert f"{len(shots) * IMAGE_USD:.2f}" in violation.description and "0.06" in violation.description
    assert details_of(error)["ErrorInfo"].metadata["estimated_usd"].startswith(f"{len(shots) * IMAGE_USD:.2f}")
    assert not (await caller.media.ListJobs(mpb.ListJobsRequest(parent=project))).jobs  # nothing was created

    # What fits runs; spending counts against the budget until it is used up.
    await caller.succeeded(await caller.media.GenerateImage(_image(project)))
    await _spent(caller, project, IMAGE_USD)
    error = await rpc_error(caller.media.GenerateImage(_image(project)))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "QuotaFailure" in details_of(error)
    # The local renderer costs nothing, so it still runs.
    await caller.succeeded(await caller.media.GenerateImage(_image(project, LOCAL)))
    # A higher budget (stored in the project) lets the same request through.
    await caller.storage.UpdateProject(spb.UpdateProjectRequest(
        project={"name": project, "budget_usd": 1.0}, update_mask={"paths": ["budget_usd"]}))
    job = await caller.succeeded(await caller.media.GenerateFrames(frames))
    assert [item.key for item in job.items] == shots
    assert job.cost.estimated_usd == job.cost.actual_usd == pytest.approx(len(shots) * IMAGE_USD)
    await _spent(caller, project, (1 + len(shots)) * IMAGE_USD)


async def test_what_a_failed_job_did_not_spend_is_given_back(harness, replicate):
    caller = harness.a
    project = await caller.project(budget_usd=1.0)
    replicate.script(IMAGEN_MODEL, PredictionScript(outcome="failed", error="the model crashed"))
    try:
        job = await caller.finished(await caller.media.GenerateImage(_image(project)))
    finally:
        replicate.script(IMAGEN_MODEL, PredictionScript())
    assert job.state == media_pb2.Job.STATE_FAILED
    assert job.cost.estimated_usd == pytest.approx(IMAGE_USD) and job.cost.actual_usd == 0
    await _spent(caller, project, 0.0)


async def test_jobs_racing_for_the_last_of_the_budget_never_overspend_it(harness):
    caller = harness.a
    project = await caller.project(budget_usd=0.05)
    answers = await asyncio.gather(*(caller.media.GenerateImage(_image(project, prompt=f"take {n}"))
                                     for n in range(3)), return_exceptions=True)
    outcomes = []
    for answer in answers:
        if isinstance(answer, grpc.aio.AioRpcError):  # the budget was already reserved by another
            assert answer.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and reason_of(answer) == "BUDGET_EXCEEDED"
            outcomes.append("refused")
            continue
        job = await caller.finished(answer)
        if job.state == media_pb2.Job.STATE_FAILED:  # started together, refused when reserving
            assert job.error.reason == media_pb2.JOB_ERROR_REASON_BUDGET_EXCEEDED and job.cost.actual_usd == 0
        outcomes.append(media_pb2.Job.State.Name(job.state))
    assert outcomes.count("STATE_SUCCEEDED") == 1 and len(outcomes) == 3
    await _spent(caller, project, IMAGE_USD)
