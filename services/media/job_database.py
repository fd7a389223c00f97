"""The jobs database: engines, transactions and the mapping of its faults.

SQLite (the default, ``jobs.sqlite3`` in ``data_dir``) runs in WAL mode with
a busy timeout; writes go through one connection and start with
``BEGIN IMMEDIATE`` so that a transaction that reads and then writes cannot
fail with "database is locked"; reads use a pool of other connections, which
WAL lets run beside the writer. ``synchronous=NORMAL`` makes a commit
survive the process being killed (not a power loss; ``FULL`` closes that at
a lower write rate).

PostgreSQL (``postgresql+asyncpg://...`` in ``database_url``) uses one pool
for both.

A database that cannot be reached answers UNAVAILABLE with a retry delay.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.runtime.database_faults import is_database_fault
from services.runtime.errors import PrevisError, Unavailable
from services.runtime.sqlite_connections import configure_sqlite

_LOGGER = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 1.0
SQLITE_FILE = "jobs.sqlite3"


def default_url(data_dir: Path) -> str:
    """The SQLite database in ``data_dir``."""
    return f"sqlite+aiosqlite:///{Path(data_dir).resolve() / SQLITE_FILE}"


def unavailable(error: BaseException) -> Unavailable:
    return Unavailable(
        "the jobs database cannot be reached; retry later",
        reason="DATABASE_UNAVAILABLE",
        retry_delay_seconds=RETRY_DELAY_SECONDS,
        metadata={"cause": type(error).__name__},
    )


def is_unavailability(error: BaseException) -> bool:
    """Faults of the database or the way to it, as opposed to bugs in a
    statement and constraint violations."""
    return isinstance(error, Unavailable) or is_database_fault(error)


class JobDatabase:
    """The engines of the jobs database."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 8,
        connect_timeout_seconds: float = 5.0,
        sqlite_synchronous: str = "NORMAL",
        sqlite_busy_timeout_ms: int = 10_000,
    ) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            pragmas = (
                "PRAGMA journal_mode=WAL",
                f"PRAGMA synchronous={sqlite_synchronous}",
                f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}",
            )
            connect_args = {"timeout": sqlite_busy_timeout_ms / 1000}
            self.write_engine = create_async_engine(parsed, pool_size=1, max_overflow=0, connect_args=connect_args)
            self.read_engine = create_async_engine(
                parsed, pool_size=pool_size, max_overflow=0, pool_timeout=60, connect_args=connect_args
            )
            configure_sqlite(self.write_engine.sync_engine, pragmas, "BEGIN IMMEDIATE")
            configure_sqlite(self.read_engine.sync_engine, pragmas, "BEGIN")
        elif self.dialect == "postgresql":
            self.write_engine = create_async_engine(
                parsed,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_timeout=connect_timeout_seconds,
                pool_pre_ping=True,
                connect_args={"timeout": connect_timeout_seconds, "command_timeout": 60},
            )
            self.read_engine = self.write_engine
        else:
            raise ValueError(f"unsupported jobs database {self.dialect!r}: use sqlite+aiosqlite or postgresql+asyncpg")

    def insert(self, table):
        """The dialect's INSERT (it has ``on_conflict_do_nothing``)."""
        return (sqlite.insert if self.is_sqlite else postgresql.insert)(table)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block ends. Callers
        serialize writes themselves (``job_store`` has one writer task)."""
        async with _mapped_faults():
            async with self.write_engine.begin() as connection:
                yield connection

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (one consistent snapshot)."""
        async with _mapped_faults():
            async with self.read_engine.begin() as connection:
                yield connection

    async def close(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


@contextlib.asynccontextmanager
async def _mapped_faults() -> AsyncIterator[None]:
    try:
        yield
    except PrevisError:
        raise
    except Exception as error:
        if is_unavailability(error):
            _LOGGER.warning("jobs database unavailable: %s", error)
            raise unavailable(error) from error
        raise
