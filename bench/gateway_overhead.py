"""Gateway overhead, measured in one run: unary calls/s and p50/p99 latency
with 1 and 64 calls in flight, direct to an upstream and through the gateway,
and download MB/s of a large blob direct and through the gateway.

Each server is its own process (as deployed); the client is this process.
The machine is shared, so direct and gateway rounds alternate and each ratio
is the median of the ratios of adjacent (direct, gateway) rounds; latencies
are pooled over all rounds of a side. CPU time per call of the client (this
process), the upstream and the gateway is read from /proc: on a busy shared
machine it varies less than the rates do, and explains them (at 64 in flight
every process is CPU-bound, so the ratio tends to (client + upstream) /
(client + upstream + gateway) when they share too few cores).

Usage: python bench/gateway_overhead.py [--seconds 2] [--rounds 3] [--blob-mib 256]
       [--gateway-env NAME=VALUE ...] (gateway settings to try)
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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _start(args: list[str], ready: Path, env: dict[str, str], started: list) -> tuple[int, int]:
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
    return port, process.pid


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def _unary_round(stub, in_flight: int, seconds: float, metadata) -> tuple[float, list[float]]:
    request = pb.GetProjectRequest(name="projects/bench")
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            await stub.GetProject(request, metadata=metadata)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def _download(stub, size: int, metadata) -> float:
    received = 0
    started = time.perf_counter()
    async for chunk in stub.DownloadBlob(pb.DownloadBlobRequest(name="projects/b/blobs/x", length=size), metadata=metadata):
        received += len(chunk.data)
    elapsed = time.perf_counter() - started
    assert received == size
    return size / elapsed / 1e6


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)] * 1000


class Sides:
    """A stub per side (direct, gateway), each on its own channel, and the
    processes whose CPU time is counted."""

    def __init__(self, direct: str, proxied: str, upstream_pid: int, gateway_pid: int) -> None:
        options = [("grpc.max_receive_message_length", 8 << 20)]
        self.channels = [grpc.aio.insecure_channel(a, options=options) for a in (direct, proxied)]
        self.stubs = [pb_grpc.StorageServiceStub(c) for c in self.channels]
        self.metadata = [(("x-previs-internal-token", TOKEN),), ()]
        self.pids = {"client": os.getpid(), "upstream": upstream_pid, "gateway": gateway_pid}

    def cpu(self) -> dict[str, float]:
        return {name: _cpu_seconds(pid) for name, pid in self.pids.items()}

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


def _cpu_line(label: str, spent: list[dict[str, float]], counts: list[float], scale: float, unit: str) -> str:
    cells = []
    digits = 0 if unit.startswith("us") else 2
    for name in ("client", "upstream", "gateway"):
        per = [spent[side][name] / counts[side] * scale for side in (0, 1)]
        cells.append(f"{name} {per[0]:.{digits}f}/{per[1]:.{digits}f}" if name != "gateway" else f"{name} {per[1]:.{digits}f}")
    return f"{label} ({unit}, direct/gateway): " + ", ".join(cells)


async def measure(sides: Sides, seconds: float, rounds: int, blob_mib: int) -> None:
    request = pb.GetProjectRequest(name="projects/bench")
    for stub, metadata in zip(sides.stubs, sides.metadata):
        for _ in range(300):  # warm-up
            await stub.GetProject(request, metadata=metadata)
    print(f"{'case':36} {'direct':>10} {'gateway':>10} {'ratio/diff':>11}")
    for in_flight in (1, 64):
        rates: list[list[float]] = [[], []]
        latencies: list[list[float]] = [[], []]
        spent = [dict.fromkeys(sides.pids, 0.0) for _ in (0, 1)]
        for _ in range(rounds):
            for side in (0, 1):
                before = sides.cpu()
                rate, lat = await _unary_round(sides.stubs[side], in_flight, seconds, sides.metadata[side])
                for name, seconds_now in sides.cpu().items():
                    spent[side][name] += seconds_now - before[name]
                rates[side].append(rate)
                latencies[side].extend(lat)
        ratio = statistics.median(g / d for d, g in zip(*rates))
        d_rate, g_rate = (statistics.median(r) for r in rates)
        d50, g50 = (statistics.median(lat) * 1000 for lat in latencies)
        d99, g99 = (_percentile(lat, 0.99) for lat in latencies)
        print(f"{f'unary calls/s, {in_flight} in flight':36} {d_rate:10.0f} {g_rate:10.0f} {ratio:10.2f}x")
        print(f"{f'  p50 ms, {in_flight} in flight':36} {d50:10.3f} {g50:10.3f} {g50 - d50:+11.3f}")
        print(f"{f'  p99 ms, {in_flight} in flight':36} {d99:10.3f} {g99:10.3f} {g99 - d99:+11.3f}")
        print("  " + _cpu_line("CPU", spent, [len(lat) for lat in latencies], 1e6, "us/call"))
    size = blob_mib << 20
    speeds: list[list[float]] = [[], []]
    spent = [dict.fromkeys(sides.pids, 0.0) for _ in (0, 1)]
    for _ in range(rounds):
        for side in (0, 1):
            before = sides.cpu()
            speeds[side].append(await _download(sides.stubs[side], size, sides.metadata[side]))
            for name, seconds_now in sides.cpu().items():
                spent[side][name] += seconds_now - before[name]
    ratio = statistics.median(g / d for d, g in zip(*speeds))
    d_mbs, g_mbs = (statistics.median(s) for s in speeds)
    print(f"{f'download MB/s, {blob_mib} MiB blob':36} {d_mbs:10.0f} {g_mbs:10.0f} {ratio:10.2f}x")
    print("  " + _cpu_line("CPU", spent, [rounds * blob_mib] * 2, 1e3, "ms/MiB"))


async def _measure_and_close(direct: str, proxied: str, pids: tuple[int, int], args: argparse.Namespace) -> None:
    sides = Sides(direct, proxied, *pids)
    try:
        await measure(sides, args.seconds, args.rounds, args.blob_mib)
    finally:
        await sides.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side and case")
    parser.add_argument("--blob-mib", type=int, default=256)
    parser.add_argument("--gateway-env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    started: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as scratch:
        try:
            run(Path(scratch), args, started)
        finally:
            for process in reversed(started):
                process.terminate()
                process.wait(timeout=20)
    return 0


def run(scratch_dir: Path, args: argparse.Namespace, started: list) -> None:
    upstream_port, upstream_pid = _start(
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
        **dict(item.split("=", 1) for item in args.gateway_env),
    }
    gateway_port, gateway_pid = _start(["-m", "gateway"], scratch_dir / "gw.json", gateway_env, started)
    asyncio.run(
        _measure_and_close(f"127.0.0.1:{upstream_port}", f"127.0.0.1:{gateway_port}", (upstream_pid, gateway_pid), args)
    )


if __name__ == "__main__":
    sys.exit(main())
