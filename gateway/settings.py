"""Gateway settings (environment prefix ``PREVIS_GATEWAY_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PREVIS_GATEWAY_", env_file=".env", extra="ignore")

    port: int = Field(50051, ge=0, le=65535, description="The public gRPC port.")
    metrics_port: int = Field(9460, ge=-1, le=65535)
    storage_target: str = Field("127.0.0.1:50061", description="host:port of the storage service.")
    planner_target: str = Field("127.0.0.1:50062", description="host:port of the planner service.")
    media_target: str = Field("127.0.0.1:50063", description="host:port of the media service.")
    auth: Literal["api_keys", "disabled"] = Field("api_keys", description="Client authentication mode.")
    api_keys_file: Path | None = Field(None, description="JSON keys file (hashed keys); required when auth=api_keys.")
    rate_limit_per_second: float = Field(200.0, ge=0, description="Calls per second per API key; 0 disables.")
    rate_limit_burst: float = Field(400.0, ge=1, description="Token bucket size per API key.")
    max_streams_per_key: int = Field(2000, ge=0, description="Open streams per API key; 0 disables.")
    upstream_health_interval_seconds: float = Field(2.0, gt=0, description="How often upstream health is polled.")

    @model_validator(mode="after")
    def _keys_file_required(self) -> "GatewaySettings":
        if self.auth == "api_keys" and self.api_keys_file is None:
            raise ValueError("api_keys_file is required when auth is api_keys (or set PREVIS_GATEWAY_AUTH=disabled)")
        return self
