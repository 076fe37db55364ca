"""merge the documents/editions and opportunities/actions branches

Revision ID: merge_0003_0004
Revises: 0003, 0004
Create Date: 2026-11-27 21:35:00
"""

from __future__ import annotations

revision = "merge_0003_0004"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
