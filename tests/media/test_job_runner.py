"""The job runner on fake backends: lifecycle, progress, failures, failover,
retries, cancel, timeouts, budget, idempotent starts and tenancy."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.media.backends.base import BackendError, FailureReason, ImageRequest, VideoRequest
from services.media.job_work import TaskWork
from services.media.jobs import ErrorReason, ItemPlan, JobKind, JobState, SpecEcho
from services.runtime.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted
from services.runtime.request_context import CallIdentity, identity_var
from tests.media.job_doubles import Budget, Checks, Cloud, FakeBackend, Harness, Outputs, events_until_end, fast_options

SPEC = SpecEcho("image", b"")


def image(key: str = "output", prompt: str = "a lighthouse") -> ItemPlan:
    return ItemPlan(key, ImageRequest(prompt=prompt))


def kinds(events) -> list[str]:
    return [event.WhichOneof("event") for event in events]


def rate_limited(retry_after: float | None = None, failover: bool = True) -> BackendError:
    return BackendError(
        FailureReason.RATE_LIMITED, "429 too many requests", retryable=True, failover=failover,
        retry_after_seconds=retry_after,
    )


def unavailable() -> BackendError:
    return BackendError(FailureReason.BACKEND_UNAVAILABLE, "503 from upstream", failover=True)


@pytest.fixture
def cloud():
    return Cloud()


@pytest.fixture
async def harness(tmp_path, cloud):
    built = Harness(
        tmp_path,
        {"primary": FakeBackend("primary", cloud), "secondary": FakeBackend("secondary", cloud)},
        fast_options(tmp_path),
    )
    yield built
    await built.close()


async def test_success_streams_state_progress_item_cost_and_completion(harness):
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.FRAMES, SPEC, items=[image("S001"), image("S002")])
    assert job.state is JobState.QUEUED and job.last_event_sequence == 1

    events = await events_until_end(runner, job.name)

    assert [event.sequence for event in events] == list(range(1, len(events) + 1))
    assert kinds(events)[0] == "state_change" and kinds(events)[-1] == "completed"
    assert events[1].state_change.state == 2  # RUNNING
    progress = [event.progress.fraction for event in events if event.HasField("progress")]
    assert progress and all(0 <= value < 1 for value in progress)
    assert any(0 < value for value in progress)
    items = [event.item_result for event in events if event.HasField("item_result")]
    assert {item.key for item in items} == {"S001", "S002"} and all(item.state == 3 for item in items)
    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED and done.progress == 1.0
    assert len(done.output_revisions) == 2 and events[-1].completed.output_revisions == done.output_revisions
    assert done.estimated_usd == pytest.approx(0.08) and done.actual_usd == pytest.approx(0.08)
    assert [item.backend for item in done.items] == ["primary", "primary"]
    assert done.last_event_sequence == events[-1].sequence
    assert done.start_time_us and done.end_time_us and done.end_time_us >= done.start_time_us
    assert harness.backends["secondary"].calls == 0


async def test_item_failure_fails_the_job_but_keeps_other_outputs(harness):
    policy = BackendError(FailureReason.CONTENT_POLICY_VIOLATION, "flagged as sensitive (E005)")
    harness.backends["primary"].failures = [None, policy]
    runner = await harness.runner()
    job = await runner.start_job(
        "projects/p1", JobKind.FRAMES, SPEC, items=[image("S001"), image("S002")]
    )
    events = await events_until_end(runner, job.name)

    done = await runner.get_job(job.name)
    assert done.state is JobState.FAILED
    assert done.error.reason is ErrorReason.CONTENT_POLICY_VIOLATION and done.error.item_key in {"S001", "S002"}
    states = {item.key: item.state for item in done.items}
    assert sorted(states.values(), key=lambda s: s.value) == [JobState.FAILED, JobState.SUCCEEDED]
    assert len(done.output_revisions) == 1
    assert events[-1].completed.error.reason == 1  # CONTENT_POLICY_VIOLATION
    assert harness.backends["secondary"].calls == 0  # not a failover error


async def test_failover_moves_to_the_next_backend_and_records_who_made_it(harness):
    harness.backends["primary"].failures = [unavailable()]
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
    events = await events_until_end(runner, job.name)

    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED
    [item] = done.items
    assert item.backend == "secondary" and item.attempts == 2
    retried = [e.item_result for e in events if e.HasField("item_result") and e.item_result.state == 2]
    assert len(retried) == 1 and retried[0].error.reason == 3  # BACKEND_UNAVAILABLE, retried elsewhere
    assert harness.backends["secondary"].creates == 1


async def test_output_rejected_by_checks_fails_over(harness):
    harness.checks.reject_backends = {"primary"}
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED and done.items[0].backend == "secondary"
    assert harness.checks.checked == ["primary", "secondary"]
    assert done.actual_usd == pytest.approx(0.04)  # only the stored output is priced


async def test_every_backend_failing_over_ends_with_the_last_reason(harness):
    harness.backends["primary"].failures = [unavailable()]
    harness.backends["secondary"].failures = [rate_limited(retry_after=60.0)]  # longer than the bound
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.FAILED and done.error.reason is ErrorReason.RATE_LIMITED
    assert done.error.backend == "secondary"


async def test_429_then_success_waits_for_retry_after(harness):
    harness.backends["primary"].failures = [rate_limited(retry_after=0.3)]
    runner = await harness.runner()
    started = time.monotonic()
    job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
    events = await events_until_end(runner, job.name)
    elapsed = time.monotonic() - started

    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED and done.items[0].backend == "primary"
    assert done.items[0].attempts == 2 and harness.backends["primary"].calls == 2
    assert elapsed >= 0.3  # the Retry-After, not the 10 ms backoff
    assert any("retrying in" in e.progress.message for e in events if e.HasField("progress"))
    assert harness.backends["secondary"].calls == 0


async def test_retries_are_bounded(harness):
    harness.backends["primary"].failures = [rate_limited(failover=False)] * 5
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], backend="primary")
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.FAILED and done.error.reason is ErrorReason.RATE_LIMITED
    assert harness.backends["primary"].calls == 3  # max_attempts


async def test_a_failed_download_after_success_re_attaches_instead_of_creating_again(harness):
    download = BackendError(FailureReason.BACKEND_UNAVAILABLE, "truncated download", retryable=True, failover=True)
    primary = harness.backends["primary"]
    primary.fail_after_start = [download]
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED
    assert primary.creates == 1 and primary.resumes == primary.started_ids


async def test_storage_unavailable_is_retried_then_stored(harness):
    harness.outputs.unavailable_times = 2
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED and harness.outputs.calls == 3
    assert harness.backends["primary"].creates == 1


async def test_storage_down_past_the_bound_fails_backend_unavailable(tmp_path, cloud):
    harness = Harness(tmp_path, {"primary": FakeBackend("primary", cloud)},
                      fast_options(tmp_path, output_retry_seconds=0.2), outputs=Outputs(unavailable_times=10_000))
    try:
        runner = await harness.runner()
        job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
        await events_until_end(runner, job.name)
        done = await runner.get_job(job.name)
        assert done.state is JobState.FAILED and done.error.reason is ErrorReason.BACKEND_UNAVAILABLE
        assert harness.backends["primary"].creates == 1  # paid once, never made elsewhere
    finally:
        await harness.close()


async def test_cancel_mid_job_cancels_upstream_and_ends_cancelled(harness):
    primary = harness.backends["primary"]
    primary.latency = 5.0
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.VIDEO, SpecEcho("video", b""),
                                 items=[ItemPlan("output", VideoRequest(prompt="rain"))])
    await asyncio.wait_for(primary.started_event.wait(), 5)

    started = time.monotonic()
    cancelled = await runner.cancel_job(job.name)
    assert time.monotonic() - started < 2

    assert cancelled.state is JobState.CANCELLED and cancelled.error.reason is ErrorReason.CANCELLED
    assert primary.cancels == primary.started_ids and len(primary.cancels) == 1
    assert cloud_status(primary) == ["canceled"]
    events = await events_until_end(runner, job.name)
    assert events[-1].completed.state == 5  # CANCELLED
    again = await runner.cancel_job(job.name)  # an ended job comes back unchanged
    assert again.state is JobState.CANCELLED and again.version == (await runner.get_job(job.name)).version
    assert runner.active_jobs() == 0


def cloud_status(backend: FakeBackend) -> list[str]:
    return [backend.cloud.predictions[pid].status for pid in backend.started_ids]


async def test_cancel_of_a_queued_job_never_calls_a_backend(tmp_path, cloud):
    primary = FakeBackend("primary", cloud, latency=2.0)
    harness = Harness(tmp_path, {"primary": primary}, fast_options(tmp_path, slots_per_backend=1))
    try:
        runner = await harness.runner()
        first = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
        second = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
        await asyncio.wait_for(primary.started_event.wait(), 5)
        cancelled = await runner.cancel_job(second.name)
        assert cancelled.state is JobState.CANCELLED and primary.calls == 1
        assert (await runner.get_job(first.name)).state is JobState.RUNNING
        await runner.cancel_job(first.name)
    finally:
        await harness.close()


async def test_job_timeout_fails_timeout_and_cancels_upstream(tmp_path, cloud):
    primary = FakeBackend("primary", cloud, latency=10.0)
    harness = Harness(tmp_path, {"primary": primary}, fast_options(tmp_path, job_timeout_seconds=0.3))
    try:
        runner = await harness.runner()
        job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()])
        events = await events_until_end(runner, job.name, timeout=5)
        done = await runner.get_job(job.name)
        assert done.state is JobState.FAILED and done.error.reason is ErrorReason.TIMEOUT
        assert primary.cancels == primary.started_ids
        assert events[-1].completed.error.reason == 5  # TIMEOUT
    finally:
        await harness.close()


async def test_request_id_returns_the_same_job(harness):
    runner = await harness.runner()
    first = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], request_id="req-1")
    again = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], request_id="req-1")
    other = await runner.start_job("projects/p2", JobKind.IMAGE, SPEC, items=[image()], request_id="req-1")
    assert again.name == first.name and other.name != first.name
    await events_until_end(runner, first.name)
    after_end = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], request_id="req-1")
    assert after_end.name == first.name and after_end.state is JobState.SUCCEEDED
    await events_until_end(runner, other.name)
    assert harness.backends["primary"].creates == 2


async def test_concurrent_starts_with_one_request_id_make_one_job(harness):
    runner = await harness.runner()
    jobs = await asyncio.gather(*[
        runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], request_id="same") for _ in range(8)
    ])
    assert len({job.name for job in jobs}) == 1
    await events_until_end(runner, jobs[0].name)
    assert harness.backends["primary"].creates == 1


async def test_another_tenants_job_is_not_found(harness):
    runner = await harness.runner()
    token = identity_var.set(CallIdentity("alice", "tenant-a"))
    try:
        job = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], request_id="r")
    finally:
        identity_var.reset(token)
    token = identity_var.set(CallIdentity("bob", "tenant-b"))
    try:
        for call in (runner.get_job(job.name), runner.cancel_job(job.name), runner.watch_job(job.name)):
            with pytest.raises(NotFound) as caught:
                await call
            assert caught.value.message == f"job {job.name!r} was not found"
        missing = job.name[:-1] + ("x" if job.name[-1] != "x" else "y")
        with pytest.raises(NotFound) as same:
            await runner.get_job(missing)
        assert same.value.reason == caught.value.reason
        assert (await runner.list_jobs("projects/p1")).jobs == []
        mine = await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], request_id="r")
        assert mine.name != job.name  # request ids are per tenant too
    finally:
        identity_var.reset(token)
    token = identity_var.set(CallIdentity("alice", "tenant-a"))
    try:
        assert (await runner.get_job(job.name)).tenant == "tenant-a"
        await events_until_end(runner, job.name)
    finally:
        identity_var.reset(token)


async def test_budget_refuses_a_job_before_it_starts(harness):
    harness.budget.limit = 0.05
    runner = await harness.runner()
    with pytest.raises(ResourceExhausted) as caught:
        await runner.start_job("projects/p1", JobKind.FRAMES, SPEC, items=[image("S1"), image("S2")])
    assert caught.value.quota_violations[0].subject == "projects/p1"
    assert harness.budget.asked == [("p1", pytest.approx(0.08))]
    assert (await runner.list_jobs("projects/p1")).jobs == []
    assert harness.backends["primary"].calls == 0


async def test_prepare_stage_plans_items_and_checks_the_budget(harness):
    async def plan_frames(job):
        return [image("S001"), image("S002"), image("S003")]

    harness.budget.limit = 0.1
    runner = await harness.runner(preparers={JobKind.FRAMES: plan_frames})
    job = await runner.start_job("projects/p1", JobKind.FRAMES, SpecEcho("frames", b""))
    assert [stage.id for stage in job.stages] == ["prepare", "render"]
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.FAILED and done.error.reason is ErrorReason.BUDGET_EXCEEDED
    assert harness.backends["primary"].calls == 0

    harness.budget.limit = 1.0
    job = await runner.start_job("projects/p1", JobKind.FRAMES, SpecEcho("frames", b""))
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED and [item.key for item in done.items] == ["S001", "S002", "S003"]
    assert done.estimated_usd == pytest.approx(0.12)
    assert [stage.state for stage in done.stages] == [JobState.SUCCEEDED, JobState.SUCCEEDED]


async def test_task_items_run_their_handler(harness):
    async def export(job, item, out_dir, progress):
        await progress(0.5, "writing csv")
        path = out_dir / "board.csv"
        path.write_text("shot,image\nS1,x\n")
        from services.media.backends.base import RenderOutput

        return RenderOutput(path=path, media_type="text/csv", backend="local", model="storyboard-export")

    runner = await harness.runner(tasks={"storyboard_export": export})
    job = await runner.start_job("projects/p1", JobKind.STORYBOARD_EXPORT, SpecEcho("storyboard_export", b""),
                                 items=[ItemPlan("csv", TaskWork("storyboard_export", {"format": "csv"}))])
    await events_until_end(runner, job.name)
    done = await runner.get_job(job.name)
    assert done.state is JobState.SUCCEEDED and done.items[0].model == "storyboard-export"
    assert list(harness.outputs.contents.values()) == [b"shot,image\nS1,x\n"]
    with pytest.raises(FailedPrecondition):
        await runner.start_job("projects/p1", JobKind.ANIMATIC, SpecEcho("animatic", b""),
                               items=[ItemPlan("mp4", TaskWork("animatic"))])


async def test_bad_starts_are_refused(harness):
    runner = await harness.runner()
    with pytest.raises(InvalidArgument):
        await runner.start_job("projects/../x", JobKind.IMAGE, SPEC, items=[image()])
    with pytest.raises(InvalidArgument):
        await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image("a"), image("a")])
    with pytest.raises(InvalidArgument):
        await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image("../etc")])
    with pytest.raises(InvalidArgument):
        await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[])
    with pytest.raises(InvalidArgument):
        await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], request_id="x" * 129)
    with pytest.raises(FailedPrecondition):
        await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()], backend="gemini")
    with pytest.raises(InvalidArgument):
        await runner.get_job("projects/p1/jobs/../../etc")


async def test_list_jobs_pages_newest_first_with_filters(harness):
    runner = await harness.runner()
    names = []
    for index in range(7):
        kind = JobKind.IMAGE if index % 2 == 0 else JobKind.VIDEO
        plan = image() if kind is JobKind.IMAGE else ItemPlan("output", VideoRequest(prompt="v"))
        job = await runner.start_job("projects/p1", kind, SPEC, items=[plan])
        names.append(job.name)
    for name in names:
        await events_until_end(runner, name)

    seen, token = [], ""
    while True:
        page = await runner.list_jobs("projects/p1", page_size=3, page_token=token)
        seen.extend(job.name for job in page.jobs)
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(names))
    videos = await runner.list_jobs("projects/p1", kinds=[JobKind.VIDEO], states=[JobState.SUCCEEDED])
    assert [job.name for job in videos.jobs] == [name for index, name in enumerate(names) if index % 2][::-1]
    assert (await runner.list_jobs("projects/p1", states=[JobState.RUNNING])).jobs == []
    with pytest.raises(InvalidArgument):
        await runner.list_jobs("projects/p1", page_size=3, page_token=page_token_for_other_query(runner))
    with pytest.raises(InvalidArgument):
        await runner.list_jobs("projects/p1", page_size=-1)


def page_token_for_other_query(runner) -> str:
    return runner._page_tokens.encode({"t": 1, "j": "x"}, {"other": True})


async def test_concurrency_is_bounded_per_backend(tmp_path, cloud):
    primary = FakeBackend("primary", cloud, latency=0.05)
    harness = Harness(tmp_path, {"primary": primary}, fast_options(tmp_path, slots_per_backend=3))
    try:
        runner = await harness.runner()
        jobs = [await runner.start_job("projects/p1", JobKind.IMAGE, SPEC, items=[image()]) for _ in range(12)]
        for job in jobs:
            await events_until_end(runner, job.name)
        assert primary.peak_in_flight == 3 and primary.creates == 12
    finally:
        await harness.close()
