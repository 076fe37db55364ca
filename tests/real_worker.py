"""A real Celery worker consuming some queues on the real Redis, and a records app that
sends it jobs: the fixtures of the tests that run a job end to end (loaded by
tests/conftest.py).

A module using them names the queues its worker consumes::

    @pytest.fixture(scope="module")
    def worker_queues() -> list[str]:
        return ["editions"]
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from flask import Flask

from config import Settings, load_settings
from records_svc import create_app
from records_svc.composition import records_database
from records_svc.db import Database
from tests.conftest import _reset_postgres
from tests.services import redis_url
from workers.celery_app import CeleryJobQueue, components, create_celery


@pytest.fixture(scope="module")
def worker_settings(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    broker = redis_url()
    return load_settings(
        data_dir=tmp_path_factory.mktemp("worker") / "var",
        database_url=postgres_url,
        secret_key="test-secret-key-" * 4,
        broker_url=broker,
        result_backend=broker,
    )


@pytest.fixture(scope="module")
def celery_app(worker_settings: Settings, worker_queues: list[str]) -> Iterator[Celery]:
    """One worker for the module, on its own key prefix (other runs share this Redis)."""
    app = create_celery(worker_settings)
    context = components(app)
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "global_keyprefix": f"carnet-test-{uuid.uuid4().hex}:",
    }
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=30
    ):
        yield app
    context.db.dispose()
    # The pub/sub connection that waited for results: collected results unsubscribe
    # through it, so collect them before closing it (as tests/sirene/test_worker.py does).
    gc.collect()
    app.backend.result_consumer.stop()
    app.close()


@pytest.fixture
def worker_app(worker_settings: Settings, celery_app: Celery) -> Iterator[tuple[Flask, Database]]:
    """The records app, on an emptied database, sending its jobs to the worker."""
    jobs = CeleryJobQueue(celery_app)
    database = records_database(worker_settings, jobs)
    _reset_postgres(database)
    yield create_app(worker_settings, database=database, job_queue=jobs), database
    database.dispose()
