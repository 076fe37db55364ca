"""lists with filters and sort (folded keys and their indexes), users' display names,
actions' assignees, saved views, calendar feeds

Revision ID: 0010_lists
Revises: 0008_ops
Create Date: 2026-12-01 16:20:00
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from alembic import op

from records_svc.domain.models import account_list_keys, contact_list_keys

revision = "0010_lists"
down_revision = "0008_ops"
branch_labels = None
depends_on = None

ACCOUNT_INDEXES = {
    "ix_accounts_sort_name": ["sort_name", "id"],
    "ix_accounts_sort_city": ["sort_city", "id"],
    "ix_accounts_updated_at": ["updated_at", "id"],
    "ix_accounts_kind_sort_name": ["kind", "sort_name", "id"],
    "ix_accounts_owner_sort_name": ["owner_id", "sort_name", "id"],
}
CONTACT_INDEXES = {
    "ix_contacts_sort_name": ["sort_name", "id"],
    "ix_contacts_updated_at": ["updated_at", "id"],
}


def _text_column(name: str, length: int | None) -> sa.Column[Any]:
    kind = sa.String(length=length) if length else sa.Text()
    return sa.Column(name, kind, nullable=False, server_default="")


def _backfill_keys() -> None:
    """The folded keys of the rows already there (the models keep them from now on)."""
    conn = op.get_bind()
    accounts = sa.table(
        "accounts",
        *(sa.column(c) for c in ("id", "name", "legal_name", "city", "postal_code")),
        *(sa.column(c) for c in ("siren", "siret", "sort_name", "sort_city", "search_text")),
    )
    for row in conn.execute(sa.select(accounts)).all():
        name, city, text = account_list_keys(cast(Any, row))
        conn.execute(
            accounts.update()
            .where(accounts.c.id == row.id)
            .values(sort_name=name, sort_city=city, search_text=text)
        )
    contacts = sa.table(
        "contacts",
        *(sa.column(c) for c in ("id", "first_name", "last_name", "email", "job_title")),
        *(sa.column(c) for c in ("sort_name", "search_text")),
    )
    for row in conn.execute(sa.select(contacts)).all():
        name, text = contact_list_keys(cast(Any, row))
        conn.execute(
            contacts.update()
            .where(contacts.c.id == row.id)
            .values(sort_name=name, search_text=text)
        )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=120), nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(_text_column("sort_name", 200))
        batch.add_column(_text_column("sort_city", 120))
        batch.add_column(_text_column("search_text", None))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(_text_column("sort_name", 200))
        batch.add_column(_text_column("search_text", None))
    _backfill_keys()
    for name, columns in ACCOUNT_INDEXES.items():
        op.create_index(name, "accounts", columns)
    op.create_index(
        "ix_accounts_postal_code",
        "accounts",
        ["postal_code"],
        postgresql_ops={"postal_code": "varchar_pattern_ops"},
    )
    for name, columns in CONTACT_INDEXES.items():
        op.create_index(name, "contacts", columns)
    op.create_index("ix_opportunities_updated_at", "opportunities", ["updated_at", "id"])

    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_actions_assignee_id_users", "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
    op.execute("UPDATE actions SET assignee_id = author_id")
    op.create_index("ix_actions_assignee_due", "actions", ["assignee_id", "done", "due_at", "id"])

    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("sort", sa.String(length=32), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_saved_views_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_saved_views"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_saved_views_user_entity", "saved_views", ["user_id", "entity", "id"])
    op.create_index("ix_saved_views_shared_entity", "saved_views", ["shared", "entity", "id"])

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_calendar_feeds_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("user_id", name="uq_calendar_feeds_user_id"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_index("ix_saved_views_shared_entity", table_name="saved_views")
    op.drop_index("ix_saved_views_user_entity", table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_index("ix_actions_assignee_due", table_name="actions")
    with op.batch_alter_table("actions") as batch:
        batch.drop_constraint("fk_actions_assignee_id_users", type_="foreignkey")
        batch.drop_column("assignee_id")
    op.drop_index("ix_opportunities_updated_at", table_name="opportunities")
    for name in CONTACT_INDEXES:
        op.drop_index(name, table_name="contacts")
    op.drop_index("ix_accounts_postal_code", table_name="accounts")
    for name in ACCOUNT_INDEXES:
        op.drop_index(name, table_name="accounts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("search_text")
        batch.drop_column("sort_name")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("search_text")
        batch.drop_column("sort_city")
        batch.drop_column("sort_name")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("display_name")
