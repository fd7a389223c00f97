"""Database engines, transactions and the mapping of database faults.

A transaction is a plain function of a SQLAlchemy ``Connection``
(``await database.write(body)``), run by the driver the URL names:

- SQLite through aiosqlite (``sqlite+aiosqlite://``, the embedded default):
  SQLAlchemy's async engine runs the body in its greenlet (``run_sync``) and
  each statement awaits aiosqlite's connection thread.
- SQLite through the standard ``sqlite3`` driver (``sqlite://``): the whole
  body runs in a worker thread, one thread hop per transaction instead of a
  few per statement. In four runs of bench/storage_writes.py it made 1.3x
  the single creates per second with 8 writers (690-1,030 against 510-790;
  1.7x with one writer) and up to 1.7x the batched ones; choose it where
  SQLite's write rate matters more than the default driver.
- PostgreSQL through asyncpg, with a connection pool, the body in
  SQLAlchemy's greenlet like aiosqlite's. Row locks (``SELECT ... FOR
  UPDATE``) order concurrent writers.

On SQLite, writes go through one connection, and every write transaction
starts with ``BEGIN IMMEDIATE`` so it takes the write lock up front (a
deferred transaction that reads and then writes can fail with "database is
locked" whatever the busy timeout; another process, such as the ``gc``
command, may write too). Reads use a pool of other connections, which WAL
lets run beside the writer.

Durability on SQLite: with WAL, ``synchronous=NORMAL`` writes each commit to
the WAL file before the commit returns, so an acknowledged write survives the
process being killed (SIGKILL), which ``tests/storage/test_kill9.py``
checks. It is not fsynced per commit, so the newest commits may roll back on
a power loss or an operating-system crash; ``sqlite_synchronous=FULL``
closes that at a lower write rate.

A database that cannot be reached answers UNAVAILABLE with a retry delay.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Connection, create_engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.runtime.database_faults import is_database_fault
from services.runtime.errors import PrevisError, Unavailable
from services.runtime.sqlite_connections import configure_sqlite

_LOGGER = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 1.0
T = TypeVar("T")
Body = Callable[[Connection], T]


def now_us() -> int:
    """Wall-clock time in integer microseconds since the Unix epoch."""
    return time.time_ns() // 1000


def unavailable(error: BaseException) -> Unavailable:
    return Unavailable(
        "the storage database cannot be reached; retry later",
        reason="DATABASE_UNAVAILABLE",
        retry_delay_seconds=RETRY_DELAY_SECONDS,
        metadata={"cause": type(error).__name__},
    )


def is_unavailability(error: BaseException) -> bool:
    """Faults of the database or the way to it (as opposed to bugs in a
    statement, which stay INTERNAL, and constraint violations, which callers
    handle)."""
    return is_database_fault(error)


class Database:
    """The engines of one storage process and its transactions."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        connect_timeout_seconds: float = 5.0,
        sqlite_synchronous: str = "NORMAL",
        sqlite_busy_timeout_ms: int = 10_000,
    ) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        if self.is_sqlite and parsed.get_driver_name() == "aiosqlite":
            self._runner = _AioSqliteRunner(parsed, pool_size, sqlite_synchronous, sqlite_busy_timeout_ms)
        elif self.is_sqlite:
            self._runner = _SqliteRunner(parsed, pool_size, sqlite_synchronous, sqlite_busy_timeout_ms)
        elif self.dialect == "postgresql":
            self._runner = _PostgresRunner(parsed, pool_size, connect_timeout_seconds)
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: use sqlite or postgresql+asyncpg")

    def insert(self, table):
        """The dialect's INSERT, which has ``on_conflict_do_*``."""
        return (sqlite.insert if self.is_sqlite else postgresql.insert)(table)

    async def write(self, body: Body[T]) -> T:
        """Runs ``body`` in a write transaction: committed when it returns,
        rolled back when it raises."""
        with _mapped_faults():
            return await self._runner.write(body)

    async def read(self, body: Body[T]) -> T:
        """Runs ``body`` in a read-only transaction (one snapshot)."""
        with _mapped_faults():
            return await self._runner.read(body)

    async def close(self) -> None:
        await self._runner.close()


@contextlib.contextmanager
def _mapped_faults() -> Iterator[None]:
    try:
        yield
    except PrevisError:
        raise
    except Exception as error:
        if is_unavailability(error):
            _LOGGER.warning("database unavailable: %s", error)
            raise unavailable(error) from error
        raise


def _run(engine: Engine, body: Body[T]) -> T:
    with engine.begin() as connection:
        return body(connection)


def _sqlite_pragmas(url, synchronous: str, busy_timeout_ms: int) -> tuple[str, ...]:
    """Creates the database's folder; the pragmas every connection runs."""
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={synchronous}",
        f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
        "PRAGMA foreign_keys=ON",
    )


class _SqliteRunner:
    """The standard ``sqlite3`` driver: a transaction is one hop to a thread."""

    def __init__(self, url, pool_size: int, synchronous: str, busy_timeout_ms: int) -> None:
        url = url.set(drivername="sqlite")
        pragmas = _sqlite_pragmas(url, synchronous, busy_timeout_ms)
        connect_args = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        self._write_engine = create_engine(url, pool_size=1, max_overflow=0, connect_args=connect_args)
        self._read_engine = create_engine(url, pool_size=pool_size, max_overflow=0, connect_args=connect_args)
        configure_sqlite(self._write_engine, pragmas, "BEGIN IMMEDIATE")
        configure_sqlite(self._read_engine, pragmas, "BEGIN")
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-write")
        self._readers = concurrent.futures.ThreadPoolExecutor(pool_size, thread_name_prefix="sqlite-read")

    async def write(self, body: Body[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, _run, self._write_engine, body)

    async def read(self, body: Body[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._readers, _run, self._read_engine, body)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for executor, engine in ((self._writer, self._write_engine), (self._readers, self._read_engine)):
            await loop.run_in_executor(None, executor.shutdown)
            engine.dispose()


class _AioSqliteRunner:
    """aiosqlite through SQLAlchemy's async engine: the body runs in
    SQLAlchemy's greenlet and each statement awaits aiosqlite's thread. One
    writer connection (a pool of one: writes wait their turn in asyncio),
    a pool of readers beside it."""

    def __init__(self, url, pool_size: int, synchronous: str, busy_timeout_ms: int) -> None:
        pragmas = _sqlite_pragmas(url, synchronous, busy_timeout_ms)
        connect_args = {"timeout": busy_timeout_ms / 1000}
        self._write_engine = create_async_engine(
            url, pool_size=1, max_overflow=0, pool_timeout=60, connect_args=connect_args
        )
        self._read_engine = create_async_engine(
            url, pool_size=pool_size, max_overflow=0, pool_timeout=60, connect_args=connect_args
        )
        configure_sqlite(self._write_engine.sync_engine, pragmas, "BEGIN IMMEDIATE")
        configure_sqlite(self._read_engine.sync_engine, pragmas, "BEGIN")

    async def write(self, body: Body[T]) -> T:
        async with self._write_engine.begin() as connection:
            return await connection.run_sync(body)

    async def read(self, body: Body[T]) -> T:
        async with self._read_engine.begin() as connection:
            return await connection.run_sync(body)

    async def close(self) -> None:
        await self._write_engine.dispose()
        await self._read_engine.dispose()


class _PostgresRunner:
    def __init__(self, url, pool_size: int, connect_timeout_seconds: float) -> None:
        self._engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=connect_timeout_seconds,
            connect_args={"timeout": connect_timeout_seconds, "command_timeout": 60},
        )

    async def write(self, body: Body[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(body)

    read = write

    async def close(self) -> None:
        await self._engine.dispose()
