"""Media settings (environment prefix ``PREVIS_MEDIA_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class MediaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PREVIS_MEDIA_", env_file=".env", extra="ignore")

    port: int = Field(50063, ge=0, le=65535)
    metrics_port: int = Field(9463, ge=-1, le=65535)
    data_dir: Path = Field(Path("previs-data"), description="Holds the jobs database and scratch files.")
    database_url: str | None = Field(None, description="Jobs database; SQLite in data_dir when unset.")
    storage_target: str = Field("127.0.0.1:50061", description="host:port of the storage service.")
    planner_target: str = Field("127.0.0.1:50062", description="host:port of the planner service.")
    replicate_api_token: SecretStr | None = Field(None, description="Enables the Replicate backend.")
    replicate_base_url: str | None = Field(None, description="Override of the Replicate API address.")
    gemini_api_key: SecretStr | None = Field(None, description="Enables the Gemini (Imagen/Veo) backend.")
    gemini_base_url: str | None = Field(None, description="Override of the Gemini API address.")
    image_backends: list[str] = Field(["replicate", "gemini", "local"], description="Failover order for images.")
    video_backends: list[str] = Field(["replicate", "gemini", "local"], description="Failover order for video.")
    max_concurrent_jobs_per_backend: int = Field(4, ge=1, description="Jobs running at once on one backend.")
    job_timeout_seconds: float = Field(900.0, gt=0, description="Longest a job may run before it fails TIMEOUT.")
    backend_concurrency: dict[str, int] = Field(
        {}, description="Slots of individual backends, overriding max_concurrent_jobs_per_backend (JSON)."
    )
    job_item_parallelism: int = Field(2, ge=1, description="Items of one job in flight at once.")
    retry_max_attempts: int = Field(4, ge=1, description="Calls of one backend per item, retries included.")
    retry_initial_delay_seconds: float = Field(1.0, gt=0, description="First backoff after a retryable error.")
    retry_max_delay_seconds: float = Field(
        30.0, gt=0, description="Longest backoff; a longer Retry-After fails over instead of waiting."
    )
    output_retry_seconds: float = Field(60.0, gt=0, description="How long storing an output is retried.")
    restart_safe_backends: list[str] = Field(
        ["local"], description="Backends whose interrupted work is simply redone after a restart (no upstream cost)."
    )
    progress_event_interval_seconds: float = Field(0.5, ge=0, description="Fewest seconds between progress events.")
    upstream_cancel_timeout_seconds: float = Field(10.0, gt=0, description="Bound of one upstream cancel call.")
    watch_queue_size: int = Field(256, ge=8, description="Live events buffered per WatchJob stream.")
    watch_poll_seconds: float = Field(10.0, gt=0, description="A quiet WatchJob stream re-checks the database.")
    jobs_write_retry_seconds: float = Field(30.0, gt=0, description="How long a failing jobs database write is retried.")
    defaults_file: Path | None = Field(None, description="Request defaults YAML; the shipped defaults.yaml when unset.")
    prices_file: Path | None = Field(None, description="Price table YAML; the shipped prices.yaml when unset.")
    planner_timeout_seconds: float = Field(120.0, gt=0, description="Bound of one call to the planner.")
    replicate_poll_interval_seconds: float = Field(2.0, gt=0, description="First wait between Replicate polls.")
    replicate_max_poll_interval_seconds: float = Field(10.0, gt=0, description="Longest wait between Replicate polls.")
    replicate_request_timeout_seconds: float = Field(60.0, gt=0, description="Bound of one Replicate API request.")
    gemini_poll_interval_seconds: float = Field(10.0, gt=0, description="First wait between Veo operation polls.")
    gemini_max_poll_interval_seconds: float = Field(30.0, gt=0, description="Longest wait between Veo operation polls.")
