"""Settings shared by every previs process, read from the environment and
``.env`` with pydantic-settings.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``PREVIS_STORAGE_``, ``PREVIS_PLANNER_``...). :func:`load_settings` fails fast
with the variable's name when a setting is missing or malformed.
"""

from __future__ import annotations

import logging
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

_LOGGER = logging.getLogger(__name__)

MiB = 1024 * 1024


class ServiceSettings(BaseSettings):
    """Settings every service process has."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the gRPC server binds to.")
    port: int = Field(0, ge=0, le=65535, description="gRPC port; 0 picks a free one.")
    metrics_host: str = Field("127.0.0.1", description="Address of the Prometheus endpoint.")
    metrics_port: int = Field(-1, ge=-1, le=65535, description="Prometheus port; 0 picks one, -1 disables it.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    grace_period_seconds: float = Field(10.0, ge=0, description="Time in-flight calls get after SIGTERM.")
    max_receive_message_bytes: int = Field(
        8 * MiB, ge=64 * 1024, description="Largest message accepted; blobs stream in 1 MiB chunks."
    )
    max_send_message_bytes: int = Field(8 * MiB, ge=64 * 1024, description="Largest message sent.")
    max_concurrent_streams: int = Field(2000, ge=1, description="HTTP/2 streams per connection.")
    internal_token: SecretStr | None = Field(
        None, description="Shared secret between previs processes; when set, calls without it are refused."
    )


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class SettingsError(SystemExit):
    """Raised (exiting the process with status 2) when settings are invalid."""


def describe_validation_error(cls: type[BaseSettings], error: ValidationError) -> str:
    prefix = cls.model_config.get("env_prefix", "")
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "?"
        problems.append(f"{(prefix + field).upper()}: {item['msg']}")
    return "invalid settings: " + "; ".join(problems)


def load_settings(cls: type[SettingsT], **overrides) -> SettingsT:
    """Builds settings from the environment, ``.env`` and ``overrides``.
    Exits with a message naming the variables when they are invalid."""
    try:
        return cls(**overrides)
    except ValidationError as error:
        message = describe_validation_error(cls, error)
        _LOGGER.error("%s", message)
        raise SettingsError(message) from None
