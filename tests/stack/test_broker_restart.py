"""The indexing worker survives Redis restarts under load (late acks, messages in
flight), its heartbeat shows in the records service's /readyz, and a dead worker
is named there.

The test runs its own redis-server on a free port (it restarts it), a real
Celery worker (prefork, as ``carnet stack up`` runs it) and the records app
writing through the broker while the restarts happen.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from config import Settings, load_settings
from records_svc import create_app, migrate
from records_svc.composition import Components, records_database
from records_svc.domain import outbox
from records_svc.job_queue import INDEX_EVENTS_TASK, NullJobQueue
from tests.conftest import make_user
from tests.search.test_worker import ROOT, env_of, eventually, start_redis, stop
from tests.stack.conftest import free_port
from workers import maintenance
from workers.celery_app import QUEUES, CeleryJobQueue, create_celery
from workers.maintenance import SWEEP_TASK

pytestmark = [pytest.mark.slow, pytest.mark.redis]

SECRET = "broker-restart-secret-" * 3


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "-A", "workers.worker", "--quiet", "worker"]
    command += [f"--queues={','.join(QUEUES)}", "--without-mingle", "--without-gossip"]
    env = {
        **env_of(settings),
        "CARNET_SECRET_KEY": SECRET,
        "CARNET_WORKER_CONCURRENCY": "2",
        "CARNET_WORKER_HEARTBEAT_SECONDS": str(settings.worker_heartbeat_seconds),
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=out
        )


def test_the_indexing_worker_survives_redis_restarts_under_load(tmp_path: Path) -> None:
    port = free_port()
    broker = start_redis(port, tmp_path)
    settings = load_settings(
        data_dir=tmp_path / "var",
        secret_key=SECRET,
        broker_url=f"redis://127.0.0.1:{port}/0",
        outbox_sweep_age_seconds=0,
        worker_heartbeat_seconds=1,
    )
    celery = create_celery(settings)
    database = records_database(settings, CeleryJobQueue(celery))
    migrate.upgrade(database.engine)
    app = create_app(settings, database=database, job_queue=CeleryJobQueue(celery))
    readyz = app.test_client()
    seller = make_user(app, database, f"seller-{uuid.uuid4().hex[:6]}")
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        eventually(lambda: readyz.get("/readyz").status_code == 200, "worker heartbeat seen")

        # load: a backlog of index jobs (each worker process holds unacknowledged
        # messages: late acks) and a salesperson creating prospects meanwhile
        for n in range(3000):
            celery.tasks[INDEX_EVENTS_TASK].apply_async(kwargs={"event_ids": [10_000_000 + n]})
        stop_writing, created = threading.Event(), []

        def write() -> None:
            while not stop_writing.is_set():
                reply = seller.post("/api/v1/prospects", json={"name": f"Cave {len(created)}"})
                assert reply.status_code == 201, reply.json
                created.append(reply.json["id"])

        writer = threading.Thread(target=write)
        writer.start()
        try:
            for _ in range(2):
                stop_writing.wait(1.0)
                stop(broker)  # Redis goes away with the messages in flight...
                broker = start_redis(port, tmp_path)  # ...and comes back empty
                stop_writing.wait(3.0)
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        finally:
            stop_writing.set()
            writer.join()
        assert created

        log = (tmp_path / "worker.log").read_text()
        assert "Unrecoverable error" not in log
        eventually(lambda: readyz.get("/readyz").status_code == 200, "heartbeat back")

        # what the outage lost in Redis, the outbox sweep sends again (beat's job)
        celery.tasks[SWEEP_TASK].apply_async()

        def drained() -> bool:
            with database.read() as session:
                return outbox.pending_count(session) == 0

        eventually(drained, "every index event processed", timeout=60)
        context = Components(settings, NullJobQueue())
        try:
            drift = maintenance.verify(context.db, context.search)
        finally:
            context.search.close()
            context.db.dispose()
        assert not drift, drift

        # a dead worker is visible without Flower: /readyz names it
        worker.send_signal(signal.SIGKILL)
        worker.wait()

        def named() -> bool:
            reply = readyz.get("/readyz")
            return reply.status_code == 503 and reply.json["checks"]["indexing_worker"] == "down"

        eventually(named, "/readyz names the dead worker", timeout=10)
        assert "indexing worker" in readyz.get("/readyz").json["detail"]
    finally:
        if worker.poll() is None:
            stop(worker, signal.SIGQUIT)
        stop(broker)
        celery.close()
        database.dispose()
