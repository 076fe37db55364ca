"""The composition: one process with the records app (and search) wired to Celery."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from celery import Celery
from flask import Flask

import portal
from config import Settings
from config.private_files import private_dir
from httpkit.userstate import UserStates
from records_svc import create_app as create_records_app
from records_svc import migrate
from records_svc.db import Database
from records_svc.domain import rights, users
from records_svc.files import FileStore
from records_svc.userstates import user_states_for
from search_svc import api as search_api
from search_svc import create_app as create_search_app
from search_svc.backends.base import SearchBackend
from workers.celery_app import CeleryJobQueue, components, create_celery
from workers.maintenance import BackgroundSweep, heal_index

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    celery: Celery
    search: SearchBackend
    #: run by ``shutdown()`` before the connections close, last registered first
    #: (e.g. flushing what the process still holds once the server stops taking requests)
    on_shutdown: list[Callable[[], object]] = field(default_factory=list)

    def shutdown(self) -> None:
        """The server has stopped taking requests: run the shutdown hooks, then close."""
        hooks, self.on_shutdown = self.on_shutdown, []
        for hook in reversed(hooks):
            try:
                hook()
            except Exception:
                log.exception("shutdown hook %r failed", hook)
        self.close()

    def close(self) -> None:
        self.search.close()
        self.db.dispose()

    @property
    def jobs(self) -> CeleryJobQueue:
        return CeleryJobQueue(self.celery)

    @cached_property
    def user_states(self) -> UserStates:
        """Read by both apps of the one process: a change shows on both at once."""
        return user_states_for(self.settings, self.db)

    @property
    def files(self) -> FileStore:
        assert self.db.files is not None  # built by records_svc.composition
        return self.db.files


def runtime(settings: Settings, *, upgrade: bool = False) -> Runtime:
    """The database and Celery.

    Only ``upgrade=True`` (``carnet db upgrade``, ``carnet serve`` on the embedded
    SQLite) migrates; otherwise a database not at this release's schema is refused
    (``SchemaOutOfDateError`` naming ``carnet db upgrade``), except the embedded
    default's own database on its first use, which is created.
    """
    private_dir(settings.data_dir, tighten=True)
    celery = create_celery(settings)
    built = components(celery)
    engine = built.db.engine
    if upgrade or (settings.database_url is None and migrate.is_empty(engine)):
        migrate.upgrade(engine)
    else:
        try:
            migrate.check_current(engine)
        except BaseException:
            built.db.dispose()
            raise
    return Runtime(settings=settings, db=built.db, celery=celery, search=built.search)


def heal_search(rt: Runtime) -> bool:
    """Before serving: an index this release cannot use as it is (an earlier release's
    format, lost or replaced) is rebuilt from the database, which this process owns."""
    health = rt.search.health()
    if not health.repairable:
        return False
    log.warning("search index %s at start: %s", health.state, health.detail)
    return heal_index(rt.db, rt.search, batch_size=rt.settings.reindex_batch_size)


def start_sweep(rt: Runtime) -> BackgroundSweep:
    """Replay what a crash left in the outbox, then sweep it in the background (no beat here)."""
    sweeper = BackgroundSweep(rt.celery, rt.settings.embedded_sweep_seconds)
    sweeper.start()
    rt.on_shutdown.append(sweeper.stop)
    return sweeper


def ensure_admin(rt: Runtime, password: str | None = None) -> str | None:
    """Create the first admin (all rights) when there is no user; return its new password."""
    with rt.db.unit_of_work() as uow:
        if users.list_users(uow.session):
            return None
        password = password or secrets.token_urlsafe(12)
        users.create_user(
            uow.session,
            "admin",
            password,
            rights.ALL_RIGHTS,
            hashing=rt.settings.password_hashing,
        )
    return password


def records_app(rt: Runtime) -> Flask:
    return create_records_app(
        rt.settings, database=rt.db, job_queue=rt.jobs, user_states=rt.user_states
    )


def search_app(rt: Runtime) -> Flask:
    return create_search_app(rt.settings, backend=rt.search, user_states=rt.user_states)


class PathDispatcher:
    """One WSGI app: paths under a mount prefix go to that app, the rest to ``default``.

    Unlike werkzeug's DispatcherMiddleware it leaves PATH_INFO whole, so each
    app keeps its own full routes (/api/v1/search is the search app's route).
    """

    def __init__(self, default: Any, mounts: dict[str, Any]) -> None:
        self.default = default
        self.mounts = mounts

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefix, app in self.mounts.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        return self.default(environ, start_response)


def wsgi_app(rt: Runtime) -> PathDispatcher:
    """Everything in one process: the portal at / (its files under /portal),
    /api/v1/search to search, the rest to records."""
    front = portal.create_app(rt.settings)
    return PathDispatcher(
        records_app(rt), {search_api.PATH: search_app(rt), portal.PREFIX: front, "/": front}
    )
