"""Media job engine figures, measured in one run:

1. Orchestration efficiency: N jobs (200), all asked for at once, on a fake
   backend with fixed latency L and C slots, through the real job runner on
   SQLite (durable dispatch, progress and results): ideal time ceil(N/C)·L
   over the actual time from the first start call to the last job's end
   (target >= 0.95); the lost time split into slot gaps (a slot idle with
   work queued: the durable dispatch write) and the backend's own overrun.
2. WatchJob fan-out: one media process (a real child process, with storage
   and planner beside it) runs Replicate jobs against the fake Replicate API
   for D seconds (30) while S concurrent WatchJob streams (1,000) follow
   them: events delivered vs. the jobs' event logs (each stream must get
   its job's every event once), delivery lag p50/p99, media CPU (% of one
   core) and RSS at start, end and peak.
3. Local renderer: storyboard panels/s, clip frames/s and the time to
   render the animatic of a 30-shot storyboard (bench/media_render.py).

Usage:
    python bench/media_jobs.py [--jobs 200 --slots 10 --latency 0.5]
        [--streams 1000 --watch-seconds 30 --watch-jobs 20] [--skip watch,render] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import grpc  # noqa: E402

from previs.media.v1 import media_pb2, media_service_pb2 as media_api, media_service_pb2_grpc  # noqa: E402
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_api, storage_service_pb2_grpc  # noqa: E402
from previs_cli.supervisor import Supervisor  # noqa: E402
from services.media.backends.base import ImageRequest  # noqa: E402
from services.media.jobs import ItemPlan, JobKind, JobState, SpecEcho  # noqa: E402
from tests.fakes.replicate_server import IMAGEN_MODEL, FakeReplicate, PredictionScript  # noqa: E402
from tests.media.job_doubles import Cloud, FakeBackend, Harness, fast_options  # noqa: E402

TOKEN = "bench-internal-token"
METADATA = (("x-previs-internal-token", TOKEN), ("x-previs-principal", "bench"), ("x-previs-tenant", "bench"))


# --------------------------------------------------------------------------- 1. efficiency
class TimedBackend(FakeBackend):
    """Notes when each call starts and ends, to split the lost time into the
    engine's (a slot idle between two jobs) and the backend's own overrun."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.spans: list[tuple[float, float]] = []

    async def generate_image(self, request, out_dir, progress, started):
        began = time.perf_counter()
        try:
            return await super().generate_image(request, out_dir, progress, started)
        finally:
            self.spans.append((began, time.perf_counter()))


async def bench_efficiency(jobs: int, slots: int, latency: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="previs-bench-jobs-") as scratch:
        tmp = Path(scratch)
        backend = TimedBackend("primary", Cloud(), latency=latency, steps=4)
        options = fast_options(tmp, image_backends=("primary",), slots_per_backend=slots, item_parallelism=1,
                               progress_interval_seconds=0.5)
        harness = Harness(tmp, {"primary": backend}, options)
        runner = await harness.runner()
        try:
            began = time.perf_counter()
            # Every job asked for at once, as by that many clients (group
            # commit batches their writes); the clock runs from the first call.
            started = await asyncio.gather(*(
                runner.start_job("projects/p1", JobKind.IMAGE, SpecEcho("image", b""),
                                 items=[ItemPlan("output", ImageRequest(prompt=f"job {index}"))])
                for index in range(jobs)
            ))
            submitted = time.perf_counter() - began
            while runner.active_jobs():
                await asyncio.sleep(0.005)
            actual = time.perf_counter() - began
            states = [(await runner.get_job(job.name)).state for job in started]
        finally:
            await harness.close()
    ideal = math.ceil(jobs / slots) * latency
    # Slot gaps: sort the calls by start; the k-th call after the first
    # wave starts when some earlier call ended: the gap to the latest end
    # before it is time a slot stood idle with work queued.
    spans = sorted(backend.spans)
    ends = sorted(end for _, end in spans)
    gaps = []
    for index, (began, _) in enumerate(spans[slots:], start=slots):
        freed = ends[index - slots]
        gaps.append(max(began - freed, 0.0))
    return {
        "jobs": jobs, "slots": slots, "latency_s": latency, "ideal_s": round(ideal, 3), "actual_s": round(actual, 3),
        "efficiency": round(ideal / actual, 3), "submit_s": round(submitted, 3),
        "succeeded": sum(state is JobState.SUCCEEDED for state in states), "peak_in_flight": backend.peak_in_flight,
        "upstream_creates": backend.creates,
        "call_seconds_mean": round(statistics.mean(end - began for began, end in spans), 4),
        "slot_gap_ms_mean": round(1000 * statistics.mean(gaps), 2) if gaps else 0.0,
        "slot_gap_ms_p99": round(1000 * sorted(gaps)[int(len(gaps) * 0.99)], 2) if gaps else 0.0,
    }


# --------------------------------------------------------------------------- 2. watch fan-out
def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_memory_mib(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


async def _follow(address: str, name: str, lags: list[float], stop: float) -> tuple[list[int], int]:
    """Follows one job to its end; the lag of live events (made after the
    stream opened; replayed ones are not lag) goes to ``lags``."""
    sequences: list[int] = []
    errors = 0
    opened = time.time()
    async with grpc.aio.insecure_channel(address) as channel:
        stub = media_service_pb2_grpc.MediaServiceStub(channel)
        try:
            async for event in stub.WatchJob(media_api.WatchJobRequest(name=name), metadata=METADATA,
                                             timeout=stop - time.time() + 60):
                made = event.time.ToMicroseconds() / 1e6
                if made >= opened:
                    lags.append(time.time() - made)
                sequences.append(event.sequence)
                if event.HasField("completed"):
                    break
        except grpc.aio.AioRpcError:
            errors += 1
    return sequences, errors


async def bench_watch(streams: int, seconds: float, watch_jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="previs-bench-watch-") as scratch, FakeReplicate() as fake:
        data = Path(scratch)
        steps = 100
        fake.script(IMAGEN_MODEL, PredictionScript(advance="time", tick_seconds=seconds / (steps + 2),
                                                   progress=tuple(range(0, 101, 100 // steps))))
        common = {"INTERNAL_TOKEN": TOKEN, "PORT": "0", "METRICS_PORT": "-1", "LOG_FORMAT": "text",
                  "LOG_LEVEL": "WARNING"}

        def env(prefix: str, **values: str) -> dict[str, str]:
            return {f"PREVIS_{prefix}_{key}": value for key, value in {**common, **values}.items()}

        supervisor = Supervisor(data / "run")
        try:
            storage = supervisor.start("storage", "services.storage", env("STORAGE", DATA_DIR=str(data)))
            planner = supervisor.start("planner", "services.planner", env("PLANNER", STORAGE_TARGET=storage.address))
            media = supervisor.start("media", "services.media", env(
                "MEDIA", DATA_DIR=str(data / "media"), STORAGE_TARGET=storage.address, PLANNER_TARGET=planner.address,
                REPLICATE_API_TOKEN=fake.api_token, REPLICATE_BASE_URL=fake.base_url,
                REPLICATE_POLL_INTERVAL_SECONDS="0.2", REPLICATE_MAX_POLL_INTERVAL_SECONDS="0.2",
                MAX_CONCURRENT_JOBS_PER_BACKEND=str(watch_jobs), PROGRESS_EVENT_INTERVAL_SECONDS="0.2",
                JOB_TIMEOUT_SECONDS=str(seconds * 4 + 60),
            ))
            pid = media.process.pid
            async with grpc.aio.insecure_channel(storage.address) as channel:
                project = await storage_service_pb2_grpc.StorageServiceStub(channel).CreateProject(
                    storage_api.CreateProjectRequest(project=storage_pb2.Project(title="watch bench", owner="bench")),
                    metadata=METADATA, timeout=30)
            rss_start, _ = _proc_memory_mib(pid)
            cpu_start, wall_start = _proc_cpu_seconds(pid), time.perf_counter()
            async with grpc.aio.insecure_channel(media.address) as channel:
                stub = media_service_pb2_grpc.MediaServiceStub(channel)
                names = [(await stub.GenerateImage(media_api.GenerateImageRequest(
                    parent=project.name, spec=media_pb2.ImageSpec(prompt=f"watched job {index}",
                                                                   backend=media_pb2.BACKEND_REPLICATE)),
                    metadata=METADATA, timeout=30)).name for index in range(watch_jobs)]
            lags: list[float] = []
            stop = time.time() + seconds
            followers = []
            for index in range(streams):
                followers.append(asyncio.create_task(_follow(media.address, names[index % watch_jobs], lags, stop)))
                if index % 100 == 99:
                    await asyncio.sleep(0.01)
            results = await asyncio.gather(*followers)
            wall = time.perf_counter() - wall_start
            cpu = _proc_cpu_seconds(pid) - cpu_start
            rss_end, rss_peak = _proc_memory_mib(pid)
            async with grpc.aio.insecure_channel(media.address) as channel:
                stub = media_service_pb2_grpc.MediaServiceStub(channel)
                jobs = {name: await stub.GetJob(media_api.GetJobRequest(name=name), metadata=METADATA, timeout=30)
                        for name in names}
        finally:
            supervisor.stop_all(grace_seconds=10)
    expected = missing = duplicated = 0
    for index, (sequences, _) in enumerate(results):
        job = jobs[names[index % watch_jobs]]
        expected += job.last_event_sequence
        missing += len(set(range(1, job.last_event_sequence + 1)) - set(sequences))
        duplicated += len(sequences) - len(set(sequences))
    lags.sort()
    return {
        "streams": streams, "jobs": watch_jobs, "wall_s": round(wall, 1),
        "jobs_succeeded": sum(job.state == media_pb2.Job.STATE_SUCCEEDED for job in jobs.values()),
        "events_expected": expected, "events_delivered": sum(len(s) for s, _ in results),
        "events_missing": missing, "events_duplicated": duplicated,
        "stream_errors": sum(errors for _, errors in results),
        "lag_p50_ms": round(lags[len(lags) // 2] * 1000, 1) if lags else None,
        "lag_p99_ms": round(lags[int(len(lags) * 0.99)] * 1000, 1) if lags else None,
        "media_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "media_rss_mib": {"start": rss_start, "end": rss_end, "peak": rss_peak},
    }


# --------------------------------------------------------------------------- 3. local renderer
async def bench_render(shots: int, seconds: float) -> dict:
    import media_render
    from services.media.backends.local import LocalBackend
    from services.media.config.defaults import load_media_defaults

    defaults = load_media_defaults()
    backend = LocalBackend()
    with tempfile.TemporaryDirectory(prefix="previs-bench-render-") as scratch:
        out = Path(scratch)
        specs = media_render.storyboard(shots, seconds)
        panels, paths = await media_render.bench_panels(backend, specs, out / "panels")
        clips = await media_render.bench_clips(backend, out / "clips", 4)
        animatic = media_render.bench_animatic(paths, specs, out, defaults.animatic.x264_preset, defaults.animatic.fps,
                                               defaults.animatic.crf, defaults.animatic.resolution)
    return {
        "panels_per_second": panels["panels_per_second"],
        "clip_frames_per_second_median": statistics.median(clip["frames_per_second"] for clip in clips),
        "animatic": {k: animatic[k] for k in ("shots", "frames", "video_seconds", "size", "seconds",
                                               "frames_per_second", "realtime_factor")},
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds each fake job takes upstream")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--watch-seconds", type=float, default=30.0)
    parser.add_argument("--watch-jobs", type=int, default=20)
    parser.add_argument("--shots", type=int, default=30)
    parser.add_argument("--shot-seconds", type=float, default=3.0)
    parser.add_argument("--skip", default="", help="comma-separated: efficiency, watch, render")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    report: dict = {"cpus": os.cpu_count(), "load_average_before": [round(v, 2) for v in os.getloadavg()]}
    if "efficiency" not in skip:
        report["efficiency"] = await bench_efficiency(args.jobs, args.slots, args.latency)
        print(json.dumps({"efficiency": report["efficiency"]}), flush=True)
    if "watch" not in skip:
        report["watch"] = await bench_watch(args.streams, args.watch_seconds, args.watch_jobs)
        print(json.dumps({"watch": report["watch"]}), flush=True)
    if "render" not in skip:
        report["render"] = await bench_render(args.shots, args.shot_seconds)
        print(json.dumps({"render": report["render"]}), flush=True)
    report["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    asyncio.run(main())
