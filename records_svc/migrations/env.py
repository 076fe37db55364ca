"""Alembic environment: the connection (or URL) comes from records_svc.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from records_svc.domain import (  # noqa: F401 - register their tables
    history_models,
    idempotency,
    import_models,
    list_models,
    opportunity_models,
)
from records_svc.domain.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = engine_from_config(
        {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _run_with(conn)


def _run_with(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
