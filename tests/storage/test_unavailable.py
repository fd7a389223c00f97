"""A database that cannot be reached answers UNAVAILABLE with a retry delay,
and storage recovers by itself when it is back."""

import sqlite3

import grpc
import pytest
from sqlalchemy.engine import make_url

from previs.storage.v1 import storage_service_pb2 as pb
from tests.status_details import details_of, reason_of
from tests.storage.harness import StorageHarness, rpc_error, storage_settings
from tests.storage.tcp_proxy import TcpProxy


def _assert_unavailable(error: grpc.aio.AioRpcError) -> None:
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert reason_of(error) == "DATABASE_UNAVAILABLE"
    assert details_of(error)["RetryInfo"].retry_delay.ToMilliseconds() > 0


async def test_sqlite_locked_by_another_process_is_unavailable_then_recovers(tmp_path):
    harness = await StorageHarness.start(storage_settings(tmp_path / "data", None, sqlite_busy_timeout_ms=200))
    try:
        project = await harness.a.project()
        blocker = sqlite3.connect(tmp_path / "data" / "storage.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            _assert_unavailable(await rpc_error(harness.a.project("Blocked")))
            asset_error = await rpc_error(harness.a.asset(project.name))
            _assert_unavailable(asset_error)
            # Readers are not blocked by a writer in WAL mode.
            assert (await harness.a.storage.GetProject(pb.GetProjectRequest(name=project.name))).name == project.name
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        asset = await harness.a.asset(project.name)
        assert (await harness.a.revision(asset.name, "after")).revision_number == 1
    finally:
        await harness.stop()


@pytest.mark.postgres
async def test_postgres_unreachable_is_unavailable_then_recovers(postgres_url, tmp_path):
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    harness = await StorageHarness.start(
        storage_settings(tmp_path / "data", through_proxy, database_connect_timeout_seconds=2)
    )
    try:
        project = await harness.a.project()
        asset = await harness.a.asset(project.name)
        await proxy.cut()
        for _ in range(3):  # dropped pooled connections, then refused connects
            _assert_unavailable(await rpc_error(harness.a.storage.GetProject(pb.GetProjectRequest(name=project.name))))
        _assert_unavailable(await rpc_error(harness.a.asset(project.name)))
        _assert_unavailable(await rpc_error(harness.a.revision(asset.name, "lost")))
        await proxy.start()
        assert (await harness.a.storage.GetProject(pb.GetProjectRequest(name=project.name))).name == project.name
        assert (await harness.a.revision(asset.name, "after")).revision_number == 1
    finally:
        await harness.stop()
        await proxy.cut()
