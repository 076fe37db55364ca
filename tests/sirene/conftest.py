"""SIRENE fixtures: the fake provider, settings that point at it, an app with eager jobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from flask import Flask

from config import Settings, load_settings
from records_svc import create_app
from records_svc.composition import Components, records_database
from records_svc.db import Database
from tests.sirene.fake_provider import INSEE_KEY, FakeProvider, running
from workers.celery_app import CeleryJobQueue, components, create_celery

#: quick faults: short timeout, two attempts, tiny backoff, a generous quota
FAST = {
    "sirene_timeout_seconds": 0.5,
    "sirene_attempts": 2,
    "sirene_backoff_seconds": 0.01,
    "sirene_max_retry_after_seconds": 2,
    "sirene_rate_limit": 1000,
    "sirene_rate_window_seconds": 1,
}


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeProvider]:
    yield from running()


@pytest.fixture
def fake(fake_server: FakeProvider) -> FakeProvider:
    fake_server.reset()
    return fake_server


def sirene_settings(
    tmp_path: Path, fake: FakeProvider, provider: str = "insee", **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-key-" * 4,
        "sirene_provider": provider,
        "sirene_insee_url": f"{fake.url}/insee",
        "sirene_insee_key": INSEE_KEY,
        "sirene_recherche_url": f"{fake.url}/recherche",
        **FAST,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(params=["insee", "recherche-entreprises"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sirene_overrides() -> dict[str, Any]:
    """Settings a test module changes (override this fixture)."""
    return {}


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, fake: FakeProvider, sirene_overrides: dict[str, Any]
) -> Settings:
    overrides = {"sirene_provider": "insee", **sirene_overrides}
    return sirene_settings(tmp_path, fake, database_url=database_url, **overrides)


@pytest.fixture
def celery(settings: Settings) -> Iterator[Celery]:
    """The Celery app and its components (Celery eager, as embedded)."""
    app = create_celery(settings)
    yield app
    built = components(app)
    if "sirene" in built.__dict__:
        built.sirene.close()
    if "db" in built.__dict__:
        built.db.dispose()


@pytest.fixture
def worker_context(celery: Celery) -> Components:
    return components(celery)


@pytest.fixture
def database(settings: Settings, celery: Celery) -> Iterator[Database]:
    """The app's database: the index events of its writes go to Celery."""
    db = records_database(settings, CeleryJobQueue(celery))
    yield db
    db.dispose()


@pytest.fixture
def app(settings: Settings, database: Database, celery: Celery) -> Flask:
    """The records app with its jobs run inline (Celery eager, as embedded)."""
    return create_app(settings, database=database, job_queue=CeleryJobQueue(celery))
