"""The storage tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Conventions: surrogate integer keys (``pk``) join the tables; times are
integer microseconds since the Unix epoch (``*_us``); money is integer
micro-dollars; labels are JSON text. Migrations in ``migrations/versions``
create exactly these tables (``tests/storage/test_migrations.py`` compares
them).

Tenancy: project ids are unique per tenant, and every lookup names the
tenant, so another tenant's project cannot be found at all.

Revisions are immutable. Their blob references and parents are stored twice:
as JSON on the revision row (one read returns a whole revision) and as rows
of ``revision_blobs``/``revision_parents`` (garbage collection and the
descendant walk query those). ``revisions.create_xact`` records, on
PostgreSQL, the transaction that inserted the row, so a lineage walk can tell
which revisions a snapshot saw (see ``lineage.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

metadata = MetaData()

# An auto-incrementing 64-bit key: BIGINT identity on PostgreSQL, the ROWID
# alias (INTEGER PRIMARY KEY) on SQLite.
SurrogateKey = BigInteger().with_variant(Integer(), "sqlite")


class current_transaction_id(FunctionElement):
    """The id of the current top-level transaction as BIGINT on PostgreSQL
    (13+: ``pg_current_xact_id``, 64 bits, never wraps); NULL on SQLite, where
    nothing needs it."""

    type = BigInteger()
    name = "current_transaction_id"
    inherit_cache = True


@compiles(current_transaction_id, "postgresql")
def _current_transaction_id_postgresql(_element, _compiler, **_kw) -> str:
    return "pg_current_xact_id()::text::bigint"


@compiles(current_transaction_id)
def _current_transaction_id_elsewhere(_element, _compiler, **_kw) -> str:
    return "NULL"


projects = Table(
    "projects",
    metadata,
    Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
    Column("tenant", String(128), nullable=False),
    Column("project_id", String(63), nullable=False),
    Column("title", String(200), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("labels", Text, nullable=False),
    Column("budget_micros", BigInteger, nullable=False),
    Column("spent_micros", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("request_id", String(128), nullable=True),
    Column("create_time_us", BigInteger, nullable=False),
    Column("update_time_us", BigInteger, nullable=False),
    Column("delete_time_us", BigInteger, nullable=True),
    UniqueConstraint("tenant", "project_id", name="uq_projects_tenant_project_id"),
    UniqueConstraint("tenant", "request_id", name="uq_projects_tenant_request_id"),
    Index("ix_projects_tenant_pk", "tenant", "pk"),
    Index("ix_projects_tenant_owner_pk", "tenant", "owner", "pk"),
)

assets = Table(
    "assets",
    metadata,
    Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
    Column("project_pk", BigInteger, ForeignKey("projects.pk"), nullable=False),
    Column("asset_id", String(63), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("labels", Text, nullable=False),
    Column("revision_count", BigInteger, nullable=False),
    Column("head_review_status", SmallInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("request_id", String(128), nullable=True),
    Column("create_time_us", BigInteger, nullable=False),
    Column("update_time_us", BigInteger, nullable=False),
    Column("delete_time_us", BigInteger, nullable=True),
    UniqueConstraint("project_pk", "asset_id", name="uq_assets_project_asset_id"),
    UniqueConstraint("project_pk", "request_id", name="uq_assets_project_request_id"),
    Index("ix_assets_project_pk", "project_pk", "pk"),
)

asset_labels = Table(
    "asset_labels",
    metadata,
    Column("asset_pk", BigInteger, ForeignKey("assets.pk"), nullable=False),
    Column("key", String(63), nullable=False),
    Column("value", String(256), nullable=False),
    PrimaryKeyConstraint("asset_pk", "key", name="pk_asset_labels"),
    Index("ix_asset_labels_key_value", "key", "value"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("asset_pk", BigInteger, ForeignKey("assets.pk"), nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("project_pk", BigInteger, ForeignKey("projects.pk"), nullable=False),
    Column("payload_type_url", Text, nullable=False),
    Column("payload_value", LargeBinary, nullable=False),
    Column("blobs", Text, nullable=False),
    Column("parents", Text, nullable=False),
    Column("labels", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("creator", String(256), nullable=False),
    Column("request_id", String(128), nullable=True),
    Column("review_status", SmallInteger, nullable=False),
    Column("create_time_us", BigInteger, nullable=False),
    # The inserting transaction (a server default, so writes pass nothing);
    # NULL on SQLite and on rows written before migration 0002.
    Column("create_xact", BigInteger, nullable=True, server_default=current_transaction_id()),
    PrimaryKeyConstraint("asset_pk", "number", name="pk_revisions"),
    UniqueConstraint("asset_pk", "request_id", name="uq_revisions_asset_request_id"),
)

revision_blobs = Table(
    "revision_blobs",
    metadata,
    Column("asset_pk", BigInteger, nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("project_pk", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    PrimaryKeyConstraint("asset_pk", "number", "position", name="pk_revision_blobs"),
    Index("ix_revision_blobs_project_sha256", "project_pk", "sha256"),
)

revision_parents = Table(
    "revision_parents",
    metadata,
    Column("asset_pk", BigInteger, nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("parent_asset_pk", BigInteger, nullable=False),
    Column("parent_number", BigInteger, nullable=False),
    PrimaryKeyConstraint("asset_pk", "number", "position", name="pk_revision_parents"),
    Index("ix_revision_parents_parent", "parent_asset_pk", "parent_number"),
)

review_events = Table(
    "review_events",
    metadata,
    Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
    Column("asset_pk", BigInteger, nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("comment", Text, nullable=False),
    Column("time_us", BigInteger, nullable=False),
    Index("ix_review_events_revision", "asset_pk", "number"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("project_pk", BigInteger, ForeignKey("projects.pk"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("create_time_us", BigInteger, nullable=False),
    Column("last_upload_time_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("project_pk", "sha256", name="pk_blobs"),
    Index("ix_blobs_sha256", "sha256"),
)

# One row per content stored in the blob store. Uploads and garbage
# collection lock this row while they place or remove the content, so the two
# never race on one file.
blob_contents = Table(
    "blob_contents",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("create_time_us", BigInteger, nullable=False),
)

spend_records = Table(
    "spend_records",
    metadata,
    Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
    Column("project_pk", BigInteger, ForeignKey("projects.pk"), nullable=False),
    Column("request_id", String(128), nullable=True),
    Column("delta_micros", BigInteger, nullable=False),
    Column("memo", String(512), nullable=False),
    Column("actor", String(256), nullable=False),
    Column("create_time_us", BigInteger, nullable=False),
    UniqueConstraint("project_pk", "request_id", name="uq_spend_records_project_request_id"),
)
