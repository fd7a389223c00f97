"""SIGKILL the storage process in the middle of writes, restart it, and
check against the test's own ledger (``kill_ledger``): every acknowledged
revision and blob is readable and byte-identical, nothing half-written is
visible, numbers have no gaps or duplicates, and resending unacknowledged
creates with their request ids writes each exactly once.

Straight to storage; ``tests/faults/test_storage_killed.py`` does the same
through the gateway. A few rounds by default; ``PREVIS_LONG_TESTS=1`` runs
many more.
"""

from __future__ import annotations

import os
import random
import time

import grpc
import pytest

from previs.storage.v1 import storage_service_pb2_grpc as pb_grpc
from previs_cli.supervisor import Supervisor
from services.runtime.request_context import PRINCIPAL_KEY, TENANT_KEY
from tests.storage.kill_ledger import Ledger, kill_rounds, storage_env, summary

LONG = os.environ.get("PREVIS_LONG_TESTS") == "1"
ROUNDS = 25 if LONG else 3
WRITERS = 8
ASSETS = 4


@pytest.mark.timeout(1800 if LONG else 300)
async def test_sigkill_during_writes_loses_nothing_acknowledged(database_url, backend, tmp_path):
    data_dir = tmp_path / "data"
    seed = int(os.environ.get("PREVIS_KILL9_SEED", time.time_ns()))
    print(f"PREVIS_KILL9_SEED={seed}")
    supervisor = Supervisor(tmp_path / "run")
    channel = None
    ledger = Ledger(stub=None, metadata=((TENANT_KEY, "tenant-a"), (PRINCIPAL_KEY, "alice")))

    async def restart() -> None:
        nonlocal channel
        storage = supervisor.start("storage", "services.storage", storage_env(data_dir, database_url))
        if channel is not None:
            await channel.close()
        # A plain channel with the identity as call metadata: with client
        # interceptors, grpc.aio can end an upload cut by the kill with a
        # bare CancelledError instead of its status.
        channel = grpc.aio.insecure_channel(storage.address)
        ledger.stub = pb_grpc.StorageServiceStub(channel)

    def kill() -> None:
        killed = supervisor.children.pop()
        killed.process.kill()
        killed.process.wait(10)

    try:
        figures = await kill_rounds(
            ledger, restart, kill, rounds=ROUNDS, writers=WRITERS, assets=ASSETS, blob_dir=data_dir / "blobs", rng=random.Random(seed)
        )
    finally:
        statuses = supervisor.stop_all()
        if channel is not None:
            await channel.close()
    print(summary(backend, ROUNDS, WRITERS, ledger, figures))
    print(f"calls the kills cut off: {dict(ledger.cut_off)} {ledger.cut_off_details}, {ledger.local_write_failures} read past grpc.aio")
    assert statuses["storage"] == 0  # the last one stops cleanly
    assert figures.clean, figures.problems
    assert set(ledger.cut_off) <= {"UNAVAILABLE"}, ledger.cut_off_details
    assert len(ledger.acked_revisions) >= ROUNDS * 10, "the rounds did not really write under load"
