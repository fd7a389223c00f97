"""Gateway overhead, measured in one run: unary calls/s and p50/p99 latency
with 1 and 64 calls in flight, direct to an upstream and through the gateway,
and download MB/s of a large blob direct and through the gateway.

Each server is its own process (as deployed); the client is this process.
Usage: python bench/gateway_overhead.py [--seconds 5] [--blob-mib 256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc

from previs.storage.v1 import storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from previs_cli.supervisor import wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"


def _start(args: list[str], ready: Path, env: dict[str, str], started: list) -> int:
    process = subprocess.Popen([sys.executable, *args], env={**os.environ, **env}, cwd=ROOT)
    started.append(process)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{args} did not start")
        time.sleep(0.05)
    port = json.loads(ready.read_text())["port"]
    # Only storage has an upstream here, so ask for that service's health.
    wait_until_serving(f"127.0.0.1:{port}", 10, service="previs.storage.v1.StorageService")
    return port


async def _unary(address: str, in_flight: int, seconds: float, metadata) -> tuple[float, float, float]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.StorageServiceStub(channel)
        request = pb.GetProjectRequest(name="projects/bench")
        for _ in range(200):  # warm-up
            await stub.GetProject(request, metadata=metadata)
        latencies: list[float] = []
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                await stub.GetProject(request, metadata=metadata)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000


async def _download(address: str, size: int, metadata) -> float:
    async with grpc.aio.insecure_channel(address, options=[("grpc.max_receive_message_length", 8 << 20)]) as channel:
        stub = pb_grpc.StorageServiceStub(channel)
        received = 0
        started = time.perf_counter()
        async for chunk in stub.DownloadBlob(pb.DownloadBlobRequest(name="projects/b/blobs/x", length=size), metadata=metadata):
            received += len(chunk.data)
        elapsed = time.perf_counter() - started
    assert received == size
    return size / elapsed / 1e6


async def measure(direct: str, proxied: str, seconds: float, blob_mib: int) -> None:
    internal = (("x-previs-internal-token", TOKEN),)
    print(f"{'case':34} {'direct':>12} {'gateway':>12} {'ratio':>8}")
    for in_flight in (1, 64):
        d_rate, d_p50, d_p99 = await _unary(direct, in_flight, seconds, internal)
        g_rate, g_p50, g_p99 = await _unary(proxied, in_flight, seconds, ())
        print(f"{f'unary calls/s, {in_flight} in flight':34} {d_rate:12.0f} {g_rate:12.0f} {g_rate / d_rate:8.2f}x")
        print(f"{f'  p50 ms, {in_flight} in flight':34} {d_p50:12.3f} {g_p50:12.3f} {g_p50 - d_p50:+8.3f}")
        print(f"{f'  p99 ms, {in_flight} in flight':34} {d_p99:12.3f} {g_p99:12.3f} {g_p99 - d_p99:+8.3f}")
    size = blob_mib << 20
    d_mbs = await _download(direct, size, internal)
    g_mbs = await _download(proxied, size, ())
    print(f"{f'download MB/s, {blob_mib} MiB blob':34} {d_mbs:12.0f} {g_mbs:12.0f} {g_mbs / d_mbs:8.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--blob-mib", type=int, default=256)
    args = parser.parse_args()
    started: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        try:
            run(scratch_dir, args, started)
        finally:
            for process in reversed(started):
                process.terminate()
                process.wait(timeout=20)
    return 0


def run(scratch_dir: Path, args: argparse.Namespace, started: list) -> None:
    upstream_port = _start(
        ["bench/echo_upstream.py", str(scratch_dir / "up.json"), TOKEN], scratch_dir / "up.json", {}, started
    )
    gateway_env = {
        "PREVIS_READY_FILE": str(scratch_dir / "gw.json"),
        "PREVIS_GATEWAY_PORT": "0",
        "PREVIS_GATEWAY_METRICS_PORT": "-1",
        "PREVIS_GATEWAY_AUTH": "disabled",
        "PREVIS_GATEWAY_RATE_LIMIT_PER_SECOND": "0",
        "PREVIS_GATEWAY_STORAGE_TARGET": f"127.0.0.1:{upstream_port}",
        "PREVIS_GATEWAY_INTERNAL_TOKEN": TOKEN,
        "PREVIS_GATEWAY_LOG_LEVEL": "WARNING",
    }
    gateway_port = _start(["-m", "gateway"], scratch_dir / "gw.json", gateway_env, started)
    asyncio.run(measure(f"127.0.0.1:{upstream_port}", f"127.0.0.1:{gateway_port}", args.seconds, args.blob_mib))


if __name__ == "__main__":
    sys.exit(main())
