"""Imports: the records app wired to Celery as the embedded default is (jobs run inline)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from workers.context import WorkerContext

from config import Settings
from records_svc import create_app
from records_svc.db import Database
from workers.celery_app import CeleryJobQueue, create_celery


@pytest.fixture
def worker_context(settings: Settings) -> Iterator[WorkerContext]:
    context = WorkerContext(settings)
    yield context
    if "db" in context.__dict__:
        context.db.dispose()


@pytest.fixture
def app(settings: Settings, database: Database, worker_context: WorkerContext) -> Flask:
    """No broker in the settings: Celery runs each import inline (eager), after the commit."""
    celery = create_celery(settings, worker_context)
    return create_app(settings, database=database, job_queue=CeleryJobQueue(celery))
