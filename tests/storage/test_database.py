"""Settings, migrations and the SQLite configuration."""

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from services.storage.database import Database
from services.storage.migrations import upgrade
from services.storage.schema import metadata
from services.storage.settings import StorageSettings


def test_defaults_and_environment(monkeypatch, tmp_path):
    for name in ("PREVIS_STORAGE_PORT", "PREVIS_STORAGE_DATABASE_URL", "PREVIS_STORAGE_BLOB_DIR", "PREVIS_STORAGE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    defaults = StorageSettings(_env_file=None)
    assert (defaults.port, defaults.metrics_port) == (50061, 9461)
    assert defaults.data_dir == Path("./previs-data")
    monkeypatch.setenv("PREVIS_STORAGE_DATA_DIR", str(tmp_path))
    configured = StorageSettings(_env_file=None)
    assert configured.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/storage.db"
    assert configured.resolved_blob_dir == tmp_path.resolve() / "blobs"
    monkeypatch.setenv("PREVIS_STORAGE_DATABASE_URL", "postgresql+asyncpg://u@db:5432/previs")
    monkeypatch.setenv("PREVIS_STORAGE_BLOB_DIR", str(tmp_path / "elsewhere"))
    overridden = StorageSettings(_env_file=None)
    assert overridden.resolved_database_url == "postgresql+asyncpg://u@db:5432/previs"
    assert overridden.resolved_blob_dir == (tmp_path / "elsewhere").resolve()


async def test_migrations_create_exactly_the_schema_and_are_idempotent(database_url, tmp_path):
    # An aiosqlite URL is accepted (and run like any SQLite URL).
    database = Database(database_url or f"sqlite+aiosqlite:///{tmp_path / 'storage.db'}")
    try:
        await asyncio.gather(upgrade(database), upgrade(database))  # replicas starting together
        await upgrade(database)

        def inspect(connection):
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
            return differences, connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

        differences, version = await database.read(inspect)
        assert differences == []
        assert version == "0001"
    finally:
        await database.close()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'storage.db'}", sqlite_busy_timeout_ms=1234, sqlite_synchronous="FULL")
    names = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
    try:
        for run in (database.write, database.read):
            pragmas = await run(lambda connection: {n: connection.execute(text(f"PRAGMA {n}")).scalar_one() for n in names})
            assert pragmas == {"journal_mode": "wal", "busy_timeout": 1234, "synchronous": 2, "foreign_keys": 1}
    finally:
        await database.close()
