"""The jobs tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Times are integer microseconds since the Unix epoch (``*_us``), money is
integer micro-dollars, errors and stages are JSON text, item work is the JSON
of ``job_work.encode_work``, and events are serialized
``previs.media.v1.JobEvent`` messages keyed by (job, sequence), so a job's
history has one row per sequence number and no gaps can hide.

Every read names the tenant: another tenant's job cannot be found at all.
A retried start is found by (tenant, project, request_id).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

jobs = Table(
    "media_jobs",
    metadata,
    Column("job_id", String(63), primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("principal", String(256), nullable=False),
    Column("project", String(63), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("request_id", String(128), nullable=True),
    Column("backend", String(32), nullable=False),
    Column("spec_field", String(64), nullable=False),
    Column("spec_payload", LargeBinary, nullable=False),
    Column("progress", Float, nullable=False),
    Column("current_stage", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("stages", Text, nullable=False),
    Column("estimated_micros", BigInteger, nullable=False),
    Column("actual_micros", BigInteger, nullable=False),
    Column("error", Text, nullable=True),
    Column("cancel_requested", Boolean, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("last_event_sequence", BigInteger, nullable=False),
    Column("create_time_us", BigInteger, nullable=False),
    Column("start_time_us", BigInteger, nullable=True),
    Column("end_time_us", BigInteger, nullable=True),
    Column("update_time_us", BigInteger, nullable=False),
    UniqueConstraint("tenant", "project", "request_id", name="uq_media_jobs_request"),
    Index("ix_media_jobs_listing", "tenant", "project", "create_time_us", "job_id"),
    Index("ix_media_jobs_state", "state"),
)

job_items = Table(
    "media_job_items",
    metadata,
    Column("job_id", String(63), nullable=False),
    Column("position", Integer, nullable=False),
    Column("item_key", String(128), nullable=False),
    Column("work", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("backend", String(32), nullable=False),
    Column("model", String(256), nullable=False),
    Column("output_revision", String(512), nullable=False),
    Column("error", Text, nullable=True),
    Column("estimated_micros", BigInteger, nullable=False),
    Column("actual_micros", BigInteger, nullable=False),
    Column("upstream_backend", String(32), nullable=False),
    Column("upstream_id", String(512), nullable=False),
    PrimaryKeyConstraint("job_id", "position", name="pk_media_job_items"),
)

job_events = Table(
    "media_job_events",
    metadata,
    Column("job_id", String(63), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("time_us", BigInteger, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    PrimaryKeyConstraint("job_id", "sequence", name="pk_media_job_events"),
)
