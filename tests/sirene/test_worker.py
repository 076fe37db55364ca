"""The ``sirene`` queue once through a real worker on the real Redis: 200, or 202 and a job."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from flask import Flask

from config import Settings
from records_svc import create_app
from records_svc.db import Database
from tests.conftest import Api
from tests.services import redis_url
from tests.sirene import fake_provider as fp
from tests.wait import wait_until
from workers.celery_app import CeleryJobQueue

pytestmark = [
    pytest.mark.redis,
    pytest.mark.slow,
    # Celery's Redis result backend still calls redis-py's deprecated setex.
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
    # Its result consumer leaves Redis sockets to the garbage collector (collected below).
    pytest.mark.filterwarnings("ignore:unclosed <socket:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def prefix() -> Iterator[str]:
    """This test's own Redis keys (others run on the same Redis); removed at its end."""
    import redis

    prefix = f"carnet-test-{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(redis_url())
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def sirene_overrides(prefix: str) -> dict[str, Any]:
    url = redis_url()
    return {
        "broker_url": url,
        "result_backend": url,
        "broker_key_prefix": prefix,
        "sirene_redis_prefix": prefix + "sirene:",
        "sirene_timeout_seconds": 5,
        "sirene_wait_seconds": 5,
    }


@pytest.fixture
def app(settings: Settings, database: Database, celery: Celery) -> Iterator[Flask]:
    """The records app sending to Redis, and one worker consuming the ``sirene`` queue."""
    with start_worker(celery, pool="solo", queues=["sirene"], perform_ping_check=False):
        yield create_app(settings, database=database, job_queue=CeleryJobQueue(celery))
    # The pub/sub connection that waited for results: collected results unsubscribe
    # through it, so collect them before closing it.
    gc.collect()
    celery.backend.result_consumer.stop()
    celery.close()


def follow(api: Api, location: str) -> dict[str, Any]:
    """The job once it is over (the worker finishes it; polled, not timed)."""

    def over() -> dict[str, Any] | None:
        job: dict[str, Any] = api.get(location).json
        return job if job["state"] in ("done", "failed") else None

    return wait_until(over, 30, f"job {location} over")


def test_a_look_up_through_the_worker_is_cached_in_redis(
    seller: Api, fake: fp.FakeProvider
) -> None:
    first = seller.post("/api/v1/sirene/lookup", json={"number": fp.DINUM_SIRET})
    assert first.status_code == 200, first.json
    assert first.json["fields"]["siret"] == fp.DINUM_SIRET
    again = seller.post("/api/v1/sirene/lookup", json={"number": fp.DINUM_SIRET})
    assert again.json == first.json
    assert len(fake.seen) == 1


def test_a_slow_look_up_answers_202_and_its_job_fills_the_prospect(
    seller: Api, fake: fp.FakeProvider, settings: Settings, app: Flask
) -> None:
    settings.sirene_wait_seconds = 0.1  # read by the endpoint on each request
    route = f"/insee/siret/{fp.CLOSED_SIRET}"
    fake.set(route, fp.Reply(body=fake.routes[route][0].body, delay=1.0))
    prospect = seller.post("/api/v1/prospects", json={"name": "Café"}).json
    reply = seller.post(
        f"/api/v1/prospects/{prospect['id']}/sirene", json={"number": fp.CLOSED_SIRET}
    )
    assert reply.status_code == 202, reply.json
    assert reply.headers["Location"] == reply.json["links"]["self"]
    assert reply.json["state"] in ("queued", "running")
    job = follow(seller, reply.headers["Location"])
    assert job["state"] == "done", job
    assert job["result"]["account"]["version"] == 2
    assert job["result"]["lookup"]["warnings"][0]["code"] == "closed"
    assert seller.get(prospect["links"]["self"]).json["name"] == "CAFE DU PORT"
