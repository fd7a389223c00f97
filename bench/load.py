"""Mixed load through the gateway for a fixed time: reads, revision writes,
frame-job starts and job watches from many concurrent clients, against the
four real processes started as `previs up` starts them.

Prints requests/s, p50/p99 per method, errors by code (deliberate rate
limits counted apart), and the RSS of every process at start and end.
Usage: python bench/load.py [--seconds 60] [--clients 32] [--jobs-every 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import socket
import sys
import tempfile
import time
from pathlib import Path

import grpc
import psutil
from google.protobuf import any_pb2, struct_pb2

from previs.media.v1 import media_pb2, media_service_pb2, media_service_pb2_grpc
from previs.planner.v1 import planner_pb2, planner_service_pb2, planner_service_pb2_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb, storage_service_pb2_grpc as sgrpc
from previs_cli.local_suite import start_suite
from previs_cli.supervisor import Supervisor

EXAMPLE = Path(__file__).resolve().parent.parent / "previs_cli" / "examples" / "the_lighthouse_keeper.fountain"


class Recorder:
    """Latencies per method and outcomes per code."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.codes: collections.Counter[tuple[str, str]] = collections.Counter()

    async def timed(self, method: str, call):
        started = time.perf_counter()
        try:
            result = await call
            self.codes[(method, "OK")] += 1
            return result
        except grpc.aio.AioRpcError as error:
            self.codes[(method, error.code().name)] += 1
            return None
        finally:
            self.latencies[method].append(time.perf_counter() - started)


async def _setup(channel, metadata):
    storage = sgrpc.StorageServiceStub(channel)
    planner = planner_service_pb2_grpc.PlannerServiceStub(channel)
    project = await storage.CreateProject(spb.CreateProjectRequest(project=storage_pb2.Project(title="load")), metadata=metadata)
    script = await planner.CreateScript(
        planner_service_pb2.CreateScriptRequest(
            parent=project.name, script=planner_pb2.Script(title="load", content=EXAMPLE.read_text())
        ),
        metadata=metadata,
    )
    plan = await planner.GeneratePlan(
        planner_service_pb2.GeneratePlanRequest(
            parent=project.name, screenplay=planner_pb2.ScreenplayBrief(script_revision=script.revision)
        ),
        metadata=metadata,
    )
    shots = await planner.GenerateShotPlan(
        planner_service_pb2.GenerateShotPlanRequest(plan_revision=plan.revision), metadata=metadata
    )
    return project.name, shots.shot_plan


async def _client(index: int, channel, metadata, project: str, shot_plan, stop_at: float, recorder: Recorder, jobs_every: float):
    storage = sgrpc.StorageServiceStub(channel)
    media = media_service_pb2_grpc.MediaServiceStub(channel)
    asset = await recorder.timed(
        "CreateAsset",
        storage.CreateAsset(
            spb.CreateAssetRequest(parent=project, asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_UPLOAD)),
            metadata=metadata,
        ),
    )
    next_job = time.monotonic() + random.uniform(0, jobs_every)
    payload = any_pb2.Any()
    payload.Pack(struct_pb2.Struct(fields={"client": struct_pb2.Value(number_value=index)}))
    while time.monotonic() < stop_at:
        roll = random.random()
        if asset is not None and roll < 0.3:
            await recorder.timed(
                "CreateRevision",
                storage.CreateRevision(
                    spb.CreateRevisionRequest(parent=asset.name, revision=storage_pb2.Revision(payload=payload)),
                    metadata=metadata,
                ),
            )
        elif roll < 0.6:
            await recorder.timed("GetProject", storage.GetProject(spb.GetProjectRequest(name=project), metadata=metadata))
        else:
            await recorder.timed(
                "ListAssets", storage.ListAssets(spb.ListAssetsRequest(parent=project, page_size=20), metadata=metadata)
            )
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


def _rss(pids: dict[str, int]) -> dict[str, float]:
    return {name: psutil.Process(pid).memory_info().rss / 2**20 for name, pid in pids.items()}


def _report(recorder: Recorder, seconds: float, rss_start, rss_end) -> None:
    total = sum(len(v) for v in recorder.latencies.values())
    print(f"{total} requests in {seconds:.0f}s: {total / seconds:.0f} requests/s")
    print(f"{'method':18} {'count':>7} {'p50 ms':>9} {'p99 ms':>9}")
    for method, values in sorted(recorder.latencies.items()):
        values.sort()
        p50, p99 = values[len(values) // 2], values[max(0, int(len(values) * 0.99) - 1)]
        print(f"{method:18} {len(values):7d} {p50 * 1000:9.2f} {p99 * 1000:9.2f}")
    errors = {k: v for k, v in recorder.codes.items() if k[1] != "OK"}
    limited = sum(v for (m, c), v in errors.items() if c == "RESOURCE_EXHAUSTED")
    print(f"errors: {sum(errors.values()) - limited} (plus {limited} deliberate rate limits) {dict(errors) or ''}")
    for name in rss_start:
        print(f"RSS {name:8} start {rss_start[name]:7.1f} MiB  end {rss_end[name]:7.1f} MiB")


async def run(address: str, api_key: str, pids: dict[str, int], args) -> None:
    metadata = (("authorization", f"Bearer {api_key}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        project, shot_plan = await _setup(channel, metadata)
        recorder = Recorder()
        rss_start = _rss(pids)
        started = time.monotonic()
        stop_at = started + args.seconds
        await asyncio.gather(
            *(_client(i, channel, metadata, project, shot_plan, stop_at, recorder, args.jobs_every) for i in range(args.clients))
        )
        elapsed = time.monotonic() - started
        _report(recorder, elapsed, rss_start, _rss(pids))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--jobs-every", type=float, default=2.0, help="seconds between frame jobs per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        supervisor = Supervisor(Path(scratch) / "run")
        try:
            addresses = start_suite(supervisor, Path(scratch) / "data", port)
            pids = {child.name: child.process.pid for child in supervisor.children}
            asyncio.run(run(addresses.gateway, addresses.api_key, pids, args))
        finally:
            supervisor.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
