"""Gateway overhead, measured in one run: unary calls/s and p50/p99 latency
with 1 and 64 calls in flight, and download MB/s of a large blob, direct to
an upstream, through a bare pass-through proxy (bench/plain_proxy.py: the
raw ceiling of any Python grpc.aio proxy) and through the gateway.

Each server is its own process (as deployed); the client is this process.
The machine is shared, so the sides' rounds alternate and each ratio is the
median of the ratios of adjacent rounds; latencies are pooled over all rounds
of a side. CPU time per call of the client (this process), the upstream and
each proxy is read from /proc: on a busy shared
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


SIDES = ("direct", "plain proxy", "gateway")


class Sides:
    """A stub per side (direct to the upstream, through a bare pass-through
    proxy, through the gateway), each on its own channel, and the processes
    whose CPU time is counted."""

    def __init__(self, addresses: list[str], pids: dict[str, int]) -> None:
        options = [("grpc.max_receive_message_length", 8 << 20)]
        self.channels = [grpc.aio.insecure_channel(a, options=options) for a in addresses]
        self.stubs = [pb_grpc.StorageServiceStub(c) for c in self.channels]
        self.metadata = [(("x-previs-internal-token", TOKEN),), (), ()]
        self.pids = {"client": os.getpid(), **pids}

    def cpu(self) -> dict[str, float]:
        return {name: _cpu_seconds(pid) for name, pid in self.pids.items()}

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


def _cpu_line(spent: list[dict[str, float]], counts: list[float], scale: float, unit: str) -> str:
    """CPU per call (or per MiB) of each process, side by side; a proxy's own
    figure only on its side."""
    digits = 0 if unit.startswith("us") else 2
    cells = []
    for name in ("client", "upstream"):
        cells.append(f"{name} " + "/".join(f"{spent[i][name] / counts[i] * scale:.{digits}f}" for i in range(len(SIDES))))
    for side, name in ((1, "plain_proxy"), (2, "gateway")):
        cells.append(f"{name} {spent[side][name] / counts[side] * scale:.{digits}f}")
    return f"CPU ({unit}, {'/'.join(SIDES)}): " + ", ".join(cells)


async def _rounds(sides: Sides, rounds: int, run_one) -> tuple[list[list[float]], list[dict[str, float]]]:
    """``rounds`` rounds of every side in turn (adjacent rounds share the
    machine's mood); the figure each gave and the CPU each process spent."""
    figures: list[list[float]] = [[] for _ in SIDES]
    spent = [dict.fromkeys(sides.pids, 0.0) for _ in SIDES]
    for _ in range(rounds):
        for side in range(len(SIDES)):
            before = sides.cpu()
            figures[side].append(await run_one(side))
            for name, seconds_now in sides.cpu().items():
                spent[side][name] += seconds_now - before[name]
    return figures, spent


def _ratio(figures: list[list[float]], side: int) -> float:
    """The median of the ratios of adjacent rounds, ``side`` over direct."""
    return statistics.median(other / direct for direct, other in zip(figures[0], figures[side]))


async def measure(sides: Sides, seconds: float, rounds: int, blob_mib: int) -> None:
    request = pb.GetProjectRequest(name="projects/bench")
    for stub, metadata in zip(sides.stubs, sides.metadata):
        for _ in range(300):  # warm-up
            await stub.GetProject(request, metadata=metadata)
    print(f"{'case':30} {'direct':>9} {'plain':>9} {'gateway':>9} {'plain/d':>8} {'gw/d':>8} {'gw/plain':>8}")
    for in_flight in (1, 64):
        latencies: list[list[float]] = [[] for _ in SIDES]

        async def one(side: int) -> float:
            rate, lat = await _unary_round(sides.stubs[side], in_flight, seconds, sides.metadata[side])
            latencies[side].extend(lat)
            return rate

        rates, spent = await _rounds(sides, rounds, one)
        medians = [statistics.median(r) for r in rates]
        p50 = [statistics.median(lat) * 1000 for lat in latencies]
        p99 = [_percentile(lat, 0.99) for lat in latencies]
        plain, gateway = _ratio(rates, 1), _ratio(rates, 2)
        print(
            f"{f'unary calls/s, {in_flight} in flight':30} {medians[0]:9.0f} {medians[1]:9.0f} {medians[2]:9.0f}"
            f" {plain:7.2f}x {gateway:7.2f}x {gateway / plain:7.2f}x"
        )
        for label, values in (("p50", p50), ("p99", p99)):
            print(
                f"{f'  {label} ms, {in_flight} in flight':30} {values[0]:9.3f} {values[1]:9.3f} {values[2]:9.3f}"
                f" {values[1] - values[0]:+8.3f} {values[2] - values[0]:+8.3f} {values[2] - values[1]:+8.3f}"
            )
        print("  " + _cpu_line(spent, [len(lat) for lat in latencies], 1e6, "us/call"))
    size = blob_mib << 20
    speeds, spent = await _rounds(sides, rounds, lambda side: _download(sides.stubs[side], size, sides.metadata[side]))
    medians = [statistics.median(s) for s in speeds]
    plain, gateway = _ratio(speeds, 1), _ratio(speeds, 2)
    print(
        f"{f'download MB/s, {blob_mib} MiB blob':30} {medians[0]:9.0f} {medians[1]:9.0f} {medians[2]:9.0f}"
        f" {plain:7.2f}x {gateway:7.2f}x {gateway / plain:7.2f}x"
    )
    print("  " + _cpu_line(spent, [rounds * blob_mib] * len(SIDES), 1e3, "ms/MiB"))


async def _measure_and_close(addresses: list[str], pids: dict[str, int], args: argparse.Namespace) -> None:
    sides = Sides(addresses, pids)
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
    plain_port, plain_pid = _start(
        ["bench/plain_proxy.py", f"127.0.0.1:{upstream_port}", TOKEN, str(scratch_dir / "plain.json")],
        scratch_dir / "plain.json",
        {},
        started,
    )
    addresses = [f"127.0.0.1:{port}" for port in (upstream_port, plain_port, gateway_port)]
    pids = {"upstream": upstream_pid, "plain_proxy": plain_pid, "gateway": gateway_pid}
    asyncio.run(_measure_and_close(addresses, pids, args))


if __name__ == "__main__":
    sys.exit(main())
