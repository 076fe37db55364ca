"""Layered fixtures: settings → database → app → client → a signed-in client per role."""

from __future__ import annotations

import functools
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, request_finished
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from config import Settings, load_settings
from httpkit.error_codes import CODES
from httpkit.problems import PROBLEM_MEDIA_TYPE
from records_svc import create_app, migrate
from records_svc.composition import records_database
from records_svc.db import Database
from records_svc.domain import rights, users
from records_svc.domain.models import Base, FieldDefinition
from records_svc.job_queue import NullJobQueue
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.services import scratch_postgres_database

#: the real Celery worker's fixtures (worker_settings, celery_app, worker_app)
pytest_plugins = ["tests.real_worker"]

PASSWORD = "correct horse battery"
#: how the suite's users are hashed: one PBKDF2 round instead of scrypt, which cost
#: each user of each test most of its setup (scrypt: tests/records/test_auth.py)
TEST_HASHING = "insecure-fast-for-tests"


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """How a parallel run (``-n N``) shares the tests among its workers: the browser tests
    and the files with module-scoped fixtures as one unit each, the long ones first
    (tests/parallel.py)."""
    from tests.parallel import UnitScheduling

    return UnitScheduling(config, log)


@pytest.fixture(autouse=True)
def _root_logger_level() -> Iterator[None]:
    """An in-process Celery test worker sets the root logger's level (ERROR): put it back,
    so that the next test's logs are not silently dropped."""
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _celery_join_state() -> Iterator[None]:
    """An in-process Celery worker tells Celery that this process runs tasks, and leaves it
    so when it stops: a later test's eager job that waits for its result then fails ("Never
    call result.get() within a task!"). Put it back, whatever order tests run in."""
    from celery import _state

    blocks = _state.task_join_will_block()
    yield
    _state._set_task_join_will_block(blocks)


@pytest.fixture(autouse=True)
def _error_entries_carry_codes() -> Iterator[None]:
    """Every problem any Carnet app answers in a test: each entry of its ``errors[]`` is
    {field, code, message} with a code of httpkit.error_codes, and so is its own top-level
    ``code`` when it has one (the portal translates them)."""
    faults: list[str] = []

    def check(sender: Flask, response: Response, **extra: Any) -> None:
        if response.mimetype != PROBLEM_MEDIA_TYPE or response.is_streamed:
            return
        body = json.loads(response.get_data())
        if "code" in body and body["code"] not in CODES:
            faults.append(f"{body.get('status')} {body.get('detail')!r}: code {body['code']!r}")
        for entry in body.get("errors") or []:
            if not {"field", "code", "message"} <= set(entry) or entry["code"] not in CODES:
                faults.append(f"{body.get('status')} {body.get('detail')!r}: {entry!r}")

    request_finished.connect(check, weak=False)
    yield
    request_finished.disconnect(check)
    assert not faults, "error entries without a registered code:\n" + "\n".join(faults)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with scratch_postgres_database() as url:
        db = Database(url)
        migrate.upgrade(db.engine)
        db.dispose()
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "carnet.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.dispose()
    return path


@functools.cache
def migrated_field_library() -> tuple[dict[str, Any], ...]:
    """The field library as the migrations seed it (run on a scratch database).

    Fixtures re-seed from this, never from the domain code, so a standard field
    the code gains without a migration fails the tests as it would fail an
    upgraded installation.
    """
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{scratch}/library.db")
        try:
            migrate.upgrade(db.engine)
            columns = [c for c in FieldDefinition.__table__.c if c.name != "id"]
            with db.engine.connect() as conn:
                rows = conn.execute(select(*columns).order_by(FieldDefinition.id)).mappings()
                return tuple(dict(row) for row in rows)
        finally:
            db.dispose()


#: every sequence of the public schema back to 1 (what TRUNCATE … RESTART IDENTITY did)
_RESTART_SEQUENCES = text(
    "SELECT setval(s.oid, 1, false) FROM pg_class s"
    " JOIN pg_namespace n ON n.oid = s.relnamespace"
    " WHERE s.relkind = 'S' AND n.nspname = 'public'"
)


def _reset_postgres(db: Database) -> None:
    """Empty every table (children first) and restart the ids. DELETE, not TRUNCATE: on
    these small tables TRUNCATE's new files cost about 30 times more, on every test."""
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(_RESTART_SEQUENCES)
        conn.execute(insert(FieldDefinition), list(migrated_field_library()))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each API test runs on both databases, each time on a fresh schema."""
    if request.param == "sqlite":
        path = tmp_path / "carnet.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    db = Database(url)
    _reset_postgres(db)
    db.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Users' states are read afresh on each request here; the 5-second cache is tested
    # with a clock of its own (tests/records/test_revocation.py).
    return load_settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-" * 4,
        user_state_cache_seconds=0,
        password_hashing=TEST_HASHING,  # e.g. for POST /auth/password
    )


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The records database as the app uses it (no job queue: index events stay pending)."""
    db = records_database(settings, NullJobQueue())
    yield db
    db.dispose()


@pytest.fixture
def app(settings: Settings, database: Database) -> Flask:
    return create_app(settings, database=database)


@dataclass
class Api:
    """A test client that signs in once and sends the bearer token on every call."""

    client: FlaskClient
    token: str | None = None
    user_id: int | None = None
    username: str = ""
    rights: tuple[str, ...] = field(default_factory=tuple)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.open(path, method=method, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def edit(self, path: str, json: dict[str, Any]) -> Any:
        """Read the record, then edit it with its ETag, as the portal does."""
        current = self.get(path)
        assert current.status_code == 200, current.json
        return self.patch(path, json=json, headers={"If-Match": current.headers["ETag"]})


def make_user(app: Flask, database: Database, username: str, *granted: str) -> Api:
    """A user with these rights (hashed cheaply), signed in through the API."""
    with database.unit_of_work() as uow:
        user = users.create_user(uow.session, username, PASSWORD, granted, hashing=TEST_HASHING)
        user_id = user.id
    client = app.test_client()
    reply = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.json
    return Api(client, reply.json["access_token"], user_id, username, granted)


@pytest.fixture
def anonymous(app: Flask) -> Api:
    return Api(app.test_client())


@pytest.fixture
def seller(app: Flask, database: Database) -> Api:
    """A salesperson with no special right."""
    return make_user(app, database, "alice")


@pytest.fixture
def manager(app: Flask, database: Database) -> Api:
    return make_user(app, database, "bob", rights.VALIDATE_PROSPECT, rights.SHOW_CLOSED_ACCOUNTS)


@pytest.fixture
def admin(app: Flask, database: Database) -> Api:
    return make_user(app, database, "root", *rights.ALL_RIGHTS)


@pytest.fixture
def erp(app: Flask, database: Database) -> Api:
    return make_user(app, database, "erp", rights.ERP_SYNC)


@pytest.fixture
def prospect(seller: Api) -> dict[str, Any]:
    reply = seller.post(
        "/api/v1/prospects",
        json={
            "name": "Société Générale",
            "legal_name": "SOCIETE GENERALE SA",
            "siren": "552120222",
            "address": {"line1": "29 boulevard Haussmann", "postal_code": "75009", "city": "Paris"},
        },
    )
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def sample_settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "var")


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SqliteFtsBackend]:
    """A search index of its own (SQLite FTS5), for tests that follow the outbox into it."""
    backend = SqliteFtsBackend(tmp_path / "search.db")
    yield backend
    backend.close()
