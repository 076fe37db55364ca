"""Documents and editions: the records app wired to Celery as the embedded default is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from config import Settings
from records_svc import create_app
from records_svc.db import Database
from tests.conftest import Api
from workers.celery_app import CeleryJobQueue, create_celery
from workers.context import WorkerContext


@pytest.fixture
def worker_context(settings: Settings) -> Iterator[WorkerContext]:
    context = WorkerContext(settings)
    yield context
    if "db" in context.__dict__:
        context.db.dispose()


@pytest.fixture
def app(settings: Settings, database: Database, worker_context: WorkerContext) -> Flask:
    """No broker in the settings: Celery runs each job inline (eager), after the commit."""
    celery = create_celery(settings, worker_context)
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
