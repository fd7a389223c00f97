"""The initial storage schema: projects, assets, immutable revisions with
lineage and reviews, content-addressed blobs, spend records.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SurrogateKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("project_id", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("budget_micros", sa.BigInteger, nullable=False),
        sa.Column("spent_micros", sa.BigInteger, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("create_time_us", sa.BigInteger, nullable=False),
        sa.Column("update_time_us", sa.BigInteger, nullable=False),
        sa.Column("delete_time_us", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("tenant", "project_id", name="uq_projects_tenant_project_id"),
        sa.UniqueConstraint("tenant", "request_id", name="uq_projects_tenant_request_id"),
    )
    op.create_index("ix_projects_tenant_pk", "projects", ["tenant", "pk"])
    op.create_index("ix_projects_tenant_owner_pk", "projects", ["tenant", "owner", "pk"])

    op.create_table(
        "assets",
        sa.Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
        sa.Column("project_pk", sa.BigInteger, sa.ForeignKey("projects.pk"), nullable=False),
        sa.Column("asset_id", sa.String(63), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("revision_count", sa.BigInteger, nullable=False),
        sa.Column("head_review_status", sa.SmallInteger, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("create_time_us", sa.BigInteger, nullable=False),
        sa.Column("update_time_us", sa.BigInteger, nullable=False),
        sa.Column("delete_time_us", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("project_pk", "asset_id", name="uq_assets_project_asset_id"),
        sa.UniqueConstraint("project_pk", "request_id", name="uq_assets_project_request_id"),
    )
    op.create_index("ix_assets_project_pk", "assets", ["project_pk", "pk"])

    op.create_table(
        "asset_labels",
        sa.Column("asset_pk", sa.BigInteger, sa.ForeignKey("assets.pk"), nullable=False),
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "key", name="pk_asset_labels"),
    )
    op.create_index("ix_asset_labels_key_value", "asset_labels", ["key", "value"])

    op.create_table(
        "revisions",
        sa.Column("asset_pk", sa.BigInteger, sa.ForeignKey("assets.pk"), nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("project_pk", sa.BigInteger, sa.ForeignKey("projects.pk"), nullable=False),
        sa.Column("payload_type_url", sa.Text, nullable=False),
        sa.Column("payload_value", sa.LargeBinary, nullable=False),
        sa.Column("blobs", sa.Text, nullable=False),
        sa.Column("parents", sa.Text, nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("creator", sa.String(256), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("review_status", sa.SmallInteger, nullable=False),
        sa.Column("create_time_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "number", name="pk_revisions"),
        sa.UniqueConstraint("asset_pk", "request_id", name="uq_revisions_asset_request_id"),
    )

    op.create_table(
        "revision_blobs",
        sa.Column("asset_pk", sa.BigInteger, nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("project_pk", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "number", "position", name="pk_revision_blobs"),
    )
    op.create_index("ix_revision_blobs_project_sha256", "revision_blobs", ["project_pk", "sha256"])

    op.create_table(
        "revision_parents",
        sa.Column("asset_pk", sa.BigInteger, nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("parent_asset_pk", sa.BigInteger, nullable=False),
        sa.Column("parent_number", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("asset_pk", "number", "position", name="pk_revision_parents"),
    )
    op.create_index("ix_revision_parents_parent", "revision_parents", ["parent_asset_pk", "parent_number"])

    op.create_table(
        "review_events",
        sa.Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
        sa.Column("asset_pk", sa.BigInteger, nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("time_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_review_events_revision", "review_events", ["asset_pk", "number"])

    op.create_table(
        "blobs",
        sa.Column("project_pk", sa.BigInteger, sa.ForeignKey("projects.pk"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("create_time_us", sa.BigInteger, nullable=False),
        sa.Column("last_upload_time_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("project_pk", "sha256", name="pk_blobs"),
    )
    op.create_index("ix_blobs_sha256", "blobs", ["sha256"])

    op.create_table(
        "blob_contents",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("create_time_us", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "spend_records",
        sa.Column("pk", SurrogateKey, primary_key=True, autoincrement=True),
        sa.Column("project_pk", sa.BigInteger, sa.ForeignKey("projects.pk"), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("delta_micros", sa.BigInteger, nullable=False),
        sa.Column("memo", sa.String(512), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("create_time_us", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("project_pk", "request_id", name="uq_spend_records_project_request_id"),
    )


def downgrade() -> None:
    for table in (
        "spend_records",
        "blob_contents",
        "blobs",
        "review_events",
        "revision_parents",
        "revision_blobs",
        "revisions",
        "asset_labels",
        "assets",
        "projects",
    ):
        op.drop_table(table)
