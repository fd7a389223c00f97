"""A media restart mid-job: jobs re-attach to their upstream work (never a
second create) or end FAILED with a reason; none stays RUNNING; watchers
resume from their last sequence number."""

from __future__ import annotations

import asyncio

import pytest

from services.media.backends.base import ImageRequest, VideoRequest
from services.media.jobs import ErrorReason, ItemPlan, JobKind, JobState, SpecEcho
from tests.media.job_doubles import Cloud, FakeBackend, Harness, events_until_end, fast_options

SPEC = SpecEcho("video", b"")


def video(key: str = "output") -> ItemPlan:
    return ItemPlan(key, VideoRequest(prompt="dawn over the harbour"))


def fresh_backends(cloud: Cloud, latency: float = 0.05, **options) -> dict[str, FakeBackend]:
    """The backends of a new process: new objects, the same upstream."""
    return {
        "primary": FakeBackend("primary", cloud, latency=latency, **options),
        "secondary": FakeBackend("secondary", cloud, latency=latency),
    }


async def wait_until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def watched_until(runner, name: str, count: int) -> list:
    """The first ``count`` events of a job, then disconnect."""
    seen = []
    async for event in await runner.watch_job(name, 0):
        seen.append(event)
        if len(seen) == count:
            break
    return seen


async def test_running_job_re_attaches_after_restart_without_a_second_create(tmp_path):
    cloud = Cloud()
    harness = Harness(tmp_path, fresh_backends(cloud, latency=0.8), fast_options(tmp_path))
    try:
        first = await harness.runner()
        job = await first.start_job("projects/p1", JobKind.VIDEO, SPEC, items=[video()], request_id="r1")
        old_primary = harness.backends["primary"]
        await asyncio.wait_for(old_primary.started_event.wait(), 5)
        before_restart = await watched_until(first, job.name, 3)
        [upstream_id] = old_primary.started_ids
        await harness.stop(first)  # the process goes away mid-job
        assert cloud.predictions[upstream_id].status == "processing"  # paid work keeps going upstream
        assert old_primary.cancels == []

        harness.backends = fresh_backends(cloud, latency=0.8)
        second = await harness.runner()
        rest = await events_until_end(second, job.name, after=before_restart[-1].sequence)

        new_primary = harness.backends["primary"]
        assert new_primary.creates == 0 and new_primary.resumes == [upstream_id]
        assert old_primary.creates == 1
        done = await second.get_job(job.name)
        assert done.state is JobState.SUCCEEDED and done.items[0].upstream_id == upstream_id
        sequences = [event.sequence for event in before_restart + rest]
        assert sequences == list(range(1, done.last_event_sequence + 1))
        assert any("restarted" in e.progress.message for e in rest if e.HasField("progress"))
        again = await second.start_job("projects/p1", JobKind.VIDEO, SPEC, items=[video()], request_id="r1")
        assert again.name == job.name
    finally:
        await harness.close()


async def test_a_job_whose_backend_cannot_resume_fails_with_a_reason(tmp_path):
    cloud = Cloud()
    harness = Harness(tmp_path, fresh_backends(cloud, latency=5.0), fast_options(tmp_path))
    try:
        first = await harness.runner()
        job = await first.start_job("projects/p1", JobKind.VIDEO, SPEC, items=[video()])
        await asyncio.wait_for(harness.backends["primary"].started_event.wait(), 5)
        await harness.stop(first)

        harness.backends = fresh_backends(cloud, can_resume=False)
        second = await harness.runner()
        events = await events_until_end(second, job.name)
        done = await second.get_job(job.name)
        assert done.state is JobState.FAILED and done.error.reason is ErrorReason.BACKEND_UNAVAILABLE
        assert "cannot re-attach" in done.error.message
        assert harness.backends["primary"].creates == 0 and harness.backends["secondary"].calls == 0
        assert events[-1].HasField("completed")
    finally:
        await harness.close()


async def test_a_backend_gone_after_restart_fails_the_item(tmp_path):
    cloud = Cloud()
    harness = Harness(tmp_path, fresh_backends(cloud, latency=5.0), fast_options(tmp_path))
    try:
        first = await harness.runner()
        job = await first.start_job("projects/p1", JobKind.VIDEO, SPEC, items=[video()])
        await asyncio.wait_for(harness.backends["primary"].started_event.wait(), 5)
        await harness.stop(first)

        harness.backends = {"secondary": FakeBackend("secondary", cloud)}
        second = await harness.runner()
        await events_until_end(second, job.name)
        done = await second.get_job(job.name)
        assert done.state is JobState.FAILED and "not configured after the restart" in done.error.message
        assert harness.backends["secondary"].calls == 0
    finally:
        await harness.close()


async def test_interrupted_before_the_upstream_id_is_not_created_again(tmp_path):
    cloud = Cloud()
    harness = Harness(tmp_path, fresh_backends(cloud, create_delay=5.0), fast_options(tmp_path))
    try:
        first = await harness.runner()
        job = await first.start_job("projects/p1", JobKind.VIDEO, SPEC, items=[video()])
        await wait_until(lambda: harness.backends["primary"].calls == 1)
        await asyncio.sleep(0.05)  # the dispatch is durable; the create has not answered
        await harness.stop(first)

        harness.backends = fresh_backends(cloud)
        second = await harness.runner()
        await events_until_end(second, job.name)
        done = await second.get_job(job.name)
        assert done.state is JobState.FAILED and done.error.reason is ErrorReason.BACKEND_UNAVAILABLE
        assert "not paid for twice" in done.error.message
        assert harness.backends["primary"].calls == 0 and harness.backends["secondary"].calls == 0
    finally:
        await harness.close()


async def test_restart_safe_and_queued_items_simply_run_again(tmp_path):
    cloud = Cloud()

    def backends() -> dict[str, FakeBackend]:
        return {"local": FakeBackend("local", cloud, latency=0.5, reports_upstream=False)}

    options = fast_options(tmp_path, image_backends=("local",), slots_per_backend=1, item_parallelism=1)
    harness = Harness(tmp_path, backends(), options)
    try:
        first = await harness.runner()
        job = await first.start_job(
            "projects/p1", JobKind.FRAMES, SpecEcho("frames", b""),
            items=[ItemPlan("S001", ImageRequest(prompt="a")), ItemPlan("S002", ImageRequest(prompt="b"))],
        )
        queued = await first.start_job("projects/p1", JobKind.IMAGE, SpecEcho("image", b""),
                                       items=[ItemPlan("output", ImageRequest(prompt="c"))])
        await wait_until(lambda: harness.backends["local"].calls == 1)
        await harness.stop(first)

        harness.backends = backends()
        second = await harness.runner()
        for name in (job.name, queued.name):
            await events_until_end(second, name)
            assert (await second.get_job(name)).state is JobState.SUCCEEDED
        assert harness.backends["local"].calls == 3  # the interrupted one again, then the rest
    finally:
        await harness.close()


async def test_fifty_jobs_in_flight_at_a_restart_all_end_with_no_duplicate_creates(tmp_path):
    cloud = Cloud()
    options = fast_options(tmp_path, slots_per_backend=10, image_backends=("primary",), video_backends=("primary",))
    harness = Harness(tmp_path, fresh_backends(cloud, latency=0.4), options)
    try:
        first = await harness.runner()
        jobs = [await first.start_job("projects/p1", JobKind.VIDEO, SPEC, items=[video()]) for _ in range(50)]
        await wait_until(lambda: len(harness.backends["primary"].started_ids) >= 10)
        seen = {job.name: await watched_until(first, job.name, 2) for job in jobs[:10]}
        await harness.stop(first)
        creates_before = harness.backends["primary"].creates

        harness.backends = fresh_backends(cloud, latency=0.4)
        second = await harness.runner()
        for job in jobs:
            after = seen[job.name][-1].sequence if job.name in seen else 0
            rest = await events_until_end(second, job.name, after=after)
            sequences = [e.sequence for e in seen.get(job.name, [])] + [e.sequence for e in rest]
            assert sequences == list(range(1, sequences[-1] + 1))
        states = [(await second.get_job(job.name)).state for job in jobs]
        assert states == [JobState.SUCCEEDED] * 50
        assert creates_before + harness.backends["primary"].creates == 50  # one create per job, ever
        assert len(cloud.predictions) == 50
        assert await second.store.unfinished() == []
    finally:
        await harness.close()
