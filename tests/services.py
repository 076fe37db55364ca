"""Reaching the real PostgreSQL and Redis of the machine from tests.

Outside CI a missing service skips the tests that need it; with CI=true it fails them.

In a parallel run (pytest-xdist) each worker process uses a Redis database of its own:
the database of ``CARNET_TEST_REDIS_URL`` plus 1 plus the worker's number (gw0 → 8 when the
URL says 7); PostgreSQL databases, ports and temporary directories are drawn per test run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get(
    "CARNET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def worker_redis_url(url: str, worker: str | None) -> str:
    """The Redis URL of a parallel test worker ("gw0", "gw1", …): the given database plus
    1 plus the worker's number, so that no two workers share a database. Without a worker
    (a plain run), the URL as given."""
    if not worker:
        return url
    index = int(worker.removeprefix("gw"))
    parsed = urlsplit(url)
    base = int(parsed.path.lstrip("/") or 0)
    db = base + 1 + index
    if db > 15:
        raise RuntimeError(
            f"test worker {worker} would use Redis database {db} (base {base}): "
            "give CARNET_TEST_REDIS_URL a lower database or run fewer workers"
        )
    return urlunsplit(parsed._replace(path=f"/{db}"))


REDIS_URL = worker_redis_url(
    os.environ.get("CARNET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    os.environ.get("PYTEST_XDIST_WORKER"),
)


def unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable: {error}"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing service is a failure)")
    pytest.skip(message)


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test run; dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"carnet_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        unavailable("PostgreSQL", exc)
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:
        unavailable("Redis", exc)
    finally:
        client.close()
    return REDIS_URL
