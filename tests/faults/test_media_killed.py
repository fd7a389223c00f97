"""SIGKILL the media process with jobs in flight on the local renderer and on
Replicate (the fake Replicate API, in this test process, outlives media),
restart it on the same data, and check:

- every job ends: SUCCEEDED, or FAILED with a typed reason; zero stay
  QUEUED or RUNNING;
- zero duplicate upstream creates: the fake counts the creates of each
  job's prompt (a re-attached job polls its prediction again);
- every WatchJob stream, resumed from the last sequence number it saw on a
  new connection after each restart, sees every event of its job exactly
  once (1..last, no gap, no repeat), ending with ``completed``.

Real processes (storage, planner, media), real SIGKILL. The default run is
small (8 jobs, one kill); ``PREVIS_LONG_TESTS=1`` runs 50 jobs in flight and
kills media three times, and prints the figures.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2

from previs.media.v1 import media_pb2, media_service_pb2 as media_api, media_service_pb2_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_api, storage_service_pb2_grpc
from previs_cli.supervisor import Child, Supervisor
from tests.fakes.replicate_server import IMAGEN_MODEL, FakeReplicate, PredictionScript

LONG = os.environ.get("PREVIS_LONG_TESTS") == "1"
JOBS = 50 if LONG else 8
KILLS = 3 if LONG else 1
TOKEN = "media-killed-internal-token"
METADATA = (("x-previs-internal-token", TOKEN), ("x-previs-principal", "alice"), ("x-previs-tenant", "tenant-a"))
TERMINAL = {media_pb2.Job.STATE_SUCCEEDED, media_pb2.Job.STATE_FAILED, media_pb2.Job.STATE_CANCELLED}
END_SECONDS = 240 if LONG else 120


@dataclass
class Watch:
    """One client's view of a job: every event it received, over every
    connection it had to make."""

    job: str
    events: list[media_pb2.JobEvent] = field(default_factory=list)
    connections: int = 0
    completed: bool = False

    @property
    def last(self) -> int:
        return self.events[-1].sequence if self.events else 0


class MediaProcess:
    """The media service as a child process that can be killed and started
    again on the same data directory."""

    def __init__(self, supervisor: Supervisor, env: dict[str, str]) -> None:
        self.supervisor = supervisor
        self.env = env
        self.child: Child | None = None
        self.starts = 0

    async def start(self) -> str:
        self.starts += 1
        self.child = await asyncio.to_thread(self.supervisor.start, f"media-{self.starts}", "services.media", self.env)
        return self.child.address

    def kill(self) -> None:
        assert self.child is not None
        self.child.process.send_signal(signal.SIGKILL)
        self.child.process.wait(10)
        self.supervisor.children.remove(self.child)


async def _watch(watch: Watch, address_of, stop: asyncio.Event) -> None:
    """Follows a job to its end, reconnecting from the last sequence seen
    whenever the stream breaks (media killed)."""
    while not watch.completed and not stop.is_set():
        address = address_of()
        watch.connections += 1
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                stub = media_service_pb2_grpc.MediaServiceStub(channel)
                call = stub.WatchJob(media_api.WatchJobRequest(name=watch.job, after_sequence=watch.last),
                                     metadata=METADATA)
                async for event in call:
                    watch.events.append(event)
                    if event.HasField("completed"):
                        watch.completed = True
                        return
        except grpc.aio.AioRpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                                    grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
                raise
        await asyncio.sleep(0.2)  # media is down or restarting


async def _start_jobs(address: str, project: str) -> list[str]:
    """Starts every job at once (so all are in flight at the first kill)."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = media_service_pb2_grpc.MediaServiceStub(channel)

        async def start(index: int) -> str:
            if index % 2 == 0:
                request = media_api.GenerateImageRequest(
                    parent=project, request_id=f"img-{index}",
                    spec=media_pb2.ImageSpec(prompt=f"job {index}: the lighthouse keeper at the lamp",
                                             backend=media_pb2.BACKEND_REPLICATE),
                )
                job = await stub.GenerateImage(request, metadata=METADATA, timeout=30)
            else:
                request = media_api.GenerateVideoRequest(
                    parent=project, request_id=f"clip-{index}",
                    spec=media_pb2.VideoSpec(prompt=f"job {index}: waves against the rocks",
                                             duration=duration_pb2.Duration(seconds=4 if LONG else 2),
                                             backend=media_pb2.BACKEND_LOCAL),
                )
                job = await stub.GenerateVideo(request, metadata=METADATA, timeout=30)
            return job.name

        return list(await asyncio.gather(*(start(index) for index in range(JOBS))))


async def _jobs(address: str, names: list[str]) -> list[media_pb2.Job]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = media_service_pb2_grpc.MediaServiceStub(channel)
        return [await stub.GetJob(media_api.GetJobRequest(name=name), metadata=METADATA, timeout=30) for name in names]


@pytest.fixture
def supervisor(tmp_path):
    built = Supervisor(tmp_path / "run")
    yield built
    built.stop_all(grace_seconds=10)


async def test_media_killed_mid_jobs_re_attaches_and_loses_nothing(tmp_path: Path, supervisor: Supervisor) -> None:
    rng = random.Random(7)
    data = tmp_path / "data"
    common = {"INTERNAL_TOKEN": TOKEN, "PORT": "0", "METRICS_PORT": "-1", "LOG_FORMAT": "text", "LOG_LEVEL": "WARNING"}

    def env(prefix: str, **values: str) -> dict[str, str]:
        return {f"PREVIS_{prefix}_{key}": value for key, value in {**common, **values}.items()}

    with FakeReplicate() as fake:
        # Each prediction takes about 3 s (long run: 11 s) of wall time,
        # whether polled or not.
        fake.script(IMAGEN_MODEL, PredictionScript(advance="time", tick_seconds=0.5 if LONG else 0.25,
                                                   progress=tuple(range(0, 101, 5 if LONG else 10))))
        storage = await asyncio.to_thread(supervisor.start, "storage", "services.storage",
                                          env("STORAGE", DATA_DIR=str(data)))
        planner = await asyncio.to_thread(supervisor.start, "planner", "services.planner",
                                          env("PLANNER", STORAGE_TARGET=storage.address))
        media = MediaProcess(supervisor, env(
            "MEDIA", DATA_DIR=str(data / "media"), STORAGE_TARGET=storage.address, PLANNER_TARGET=planner.address,
            REPLICATE_API_TOKEN=fake.api_token, REPLICATE_BASE_URL=fake.base_url,
            REPLICATE_POLL_INTERVAL_SECONDS="0.1", REPLICATE_MAX_POLL_INTERVAL_SECONDS="0.3",
            MAX_CONCURRENT_JOBS_PER_BACKEND=str(JOBS), BACKEND_CONCURRENCY='{"local": 1}',
            PROGRESS_EVENT_INTERVAL_SECONDS="0.1", WATCH_POLL_SECONDS="1", JOB_TIMEOUT_SECONDS="600",
        ))
        address = await media.start()
        async with grpc.aio.insecure_channel(storage.address) as channel:
            project = await storage_service_pb2_grpc.StorageServiceStub(channel).CreateProject(
                storage_api.CreateProjectRequest(project=storage_pb2.Project(title="kill -9 media", owner="alice")),
                metadata=METADATA, timeout=30,
            )
        began = time.monotonic()
        names = await _start_jobs(address, project.name)
        submitted = time.monotonic() - began
        watches = [Watch(name) for name in names]
        stop = asyncio.Event()
        watchers = [asyncio.create_task(_watch(w, lambda: address, stop)) for w in watches]
        creates_at_kill = []
        in_flight_at_kill, running_at_kill = [], []
        try:
            for kill in range(KILLS):
                # Kill once the jobs are underway upstream, at a random point.
                deadline = time.monotonic() + 60
                while fake.create_count() < (JOBS + 1) // 2 and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(rng.uniform(0.3, 1.2))
                states = [job.state for job in await _jobs(address, names)]
                in_flight_at_kill.append(sum(state not in TERMINAL for state in states))
                running_at_kill.append(sum(state == media_pb2.Job.STATE_RUNNING for state in states))
                creates_at_kill.append(fake.create_count())
                media.kill()
                address = await media.start()
            await asyncio.wait_for(asyncio.gather(*watchers), END_SECONDS)
        finally:
            stop.set()
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
        jobs = await _jobs(address, names)
        seconds = time.monotonic() - began

    states = collections.Counter(media_pb2.Job.State.Name(job.state) for job in jobs)
    stuck = [job.name for job in jobs if job.state not in TERMINAL]
    failed_without_reason = [job.name for job in jobs
                             if job.state == media_pb2.Job.STATE_FAILED and not job.error.reason]
    prompts = collections.Counter(
        r.json()["input"]["prompt"] for r in fake.requests
        if r.method == "POST" and r.path == f"/v1/models/{IMAGEN_MODEL}/predictions"
    )
    duplicates = sum(count - 1 for count in prompts.values() if count > 1)
    missing = repeated = 0
    for watch, job in zip(watches, jobs):
        sequences = [event.sequence for event in watch.events]
        repeated += len(sequences) - len(set(sequences))
        missing += len(set(range(1, job.last_event_sequence + 1)) - set(sequences))
    events = sum(len(w.events) for w in watches)
    reasons = collections.Counter(
        f"{job.error.backend or '?'}: {media_pb2.JobErrorReason.Name(job.error.reason)}: {job.error.message[:120]}"
        for job in jobs if job.state == media_pb2.Job.STATE_FAILED)
    if LONG:
        print(f"\nmedia killed x{KILLS} with {in_flight_at_kill} of {JOBS} jobs unfinished ({running_at_kill} RUNNING; "
              f"replicate creates at each kill {creates_at_kill}): {dict(states)} {dict(reasons)}; stuck RUNNING/QUEUED "
              f"{len(stuck)}; duplicate upstream creates {duplicates}; watch events {events} over "
              f"{sum(w.connections for w in watches)} connections, missing {missing}, duplicated {repeated}; "
              f"{seconds:.1f}s (jobs submitted in {submitted:.1f}s)")
    assert stuck == [] and failed_without_reason == []
    assert in_flight_at_kill[0] > 0
    assert duplicates == 0 and sum(prompts.values()) == len(prompts) <= (JOBS + 1) // 2
    assert missing == 0 and repeated == 0
    assert all(w.completed and w.events[-1].HasField("completed") for w in watches)
    assert sum(w.connections for w in watches) > len(watches)  # streams were broken by the kill and resumed
    # Re-attached Replicate jobs finished with the prediction made before the kill.
    succeeded_upstream = [job for job in jobs if job.state == media_pb2.Job.STATE_SUCCEEDED and job.image.prompt]
    assert succeeded_upstream, "no Replicate job survived the kill"
