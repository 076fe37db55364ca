"""An import run by a real Celery worker consuming its queue on the real Redis, followed as
the portal follows it (``GET /imports/{id}`` until done)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records_svc.db import Database
from records_svc.domain import bulk
from records_svc.domain.history_models import HistoryEntry
from records_svc.domain.models import IndexEvent
from tests.conftest import make_user
from tests.imports.helpers import csv_bytes, outcomes, post_import, siret
from workers.celery_app import ROUTES

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def worker_queues() -> list[str]:
    """The queue the worker of tests/real_worker.py consumes."""
    return [ROUTES["carnet.imports.*"]["queue"]]


def test_a_real_worker_imports_and_the_import_is_followed(
    worker_app: tuple[Flask, Database],
) -> None:
    app, database = worker_app
    seller = make_user(app, database, "alice")
    # enough rows for COPY (bulk.COPY_FROM), written from the worker's prefork child
    leads = [[f"Prospect {n}", siret(n)] for n in range(1, 120)]
    assert len(leads) >= bulk.COPY_FROM
    content = csv_bytes([["Nom", "SIRET"], *leads, ["Faux", "123"]])
    reply = post_import(seller, content)
    assert reply.status_code == 202, reply.json
    location = reply.headers["Location"]
    deadline = time.monotonic() + 60
    body: dict[str, Any] = reply.json
    while body["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        body = seller.get(location).json
    assert body["state"] == "done", body
    assert body["progress"] == {"done": 120, "total": 120}
    assert outcomes(body) == {**{n: "created" for n in range(2, 121)}, 121: "error"}
    with database.read() as session:
        entries = session.scalar(select(func.count()).select_from(HistoryEntry))
        events = session.scalar(select(func.count()).select_from(IndexEvent))
    assert entries == events == 119  # each record with its history entry and outbox event
    assert seller.get(body["links"]["errors"]).status_code == 200
