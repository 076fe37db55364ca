"""Revision 0004 (opportunities, their contacts, actions) up and down on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from records_svc import migrate
from records_svc.db import Database
from records_svc.domain.models import Base
from records_svc.domain.opportunity_models import Action  # noqa: F401 - registers the tables
from tests.services import scratch_postgres_database

TABLES = {"opportunities", "opportunity_contacts", "actions"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield db
        db.dispose()
        return
    with scratch_postgres_database() as url:
        db = Database(url)
        yield db
        db.dispose()


def _sales_diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in diff if any(t in repr(d) for t in TABLES)]


def test_upgrade_matches_the_models_and_downgrades(empty_database: Database) -> None:
    db = empty_database
    migrate.upgrade(db.engine)
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    assert _sales_diff(db) == []
    migrate.downgrade(db.engine, "0002")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    assert {"accounts", "contacts", "jobs"} <= set(inspect(db.engine).get_table_names())
    migrate.upgrade(db.engine)
    assert set(inspect(db.engine).get_table_names()) >= TABLES
