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

import pytest

from previs_cli.supervisor import Supervisor
from tests.storage.harness import StorageHarness
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
    ledger = Ledger(stub=None, metadata=None)

    async def restart() -> None:
        nonlocal channel
        storage = supervisor.start("storage", "services.storage", storage_env(data_dir, database_url))
        if channel is not None:
            await channel.close()
        client = StorageHarness.client(storage.address, "tenant-a", "alice")
        channel, ledger.stub = client.channel, client.storage

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
    print(f"calls the kills cut off: {dict(ledger.cut_off)} {ledger.cut_off_details}")
    assert statuses["storage"] == 0  # the last one stops cleanly
    assert figures.clean, figures.problems
    assert set(ledger.cut_off) <= {"UNAVAILABLE"}, ledger.cut_off_details
    assert len(ledger.acked_revisions) >= ROUNDS * 10, "the rounds did not really write under load"
