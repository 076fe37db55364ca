"""Imports: the records app wired to Celery as the embedded default is (jobs run inline)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from config import Settings
from records_svc import create_app
from records_svc.composition import Components
from workers.celery_app import components, create_celery


@pytest.fixture
def worker_context(settings: Settings) -> Iterator[Components]:
    """No broker in the settings: Celery runs each import inline (eager), after the commit."""
    built = components(create_celery(settings))
    yield built
    if "db" in built.__dict__:
        built.db.dispose()


@pytest.fixture
def app(settings: Settings, worker_context: Components) -> Flask:
    return create_app(settings, database=worker_context.db, job_queue=worker_context.jobs)
