"""Planner settings (environment prefix ``PREVIS_PLANNER_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class PlannerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PREVIS_PLANNER_", env_file=".env", extra="ignore")

    port: int = Field(50062, ge=0, le=65535)
    metrics_port: int = Field(9462, ge=-1, le=65535)
    storage_target: str = Field("127.0.0.1:50061", description="host:port of the storage service.")
    gemini_api_key: SecretStr | None = Field(None, description="Enables the Gemini planner; offline planner when unset.")
    gemini_base_url: str | None = Field(None, description="Override of the Gemini API address (tests, proxies).")
    gemini_model: str = Field("gemini-2.5-pro", description="Model for plans, shot plans and repairs.")
    llm_timeout_seconds: float = Field(120.0, gt=0, description="Timeout of one LLM call.")
    llm_max_attempts: int = Field(3, ge=1, le=10, description="Attempts for malformed output or transient errors.")
    llm_debug_prompts: bool = Field(False, description="Log full prompts and responses.")
