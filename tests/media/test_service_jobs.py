"""Jobs over gRPC (issue 5, "Jobs"): a retried start with the same
``request_id`` returns the same job; GetJob and ListJobs (newest first,
paginated, filtered by state and kind); CancelJob reaching the upstream
prediction; WatchJob resumed from a sequence number without missing or
repeating events. Paid work runs on a fake Replicate through the real SDK."""

from __future__ import annotations

import asyncio

import grpc
import pytest
import pytest_asyncio

from previs.media.v1 import media_pb2, media_service_pb2 as mpb, media_service_pb2_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb, storage_service_pb2_grpc
from tests.fakes.replicate_server import IMAGEN_MODEL, FakeReplicate, PredictionScript
from tests.media.service_harness import media_harness, rpc_error, replicate_overrides
from tests.status_details import details_of, reason_of
from tests.suite import TENANT_A_KEY, TENANT_B_KEY

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOCAL, REPLICATE = media_pb2.BACKEND_LOCAL, media_pb2.BACKEND_REPLICATE
STATE = media_pb2.Job


@pytest.fixture(scope="module")
def replicate():
    with FakeReplicate() as fake:
        yield fake


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory, replicate):
    async with media_harness(
        tmp_path_factory.mktemp("jobs"), **replicate_overrides(replicate), progress_event_interval_seconds=0,
    ) as running:
        yield running


def _image(project: str, prompt: str = "A lighthouse at night", backend=LOCAL, request_id: str = ""):
    return mpb.GenerateImageRequest(parent=project, request_id=request_id,
                                    spec=media_pb2.ImageSpec(prompt=prompt, backend=backend))


async def _wait_for_prediction(fake: FakeReplicate, known: set[str]) -> str:
    """The id of a new prediction once the backend polls it (it records the
    id before its first poll, so a cancel from then on reaches upstream)."""
    async with asyncio.timeout(20):
        while not (set(fake.prediction_ids) - known):
            await asyncio.sleep(0.01)
        prediction = (set(fake.prediction_ids) - known).pop()
        while not fake.count("GET", f"/v1/predictions/{prediction}"):
            await asyncio.sleep(0.01)
    return prediction


# ---------------------------------------------------------------- request ids
async def test_a_retried_start_returns_the_same_job(harness):
    caller = harness.a
    project = await caller.project()
    first = await caller.media.GenerateImage(_image(project, request_id="frames-take-1"))
    assert first.state == STATE.STATE_QUEUED and first.request_id == "frames-take-1"
    again = await caller.media.GenerateImage(_image(project, request_id="frames-take-1"))
    assert again.name == first.name and again.create_time == first.create_time
    # Retries racing each other still make one job.
    racing = await asyncio.gather(*(caller.media.GenerateImage(_image(project, request_id="race")) for _ in range(6)))
    assert len({job.name for job in racing}) == 1
    finished = await caller.succeeded(first)
    after = await caller.media.GenerateImage(_image(project, request_id="frames-take-1"))
    assert after.name == first.name and after.state == STATE.STATE_SUCCEEDED
    assert list(after.output_revisions) == list(finished.output_revisions)
    # Another key is another job; the same key in another project or tenant too.
    other = await caller.media.GenerateImage(_image(project, request_id="frames-take-2"))
    elsewhere = await caller.media.GenerateImage(_image(await caller.project("Two"), request_id="frames-take-1"))
    theirs = await harness.b.media.GenerateImage(_image(await harness.b.project(), request_id="frames-take-1"))
    assert len({first.name, other.name, elsewhere.name, theirs.name}) == 4
    jobs = (await caller.media.ListJobs(mpb.ListJobsRequest(parent=project))).jobs
    assert len(jobs) == 3
    for job in (*racing[:1], other, elsewhere):
        await caller.finished(job)
    await harness.b.finished(theirs)


async def test_a_request_id_longer_than_128_characters_is_refused(harness):
    project = await harness.a.project()
    error = await rpc_error(harness.a.media.GenerateImage(_image(project, request_id="r" * 129)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details_of(error)["BadRequest"].field_violations[0].field == "request_id"


# ---------------------------------------------------------------- get and list
async def test_get_job_answers_the_caller_and_no_one_else(harness):
    caller = harness.a
    project = await caller.project()
    job = await caller.succeeded(await caller.media.GenerateImage(_image(project)))
    got = await caller.media.GetJob(mpb.GetJobRequest(name=job.name))
    assert got == job
    assert got.progress == 1.0 and got.end_time.seconds > 0 and got.etag
    assert [stage.state for stage in got.stages] == [STATE.STATE_SUCCEEDED] * len(got.stages)
    missing = job.name.rsplit("/", 1)[0] + "/nosuchjob"
    unknown = await rpc_error(caller.media.GetJob(mpb.GetJobRequest(name=missing)))
    foreign = await rpc_error(harness.b.media.GetJob(mpb.GetJobRequest(name=job.name)))
    assert unknown.code() == foreign.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(unknown) == reason_of(foreign)
    assert foreign.details() == unknown.details().replace("nosuchjob", job.name.rsplit("/", 1)[1])
    for name in ("", "jobs/1", "projects/p/assets/a"):
        error = await rpc_error(caller.media.GetJob(mpb.GetJobRequest(name=name)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert details_of(error)["BadRequest"].field_violations[0].field == "name"


async def test_list_jobs_pages_newest_first_and_filters_by_state_and_kind(harness, replicate):
    caller = harness.a
    story = await caller.story()
    project = story.project
    made = []
    for prompt in ("one", "two", "three"):
        made.append(await caller.succeeded(await caller.media.GenerateImage(_image(project, prompt))))
    export = await caller.succeeded(await caller.media.ExportStoryboard(mpb.ExportStoryboardRequest(
        parent=project, spec=media_pb2.StoryboardExportSpec(shot_plan_revision=story.shot_plan.revision,
                                                            formats=[media_pb2.STORYBOARD_FORMAT_JSON]))))
    replicate.script(IMAGEN_MODEL, PredictionScript(outcome="failed", error="the model crashed"))
    try:
        failed = await caller.finished(await caller.media.GenerateImage(_image(project, "four", backend=REPLICATE)))
    finally:
        replicate.script(IMAGEN_MODEL, PredictionScript())
    assert failed.state == STATE.STATE_FAILED
    newest_first = [failed.name, export.name, *(job.name for job in reversed(made))]

    seen, token, pages = [], "", 0
    while True:
        page = await caller.media.ListJobs(mpb.ListJobsRequest(parent=project, page_size=2, page_token=token))
        assert len(page.jobs) <= 2
        seen += [job.name for job in page.jobs]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == newest_first and pages == 3

    async def names(**request) -> list[str]:
        return [job.name for job in (await caller.media.ListJobs(mpb.ListJobsRequest(parent=project, **request))).jobs]

    assert await names(states=[STATE.STATE_FAILED]) == [failed.name]
    assert await names(kinds=[media_pb2.JOB_KIND_STORYBOARD_EXPORT]) == [export.name]
    assert await names(kinds=[media_pb2.JOB_KIND_IMAGE], states=[STATE.STATE_SUCCEEDED]) == [
        job.name for job in reversed(made)]
    assert await names(states=[STATE.STATE_FAILED, STATE.STATE_CANCELLED],
                       kinds=[media_pb2.JOB_KIND_IMAGE, media_pb2.JOB_KIND_FRAMES]) == [failed.name]
    assert await names(states=[STATE.STATE_RUNNING]) == []
    # UNSPECIFIED values are ignored in filters.
    assert await names(states=[STATE.STATE_UNSPECIFIED], kinds=[media_pb2.JOB_KIND_UNSPECIFIED]) == newest_first

    first_page = await caller.media.ListJobs(mpb.ListJobsRequest(parent=project, page_size=1))
    for request, field in (
        (mpb.ListJobsRequest(parent=project, page_size=-1), "page_size"),
        (mpb.ListJobsRequest(parent=project, page_token="garbage"), "page_token"),
        # A token is bound to the filters it was issued for.
        (mpb.ListJobsRequest(parent=project, page_size=1, page_token=first_page.next_page_token,
                             states=[STATE.STATE_SUCCEEDED]), "page_token"),
        (mpb.ListJobsRequest(parent=project, states=[42]), "states"),
        (mpb.ListJobsRequest(parent=project, kinds=[42]), "kinds"),
        (mpb.ListJobsRequest(parent="project/x"), "parent"),
    ):
        error = await rpc_error(caller.media.ListJobs(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert details_of(error)["BadRequest"].field_violations[0].field.startswith(field)

    # Another tenant gets what a project that does not exist gets.
    foreign = await rpc_error(harness.b.media.ListJobs(mpb.ListJobsRequest(parent=project)))
    nowhere = await rpc_error(harness.b.media.ListJobs(mpb.ListJobsRequest(parent="projects/nosuchproject")))
    assert foreign.code() == nowhere.code() == grpc.StatusCode.NOT_FOUND
    assert foreign.details() == nowhere.details().replace("nosuchproject", project.split("/")[1])


# ---------------------------------------------------------------- cancel
async def test_cancel_ends_the_job_and_its_upstream_prediction(harness, replicate):
    caller = harness.a
    project = await caller.project()
    known = set(replicate.prediction_ids)
    replicate.script(IMAGEN_MODEL, PredictionScript(outcome="never"))
    try:
        started = await caller.media.GenerateImage(_image(project, backend=REPLICATE))
        prediction = await _wait_for_prediction(replicate, known)
        watch = asyncio.ensure_future(caller.events(started.name))
        cancelled = await caller.media.CancelJob(mpb.CancelJobRequest(name=started.name))
    finally:
        replicate.script(IMAGEN_MODEL, PredictionScript())
    assert cancelled.state == STATE.STATE_CANCELLED
    assert cancelled.error.reason == media_pb2.JOB_ERROR_REASON_CANCELLED
    assert cancelled.items[0].state == STATE.STATE_CANCELLED and not cancelled.output_revisions
    assert replicate.cancel_count(prediction) == 1
    assert replicate.prediction(prediction)["status"] == "canceled"
    events = await watch
    assert events[-1].WhichOneof("event") == "completed"
    assert events[-1].completed.state == STATE.STATE_CANCELLED

    # Cancelling an ended job returns it unchanged.
    ended = await caller.media.GetJob(mpb.GetJobRequest(name=started.name))
    assert await caller.media.CancelJob(mpb.CancelJobRequest(name=started.name)) == ended
    assert await caller.media.GetJob(mpb.GetJobRequest(name=started.name)) == ended
    done = await caller.succeeded(await caller.media.GenerateImage(_image(project)))
    assert await caller.media.CancelJob(mpb.CancelJobRequest(name=done.name)) == done

    foreign = await rpc_error(harness.b.media.CancelJob(mpb.CancelJobRequest(name=done.name)))
    missing = await rpc_error(caller.media.CancelJob(mpb.CancelJobRequest(name=f"{project}/jobs/nosuchjob")))
    assert foreign.code() == missing.code() == grpc.StatusCode.NOT_FOUND
    assert (await caller.media.GetJob(mpb.GetJobRequest(name=done.name))).state == STATE.STATE_SUCCEEDED


# ---------------------------------------------------------------- watch
def _sequences(events) -> list[int]:
    return [event.sequence for event in events]


async def test_watch_resumes_after_a_disconnect_without_gaps_or_repeats(harness, replicate):
    caller = harness.a
    project = await caller.project()
    replicate.script(IMAGEN_MODEL, PredictionScript(progress=(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)))
    try:
        started = await caller.media.GenerateImage(_image(project, backend=REPLICATE))
        received = []
        call = caller.media.WatchJob(mpb.WatchJobRequest(name=started.name), timeout=60)
        async for event in call:
            received.append(event)
            if len(received) == 3:
                call.cancel()  # the connection breaks
                break
        resumed = await caller.events(started.name, after=received[-1].sequence)
    finally:
        replicate.script(IMAGEN_MODEL, PredictionScript())
    stitched = received + resumed
    assert _sequences(stitched) == list(range(1, len(stitched) + 1))
    assert stitched[-1].WhichOneof("event") == "completed"
    assert [event.WhichOneof("event") for event in stitched].count("completed") == 1
    kinds = {event.WhichOneof("event") for event in stitched}
    assert {"state_change", "progress", "item_result", "completed"} <= kinds
    fractions = [event.progress.fraction for event in stitched if event.HasField("progress")]
    assert fractions == sorted(fractions) and all(0 <= value <= 1 for value in fractions)
    assert all(event.job == started.name for event in stitched)

    # The full history replays the same events; the job names its newest.
    history = await caller.events(started.name)
    assert history == stitched
    job = await caller.media.GetJob(mpb.GetJobRequest(name=started.name))
    assert job.last_event_sequence == stitched[-1].sequence
    assert stitched[-1].completed.output_revisions == job.output_revisions
    # Resuming from any point gives exactly the rest; from the end, nothing.
    for after in (1, len(history) // 2, len(history) - 1, len(history)):
        assert await caller.events(started.name, after=after) == history[after:]


async def test_watch_refuses_bad_positions_and_other_tenants(harness):
    caller = harness.a
    project = await caller.project()
    job = await caller.succeeded(await caller.media.GenerateImage(_image(project)))
    for after in (-1, job.last_event_sequence + 1):
        error = await rpc_error(caller.events(job.name, after=after))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert details_of(error)["BadRequest"].field_violations[0].field == "after_sequence"
    foreign = await rpc_error(harness.b.events(job.name))
    missing = await rpc_error(caller.events(f"{project}/jobs/nosuchjob"))
    assert foreign.code() == missing.code() == grpc.StatusCode.NOT_FOUND


async def test_no_job_starts_in_a_deleted_project(harness):
    caller = harness.a
    project = await caller.project()
    done = await caller.succeeded(await caller.media.GenerateImage(_image(project, request_id="before")))
    await caller.storage.DeleteProject(spb.DeleteProjectRequest(name=project))
    error = await rpc_error(caller.media.GenerateImage(_image(project)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "PROJECT_DELETED"
    # Its jobs stay readable, and a retry of a start it took returns that job.
    assert (await caller.media.GetJob(mpb.GetJobRequest(name=done.name))).state == STATE.STATE_SUCCEEDED
    assert [job.name for job in (await caller.media.ListJobs(mpb.ListJobsRequest(parent=project))).jobs] == [done.name]
    assert (await caller.media.GenerateImage(_image(project, request_id="before"))).name == done.name


async def test_through_the_gateway_with_api_keys(harness):
    """The same calls as a client makes them: through the gateway, with an
    API key per tenant."""
    alice, bob = (("authorization", f"Bearer {TENANT_A_KEY}"),), (("authorization", f"Bearer {TENANT_B_KEY}"),)
    async with grpc.aio.insecure_channel(harness.suite.address("gateway")) as channel:
        media = media_service_pb2_grpc.MediaServiceStub(channel)
        storage = storage_service_pb2_grpc.StorageServiceStub(channel)
        project = (await storage.CreateProject(spb.CreateProjectRequest(project=storage_pb2.Project(title="Gateway")),
                                               metadata=alice)).name
        job = await media.GenerateImage(_image(project, request_id="via-gateway"), metadata=alice)
        events = [event async for event in media.WatchJob(mpb.WatchJobRequest(name=job.name), metadata=alice,
                                                          timeout=60)]
        assert events[-1].completed.state == STATE.STATE_SUCCEEDED
        assert (await media.GenerateImage(_image(project, request_id="via-gateway"), metadata=alice)).name == job.name
        done = await media.GetJob(mpb.GetJobRequest(name=job.name), metadata=alice)
        revision = await storage.GetRevision(spb.GetRevisionRequest(name=done.output_revisions[0]), metadata=alice)
        assert revision.creator == "alice"
        for call in (media.GetJob(mpb.GetJobRequest(name=job.name), metadata=bob),
                     media.ListJobs(mpb.ListJobsRequest(parent=project), metadata=bob),
                     media.GenerateImage(_image(project), metadata=bob)):
            error = await rpc_error(call)
            assert error.code() == grpc.StatusCode.NOT_FOUND
        error = await rpc_error(media.GetJob(mpb.GetJobRequest(name=job.name)))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
