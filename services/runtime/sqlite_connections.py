"""How every SQLite connection of the suite is set up (storage's registry and
media's jobs database, on either driver): pragmas on connect, and
transactions opened by SQLAlchemy's "begin" event with the statement given
(``BEGIN IMMEDIATE`` for writers, so a transaction that reads and then writes
takes the write lock up front and cannot fail with "database is locked"
whatever the busy timeout)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine, pragmas: tuple[str, ...], begin: str) -> None:
    """``engine``: a sync engine (an async engine's ``sync_engine``)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql(begin)
