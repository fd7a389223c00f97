"""Storage killed (issue 7): real storage, planner, media and gateway
processes; 8 writers create revisions and upload blobs through the gateway
with an API key while the storage process is SIGKILLed at a random moment,
then restarted on the same port. After each restart, checked through the
gateway against the test's own ledger (``tests/storage/kill_ledger.py``):
every acknowledged revision and blob is readable and byte-identical, nothing
half-written is visible, revision numbers have no gaps or duplicates, and
resending every unacknowledged write with its request id duplicates nothing.

On SQLite, and on PostgreSQL when ``PREVIS_TEST_POSTGRES_URL`` is set. A few
rounds by default; ``PREVIS_LONG_TESTS=1`` runs 50 (about 5 minutes per
backend on 2 cores); ``PREVIS_KILL9_ROUNDS`` sets another number.
``PREVIS_KILL9_SEED`` replays a run's kill timings.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from previs.storage.v1 import storage_service_pb2_grpc as pb_grpc
from previs_cli.local_suite import ensure_dev_key
from previs_cli.supervisor import Supervisor
from tests.faults.outcomes import bearer
from tests.storage.conftest import backend, database_url, postgres_url, server_url  # noqa: F401 (fixtures)
from tests.storage.kill_ledger import Ledger, kill_rounds, storage_env, summary

LONG = os.environ.get("PREVIS_LONG_TESTS") == "1"
ROUNDS = int(os.environ.get("PREVIS_KILL9_ROUNDS", 50 if LONG else 3))
WRITERS = 8
ASSETS = 4
STORAGE_SERVICE = "previs.storage.v1.StorageService"
ROUTE_TIMEOUT = 30.0


async def _until_routed(channel: grpc.aio.Channel) -> None:
    """Waits until the gateway reports storage SERVING again (its mirror of
    the upstream's health, polled over the channel calls are proxied on)."""
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + ROUTE_TIMEOUT
    while True:
        try:
            reply = await health.Check(health_pb2.HealthCheckRequest(service=STORAGE_SERVICE), timeout=2)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.aio.AioRpcError:
            pass
        assert time.monotonic() < deadline, "the gateway did not route to the restarted storage"
        await asyncio.sleep(0.05)


class _Suite:
    """The four processes; storage restarts on the port it first got."""

    def __init__(self, supervisor: Supervisor, data_dir, database_url: str | None) -> None:
        self.supervisor = supervisor
        self.data_dir = data_dir
        self.database_url = database_url
        self.token = secrets.token_urlsafe(32)
        self.storage_port = 0

    def _env(self, prefix: str, **values: str) -> dict[str, str]:
        common = {"LOG_FORMAT": "text", "LOG_LEVEL": "WARNING", "INTERNAL_TOKEN": self.token, "PORT": "0", "METRICS_PORT": "-1"}
        return {f"PREVIS_{prefix}_{k}": v for k, v in {**common, **values}.items()}

    def start_storage(self) -> str:
        env = {**storage_env(self.data_dir, self.database_url, self.storage_port), "PREVIS_STORAGE_INTERNAL_TOKEN": self.token}
        storage = self.supervisor.start("storage", "services.storage", env)
        self.storage_port = storage.port
        return storage.address

    def start_rest(self, storage: str) -> tuple[str, str]:
        planner = self.supervisor.start("planner", "services.planner", self._env("PLANNER", STORAGE_TARGET=storage))
        media = self.supervisor.start(
            "media",
            "services.media",
            self._env("MEDIA", DATA_DIR=str(self.data_dir / "media"), STORAGE_TARGET=storage, PLANNER_TARGET=planner.address),
        )
        key, keys_file = ensure_dev_key(self.data_dir)
        gateway = self.supervisor.start(
            "gateway",
            "gateway",
            self._env(
                "GATEWAY",
                STORAGE_TARGET=storage,
                PLANNER_TARGET=planner.address,
                MEDIA_TARGET=media.address,
                AUTH="api_keys",
                API_KEYS_FILE=str(keys_file),
                RATE_LIMIT_PER_SECOND="0",  # 8 writers flat out: rate limits are not under test here
                UPSTREAM_HEALTH_INTERVAL_SECONDS="0.2",
            ),
        )
        return gateway.address, key

    def kill_storage(self) -> None:
        storage = next(child for child in self.supervisor.children if child.name == "storage")
        self.supervisor.children.remove(storage)
        storage.process.kill()
        storage.process.wait(10)


@pytest.mark.timeout(3600 if LONG else 300)
async def test_storage_killed_under_writes_through_the_gateway_loses_nothing(database_url, backend, tmp_path):  # noqa: F811
    data_dir = tmp_path / "data"
    seed = int(os.environ.get("PREVIS_KILL9_SEED", time.time_ns()))
    print(f"PREVIS_KILL9_SEED={seed}")
    suite = _Suite(Supervisor(tmp_path / "run"), data_dir, database_url)
    ledger = Ledger(stub=None, metadata=None)
    channel: grpc.aio.Channel | None = None

    async def restart() -> None:
        nonlocal channel
        storage = suite.start_storage()
        if channel is None:
            gateway, key = suite.start_rest(storage)
            channel = grpc.aio.insecure_channel(gateway)
            ledger.stub, ledger.metadata = pb_grpc.StorageServiceStub(channel), bearer(key)
        await _until_routed(channel)

    started = time.monotonic()
    try:
        figures = await kill_rounds(
            ledger,
            restart,
            suite.kill_storage,
            rounds=ROUNDS,
            writers=WRITERS,
            assets=ASSETS,
            blob_dir=data_dir / "blobs",
            rng=random.Random(seed),
        )
    finally:
        if channel is not None:
            await channel.close()
        statuses = suite.supervisor.stop_all()
    print(summary(f"{backend}, through the gateway", ROUNDS, WRITERS, ledger, figures))
    print(
        f"calls the kills cut off: {dict(ledger.cut_off)} {ledger.cut_off_details} "
        f"({ledger.local_write_failures} uploads' statuses read past grpc.aio's local INTERNAL or CancelledError); "
        f"{time.monotonic() - started:.0f} s"
    )
    assert statuses == {"gateway": 0, "media": 0, "planner": 0, "storage": 0}, statuses
    assert figures.clean, figures.problems
    # Clients see the outage as UNAVAILABLE (retryable), never UNKNOWN or INTERNAL.
    assert set(ledger.cut_off) <= {"UNAVAILABLE"}, ledger.cut_off_details
    assert len(ledger.acked_revisions) >= ROUNDS * 10, "the rounds did not really write under load"
