"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 20:22:13.217194
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: The standard fields this revision seeds, as literals: a migration never imports
#: domain code, whose idea of the library moves on (a new standard field comes with
#: its own migration). (entity, key, label, type, tab, position, required, choices,
#: max_length); prospects and clients have the same fields
_ACCOUNT_FIELDS = [
    ("name", "Nom d'appel", "text", "Identification", 10, True, None, 200),
    ("legal_name", "Raison sociale", "text", "Identification", 20, False, None, 200),
    ("address.line1", "Adresse", "text", "Coordonnées", 30, False, None, 200),
    ("address.line2", "Complément d'adresse", "text", "Coordonnées", 40, False, None, 200),
    ("address.postal_code", "Code postal", "text", "Coordonnées", 50, False, None, 20),
    ("address.city", "Ville", "text", "Coordonnées", 60, False, None, 120),
    ("address.country", "Pays", "text", "Coordonnées", 70, False, None, 120),
    ("phone", "Téléphone", "phone", "Coordonnées", 80, False, None, None),
    ("email", "E-mail", "email", "Coordonnées", 90, False, None, None),
    ("website", "Site web", "url", "Coordonnées", 100, False, None, 300),
    ("siren", "SIREN", "siren", "Marketing", 110, False, None, None),
    ("siret", "SIRET", "siret", "Marketing", 120, False, None, None),
    ("ape_code", "Code APE", "ape", "Marketing", 130, False, None, None),
]
_CONTACT_FIELDS = [
    ("civility", "Civilité", "choice", "Identification", 10, False, ["M.", "Mme"], 20),
    ("first_name", "Prénom", "text", "Identification", 20, False, None, 100),
    ("last_name", "Nom", "text", "Identification", 30, True, None, 100),
    ("job_title", "Fonction", "text", "Identification", 40, False, None, 150),
    ("direct_line", "Ligne directe", "phone", "Coordonnées", 50, False, None, None),
    ("mobile", "Mobile", "phone", "Coordonnées", 60, False, None, None),
    ("email", "E-mail", "email", "Coordonnées", 70, False, None, None),
]
STANDARD_FIELDS = [
    *[("prospect", *row) for row in _ACCOUNT_FIELDS],
    *[("client", *row) for row in _ACCOUNT_FIELDS],
    *[("contact", *row) for row in _CONTACT_FIELDS],
]
_COLUMNS = (
    "entity",
    "key",
    "label",
    "type",
    "tab",
    "position",
    "required",
    "choices",
    "max_length",
)


def upgrade() -> None:
    op.create_table(
        "field_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("tab", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("standard", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_definitions")),
        sa.UniqueConstraint("entity", "key", name="uq_field_definitions_entity_key"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "index_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_events")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("index_events", schema=None) as batch_op:
        batch_op.create_index("ix_index_events_pending", ["processed_at", "id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("ape_code", sa.String(length=6), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("country", sa.String(length=120), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_accounts_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("external_ref", name=op.f("uq_accounts_external_ref")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_kind_id", ["kind", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_siren"), ["siren"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_siret"), ["siret"], unique=False)

    op.create_table(
        "user_rights",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("right", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_rights_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "right", name=op.f("pk_user_rights")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("civility", sa.String(length=20), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("job_title", sa.String(length=150), nullable=True),
        sa.Column("direct_line", sa.String(length=32), nullable=True),
        sa.Column("mobile", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_contacts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_account_id"), ["account_id"], unique=False)
    field_definitions = sa.table(
        "field_definitions",
        sa.column("entity", sa.String),
        sa.column("key", sa.String),
        sa.column("label", sa.String),
        sa.column("type", sa.String),
        sa.column("tab", sa.String),
        sa.column("position", sa.Integer),
        sa.column("required", sa.Boolean),
        sa.column("standard", sa.Boolean),
        sa.column("choices", sa.JSON),
        sa.column("max_length", sa.Integer),
    )
    op.bulk_insert(
        field_definitions,
        [dict(zip(_COLUMNS, row, strict=True), standard=True) for row in STANDARD_FIELDS],
    )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_account_id"))

    op.drop_table("contacts")
    op.drop_table("user_rights")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_siret"))
        batch_op.drop_index(batch_op.f("ix_accounts_siren"))
        batch_op.drop_index("ix_accounts_kind_id")

    op.drop_table("accounts")
    op.drop_table("users")
    with op.batch_alter_table("index_events", schema=None) as batch_op:
        batch_op.drop_index("ix_index_events_pending")

    op.drop_table("index_events")
    op.drop_table("field_definitions")
