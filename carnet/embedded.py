"""The composition: the records app (and, later, search) wired to the job queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask

from config import Settings
from records_svc import create_app as create_records_app
from records_svc import migrate
from records_svc.db import Database
from records_svc.domain import rights, users


@dataclass
class Runtime:
    settings: Settings
    db: Database


def runtime(settings: Settings) -> Runtime:
    """The database, migrated (the embedded default creates it on first use)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    migrate.upgrade(db.engine)
    return Runtime(settings=settings, db=db)


def ensure_admin(rt: Runtime, password: str | None = None) -> str | None:
    """Create the first admin (all rights) when there is no user; return its new password."""
    with rt.db.unit_of_work() as uow:
        if users.list_users(uow.session):
            return None
        password = password or secrets.token_urlsafe(12)
        users.create_user(uow.session, "admin", password, rights.ALL_RIGHTS)
    return password


def records_app(rt: Runtime) -> Flask:
    return create_records_app(rt.settings, database=rt.db)
