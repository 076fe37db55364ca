"""index events name their record only: ``version`` and ``op`` go

Revision ID: 0019_outbox_columns
Revises: 0018_import_speed
Create Date: 2026-12-01 22:10:00

An event said which version it was written for and whether the record was written
or deleted, but nothing read either: the indexing job reads the current row (the
database is the truth) and the row's ``search_version`` is the document's version.
On SQLite the batch mode rebuilds ``index_events`` only (no trigger lives on it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_outbox_columns"
down_revision = "0018_import_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("index_events", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("op")
        batch.drop_column("version")


def downgrade() -> None:
    # the old columns come back filled as well as can be: an event of a record written
    with op.batch_alter_table("index_events", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("op", sa.String(length=8), nullable=False, server_default="upsert")
        )
