"""Mixed load through the gateway for a fixed time, against the four real
processes started as `previs up` starts them.

Phases (all through the gateway, with API keys):

1. Mixed: ``--clients`` clients of tenant A mixing reads (GetProject,
   ListAssets, GetRevision), revision writes (CreateRevision), frame-job
   starts (GenerateFrames, local renderer) and watches of those jobs
   (WatchJob to the end) for ``--seconds``. Prints requests/s, p50/p99 per
   method, errors by code (rate limits counted apart as deliberate), and
   the RSS of every process at start and end (sampled every
   ``--rss-every`` seconds; the soak prints the slope).
2. Tenant isolation: tenant A's steady readers alone (baseline p99), then
   the same readers while tenant B bursts (``--burst-clients`` clients
   calling as fast as they can from their own process, on B's own key and
   limits); prints A's p99 ratio (target <= 1.2) and how many of B's calls
   were rate-limited.
3. ``--idle-watch SECONDS``: instead of 1-2, one WatchJob through the
   gateway on a video job that stays running (a fake Replicate prediction
   that never finishes; at most 780 s, under the 15-minute bound media puts
   on one video prediction) for that long; then the job is
   cancelled and the stream must deliver the cancellation and end cleanly.

Usage:
  python bench/load.py                       # ~60 s mixed + 2 x 15 s isolation
  python bench/load.py --soak                # 30-minute mixed soak (RSS trend)
  python bench/load.py --idle-watch 600      # 10-minute idle WatchJob
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import random
import socket
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import grpc
import psutil
from google.protobuf import any_pb2, struct_pb2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.api_keys import ApiKey, write_keys_file  # noqa: E402
from previs.media.v1 import media_pb2, media_service_pb2, media_service_pb2_grpc  # noqa: E402
from previs.planner.v1 import planner_pb2, planner_service_pb2, planner_service_pb2_grpc  # noqa: E402
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb, storage_service_pb2_grpc as sgrpc  # noqa: E402
from previs_cli.local_suite import DEV_KEY_FILE, KEYS_FILE, start_suite  # noqa: E402
from previs_cli.supervisor import Supervisor  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "previs_cli" / "examples" / "the_lighthouse_keeper.fountain"
KEYS_PER_TENANT_A = 8  # the mixed clients spread over several keys of tenant A so the per-key limit is not what is measured
TERMINAL = {media_pb2.Job.STATE_SUCCEEDED, media_pb2.Job.STATE_FAILED, media_pb2.Job.STATE_CANCELLED}


def _md(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


class Recorder:
    """Latencies per method and outcomes per code."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.codes: collections.Counter[tuple[str, str]] = collections.Counter()
        self.timeline: list[tuple[float, float]] = []  # (monotonic start, latency) of every call

    async def timed(self, method: str, call):
        began = time.monotonic()
        started = time.perf_counter()
        try:
            result = await call
            self.codes[(method, "OK")] += 1
            return result
        except grpc.aio.AioRpcError as error:
            self.codes[(method, error.code().name)] += 1
            return None
        finally:
            latency = time.perf_counter() - started
            self.latencies[method].append(latency)
            self.timeline.append((began, latency))

    def errors(self) -> tuple[int, int, dict]:
        errors = {k: v for k, v in self.codes.items() if k[1] != "OK"}
        limited = sum(v for (_m, c), v in errors.items() if c == "RESOURCE_EXHAUSTED")
        return sum(errors.values()) - limited, limited, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(len(ordered) * fraction)) - 1))] if ordered else float("nan")


class RssSampler:
    """RSS (MiB) of every process, sampled periodically."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.samples: list[tuple[float, dict[str, float]]] = []

    def sample(self) -> dict[str, float]:
        now = {name: psutil.Process(pid).memory_info().rss / 2**20 for name, pid in self.pids.items()}
        self.samples.append((time.monotonic(), now))
        return now

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), every)
            except asyncio.TimeoutError:
                pass

    def report(self) -> None:
        first_t, first = self.samples[0]
        last_t, last = self.samples[-1]
        for name in first:
            values = [(t - first_t, s[name]) for t, s in self.samples]
            slope = _slope(values) * 60
            peak = max(v for _, v in values)
            print(
                f"RSS {name:8} start {first[name]:7.1f} MiB  end {last[name]:7.1f} MiB  peak {peak:7.1f} MiB  "
                f"trend {slope:+.2f} MiB/min over {len(values)} samples"
            )


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope (per second); 0 for fewer than two points."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var if var else 0.0


async def _setup(channel, metadata):
    storage = sgrpc.StorageServiceStub(channel)
    planner = planner_service_pb2_grpc.PlannerServiceStub(channel)
    project = await storage.CreateProject(spb.CreateProjectRequest(project=storage_pb2.Project(title="load")), metadata=metadata)
    script = await planner.CreateScript(
        planner_service_pb2.CreateScriptRequest(parent=project.name, script=planner_pb2.Script(title="load", content=EXAMPLE.read_text())),
        metadata=metadata,
    )
    plan = await planner.GeneratePlan(
        planner_service_pb2.GeneratePlanRequest(parent=project.name, screenplay=planner_pb2.ScreenplayBrief(script_revision=script.revision)),
        metadata=metadata,
    )
    shots = await planner.GenerateShotPlan(planner_service_pb2.GenerateShotPlanRequest(plan_revision=plan.revision), metadata=metadata)
    return project.name, shots.shot_plan


async def _mixed_client(index: int, channel, key: str, project: str, shot_plan, stop_at: float, recorder: Recorder, jobs_every: float):
    metadata = _md(key)
    storage = sgrpc.StorageServiceStub(channel)
    media = media_service_pb2_grpc.MediaServiceStub(channel)
    asset = await recorder.timed(
        "CreateAsset",
        storage.CreateAsset(spb.CreateAssetRequest(parent=project, asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_UPLOAD)), metadata=metadata),
    )
    last_revision = None
    next_job = time.monotonic() + random.uniform(0, jobs_every)
    payload = any_pb2.Any()
    payload.Pack(struct_pb2.Struct(fields={"client": struct_pb2.Value(number_value=index)}))
    while time.monotonic() < stop_at:
        roll = random.random()
        if asset is not None and roll < 0.3:
            made = await recorder.timed(
                "CreateRevision",
                storage.CreateRevision(spb.CreateRevisionRequest(parent=asset.name, revision=storage_pb2.Revision(payload=payload)), metadata=metadata),
            )
            last_revision = made.name if made is not None else last_revision
        elif roll < 0.5:
            await recorder.timed("GetProject", storage.GetProject(spb.GetProjectRequest(name=project), metadata=metadata))
        elif roll < 0.7 and last_revision:
            await recorder.timed("GetRevision", storage.GetRevision(spb.GetRevisionRequest(name=last_revision), metadata=metadata))
        else:
            await recorder.timed("ListAssets", storage.ListAssets(spb.ListAssetsRequest(parent=project, page_size=20), metadata=metadata))
        if time.monotonic() >= next_job:
            next_job = time.monotonic() + jobs_every
            await _job_and_watch(media, metadata, project, shot_plan, recorder)


async def _job_and_watch(media, metadata, project: str, shot_plan, recorder: Recorder) -> None:
    shot = random.choice(shot_plan.shots)
    spec = media_pb2.FramesSpec(
        shot_plan_revision=shot_plan.revision,
        scope=media_pb2.FramesScope(type=media_pb2.FramesScope.TYPE_SHOT, shot_id=shot.id),
        backend=media_pb2.BACKEND_LOCAL,
    )
    job = await recorder.timed(
        "GenerateFrames", media.GenerateFrames(media_service_pb2.GenerateFramesRequest(parent=project, spec=spec), metadata=metadata)
    )
    if job is None:
        return

    async def watch():
        async for _event in media.WatchJob(media_service_pb2.WatchJobRequest(name=job.name), metadata=metadata):
            pass

    await recorder.timed("WatchJob", watch())


def _report(title: str, recorder: Recorder, seconds: float) -> None:
    total = sum(len(v) for v in recorder.latencies.values())
    print(f"\n== {title}: {total} requests in {seconds:.0f}s: {total / seconds:.0f} requests/s")
    print(f"{'method':18} {'count':>7} {'p50 ms':>9} {'p99 ms':>9}")
    for method, values in sorted(recorder.latencies.items()):
        print(f"{method:18} {len(values):7d} {percentile(values, 0.5) * 1000:9.2f} {percentile(values, 0.99) * 1000:9.2f}")
    other, limited, errors = recorder.errors()
    print(f"errors: {other} (plus {limited} deliberate rate limits) {dict(errors) or ''}")


async def mixed(address: str, keys_a: list[str], rss: RssSampler, args) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        project, shot_plan = await _setup(channel, _md(keys_a[0]))
        recorder = Recorder()
        stop = asyncio.Event()
        sampler = asyncio.create_task(rss.run(args.rss_every, stop))
        started = time.monotonic()
        stop_at = started + args.seconds
        await asyncio.gather(
            *(
                _mixed_client(i, channel, keys_a[i % len(keys_a)], project, shot_plan, stop_at, recorder, args.jobs_every)
                for i in range(args.clients)
            )
        )
        stop.set()
        await sampler
        _report(f"mixed load, {args.clients} clients", recorder, time.monotonic() - started)
        rss.report()
        return recorder.errors()[0]


async def _reader(channel, key: str, project: str, stop_at: float, recorder: Recorder, pause: float) -> None:
    storage = sgrpc.StorageServiceStub(channel)
    while time.monotonic() < stop_at:
        await recorder.timed("GetProject", storage.GetProject(spb.GetProjectRequest(name=project), metadata=_md(key)))
        await recorder.timed("ListAssets", storage.ListAssets(spb.ListAssetsRequest(parent=project, page_size=20), metadata=_md(key)))
        if pause:
            await asyncio.sleep(pause)


async def _burst(address: str, key: str, project: str, clients: int, seconds: float, ready) -> Recorder:
    recorder = Recorder()
    async with grpc.aio.insecure_channel(address) as channel:
        await channel.channel_ready()
        ready.put("ready")
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(_reader(channel, key, project, stop_at, recorder, 0.0) for _ in range(clients)))
    return recorder


def _burst_process(address: str, key: str, project: str, clients: int, seconds: float, nice: int, ready, results) -> None:
    """Tenant B's burst, from its own process as another tenant's clients
    would be (in the bench process it would also slow A's own event loop,
    which is not what isolation is about). ``nice`` lowers its CPU priority,
    standing for clients on machines of their own: on this 2-core machine
    B's 64 clients otherwise take CPU from the servers and from A's clients,
    which no server-side isolation can give back."""
    if nice:
        os.nice(nice)
    results.put(asyncio.run(_burst(address, key, project, clients, seconds, ready)))


async def isolation(address: str, key_a: str, key_b: str, args) -> float:
    """Tenant A's p99 alone and during tenant B's burst."""
    async with grpc.aio.insecure_channel(address) as channel_a:
        storage = sgrpc.StorageServiceStub(channel_a)
        project_a = (await storage.CreateProject(spb.CreateProjectRequest(project=storage_pb2.Project(title="steady")), metadata=_md(key_a))).name
        project_b = (await storage.CreateProject(spb.CreateProjectRequest(project=storage_pb2.Project(title="burst")), metadata=_md(key_b))).name

        async def steady() -> Recorder:
            recorder = Recorder()
            stop_at = time.monotonic() + args.burst_seconds
            await asyncio.gather(
                *(_reader(channel_a, key_a, project_a, stop_at, recorder, args.steady_pause) for _ in range(args.steady_clients))
            )
            return recorder

        baseline_started = time.monotonic()
        baseline = await steady()
        context = multiprocessing.get_context("spawn")
        ready, results = context.Queue(), context.Queue()
        bursting = context.Process(
            target=_burst_process,
            args=(address, key_b, project_b, args.burst_clients, args.burst_seconds + 1.0, args.burst_nice, ready, results),
        )
        bursting.start()
        await asyncio.to_thread(ready.get, True, 60)  # B starts calling now
        burst_started = time.monotonic()
        during = await steady()
        burst = await asyncio.to_thread(results.get, True, 60)
        bursting.join()
    a_base = percentile([v for vs in baseline.latencies.values() for v in vs], 0.99)
    a_burst = percentile([v for vs in during.latencies.values() for v in vs], 0.99)
    _report("tenant A alone (baseline)", baseline, args.burst_seconds)
    _report("tenant A during tenant B's burst", during, args.burst_seconds)
    _report(f"tenant B's burst ({args.burst_clients} clients)", burst, args.burst_seconds)
    ratio = a_burst / a_base
    print(f"\ntenant A p99: alone {a_base * 1000:.2f} ms, during B's burst {a_burst * 1000:.2f} ms: ratio {ratio:.2f} (target <= 1.2)")
    # Where the tail is: a burst's first seconds (B spending banked tokens,
    # connections warming) or its steady part.
    for phase, recorder, began in (("alone", baseline, baseline_started), ("during B's burst", during, burst_started)):
        for label, early in (("first 3 s", True), ("after them", False)):
            part = [latency for started, latency in recorder.timeline if (started < began + 3) == early]
            if part:
                p99 = percentile(part, 0.99)
                print(f"  {phase}, {label}: {len(part)} calls, p99 {p99 * 1000:.2f} ms, ratio {p99 / a_base:.2f}")
    return ratio


async def idle_watch(address: str, key: str, seconds: float) -> bool:
    """One WatchJob on a job with no events for ``seconds``; True when the
    stream stayed open and then delivered the cancellation and ended."""
    metadata = _md(key)
    async with grpc.aio.insecure_channel(address) as channel:
        storage = sgrpc.StorageServiceStub(channel)
        media = media_service_pb2_grpc.MediaServiceStub(channel)
        project = await storage.CreateProject(spb.CreateProjectRequest(project=storage_pb2.Project(title="idle")), metadata=metadata)
        # A video: its bound on one prediction (15 minutes) is above the
        # idle time, where an image's (5 minutes) is not.
        job = await media.GenerateVideo(
            media_service_pb2.GenerateVideoRequest(
                parent=project.name, spec=media_pb2.VideoSpec(prompt="a lighthouse at dusk", backend=media_pb2.BACKEND_REPLICATE)
            ),
            metadata=metadata,
        )
        call = media.WatchJob(media_service_pb2.WatchJobRequest(name=job.name), metadata=metadata)
        events: list = []
        started = time.monotonic()

        async def read_all():
            async for event in call:
                events.append((time.monotonic() - started, event))

        reader = asyncio.create_task(read_all())
        await asyncio.sleep(seconds)
        open_after = not reader.done()
        quiet = [t for t, _ in events if t > 5.0]
        state = (await media.GetJob(media_service_pb2.GetJobRequest(name=job.name), metadata=metadata)).state
        await media.CancelJob(media_service_pb2.CancelJobRequest(name=job.name), metadata=metadata)
        try:
            await asyncio.wait_for(reader, 60)
            ended = "ended cleanly"
        except grpc.aio.AioRpcError as error:
            ended = f"ended with {error.code().name}: {error.details()}"
        except asyncio.TimeoutError:
            ended = "did not end within 60 s of the cancel"
        print(
            f"\n== idle WatchJob through the gateway: {seconds:.0f} s; stream open at the end: {open_after}; "
            f"job {media_pb2.Job.State.Name(state)}; events {len(events)} ({len(quiet)} after the first 5 s); "
            f"after CancelJob the stream {ended}"
        )
        states = [e.state_change.state for _, e in events if e.WhichOneof("event") == "state_change"]
        cancelled = bool(states) and states[-1] == media_pb2.Job.STATE_CANCELLED
        print(f"   last state event: {media_pb2.Job.State.Name(states[-1]) if states else 'none'}")
        return open_after and ended == "ended cleanly" and cancelled


def _keys(data_dir: Path) -> tuple[list[str], str]:
    """Keys of tenant A (several) and tenant B, written where `previs up`
    looks for them (the first A key doubles as the development key)."""
    keys_a = [f"pvk_load_a_{i}_{os.urandom(8).hex()}" for i in range(KEYS_PER_TENANT_A)]
    key_b = f"pvk_load_b_{os.urandom(8).hex()}"
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = [(ApiKey(f"a{i}", "tenant-a", "load"), key) for i, key in enumerate(keys_a)]
    entries.append((ApiKey("b", "tenant-b", "burst"), key_b))
    write_keys_file(data_dir / KEYS_FILE, entries)
    (data_dir / DEV_KEY_FILE).write_text(keys_a[0] + "\n")
    return keys_a, key_b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the mixed phase")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--jobs-every", type=float, default=2.0, help="seconds between frame jobs per client")
    parser.add_argument("--rss-every", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--soak", action="store_true", help="30-minute mixed soak (sets --seconds 1800, --rss-every 60)")
    parser.add_argument("--burst-seconds", type=float, default=15.0, help="length of each isolation phase; 0 skips them")
    parser.add_argument("--steady-clients", type=int, default=4)
    parser.add_argument("--steady-pause", type=float, default=0.05, help="pause between a steady reader's calls")
    parser.add_argument("--burst-clients", type=int, default=64)
    parser.add_argument(
        "--burst-nice", type=int, default=0, help="niceness of tenant B's client process (19: as if on its own machine)"
    )
    parser.add_argument("--idle-watch", type=float, default=0.0, metavar="SECONDS", help="only run the idle WatchJob check")
    args = parser.parse_args()
    if args.soak:
        args.seconds, args.rss_every = 1800.0, 60.0
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        data_dir = Path(scratch) / "data"
        keys_a, key_b = _keys(data_dir)
        if args.idle_watch:
            from tests.fakes.replicate_server import VEO_MODEL, FakeReplicate, PredictionScript

            fake = stack.enter_context(FakeReplicate())
            fake.script(VEO_MODEL, PredictionScript(outcome="never", progress=(0,)))
            os.environ["PREVIS_MEDIA_REPLICATE_API_TOKEN"] = fake.api_token
            os.environ["PREVIS_MEDIA_REPLICATE_BASE_URL"] = fake.base_url
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        supervisor = Supervisor(Path(scratch) / "run")
        try:
            addresses = start_suite(supervisor, data_dir, port)
            pids = {child.name: child.process.pid for child in supervisor.children}
            if args.idle_watch:
                ok = asyncio.run(idle_watch(addresses.gateway, keys_a[0], args.idle_watch))
                return 0 if ok else 1
            rss = RssSampler(pids)
            errors = asyncio.run(mixed(addresses.gateway, keys_a, rss, args))
            if args.burst_seconds > 0:
                asyncio.run(isolation(addresses.gateway, keys_a[0], key_b, args))
            exited = supervisor.first_exited()
            print(f"\nprocesses alive at the end: {exited is None}")
            return 0 if errors == 0 and exited is None else 1
        finally:
            supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
