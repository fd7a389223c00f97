"""Storage tests run against SQLite and PostgreSQL.

PostgreSQL comes from ``PREVIS_TEST_POSTGRES_URL`` (see
``tests.postgres_databases``): the session creates a fresh database next to
the one named there and drops it at the end, and each test starts from empty
tables.
"""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.storage.database import Database
from services.storage.migrations import upgrade
from services.storage.schema import metadata
from tests.postgres_databases import fresh_database
from tests.storage.harness import SQLITE_DRIVERS, StorageHarness, storage_settings

BACKENDS = [*SQLITE_DRIVERS, pytest.param("postgres", marks=pytest.mark.postgres)]


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session."""
    for url in fresh_database("previs_test"):
        asyncio.run(_migrate(url))
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def server_url(request, backend) -> str | None:
    return None if backend in SQLITE_DRIVERS else request.getfixturevalue("postgres_url")


@pytest.fixture
async def database_url(server_url, backend, tmp_path) -> str | None:
    """``None`` (the default: SQLite through aiosqlite in the test's data
    folder), the same file through the sqlite3 driver, or the session's
    PostgreSQL database, emptied."""
    if backend == "sqlite3":
        return f"sqlite:///{tmp_path / 'data' / 'storage.db'}"
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
