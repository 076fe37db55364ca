"""Alembic migrations run up and down on both databases and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from records_svc import migrate
from records_svc.db import Database
from records_svc.domain.models import Base


def test_upgrade_then_downgrade_then_upgrade(database_url: str) -> None:
    db = Database(database_url)
    try:
        migrate.upgrade(db.engine)  # already at head: a no-op
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], diff
        migrate.downgrade(db.engine, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(db.engine)
        assert {"accounts", "contacts", "index_events", "users"} <= set(
            inspect(db.engine).get_table_names()
        )
    finally:
        db.dispose()


def test_the_migration_history_has_one_head() -> None:
    from alembic.script import ScriptDirectory

    assert len(ScriptDirectory(str(migrate.MIGRATIONS)).get_heads()) == 1
