"""An edition printed by a real Celery worker consuming the editions queue on the real Redis."""

from __future__ import annotations

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
from records_svc.domain import accounts, contacts
from records_svc.editions import templates as templates_domain
from tests.conftest import _reset_postgres, make_user
from tests.documents.editing import download, pdf_text, print_record
from tests.services import redis_url
from tests.wait import wait_until
from workers.celery_app import CeleryJobQueue, components, create_celery

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


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
def celery_app(worker_settings: Settings) -> Iterator[Celery]:
    """One worker for the module, on its own key prefix (other runs share this Redis)."""
    app = create_celery(worker_settings)
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "global_keyprefix": f"carnet-test-{uuid.uuid4().hex}:",
    }
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=["editions"], shutdown_timeout=30
    ):
        yield app
    components(app).db.dispose()


@pytest.fixture
def worker_app(worker_settings: Settings, celery_app: Celery) -> Iterator[tuple[Flask, Database]]:
    database = records_database(worker_settings, CeleryJobQueue(celery_app))
    _reset_postgres(database)
    yield (
        create_app(worker_settings, database=database, job_queue=CeleryJobQueue(celery_app)),
        database,
    )
    database.dispose()


def wait_for_job(api: Any, location: str, deadline_seconds: float = 60) -> dict[str, Any]:
    """Poll the job as the portal does, until it is done or failed."""

    def over() -> dict[str, Any] | None:
        job: dict[str, Any] = api.get(location).json
        return job if job["state"] in ("done", "failed") else None

    return wait_until(over, deadline_seconds, f"job {location} over", interval=0.1)


def test_a_real_worker_prints_and_attaches(worker_app: tuple[Flask, Database]) -> None:
    app, database = worker_app
    seller = make_user(app, database, "alice")
    address = {"line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"}
    with database.unit_of_work() as uow:
        template_id = {t.entity: t.id for t in templates_domain.install_defaults(uow)}["client"]
        client, _ = accounts.sync_client(
            uow, "ERP-42", {"name": "Boulangerie Lefèvre", "address": address}
        )
        contacts.create_contact(uow, client.id, {"first_name": "Jérôme", "last_name": "Lefèvre"})
    path = f"/api/v1/clients/{client.id}"
    reply = print_record(seller, path, template_id, attach=True)
    assert reply.status_code == 202
    assert reply.json["state"] == "queued"
    job = wait_for_job(seller, reply.headers["Location"])
    assert job["state"] == "done", job
    text = pdf_text(download(seller, job["links"]["download"]).data)
    for expected in ("Boulangerie Lefèvre", "3 rue des Lilas", "69003 Lyon", "Jérôme Lefèvre"):
        assert expected in text
    assert len(seller.get(f"{path}/documents").json["items"]) == 1
