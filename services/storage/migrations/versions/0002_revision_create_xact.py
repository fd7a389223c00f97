"""Revisions record the transaction that inserted them (``create_xact``), so
a descendants walk pages over exactly the revisions its first page saw (see
``services/storage/lineage.py``).

On PostgreSQL (13 or later: ``pg_current_xact_id``) the column is filled by a
server default. It is added without a default and the default is set
afterwards, so existing rows keep NULL (they count as visible to every walk)
and neither step rewrites the table: both only change the catalog. On SQLite
the column stays NULL (walks use the rowid there).

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("revisions", sa.Column("create_xact", sa.BigInteger, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("revisions", "create_xact", server_default=sa.text("pg_current_xact_id()::text::bigint"))


def downgrade() -> None:
    op.drop_column("revisions", "create_xact")
