"""An edition printed by a real Celery worker consuming the editions queue on the real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from records_svc.db import Database
from records_svc.domain import accounts, contacts
from records_svc.editions import templates as templates_domain
from tests.conftest import make_user
from tests.documents.editing import download, pdf_text, print_record
from tests.wait import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def worker_queues() -> list[str]:
    """The queue the worker of tests/real_worker.py consumes."""
    return ["editions"]


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
