"""The whole suite on one machine with embedded defaults: a data folder with
the SQLite database and blobs, the offline planner, the local renderer.

Storage, planner and media listen on free loopback ports; the gateway on the
public port. A fresh internal token per run means only these processes can
call each other; clients use the development API key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from gateway.api_keys import ApiKey, write_keys_file, new_key
from previs_cli.supervisor import Supervisor

DEV_KEY_FILE = "dev-api-key"
KEYS_FILE = "api-keys.json"
DEV_TENANT = "local"


@dataclass(frozen=True)
class SuiteAddresses:
    gateway: str
    storage: str
    planner: str
    media: str
    api_key: str | None


def ensure_dev_key(data_dir: Path) -> tuple[str, Path]:
    """Creates the local development key on first start; returns it and the
    keys file (hashed) the gateway reads."""
    key_path, keys_path = data_dir / DEV_KEY_FILE, data_dir / KEYS_FILE
    if key_path.exists() and keys_path.exists():
        return key_path.read_text().strip(), keys_path
    data_dir.mkdir(parents=True, exist_ok=True)
    key = new_key()
    write_keys_file(keys_path, [(ApiKey("dev", DEV_TENANT, "dev"), key)])
    key_path.write_text(key + "\n")
    key_path.chmod(0o600)
    return key, keys_path


def start_suite(
    supervisor: Supervisor, data_dir: Path, gateway_port: int, *, auth: bool = True, log_format: str = "json"
) -> SuiteAddresses:
    data_dir = data_dir.resolve()
    token = secrets.token_urlsafe(32)
    common = {"LOG_FORMAT": log_format, "INTERNAL_TOKEN": token, "PORT": "0", "METRICS_PORT": "0"}

    def env(prefix: str, **values: str) -> dict[str, str]:
        return {f"PREVIS_{prefix}_{k}": v for k, v in {**common, **values}.items()}

    storage = supervisor.start("storage", "services.storage", env("STORAGE", DATA_DIR=str(data_dir)))
    planner = supervisor.start("planner", "services.planner", env("PLANNER", STORAGE_TARGET=storage.address))
    media = supervisor.start(
        "media",
        "services.media",
        env("MEDIA", DATA_DIR=str(data_dir), STORAGE_TARGET=storage.address, PLANNER_TARGET=planner.address),
    )
    api_key, keys_file = ensure_dev_key(data_dir) if auth else (None, None)
    gateway_env = env(
        "GATEWAY",
        PORT=str(gateway_port),
        STORAGE_TARGET=storage.address,
        PLANNER_TARGET=planner.address,
        MEDIA_TARGET=media.address,
        AUTH="api_keys" if auth else "disabled",
    )
    if keys_file is not None:
        gateway_env["PREVIS_GATEWAY_API_KEYS_FILE"] = str(keys_file)
    gateway = supervisor.start("gateway", "gateway", gateway_env)
    return SuiteAddresses(gateway.address, storage.address, planner.address, media.address, api_key)
