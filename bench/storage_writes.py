"""Storage write and blob throughput, measured over gRPC against a real
``python -m services.storage`` process.

- revisions/s with 1 and 8 concurrent writers (one asset each, ~2 KB
  payloads, a request id on every create) on SQLite (through aiosqlite, the
  default, and through the standard sqlite3 driver on a thread) and on
  PostgreSQL, one revision per CreateRevision and 50 per BatchCreateRevisions, beside a
  no-op server on the same runtime (the gRPC ceiling of one-per-call writes);
- blob upload and download MB/s for one large blob (1 GiB by default), with
  the server's peak RSS growth, beside the raw file-copy and SHA-256
  ceilings of this machine.

PostgreSQL is measured when ``--postgres-url`` or ``PREVIS_TEST_POSTGRES_URL``
names a server (a fresh database is created and dropped).

Usage: python bench/storage_writes.py [--seconds 5] [--blob-mib 1024]
       [--writers 1,8] [--batch 50] [--client-processes 2] [--postgres-url URL]
       [--sqlite-drivers aiosqlite,pysqlite] [--skip-blobs]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc  # noqa: E402
from services.storage.storage_client import StorageClient  # noqa: E402

MiB = 1024 * 1024
TARGETS = {"aiosqlite": 1000, "sqlite3": 1000, "postgresql": 3000}


class StorageServer:
    """A storage process on a free port, with its RSS sampled."""

    def __init__(self, data_dir: Path, database_url: str | None, *, echo: bool = False) -> None:
        """``echo``: run bench/echo_upstream.py instead, a server on the same
        runtime that answers CreateRevision at once (the gRPC ceiling)."""
        ready = data_dir.parent / f"ready-{secrets.token_hex(4)}.json"
        env = {
            **os.environ,
            "PREVIS_READY_FILE": str(ready),
            "PREVIS_STORAGE_DATA_DIR": str(data_dir),
            "PREVIS_STORAGE_PORT": "0",
            "PREVIS_STORAGE_METRICS_PORT": "-1",
            "PREVIS_STORAGE_LOG_LEVEL": "WARNING",
        }
        env.pop("PREVIS_STORAGE_DATABASE_URL", None)
        if database_url:
            env["PREVIS_STORAGE_DATABASE_URL"] = database_url
        command = ["bench/echo_upstream.py", str(ready)] if echo else ["-m", "services.storage"]
        self.process = subprocess.Popen([sys.executable, *command], env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("storage did not start")
            time.sleep(0.05)
        self.address = f"127.0.0.1:{json.loads(ready.read_text())['port']}"
        self.echo = echo
        self._ps = psutil.Process(self.process.pid)
        self.peak_rss = 0
        self._sampling = False

    def cpu_seconds(self) -> float:
        times = self._ps.cpu_times()
        return times.user + times.system

    def rss(self) -> int:
        return self._ps.memory_info().rss

    def sample_peak(self) -> threading.Thread:
        self.peak_rss, self._sampling = self.rss(), True

        def sample() -> None:
            while self._sampling:
                self.peak_rss = max(self.peak_rss, self.rss())
                time.sleep(0.01)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        return thread

    def stop_sampling(self, thread: threading.Thread) -> int:
        self._sampling = False
        thread.join()
        return self.peak_rss

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def _create_assets(address: str, count: int) -> list[str]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.StorageServiceStub(channel)
        project = await stub.CreateProject(pb.CreateProjectRequest(project=storage_pb2.Project(title="bench")))
        assets = []
        for _ in range(count):
            asset = await stub.CreateAsset(
                pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_LLM_TRACE))
            )
            assets.append(asset.name)
        return assets


def _request(asset: str, revision: storage_pb2.Revision) -> pb.CreateRevisionRequest:
    return pb.CreateRevisionRequest(parent=asset, revision=revision, request_id=secrets.token_hex(8))


async def _write_revisions(address: str, assets: list[str], batch: int, seconds: float, start_at: float) -> int:
    """One writer per asset, each creating revisions back to back: one per
    CreateRevision, or ``batch`` per BatchCreateRevisions when batch > 1."""
    revision = storage_pb2.Revision()
    revision.payload.type_url = "type.googleapis.com/previs.bench.Trace"
    revision.payload.value = os.urandom(2048)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.StorageServiceStub(channel)

        async def write(asset: str) -> int:
            if batch <= 1:
                await stub.CreateRevision(_request(asset, revision))
                return 1
            project = asset.split("/assets/")[0]
            requests = [_request(asset, revision) for _ in range(batch)]
            await stub.BatchCreateRevisions(pb.BatchCreateRevisionsRequest(parent=project, requests=requests))
            return batch

        for asset in assets:  # warm-up: connections, statement caches
            for _ in range(20):
                await write(asset)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        stop_at = time.perf_counter() + seconds
        counts = [0] * len(assets)

        async def writer(index: int) -> None:
            while time.perf_counter() < stop_at:
                counts[index] += await write(assets[index])

        await asyncio.gather(*(writer(i) for i in range(len(assets))))
        return sum(counts)


def _client_process(address: str, assets: list[str], batch: int, seconds: float, start_at: float, results) -> None:
    results.put(asyncio.run(_write_revisions(address, assets, batch, seconds, start_at)))


def revisions_per_second(server: "StorageServer", writers: int, batch: int, seconds: float, client_processes: int) -> tuple[float, float]:
    """Revisions per second, and server CPU microseconds per revision.
    Writers are spread over client processes so the Python client is not the
    bottleneck being measured."""
    address = server.address
    assets = asyncio.run(_create_assets(address, writers)) if not server.echo else [f"projects/p/assets/a{i}" for i in range(writers)]
    processes = max(1, min(client_processes, writers))
    groups = [assets[i::processes] for i in range(processes)]
    results = multiprocessing.get_context("spawn").Queue()
    start_at = time.time() + 3.0
    workers = [
        multiprocessing.get_context("spawn").Process(target=_client_process, args=(address, group, batch, seconds, start_at, results))
        for group in groups
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = server.cpu_seconds()
    total = sum(results.get(timeout=seconds + 120) for _ in workers)
    cpu = server.cpu_seconds() - cpu_before  # a little of it after the run ended
    for worker in workers:
        worker.join()
    return total / seconds, cpu / total * 1e6


def _make_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with open(path, "wb") as file:
        for index in range(size // MiB):
            file.write(index.to_bytes(8, "big") + block[8:])
        file.write(block[: size % MiB])


def _ceilings(source: Path, scratch: Path) -> dict[str, float]:
    size = source.stat().st_size
    started = time.perf_counter()
    shutil.copyfile(source, scratch)
    with open(scratch, "rb+") as file:
        os.fsync(file.fileno())
    copy = size / (time.perf_counter() - started) / MiB
    scratch.unlink()
    digest = hashlib.sha256()
    started = time.perf_counter()
    with open(source, "rb") as file:
        while chunk := file.read(MiB):
            digest.update(chunk)
    hashing = size / (time.perf_counter() - started) / MiB
    return {"file copy + fsync MB/s": copy, "read + SHA-256 MB/s": hashing}


async def blob_round_trip(server: StorageServer, source: Path) -> dict[str, float]:
    size = source.stat().st_size
    async with grpc.aio.insecure_channel(server.address) as channel:
        client = StorageClient(channel)
        project = (await client.stub.CreateProject(pb.CreateProjectRequest(project=storage_pb2.Project(title="blobs")))).name
        baseline = server.rss()
        sampler = server.sample_peak()
        started = time.perf_counter()
        blob = await client.upload_file(project, source, "application/octet-stream")
        upload_seconds = time.perf_counter() - started
        upload_peak = server.stop_sampling(sampler)
        sampler = server.sample_peak()
        received = 0
        started = time.perf_counter()
        async for message in client.stub.DownloadBlob(pb.DownloadBlobRequest(name=blob.name)):
            received += len(message.data)
        download_seconds = time.perf_counter() - started
        download_peak = server.stop_sampling(sampler)
    assert received == size
    return {
        "upload MB/s (client hashes the file first)": size / upload_seconds / MiB,
        "download MB/s": size / download_seconds / MiB,
        "server RSS before MiB": baseline / MiB,
        "RSS growth during upload MiB": (upload_peak - baseline) / MiB,
        "RSS growth during download MiB": (download_peak - baseline) / MiB,
    }


async def _postgres_admin(url: str, statement: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, password=parsed.password, database=parsed.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--blob-mib", type=int, default=1024)
    parser.add_argument("--writers", default="1,8")
    parser.add_argument("--batch", type=int, default=50, help="revisions per BatchCreateRevisions call (1: no batch runs)")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--postgres-url", default=os.environ.get("PREVIS_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-blobs", action="store_true")
    parser.add_argument(
        "--sqlite-drivers", default="aiosqlite,pysqlite", help="SQLite drivers to measure (the URL's +driver; blobs on the first)"
    )
    arguments = parser.parse_args()
    writer_counts = [int(w) for w in arguments.writers.split(",")]

    with tempfile.TemporaryDirectory(prefix="previs-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        backends: list[tuple[str, str | None]] = [
            ("sqlite3" if driver == "pysqlite" else driver, f"sqlite+{driver}:///{scratch / f'data-{driver}' / 'storage.db'}")
            for driver in arguments.sqlite_drivers.split(",")
        ]
        database_name = None
        if arguments.postgres_url:
            from sqlalchemy.engine import make_url

            database_name = f"previs_bench_{secrets.token_hex(4)}"
            asyncio.run(_postgres_admin(arguments.postgres_url, f'CREATE DATABASE "{database_name}"'))
            pg_url = make_url(arguments.postgres_url).set(database=database_name).render_as_string(hide_password=False)
            backends.append(("postgresql", pg_url))
        rows = []
        blob_figures: dict[str, float] = {}
        runs = [(writers, 1) for writers in writer_counts] + [(writers, arguments.batch) for writers in writer_counts if arguments.batch > 1]
        echo = StorageServer(scratch / "data-echo", None, echo=True)
        try:
            for writers in writer_counts:
                rate, cpu_us = revisions_per_second(echo, writers, 1, arguments.seconds, arguments.client_processes)
                rows.append(("no-op", writers, 1, rate, cpu_us))
                print(f"no-op server {writers} writer(s): {rate:8.0f} CreateRevision/s, server CPU {cpu_us:.0f} us each", flush=True)
        finally:
            echo.stop()
        try:
            for label, url in backends:
                server = StorageServer(scratch / f"data-{label}", url)
                try:
                    for writers, batch in runs:
                        rate, cpu_us = revisions_per_second(server, writers, batch, arguments.seconds, arguments.client_processes)
                        rows.append((label, writers, batch, rate, cpu_us))
                        print(f"{label:10} {writers} writer(s) x{batch}: {rate:8.0f} revisions/s, server CPU {cpu_us:.0f} us each", flush=True)
                    if label == backends[0][0] and not arguments.skip_blobs:
                        source = scratch / "blob.bin"
                        _make_file(source, arguments.blob_mib * MiB)
                        blob_figures = asyncio.run(blob_round_trip(server, source))
                        blob_figures.update(_ceilings(source, scratch / "copy.bin"))
                        source.unlink()
                finally:
                    server.stop()
        finally:
            if database_name:
                asyncio.run(_postgres_admin(arguments.postgres_url, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))

    print(f"\n== revisions per second over gRPC (~2 KB payload, request id on each); load average {os.getloadavg()[0]:.1f}")
    print("   one per CreateRevision (x1) or N per BatchCreateRevisions (xN); no-op = a server on the same runtime")
    print("   that answers CreateRevision at once: the ceiling of one-per-call writes on this machine")
    ceilings = {writers: rate for label, writers, _batch, rate, _cpu in rows if label == "no-op"}
    for label, writers, batch, rate, cpu_us in rows:
        target = f"target >= {TARGETS[label]:,}" if writers == 8 and label in TARGETS else ""
        of_ceiling = f"{rate / ceilings[writers]:5.2f}x no-op" if label != "no-op" and batch == 1 else " " * 11
        print(f"  {label:10} writers={writers} x{batch:<3}: {rate:8,.0f}/s  {of_ceiling}  server CPU {cpu_us:5.0f} us/revision  {target}")
    if blob_figures:
        print(f"\n== one {arguments.blob_mib} MiB blob, 1 MiB chunks")
        for name, value in blob_figures.items():
            print(f"  {name:45} {value:8,.1f}")
        print("  targets: download >= 500 MB/s, RSS growth < 64 MiB")


if __name__ == "__main__":
    main()
