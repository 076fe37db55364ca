"""an import's report row names the records a created row likely duplicates

Revision ID: 0020_import_possible_duplicates
Revises: 0019_outbox_columns
Create Date: 2026-12-02 04:30:00

A row created by an import is checked, as ``POST /prospects`` is, for likely
duplicates that do not block it (the same name in the same place, phone, SIREN,
e-mail or web domain): they are kept beside the row's outcome. A batch looks
names up by (name, postal code), the newest first: the name's index takes the
postal code and the id too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_import_possible_duplicates"
down_revision = "0019_outbox_columns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_rows", sa.Column("possible_duplicates", sa.JSON(), nullable=True))
    # a batch looks names up by (name, postal code) pairs; a name alone is the prefix
    op.create_index(
        "ix_accounts_name_key_postal_code", "accounts", ["name_key", "postal_code", "id"]
    )
    op.drop_index("ix_accounts_name_key", table_name="accounts")


def downgrade() -> None:
    op.create_index("ix_accounts_name_key", "accounts", ["name_key"])
    op.drop_index("ix_accounts_name_key_postal_code", table_name="accounts")
    with op.batch_alter_table("import_rows", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("possible_duplicates")
