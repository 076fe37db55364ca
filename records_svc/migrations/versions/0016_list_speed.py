"""lists answer from indexes: the words of the folded search text (the ``q`` filter) and
the owner kept on contacts ("my contacts"), both written by database triggers

Revision ID: 0016_list_speed
Revises: 0013_imports
Create Date: 2026-12-01 18:50:00

The triggers keep ``account_words``, ``contact_words`` and ``contacts.owner_id`` true
on every write path (the ORM, bulk SQL, COPY, an ERP sync, a merge). A later migration
that recreates ``accounts`` or ``contacts`` on SQLite (batch mode "move and copy") drops
their triggers: it must create them again (``create_triggers`` below).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_list_speed"
down_revision = "0013_imports"
branch_labels = None
depends_on = None

#: (records table, words table, its key column)
WORD_TABLES = (
    ("accounts", "account_words", "account_id"),
    ("contacts", "contact_words", "contact_id"),
)


def _words_table(name: str, key: str, parent: str) -> None:
    op.create_table(
        name,
        sa.Column(key, sa.Integer(), nullable=False),
        sa.Column("word", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            [key], [f"{parent}.id"], name=f"fk_{name}_{key}_{parent}", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(key, "word", name=f"pk_{name}"),
    )
    op.create_index(
        f"ix_{name}_word", name, ["word", key], postgresql_ops={"word": "varchar_pattern_ops"}
    )


def _postgresql_words(table: str, words: str, key: str) -> list[str]:
    function = f"carnet_{words}"
    return [
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM {words} WHERE {key} = OLD.id;
  END IF;
  INSERT INTO {words} ({key}, word)
    SELECT DISTINCT NEW.id, w FROM unnest(string_to_array(NEW.search_text, ' ')) AS w
    WHERE w <> '';
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER {words}_insert AFTER INSERT ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {words}_update AFTER UPDATE OF search_text ON {table} FOR EACH ROW "
        f"WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) "
        f"EXECUTE FUNCTION {function}()",
    ]


def _sqlite_words_of(row: str) -> str:
    """The distinct non-empty words of ``row``.search_text as rows of ``value``
    (SQLite triggers take no WITH: the text becomes a JSON array)."""
    text = f"replace(replace({row}.search_text, '\\', '\\\\'), '\"', '\\\"')"
    return f"""json_each('["' || replace({text}, ' ', '","') || '"]')"""


def _sqlite_words(table: str, words: str, key: str) -> list[str]:
    insert = (
        f"INSERT INTO {words} ({key}, word) SELECT DISTINCT NEW.id, value "
        f"FROM {_sqlite_words_of('NEW')} WHERE value <> '';"
    )
    return [
        f"CREATE TRIGGER {words}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {words}_update AFTER UPDATE OF search_text ON {table} "
        f"WHEN OLD.search_text IS NOT NEW.search_text BEGIN "
        f"DELETE FROM {words} WHERE {key} = OLD.id; {insert} END",
    ]


ACCOUNT_OWNER = "(SELECT owner_id FROM accounts WHERE accounts.id = NEW.account_id)"
POSTGRESQL_OWNER = [
    f"""CREATE FUNCTION carnet_contact_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.owner_id := {ACCOUNT_OWNER};
  RETURN NEW;
END $$""",
    # on insert, on a move to another account, and on any attempt to write it directly
    "CREATE TRIGGER contacts_owner BEFORE INSERT OR UPDATE OF account_id, owner_id "
    "ON contacts FOR EACH ROW EXECUTE FUNCTION carnet_contact_owner()",
    """CREATE FUNCTION carnet_account_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contacts SET owner_id = NEW.owner_id
    WHERE account_id = NEW.id AND owner_id IS DISTINCT FROM NEW.owner_id;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER accounts_owner AFTER UPDATE OF owner_id ON accounts FOR EACH ROW "
    "WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) "
    "EXECUTE FUNCTION carnet_account_owner()",
]
SQLITE_OWNER = [
    "CREATE TRIGGER contacts_owner_insert AFTER INSERT ON contacts BEGIN "
    f"UPDATE contacts SET owner_id = {ACCOUNT_OWNER} WHERE id = NEW.id; END",
    "CREATE TRIGGER contacts_owner_update AFTER UPDATE OF account_id, owner_id ON contacts "
    f"WHEN NEW.owner_id IS NOT {ACCOUNT_OWNER} BEGIN "
    f"UPDATE contacts SET owner_id = {ACCOUNT_OWNER} WHERE id = NEW.id; END",
    "CREATE TRIGGER accounts_owner AFTER UPDATE OF owner_id ON accounts "
    "WHEN OLD.owner_id IS NOT NEW.owner_id BEGIN "
    "UPDATE contacts SET owner_id = NEW.owner_id WHERE account_id = NEW.id; END",
]
TRIGGERS = (
    "account_words_insert",
    "account_words_update",
    "contact_words_insert",
    "contact_words_update",
    "contacts_owner",
    "contacts_owner_insert",
    "contacts_owner_update",
    "accounts_owner",
)


def create_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, words, key in WORD_TABLES:
        statements = (_postgresql_words if postgresql else _sqlite_words)(table, words, key)
        for statement in statements:
            op.execute(statement)
    for statement in POSTGRESQL_OWNER if postgresql else SQLITE_OWNER:
        op.execute(statement)


def _backfill() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, words, key in WORD_TABLES:
        if postgresql:
            source = f"FROM {table}, unnest(string_to_array({table}.search_text, ' ')) AS value"
        else:
            source = f"FROM {table}, {_sqlite_words_of(table)}"
        op.execute(
            f"INSERT INTO {words} ({key}, word) SELECT DISTINCT {table}.id, value "
            f"{source} WHERE value <> ''"
        )
    op.execute(
        "UPDATE contacts SET owner_id = "
        "(SELECT owner_id FROM accounts WHERE accounts.id = contacts.account_id)"
    )


#: SQLite rebuilds the table to add a foreign key: it keeps AUTOINCREMENT (ids never reused)
KEEP_IDS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("contacts", table_kwargs=KEEP_IDS) as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_contacts_owner_id_users", "users", ["owner_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_contacts_owner_sort_name", "contacts", ["owner_id", "sort_name", "id"])
    for table, words, key in WORD_TABLES:
        _words_table(words, key, table)
    _backfill()
    create_triggers()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER IF EXISTS accounts_owner ON accounts")
        op.execute("DROP TRIGGER IF EXISTS contacts_owner ON contacts")
        for table, words, _key in WORD_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {words}_insert ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {words}_update ON {table}")
        functions = [f"carnet_{words}" for _table, words, _key in WORD_TABLES]
        for function in ["carnet_account_owner", "carnet_contact_owner", *functions]:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for _table, words, _key in reversed(WORD_TABLES):
        op.drop_index(f"ix_{words}_word", table_name=words)
        op.drop_table(words)
    op.drop_index("ix_contacts_owner_sort_name", table_name="contacts")
    with op.batch_alter_table("contacts", table_kwargs=KEEP_IDS) as batch:
        batch.drop_constraint("fk_contacts_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
