"""Storage tests run against SQLite and PostgreSQL.

PostgreSQL comes from ``PREVIS_TEST_POSTGRES_URL`` (for example
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``): the session
creates a fresh database next to the one named there and drops it at the
end, and each test starts from empty tables. When the variable is unset the
PostgreSQL tests are skipped; when it is set and the server cannot be
reached they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.storage.database import Database
from services.storage.migrations import upgrade
from services.storage.schema import metadata
from tests.storage.harness import StorageHarness, storage_settings

POSTGRES_ENV = "PREVIS_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def _admin(url, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=10,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A fresh, migrated PostgreSQL database for this session."""
    configured = os.environ.get(POSTGRES_ENV)
    if not configured:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    server = make_url(configured)
    name = f"previs_test_{secrets.token_hex(6)}"
    try:
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    except Exception as error:  # refused, timed out, authentication...
        pytest.fail(f"{POSTGRES_ENV}={configured} is set but PostgreSQL cannot be reached: {error!r}")
    url = server.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def server_url(request, backend) -> str | None:
    return None if backend == "sqlite" else request.getfixturevalue("postgres_url")


@pytest.fixture
async def database_url(server_url) -> str | None:
    """``None`` (SQLite in the test's data folder) or the session's
    PostgreSQL database, emptied."""
    if server_url is None:
        return None
    url = server_url
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            tables = ", ".join(table.name for table in metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def storage(database_url, tmp_path):
    """A storage server on port 0 with tenants ``tenant-a`` and ``tenant-b``."""
    harness = await StorageHarness.start(storage_settings(tmp_path / "data", database_url))
    try:
        yield harness
    finally:
        await harness.stop()
