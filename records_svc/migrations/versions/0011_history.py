"""history entries, tombstones of deleted records, contacts' consent and opposition

Revision ID: 0011_history
Revises: 0010_lists
Create Date: 2026-12-01 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_history"
down_revision = "0010_lists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_history_entries_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_entries")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_history_entries_entity", "history_entries", ["entity", "entity_id", "id"])
    op.create_table(
        "deleted_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_deleted_records_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_records")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_deleted_records_account_id", "deleted_records", ["account_id"])
    # Plain ADD COLUMNs: a batch would rebuild the table on SQLite without its AUTOINCREMENT
    # (ids of deleted contacts reused, which the search index's versions cannot tell apart).
    op.add_column(
        "contacts",
        sa.Column("consent_status", sa.String(length=16), server_default="unknown", nullable=False),
    )
    op.add_column("contacts", sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("contacts", sa.Column("consent_source", sa.String(length=200), nullable=True))
    op.add_column(
        "contacts",
        sa.Column("do_not_contact", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("do_not_contact")
        batch_op.drop_column("consent_source")
        batch_op.drop_column("consent_at")
        batch_op.drop_column("consent_status")
    op.drop_index("ix_deleted_records_account_id", table_name="deleted_records")
    op.drop_table("deleted_records")
    op.drop_index("ix_history_entries_entity", table_name="history_entries")
    op.drop_table("history_entries")
