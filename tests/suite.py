"""The four previs servers in this process on port 0, wired as `previs up`
wires them (storage → planner → media → gateway)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from gateway.api_keys import ApiKey, write_keys_file
from gateway.app import wire as wire_gateway
from gateway.settings import GatewaySettings
from services.media.app import wire as wire_media
from services.media.settings import MediaSettings
from services.planner.app import wire as wire_planner
from services.planner.settings import PlannerSettings
from services.runtime.server import PrevisServer
from services.storage.app import wire as wire_storage
from services.storage.settings import StorageSettings

INTERNAL_TOKEN = "suite-internal-token"
TENANT_A_KEY = "pvk_suite_tenant_a"
TENANT_B_KEY = "pvk_suite_tenant_b"


@dataclass
class Suite:
    storage: PrevisServer
    planner: PrevisServer
    media: PrevisServer
    gateway: PrevisServer

    def address(self, name: str) -> str:
        return f"127.0.0.1:{getattr(self, name).port}"

    @property
    def servers(self) -> dict[str, PrevisServer]:
        return {"storage": self.storage, "planner": self.planner, "media": self.media, "gateway": self.gateway}


@contextlib.asynccontextmanager
async def in_process_suite(data_dir: Path, *, auth: bool = True, **media_overrides):
    common = {"port": 0, "metrics_port": -1, "internal_token": INTERNAL_TOKEN, "log_format": "text"}
    started: list[PrevisServer] = []
    try:
        storage_settings = StorageSettings(data_dir=data_dir, **common)
        storage = await (await wire_storage(storage_settings)).start("storage", storage_settings)
        started.append(storage)
        storage_target = f"127.0.0.1:{storage.port}"
        planner_settings = PlannerSettings(storage_target=storage_target, **common)
        planner = await (await wire_planner(planner_settings)).start("planner", planner_settings)
        started.append(planner)
        media_settings = MediaSettings(
            data_dir=data_dir / "media",
            storage_target=storage_target,
            planner_target=f"127.0.0.1:{planner.port}",
            **{**common, **media_overrides},
        )
        media = await (await wire_media(media_settings)).start("media", media_settings)
        started.append(media)
        keys_file = data_dir / "api-keys.json"
        write_keys_file(
            keys_file,
            [(ApiKey("a", "tenant-a", "alice"), TENANT_A_KEY), (ApiKey("b", "tenant-b", "bob"), TENANT_B_KEY)],
        )
        gateway_settings = GatewaySettings(
            storage_target=storage_target,
            planner_target=f"127.0.0.1:{planner.port}",
            media_target=f"127.0.0.1:{media.port}",
            auth="api_keys" if auth else "disabled",
            api_keys_file=keys_file,
            upstream_health_interval_seconds=0.5,
            **common,
        )
        gateway = await (await wire_gateway(gateway_settings)).start("gateway", gateway_settings)
        started.append(gateway)
        yield Suite(storage, planner, media, gateway)
    finally:
        for server in reversed(started):
            await server.stop(0)
