"""duplicates: the normalised keys likely duplicates are found by, and their indexes

Revision ID: 0012_duplicates
Revises: 0011_history
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from records_svc.domain import dupkeys

revision = "0012_duplicates"
down_revision = "0011_history"
branch_labels = None
depends_on = None

ACCOUNT_INDEXES = ("name_key", "email_domain", "web_domain", "phone")
CONTACT_INDEXES = ("email_key", "mobile", "direct_line")


def _backfill_keys() -> None:
    """The keys of the rows already there (the models keep them from now on)."""
    conn = op.get_bind()
    accounts = sa.table(
        "accounts",
        *(sa.column(c) for c in ("id", "name", "email", "website")),
        *(sa.column(c) for c in ("name_key", "email_domain", "web_domain")),
    )
    for row in conn.execute(
        sa.select(accounts.c.id, accounts.c.name, accounts.c.email, accounts.c.website)
    ).all():
        conn.execute(
            accounts.update()
            .where(accounts.c.id == row.id)
            .values(
                name_key=dupkeys.name_key(row.name),
                email_domain=dupkeys.email_domain(row.email),
                web_domain=dupkeys.web_domain(row.website),
            )
        )
    contacts = sa.table("contacts", sa.column("id"), sa.column("email"), sa.column("email_key"))
    conn.execute(
        contacts.update()
        .where(contacts.c.email.is_not(None))
        .values(email_key=sa.func.lower(sa.func.trim(contacts.c.email)))
    )


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("name_key", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("email_domain", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("web_domain", sa.String(length=254), nullable=True))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("email_key", sa.String(length=254), nullable=True))
    _backfill_keys()
    for column in ACCOUNT_INDEXES:
        op.create_index(f"ix_accounts_{column}", "accounts", [column])
    for column in CONTACT_INDEXES:
        op.create_index(f"ix_contacts_{column}", "contacts", [column])
    op.create_index("ix_contacts_account_sort_name", "contacts", ["account_id", "sort_name"])


def downgrade() -> None:
    op.drop_index("ix_contacts_account_sort_name", table_name="contacts")
    for column in CONTACT_INDEXES:
        op.drop_index(f"ix_contacts_{column}", table_name="contacts")
    for column in ACCOUNT_INDEXES:
        op.drop_index(f"ix_accounts_{column}", table_name="accounts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("email_key")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("web_domain")
        batch.drop_column("email_domain")
        batch.drop_column("name_key")
