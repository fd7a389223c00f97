"""Storage settings (environment prefix ``PREVIS_STORAGE_``).

The embedded default keeps everything in ``data_dir``: the SQLite database
``storage.db`` (through aiosqlite) and the blob store ``blobs/``.
``database_url`` switches to PostgreSQL
(``postgresql+asyncpg://user@host:5432/db``) or to SQLite's standard driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings

DATABASE_FILE = "storage.db"
PAGE_TOKEN_SECRET_FILE = "storage-page-token.key"


class StorageSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PREVIS_STORAGE_", env_file=".env", extra="ignore")

    port: int = Field(50061, ge=0, le=65535)
    metrics_port: int = Field(9461, ge=-1, le=65535)
    data_dir: Path = Field(Path("./previs-data"), description="Folder of the embedded database and blobs.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path (the default's driver), sqlite:///path "
        "(the standard sqlite3 driver on a thread: faster batches) or "
        "postgresql+asyncpg://user@host:5432/db; default: SQLite file storage.db in data_dir.",
    )
    blob_dir: Path | None = Field(None, description="Folder of blob content; default: data_dir/blobs.")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL",
        description="NORMAL (WAL): acknowledged writes survive a process crash (SIGKILL), the last ones may "
        "roll back after a power loss or OS crash. FULL: they survive that too, at a lower write rate.",
    )
    sqlite_busy_timeout_ms: int = Field(10_000, ge=0, description="How long SQLite waits for another writer.")
    database_pool_size: int = Field(10, ge=1, le=200, description="Connections per process.")
    database_connect_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one database connect.")
    database_startup_timeout_seconds: float = Field(
        30.0, ge=0, description="How long start-up waits for an unreachable database before exiting."
    )
    write_batch_max: int = Field(
        256, ge=1, le=2000, description="Most revision creates committed in one transaction (group commit)."
    )
    page_token_secret: SecretStr | None = Field(
        None,
        description="Key that signs page tokens; share it between replicas. Default: a key generated once "
        "and kept in data_dir.",
    )
    gc_grace_seconds: float = Field(
        86_400.0,
        ge=0,
        description="Garbage collection keeps blobs uploaded more recently than this, so an upload is not "
        "collected before the revision that references it is created.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / DATABASE_FILE).resolve()}"

    @property
    def resolved_blob_dir(self) -> Path:
        return (self.blob_dir or self.data_dir / "blobs").resolve()
