"""An import run by a real Celery worker consuming its queue on the real Redis, followed as
the portal follows it (``GET /imports/{id}`` until done)."""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from flask import Flask

from config import Settings, load_settings
from records_svc import create_app
from records_svc.composition import records_database
from records_svc.db import Database
from tests.conftest import _reset_postgres, make_user
from tests.imports.helpers import csv_bytes, outcomes, post_import, siret
from tests.services import redis_url
from workers.celery_app import ROUTES, CeleryJobQueue, components, create_celery

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def worker_settings(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    broker = redis_url()
    return load_settings(
        data_dir=tmp_path_factory.mktemp("imports-worker") / "var",
        database_url=postgres_url,
        secret_key="test-secret-key-" * 4,
        broker_url=broker,
        result_backend=broker,
    )


@pytest.fixture(scope="module")
def celery_app(worker_settings: Settings) -> Iterator[Celery]:
    app = create_celery(worker_settings)
    context = components(app)
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "global_keyprefix": f"carnet-test-{uuid.uuid4().hex}:",
    }
    queue = ROUTES["carnet.imports.*"]["queue"]
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30
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
    jobs = CeleryJobQueue(celery_app)
    database = records_database(worker_settings, jobs)
    _reset_postgres(database)
    yield create_app(worker_settings, database=database, job_queue=jobs), database
    database.dispose()


def test_a_real_worker_imports_and_the_import_is_followed(
    worker_app: tuple[Flask, Database],
) -> None:
    app, database = worker_app
    seller = make_user(app, database, "alice")
    content = csv_bytes([["Nom", "SIRET"], ["Martin", siret(1)], ["Faux", "123"]])
    reply = post_import(seller, content)
    assert reply.status_code == 202, reply.json
    location = reply.headers["Location"]
    deadline = time.monotonic() + 60
    body: dict[str, Any] = reply.json
    while body["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        body = seller.get(location).json
    assert body["state"] == "done", body
    assert body["progress"] == {"done": 2, "total": 2}
    assert outcomes(body) == {2: "created", 3: "error"}
    assert seller.get(body["links"]["errors"]).status_code == 200
