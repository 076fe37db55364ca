"""Upgrades keep the data: a database populated at each earlier head of the migration
history is upgraded to this release's, on SQLite and PostgreSQL.

The rows are written with plain SQL against the tables as they stood at that
revision (never through today's models), then read back through today's models.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, insert, select

from records_svc import migrate
from records_svc.db import Database
from records_svc.domain.fields import standard_rows
from records_svc.domain.models import Account, Contact, Document, FieldDefinition, Job, User
from records_svc.domain.opportunity_models import Action, Opportunity
from tests.conftest import migrated_field_library
from tests.services import scratch_postgres_database

#: every revision that was the head of the history at some point (a release could be there)
EARLIER_HEADS = ("0001", "0002", "0003", "0004", "merge_0003_0004")

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STAMPS = {"version": 3, "created_at": NOW, "updated_at": NOW}

#: rows per table, inserted where the table exists at the revision under test
ROWS: dict[str, list[dict[str, Any]]] = {
    "users": [
        {"id": 1, "username": "alice", "password_hash": "x", "disabled": False, "created_at": NOW}
    ],
    "user_rights": [{"user_id": 1, "right": "validate_prospect"}],
    "accounts": [
        {
            "id": 1,
            "kind": "client",
            "name": "Société Générale",
            "siren": "552120222",
            "city": "Paris",
            "closed": False,
            "external_ref": "C001",
            "owner_id": 1,
            "custom": {"segment": "banque"},
            **STAMPS,
        }
    ],
    "contacts": [
        {"id": 1, "account_id": 1, "first_name": "Zoé", "last_name": "N'Diaye", "custom": {}}
        | STAMPS
    ],
    "field_definitions": [
        {
            "entity": "client",
            "key": "segment",
            "label": "Segment",
            "type": "choice",
            "tab": "Marketing",
            "position": 500,
            "required": False,
            "standard": False,
            "choices": ["banque", "industrie"],
            "max_length": None,
        }
    ],
    "index_events": [
        {"entity": "account", "entity_id": 1, "version": 3, "op": "upsert"}
        | {"created_at": NOW, "attempts": 0}
    ],
    "jobs": [
        {"id": "5f0c0d34-1f7e-4c43-9f0e-1a2b3c4d5e6f", "kind": "edition", "state": "done"}
        | {"created_at": NOW, "updated_at": NOW}
    ],
    "documents": [
        {
            "id": 1,
            "account_id": 1,
            "name": "Kbis.pdf",
            "storage_key": "ab/abcdef",
            "size": 3,
            "media_type": "application/pdf",
            "sha256": "0" * 64,
            "uploaded_by": 1,
            "created_at": NOW,
        }
    ],
    "opportunities": [
        {
            "id": 1,
            "account_id": 1,
            "title": "Renouvellement",
            "amount": Decimal("12500.00"),
            "currency": "EUR",
            "stage": "proposal",
            "probability": 60,
            "expected_signing_date": date(2026, 6, 30),
            "owner_id": 1,
            **STAMPS,
        }
    ],
    "actions": [
        {
            "id": 1,
            "type": "call",
            "subject": "Relance",
            "due_at": NOW,
            "done": False,
            "author_id": 1,
            "account_id": 1,
            "contact_id": 1,
            **STAMPS,
        }
    ],
}


@pytest.fixture(scope="module")
def scratch_postgres() -> Iterator[str]:
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        db = Database(request.getfixturevalue("scratch_postgres"))
        migrate.downgrade(db.engine, "base")
    yield db
    db.dispose()


def _populate(db: Database) -> set[str]:
    """Write ROWS into the tables that exist now; the names of those tables."""
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.begin() as conn:
        for name, rows in ROWS.items():
            if name in tables.tables:
                table = tables.tables[name]
                conn.execute(insert(table), [_fit(row, table.c.keys()) for row in rows])
    return set(ROWS) & set(tables.tables)


def _fit(row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    missing = set(row) - set(columns)
    assert not missing, f"the test data names columns the old table lacks: {missing}"
    return row


@pytest.mark.parametrize("head", EARLIER_HEADS)
def test_a_database_at_an_earlier_head_upgrades_with_its_data(
    empty_database: Database, head: str
) -> None:
    db = empty_database
    migrate.upgrade(db.engine, head)
    populated = _populate(db)
    if migrate.current(db.engine) != migrate.heads():
        with pytest.raises(migrate.SchemaOutOfDateError, match="carnet db upgrade"):
            migrate.check_current(db.engine)

    migrate.upgrade(db.engine)

    migrate.check_current(db.engine)
    with db.read() as session:
        account = session.scalars(select(Account)).one()
        assert (account.name, account.siren, account.custom) == (
            "Société Générale",
            "552120222",
            {"segment": "banque"},
        )
        assert session.scalars(select(Contact)).one().last_name == "N'Diaye"
        assert session.scalars(select(User)).one().username == "alice"
        library = [
            {c: getattr(f, c) for c in ("entity", "key", "standard", "choices")}
            for f in session.scalars(select(FieldDefinition).order_by(FieldDefinition.id))
        ]
        if "jobs" in populated:
            assert session.scalars(select(Job)).one().state == "done"
        if "documents" in populated:
            assert session.scalars(select(Document)).one().name == "Kbis.pdf"
        if "opportunities" in populated:
            assert session.scalars(select(Opportunity)).one().amount == Decimal("12500.00")
            assert session.scalars(select(Action)).one().subject == "Relance"
    standard = [
        {"entity": r["entity"], "key": r["key"], "standard": True, "choices": r["choices"]}
        for r in standard_rows()
    ]
    # the library the code knows, whatever revision the database started from, plus the
    # custom field the team had added
    assert library == [
        *standard,
        {
            "entity": "client",
            "key": "segment",
            "standard": False,
            "choices": ["banque", "industrie"],
        },
    ]


def test_the_migrations_seed_the_standard_fields_the_code_knows() -> None:
    """A standard field added to the code needs a migration that adds it to the library."""
    assert list(migrated_field_library()) == standard_rows()


def test_commands_refuse_an_out_of_date_database(tmp_path: Path, monkeypatch) -> None:
    from carnet.cli import main

    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine, "0002")
    db.dispose()
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CARNET_DATABASE_URL", f"sqlite:///{path}")
    runner = CliRunner()
    for argv in (["users", "list"], ["search", "verify"], ["documents", "gc", "--dry-run"]):
        refused = runner.invoke(main, argv)
        assert refused.exit_code != 0, (argv, refused.output)
        assert "carnet db upgrade" in refused.output, refused.output
    db = Database(f"sqlite:///{path}")
    assert migrate.current(db.engine) == {"0002"}  # nothing migrated behind the operator's back
    db.dispose()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert runner.invoke(main, ["users", "list"]).exit_code == 0
