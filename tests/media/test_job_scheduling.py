"""200 jobs on one backend with fixed latency L and C slots finish in close to
ceil(200/C)·L: asserted here through the scheduling itself, without timing
(bench/media_jobs.py measures the time): never more than C in flight, all C
slots used, a queued job starts only when a running one has freed its slot,
jobs start in the order they were queued, and each makes exactly one
upstream create."""

from __future__ import annotations

import asyncio

from services.media.backends.base import ImageRequest
from services.media.jobs import ItemPlan, JobKind, JobState, SpecEcho
from tests.media.job_doubles import Cloud, FakeBackend, Harness, events_until_end, fast_options

JOBS = 200
SLOTS = 8
LATENCY = 0.02


class LoggingBackend(FakeBackend):
    """Writes ``("start", prompt)`` and ``("end", prompt)`` in the order they
    happen (one event loop, so the order is exact). Work waits for
    ``open`` so that every job is queued before the first one can finish."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[str, str]] = []
        self.open = asyncio.Event()

    async def generate_image(self, request, out_dir, progress, started):
        self.log.append(("start", request.prompt))
        try:
            await self.open.wait()
            return await super().generate_image(request, out_dir, progress, started)
        finally:
            self.log.append(("end", request.prompt))


async def test_jobs_fill_every_slot_and_start_as_slots_free(tmp_path):
    backend = LoggingBackend("primary", Cloud(), latency=LATENCY, steps=1)
    options = fast_options(tmp_path, image_backends=("primary",), slots_per_backend=SLOTS)
    harness = Harness(tmp_path, {"primary": backend}, options)
    try:
        runner = await harness.runner()
        jobs = [
            await runner.start_job("projects/p1", JobKind.IMAGE, SpecEcho("image", b""),
                                   items=[ItemPlan("output", ImageRequest(prompt=f"job {index:03d}"))])
            for index in range(JOBS)
        ]
        backend.open.set()
        for job in jobs:
            await events_until_end(runner, job.name, timeout=60)
        states = [(await runner.get_job(job.name)).state for job in jobs]
    finally:
        await harness.close()

    assert states == [JobState.SUCCEEDED] * JOBS
    assert backend.creates == JOBS and len(backend.cloud.predictions) == JOBS
    assert backend.peak_in_flight == SLOTS  # bounded, and every slot was used
    in_flight = starts = ends = 0
    for kind, _ in backend.log:
        if kind == "start":
            starts += 1
            in_flight += 1
            assert in_flight <= SLOTS
            assert starts <= ends + SLOTS  # a queued job waits for a freed slot
        else:
            ends += 1
            in_flight -= 1
    started = [prompt for kind, prompt in backend.log if kind == "start"]
    assert started == [f"job {index:03d}" for index in range(JOBS)]  # first queued, first started
    # The first SLOTS jobs start before any ends, and every end while jobs
    # are still queued is answered by a start before SLOTS more ends: no
    # slot stays idle for a wave, so there are ceil(JOBS/SLOTS) waves.
    assert [kind for kind, _ in backend.log[:SLOTS]] == ["start"] * SLOTS
    waiting = JOBS - SLOTS
    for position, (kind, _) in enumerate(backend.log):
        if kind == "end" and waiting > 0:
            following = backend.log[position + 1:]
            next_start = next(i for i, (k, _) in enumerate(following) if k == "start")
            assert sum(1 for k, _ in following[:next_start] if k == "end") < SLOTS
        elif kind == "start" and position >= SLOTS:
            waiting -= 1
