"""Documents and editions: the records app wired to Celery as the embedded default is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from flask import Flask

from config import Settings
from records_svc import create_app
from records_svc.composition import Components, records_database
from records_svc.db import Database
from tests.conftest import Api
from workers.celery_app import CeleryJobQueue, components, create_celery


@pytest.fixture
def celery(settings: Settings) -> Iterator[Celery]:
    """No broker in the settings: Celery runs each job inline (eager), after the commit."""
    app = create_celery(settings)
    yield app
    built = components(app)
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
    """The records app wired to Celery as the embedded default is."""
    return create_app(settings, database=database, job_queue=CeleryJobQueue(celery))


@pytest.fixture
def contact(seller: Api, prospect: dict[str, Any]) -> dict[str, Any]:
    reply = seller.post(
        f"/api/v1/accounts/{prospect['id']}/contacts",
        json={
            "civility": "Mme",
            "first_name": "Amélie",
            "last_name": "Dupré",
            "job_title": "Directrice des achats",
            "direct_line": "01 42 14 20 00",
            "email": "amelie.dupre@example.fr",
        },
    )
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]
