"""Alembic environment: uses the connection handed over by
``services.storage.migrations.upgrade``, or, when Alembic runs from the
command line, a connection to ``PREVIS_STORAGE_DATABASE_URL``."""

from __future__ import annotations

import asyncio

from alembic import context

from services.storage.schema import metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_from_settings() -> None:
    from services.runtime.settings import load_settings
    from services.storage.database import Database
    from services.storage.settings import StorageSettings

    settings = load_settings(StorageSettings)

    async def main() -> None:
        database = Database(settings.resolved_database_url)
        try:
            await database.write(_run)
        finally:
            await database.close()

    asyncio.run(main())


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    _run_from_settings()
