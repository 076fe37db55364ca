"""lists answer from indexes, bounded: the words keep their row's sort name (a frequent
``q`` word's page is a merge of ordered index ranges), and the department and city
filters have indexes in name order

Revision ID: 0017_list_sort_keys
Revises: 0016_list_speed
Create Date: 2026-12-01 21:40:00

``account_words`` and ``contact_words`` gain ``sort_name`` (the row's), written by the
words' triggers, and ``head`` (the word's first three letters, computed), which this migration replaces: they now also fire when only the sort
name changes. A later migration that recreates ``accounts`` or ``contacts`` on SQLite
must create the triggers again with ``create_triggers`` below (this migration's words
triggers and 0016's owner triggers).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0017_list_sort_keys"
down_revision = "0016_list_speed"
branch_labels = None
depends_on = None

#: the department of a postal code (its first two characters): what ``postal_code=33`` asks
DEPARTMENT = "substr(postal_code, 1, 2)"
#: a word's first three letters: the rows of a short prefix in name order
WORD_HEAD = "substr(word, 1, 3)"


def _list_speed() -> ModuleType:
    """Migration 0016 (its owner triggers and, for a downgrade, its words triggers)."""
    path = Path(__file__).with_name("0016_list_speed.py")
    spec = importlib.util.spec_from_file_location("carnet_migration_0016", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: (records table, words table, its key column)
WORD_TABLES: tuple[tuple[str, str, str], ...] = _list_speed().WORD_TABLES


def _postgresql_words(table: str, words: str, key: str) -> list[str]:
    function = f"carnet_{words}"
    return [
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM {words} WHERE {key} = OLD.id;
  END IF;
  INSERT INTO {words} ({key}, word, sort_name)
    SELECT DISTINCT NEW.id, w, NEW.sort_name
    FROM unnest(string_to_array(NEW.search_text, ' ')) AS w
    WHERE w <> '';
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER {words}_insert AFTER INSERT ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {words}_update AFTER UPDATE OF search_text, sort_name ON {table} "
        f"FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text "
        f"OR OLD.sort_name IS DISTINCT FROM NEW.sort_name) "
        f"EXECUTE FUNCTION {function}()",
    ]


def _sqlite_words(table: str, words: str, key: str, words_of: str) -> list[str]:
    insert = (
        f"INSERT INTO {words} ({key}, word, sort_name) SELECT DISTINCT NEW.id, value, "
        f"NEW.sort_name FROM {words_of} WHERE value <> '';"
    )
    return [
        f"CREATE TRIGGER {words}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {words}_update AFTER UPDATE OF search_text, sort_name ON {table} "
        f"WHEN OLD.search_text IS NOT NEW.search_text OR OLD.sort_name IS NOT NEW.sort_name "
        f"BEGIN DELETE FROM {words} WHERE {key} = OLD.id; {insert} END",
    ]


def _drop_words_triggers(postgresql: bool) -> None:
    for table, words, _key in WORD_TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {words}_insert ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {words}_update ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS carnet_{words}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {words}_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {words}_update")


def _create_words_triggers(postgresql: bool) -> None:
    words_of = _list_speed()._sqlite_words_of("NEW")
    for table, words, key in WORD_TABLES:
        if postgresql:
            statements = _postgresql_words(table, words, key)
        else:
            statements = _sqlite_words(table, words, key, words_of)
        for statement in statements:
            op.execute(statement)


def create_triggers() -> None:
    """Every trigger the lists' indexes need: the words (this migration's) and the
    contacts' owner (0016's)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    _create_words_triggers(postgresql)
    list_speed = _list_speed()
    for statement in list_speed.POSTGRESQL_OWNER if postgresql else list_speed.SQLITE_OWNER:
        op.execute(statement)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    _drop_words_triggers(postgresql)
    for table, words, key in WORD_TABLES:
        op.add_column(
            words, sa.Column("sort_name", sa.String(200), nullable=False, server_default="")
        )
        op.execute(
            f"UPDATE {words} SET sort_name = "
            f"(SELECT sort_name FROM {table} WHERE {table}.id = {words}.{key})"
        )
        op.drop_index(f"ix_{words}_word", table_name=words)
        # a word's rows in name order: one index range per word, whatever its frequency
        op.create_index(
            f"ix_{words}_word_sort_name",
            words,
            ["word", "sort_name", key],
            postgresql_ops={"word": "varchar_pattern_ops"},
        )
        # and a short prefix's, when it begins too many words to merge their ranges
        head = sa.Computed(WORD_HEAD, persisted=postgresql)
        op.add_column(words, sa.Column("head", sa.String(3), head, nullable=False))
        op.create_index(f"ix_{words}_head_sort_name", words, ["head", "sort_name", key])
    _create_words_triggers(postgresql)
    # computed by the database (SQLite: a virtual column, indexed; PostgreSQL: stored)
    computed = sa.Computed(DEPARTMENT, persisted=postgresql)
    op.add_column("accounts", sa.Column("department", sa.String(2), computed))
    op.create_index(
        "ix_accounts_department_sort_name", "accounts", ["department", "sort_name", "id"]
    )
    op.create_index("ix_accounts_city_sort_name", "accounts", ["sort_city", "sort_name", "id"])


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_accounts_city_sort_name", table_name="accounts")
    op.drop_index("ix_accounts_department_sort_name", table_name="accounts")
    op.drop_column("accounts", "department")
    _drop_words_triggers(postgresql)
    list_speed = _list_speed()
    for table, words, key in WORD_TABLES:
        op.drop_index(f"ix_{words}_head_sort_name", table_name=words)
        op.drop_column(words, "head")
        op.drop_index(f"ix_{words}_word_sort_name", table_name=words)
        op.create_index(
            f"ix_{words}_word",
            words,
            ["word", key],
            postgresql_ops={"word": "varchar_pattern_ops"},
        )
        op.drop_column(words, "sort_name")
        if postgresql:
            statements = list_speed._postgresql_words(table, words, key)
        else:
            statements = list_speed._sqlite_words(table, words, key)
        for statement in statements:
            op.execute(statement)
