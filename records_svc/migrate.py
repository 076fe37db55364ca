"""Apply the records schema migrations (Alembic) to a database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

MIGRATIONS = Path(__file__).parent / "migrations"
#: the command that migrates (named by every refusal)
UPGRADE_COMMAND = "carnet db upgrade"


class SchemaOutOfDateError(RuntimeError):
    """The database is behind (or ahead of) this release's migrations."""


def heads() -> set[str]:
    """The revisions this release's code expects."""
    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


def current(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a database never migrated)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def is_empty(engine: Engine) -> bool:
    """No table at all: a database created but never migrated."""
    return not inspect(engine).get_table_names()


def check_current(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not this release's."""
    found, wanted = current(engine), heads()
    if found == wanted:
        return
    where = engine.url.render_as_string(hide_password=True)
    if not found:
        state = "has no Carnet schema"
    elif found - _known():
        raise SchemaOutOfDateError(
            f"The database {where} is at {', '.join(sorted(found))}, newer than this release "
            "of Carnet: run the release that migrated it."
        )
    else:
        state = f"is at {', '.join(sorted(found))}, not {', '.join(sorted(wanted))}"
    raise SchemaOutOfDateError(
        f"The database {where} {state}: run `{UPGRADE_COMMAND}` first (back it up before)."
    )


def _known() -> set[str]:
    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for the migrations.

    On SQLite, foreign keys are off while they run: a table that SQLite rebuilds (batch
    mode copies it, drops it and renames the copy) would otherwise take with its drop the
    rows that point at it ``ON DELETE CASCADE`` (a contact's actions). What the
    migrations leave is checked before the commit instead (``foreign_key_check``).
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, "OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migrations broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _foreign_keys(connection, "ON")


def _foreign_keys(connection: Connection, state: str) -> None:
    """Foreign keys on or off, on the driver's connection: outside any transaction (where
    SQLite takes it into account), which SQLAlchemy's autobegin would open first."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={state}")
    finally:
        cursor.close()


def upgrade(engine: Engine, revision: str = "heads") -> None:
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a revision (developers: ``python -m records_svc.migrate 'message'``)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    import sys

    from sqlalchemy import create_engine

    revision(
        create_engine(sys.argv[2] if len(sys.argv) > 2 else "sqlite:///var/dev.db"), sys.argv[1]
    )
