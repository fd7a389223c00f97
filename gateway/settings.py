"""Gateway settings (environment prefix ``PREVIS_GATEWAY_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class ApiKeyEntry(BaseModel):
    """One API key as configured: its identity and the SHA-256 (hex) of the
    key. The key itself is never stored (``printf %s "$KEY" | sha256sum``)."""

    id: str = Field(min_length=1)
    tenant: str = Field(min_length=1)
    principal: str = ""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    revoked: bool = False


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PREVIS_GATEWAY_", env_file=".env", extra="ignore")

    port: int = Field(50051, ge=0, le=65535, description="The public gRPC port.")
    metrics_port: int = Field(9460, ge=-1, le=65535)
    storage_target: str = Field("127.0.0.1:50061", description="host:port of the storage service.")
    planner_target: str = Field("127.0.0.1:50062", description="host:port of the planner service.")
    media_target: str = Field("127.0.0.1:50063", description="host:port of the media service.")
    auth: Literal["api_keys", "disabled"] = Field("api_keys", description="Client authentication mode.")
    api_keys_file: Path | None = Field(
        None, description="JSON keys file (hashed keys), re-read when it changes; this or api_keys when auth=api_keys."
    )
    api_keys: list[ApiKeyEntry] = Field(
        default_factory=list,
        description='Hashed keys given in settings, a JSON list: [{"id", "tenant", "principal", "sha256", "revoked"}].',
    )
    api_keys_reload_seconds: float = Field(
        2.0, ge=0, description="How often the keys file's modification time is checked (revocations apply without a restart)."
    )
    rate_limit_per_second: float = Field(200.0, ge=0, description="Calls per second per API key; 0 disables.")
    rate_limit_burst: float = Field(400.0, ge=1, description="Token bucket size per API key.")
    rate_limit_max_wait_seconds: float = Field(
        0.5,
        ge=0,
        description="A call over the rate waits up to this long for its token (a burst is smoothed to the rate) before "
        "it is refused with RESOURCE_EXHAUSTED and RetryInfo; 0 refuses at once.",
    )
    max_streams_per_key: int = Field(2000, ge=0, description="Open streams per API key; 0 disables.")
    max_unary_in_flight_per_key: int = Field(
        16,
        ge=0,
        description="Unary calls per API key on their way upstream at once; more wait (up to rate_limit_max_wait_seconds) "
        "in the gateway, so one key's burst cannot fill the services' queues ahead of other tenants; 0 disables.",
    )
    upstream_health_interval_seconds: float = Field(2.0, gt=0, description="How often upstream health is polled.")
    default_unary_timeout_seconds: float = Field(
        300.0,
        gt=0,
        description="Deadline given to a unary call that arrives without one, so a frozen upstream cannot hold it forever.",
    )
    upstream_reconnect_max_seconds: float = Field(
        1.0, gt=0, description="Longest wait between reconnect attempts to a down upstream (recovery time after it returns)."
    )

    @model_validator(mode="after")
    def _auth_is_complete(self) -> "GatewaySettings":
        if self.auth != "api_keys":
            return self
        problems = []
        if self.api_keys_file is None and not self.api_keys:
            problems.append("api_keys_file (or api_keys) is required when auth is api_keys")
        if self.internal_token is None:
            problems.append(
                "internal_token is required when auth is api_keys: without it the services would trust any caller's"
                " identity headers"
            )
        if problems:
            raise ValueError("; ".join(problems) + " (or set PREVIS_GATEWAY_AUTH=disabled)")
        return self
