"""The records app wired to Celery as the embedded default is (no broker: each job runs
inline, eagerly, after the commit): the fixtures of the directories whose tests run jobs
(tests/documents, tests/sirene), which import them into their conftest.py. Each of those
directories defines its own ``settings``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery
from flask import Flask

from config import Settings
from records_svc import create_app
from records_svc.composition import Components, records_database
from records_svc.db import Database
from workers.celery_app import CeleryJobQueue, components, create_celery


@pytest.fixture
def celery(settings: Settings) -> Iterator[Celery]:
    """The Celery app and its components, closing those its jobs built."""
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
    """The records app with its jobs run by Celery (eagerly, as embedded)."""
    return create_app(settings, database=database, job_queue=CeleryJobQueue(celery))
