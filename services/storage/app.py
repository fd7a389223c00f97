"""Wires storage: database (migrated on start-up), content store, the domain
parts and the two servicers."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from previs.storage.v1 import storage_admin_service_pb2_grpc, storage_service_pb2_grpc
from services.runtime.errors import Unavailable
from services.runtime.page_tokens import PageTokenCodec
from services.runtime.server import ServiceRegistration
from services.runtime.service_main import Dependencies
from services.storage import migrations
from services.storage.assets import Assets
from services.storage.blob_registry import Blobs
from services.storage.blobs import LocalContentStore
from services.storage.database import Database
from services.storage.garbage import GarbageCollector
from services.storage.lineage import Lineage
from services.storage.paging import Paging
from services.storage.projects import Projects
from services.storage.revision_writer import RevisionWriter
from services.storage.revisions import Revisions
from services.storage.servicer import STORAGE_ADMIN_SERVICE, STORAGE_SERVICE, StorageAdminServicer, StorageServicer
from services.storage.settings import PAGE_TOKEN_SECRET_FILE, StorageSettings
from services.storage.spend import Spending

_LOGGER = logging.getLogger(__name__)


@dataclass
class StorageParts:
    database: Database
    store: LocalContentStore
    projects: Projects
    assets: Assets
    revisions: Revisions
    writer: RevisionWriter
    lineage: Lineage
    blobs: Blobs
    spending: Spending
    garbage: GarbageCollector

    async def close(self) -> None:
        await self.writer.close()
        await self.database.close()


async def build(settings: StorageSettings) -> StorageParts:
    """Opens and migrates the database and assembles the domain parts."""
    database = Database(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        connect_timeout_seconds=settings.database_connect_timeout_seconds,
        sqlite_synchronous=settings.sqlite_synchronous,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    try:
        await _migrate(database, settings.database_startup_timeout_seconds)
        store = LocalContentStore(settings.resolved_blob_dir)
        await store.sweep_temporary(settings.gc_grace_seconds)
        paging = Paging(PageTokenCodec(_page_token_secret(settings)))
    except BaseException:
        await database.close()
        raise
    return StorageParts(
        database=database,
        store=store,
        projects=Projects(database, paging),
        assets=Assets(database, paging),
        revisions=Revisions(database, paging),
        writer=RevisionWriter(database, settings.write_batch_max),
        lineage=Lineage(database, paging),
        blobs=Blobs(database, store),
        spending=Spending(database),
        garbage=GarbageCollector(database, store, settings.gc_grace_seconds),
    )


async def wire(settings: StorageSettings) -> Dependencies:
    return dependencies(await build(settings))


def dependencies(parts: StorageParts) -> Dependencies:
    """The servicers over ``parts``, and how to close them."""
    storage = StorageServicer(parts)
    admin = StorageAdminServicer(parts)
    registrations = [
        ServiceRegistration(STORAGE_SERVICE, lambda server: storage_service_pb2_grpc.add_StorageServiceServicer_to_server(storage, server)),
        ServiceRegistration(
            STORAGE_ADMIN_SERVICE,
            lambda server: storage_admin_service_pb2_grpc.add_StorageAdminServiceServicer_to_server(admin, server),
        ),
    ]
    return Dependencies(registrations, [parts.close])


async def _migrate(database: Database, timeout_seconds: float) -> None:
    """Migrates, waiting up to ``timeout_seconds`` for a database that is
    not reachable yet (e.g. PostgreSQL starting beside us)."""
    deadline = time.monotonic() + timeout_seconds
    delay = 0.2
    while True:
        try:
            await migrations.upgrade(database)
            return
        except Unavailable:
            if time.monotonic() + delay > deadline:
                raise
            _LOGGER.warning("database not reachable yet; retrying in %.1fs", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def _page_token_secret(settings: StorageSettings) -> bytes:
    if settings.page_token_secret is not None:
        return settings.page_token_secret.get_secret_value().encode()
    path = Path(settings.data_dir) / PAGE_TOKEN_SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    secret = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as file:
        file.write(secret.hex())
        file.flush()
        os.fsync(file.fileno())
    return secret
