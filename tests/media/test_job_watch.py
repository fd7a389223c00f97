"""WatchJob through the engine: backlog then live events, resume from a
sequence number without misses or repeats, slow watchers, many watchers."""

from __future__ import annotations

import asyncio
import random

import pytest

from services.media.backends.base import ImageRequest
from services.media.jobs import ItemPlan, JobKind, SpecEcho
from services.runtime.errors import InvalidArgument
from tests.media.job_doubles import Cloud, FakeBackend, Harness, events_until_end, fast_options

SPEC = SpecEcho("frames", b"")


def frames(count: int) -> list[ItemPlan]:
    return [ItemPlan(f"S{index:03d}", ImageRequest(prompt=f"shot {index}")) for index in range(count)]


@pytest.fixture
async def harness(tmp_path):
    cloud = Cloud()
    built = Harness(
        tmp_path,
        {"primary": FakeBackend("primary", cloud, latency=0.2, steps=10)},
        fast_options(tmp_path, image_backends=("primary",), item_parallelism=3),
    )
    yield built
    await built.close()


async def stored_log(runner, job_id: str) -> list:
    return await runner.store.events(job_id, 0, 100_000)


async def test_reconnecting_watchers_see_every_event_exactly_once(harness):
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.FRAMES, SPEC, items=frames(6))
    rng = random.Random(7)
    received, last, reconnects = [], 0, 0
    while True:
        budget = rng.randint(1, 4)  # disconnect after a few events
        finished = False
        async for event in await runner.watch_job(job.name, last):
            received.append(event)
            last = event.sequence
            if event.HasField("completed"):
                finished = True
                break
            budget -= 1
            if budget == 0:
                break
        if finished:
            break
        reconnects += 1
        await asyncio.sleep(rng.choice([0.0, 0.01, 0.05]))  # events happen while disconnected

    sequences = [event.sequence for event in received]
    assert reconnects >= 3
    assert sequences == list(range(1, len(sequences) + 1))
    assert [e.SerializeToString() for e in received] == [e.SerializeToString() for e in await stored_log(runner, job.job_id)]
    assert runner.hub.watcher_count() == 0


async def test_watch_from_the_middle_and_after_the_end(harness):
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.FRAMES, SPEC, items=frames(2))
    everything = await events_until_end(runner, job.name)
    middle = everything[len(everything) // 2].sequence

    tail = await events_until_end(runner, job.name, after=middle)
    assert [e.sequence for e in tail] == list(range(middle + 1, everything[-1].sequence + 1))
    assert await events_until_end(runner, job.name, after=everything[-1].sequence) == []
    with pytest.raises(InvalidArgument):
        await runner.watch_job(job.name, -1)
    with pytest.raises(InvalidArgument):
        await runner.watch_job(job.name, everything[-1].sequence + 1)


async def test_a_slow_watcher_overflows_its_buffer_and_re_reads_the_log(tmp_path):
    cloud = Cloud()
    harness = Harness(
        tmp_path,
        {"primary": FakeBackend("primary", cloud, latency=0.3, steps=40)},
        fast_options(tmp_path, image_backends=("primary",), item_parallelism=8, watch_queue_size=8),
    )
    try:
        runner = await harness.runner()
        database_reads = []
        read_events = runner.store.events

        async def counted(*args):
            database_reads.append(args)
            return await read_events(*args)

        runner.store.events = counted
        memory_reads = []
        read_recent = runner.hub.recent

        def counted_recent(*args):
            memory_reads.append(args)
            return read_recent(*args)

        runner.hub.recent = counted_recent
        job = await runner.start_job("projects/p1", JobKind.FRAMES, SPEC, items=frames(8))
        received = []
        async for event in await runner.watch_job(job.name, 0):
            received.append(event.sequence)
            await asyncio.sleep(0.005)  # reads far slower than events come
        total = (await runner.get_job(job.name)).last_event_sequence
        assert total > 8 * 10  # enough events to overflow an 8-event buffer many times
        assert received == list(range(1, total + 1))
        # It fell behind several times and caught up from the job's recent
        # events in memory or, once those had moved on, from the database.
        assert len(memory_reads) >= 3 and database_reads
    finally:
        await harness.close()


async def test_hundreds_of_watchers_on_a_few_jobs_all_get_the_whole_log(harness):
    runner = await harness.runner()
    jobs = [await runner.start_job("projects/p1", JobKind.FRAMES, SPEC, items=frames(3)) for _ in range(4)]

    async def watch(name: str) -> list[int]:
        return [event.sequence async for event in await runner.watch_job(name, 0)]

    results = await asyncio.wait_for(asyncio.gather(*[watch(jobs[i % 4].name) for i in range(400)]), 30)
    for index, sequences in enumerate(results):
        total = (await runner.get_job(jobs[index % 4].name)).last_event_sequence
        assert sequences == list(range(1, total + 1))
    assert runner.hub.watcher_count() == 0


async def test_a_watcher_cancelled_mid_stream_leaves_no_subscription(harness):
    runner = await harness.runner()
    job = await runner.start_job("projects/p1", JobKind.FRAMES, SPEC, items=frames(2))
    stream = await runner.watch_job(job.name, 0)

    async def consume():
        async for _ in stream:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    assert runner.hub.watcher_count() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runner.hub.watcher_count() == 0
    await events_until_end(runner, job.name)
