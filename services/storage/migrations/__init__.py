"""Alembic migrations of the storage schema, run on start-up.

``upgrade(database)`` brings the database to the newest revision. It runs in
one transaction; on PostgreSQL an advisory lock makes replicas that start
together migrate one after the other. Operators can also run Alembic by
hand: ``alembic -c services/storage/migrations/alembic.ini upgrade head``
with ``PREVIS_STORAGE_DATABASE_URL`` set.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from services.storage.database import Database

_LOGGER = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Any constant works; it only has to be the same for every storage process.
MIGRATION_LOCK_KEY = 7_061_002_003


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(sync_connection, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync_connection
    command.upgrade(config, target)


async def upgrade(database: Database, target: str = "head") -> None:
    def migrate(connection) -> None:
        if not database.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        _upgrade(connection, target)

    await database.write(migrate)
    _LOGGER.info("storage schema is at %s", target)
