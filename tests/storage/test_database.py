"""Settings, migrations and the SQLite configuration."""

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from services.storage.database import Database
from services.storage.migrations import alembic_config, upgrade
from services.storage.schema import metadata
from services.storage.settings import StorageSettings
from tests.postgres_databases import fresh_database
from tests.storage.harness import SQLITE_DRIVERS


def test_defaults_and_environment(monkeypatch, tmp_path):
    for name in ("PREVIS_STORAGE_PORT", "PREVIS_STORAGE_DATABASE_URL", "PREVIS_STORAGE_BLOB_DIR", "PREVIS_STORAGE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    defaults = StorageSettings(_env_file=None)
    assert (defaults.port, defaults.metrics_port) == (50061, 9461)
    assert defaults.data_dir == Path("./previs-data")
    monkeypatch.setenv("PREVIS_STORAGE_DATA_DIR", str(tmp_path))
    configured = StorageSettings(_env_file=None)
    assert configured.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/storage.db"
    assert configured.resolved_blob_dir == tmp_path.resolve() / "blobs"
    monkeypatch.setenv("PREVIS_STORAGE_DATABASE_URL", "postgresql+asyncpg://u@db:5432/previs")
    monkeypatch.setenv("PREVIS_STORAGE_BLOB_DIR", str(tmp_path / "elsewhere"))
    overridden = StorageSettings(_env_file=None)
    assert overridden.resolved_database_url == "postgresql+asyncpg://u@db:5432/previs"
    assert overridden.resolved_blob_dir == (tmp_path / "elsewhere").resolve()


async def test_migrations_create_exactly_the_schema_and_are_idempotent(database_url, tmp_path):
    database = Database(database_url or f"sqlite+aiosqlite:///{tmp_path / 'storage.db'}")
    try:
        await asyncio.gather(upgrade(database), upgrade(database))  # replicas starting together
        await upgrade(database)

        def inspect(connection):
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
            return differences, connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

        differences, version = await database.read(inspect)
        assert differences == []
        assert version == "0002"
    finally:
        await database.close()


@pytest.mark.parametrize("driver", SQLITE_DRIVERS.values())
async def test_sqlite_runs_on_the_urls_driver_in_wal_mode_with_a_busy_timeout(tmp_path, driver):
    url = f"sqlite+{driver}:///{tmp_path / 'storage.db'}"
    database = Database(url, sqlite_busy_timeout_ms=1234, sqlite_synchronous="FULL")
    names = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")

    def settings(connection):
        return connection.dialect.driver, {n: connection.execute(text(f"PRAGMA {n}")).scalar_one() for n in names}

    try:
        for run in (database.write, database.read):
            used, pragmas = await run(settings)
            assert used == driver
            assert pragmas == {"journal_mode": "wal", "busy_timeout": 1234, "synchronous": 2, "foreign_keys": 1}
    finally:
        await database.close()


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """An empty database of its own (not the session's migrated one)."""
    if backend in SQLITE_DRIVERS:
        yield f"sqlite+{SQLITE_DRIVERS[backend]}:///{tmp_path / 'storage.db'}"
    else:
        yield from fresh_database("previs_migration")


def _insert_revision(connection, number: int) -> None:
    """A revision as the service writes it: naming every column but
    ``create_xact`` (the tables of migration 0001 suffice)."""
    if number == 1:
        connection.execute(
            text(
                "INSERT INTO projects (pk, tenant, project_id, title, owner, labels, budget_micros, spent_micros,"
                " version, create_time_us, update_time_us) VALUES (1, 't', 'p', 'P', 'o', '{}', 0, 0, 1, 1, 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO assets (pk, project_pk, asset_id, kind, display_name, labels, revision_count,"
                " head_review_status, version, create_time_us, update_time_us) VALUES (1, 1, 'a', 1, '', '{}', 0, 0, 1, 1, 1)"
            )
        )
    connection.execute(
        text(
            "INSERT INTO revisions (asset_pk, number, project_pk, payload_type_url, payload_value, blobs, parents,"
            " labels, message, creator, review_status, create_time_us)"
            " VALUES (1, :number, 1, '', :payload, '[]', '[]', '{}', '', 'c', 0, 1)"
        ),
        {"number": number, "payload": b""},
    )


async def test_migration_0002_records_the_inserting_transaction_of_new_revisions(empty_database_url):
    """Rows from before 0002 keep NULL; on PostgreSQL a new row records the
    transaction that inserted it (on SQLite nothing, walks use the rowid);
    the column is added without rewriting the table, and 0002 downgrades."""
    database = Database(empty_database_url)
    is_postgres = not database.is_sqlite

    def file_of_revisions(connection):
        return connection.execute(text("SELECT pg_relation_filenode('revisions')")).scalar_one() if is_postgres else None

    def insert_new(connection):
        _insert_revision(connection, 2)
        return connection.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one() if is_postgres else None

    def downgrade(connection):
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")

    def columns(connection):
        return {column["name"] for column in inspect(connection).get_columns("revisions")}

    try:
        await upgrade(database, "0001")
        await database.write(lambda connection: _insert_revision(connection, 1))
        file_before = await database.read(file_of_revisions)
        await upgrade(database)
        assert await database.read(file_of_revisions) == file_before
        xact = await database.write(insert_new)
        assert (xact is not None) == is_postgres
        stored = await database.read(lambda c: c.execute(text("SELECT number, create_xact FROM revisions")).all())
        assert dict(stored) == {1: None, 2: xact}
        await database.write(downgrade)
        assert "create_xact" not in await database.read(columns)
        await upgrade(database)
        assert "create_xact" in await database.read(columns)
    finally:
        await database.close()
