"""Fresh PostgreSQL databases for tests, on the server named by
``PREVIS_TEST_POSTGRES_URL`` (for example
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``). When the variable
is unset the tests that need one are skipped; when it is set and the server
cannot be reached they fail."""

from __future__ import annotations

import asyncio
import os
import secrets
from typing import Iterator

import pytest
from sqlalchemy.engine import URL, make_url

POSTGRES_ENV = "PREVIS_TEST_POSTGRES_URL"


async def _admin(url: URL, statement: str) -> None:
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


def fresh_database(prefix: str) -> Iterator[str]:
    """Yields the URL of a new, empty database and drops it afterwards (use
    it as the body of a generator fixture: ``yield from``)."""
    configured = os.environ.get(POSTGRES_ENV)
    if not configured:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    server = make_url(configured)
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    except Exception as error:  # refused, timed out, authentication...
        pytest.fail(f"{POSTGRES_ENV}={configured} is set but PostgreSQL cannot be reached: {error!r}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
