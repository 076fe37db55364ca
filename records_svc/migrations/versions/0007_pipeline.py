"""search versions of accounts and contacts; leases of outbox events

Revision ID: 0007_pipeline
Revises: 0006_access
Create Date: 2026-12-01 15:40:00

A document's version used to be the row's version (a contact's: its own plus
its account's); the search version starts from that same value, so an index
built before this revision stays current.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_pipeline"
down_revision = "0006_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("accounts", "contacts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("search_version", sa.Integer(), server_default="1", nullable=False)
            )
    op.execute("UPDATE accounts SET search_version = version")
    op.execute(
        "UPDATE contacts SET search_version = version + "
        "(SELECT accounts.version FROM accounts WHERE accounts.id = contacts.account_id)"
    )
    with op.batch_alter_table("index_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("index_events", schema=None) as batch_op:
        batch_op.drop_column("leased_until")
    for table in ("contacts", "accounts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("search_version")
