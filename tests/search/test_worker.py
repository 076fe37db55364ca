"""The pipeline through real Celery workers on real Redis, and a broker outage.

One worker process for the module on the machine's Redis (its keys under a
prefix of its own: other test runs share that Redis); the outage test starts
its own redis-server on a free port, stops it, starts it again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from carnet.cli import main as carnet
from config import Settings, load_settings
from records_svc import create_app, migrate
from records_svc.db import Database
from records_svc.domain import outbox
from search_svc import create_app as create_search_app
from tests.conftest import Api, make_user
from tests.search.conftest import SECRET, Searcher
from tests.services import redis_url, scratch_postgres_database
from tests.wait import wait_until
from workers.celery_app import components, create_celery
from workers.maintenance import SWEEP_TASK

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def env_of(settings: Settings) -> dict[str, str]:
    values = {
        "CARNET_DATA_DIR": str(settings.data_dir),
        "CARNET_DATABASE_URL": settings.resolved_database_url,
        "CARNET_SECRET_KEY": SECRET,
        "CARNET_SEARCH_SQLITE_PATH": str(settings.resolved_search_sqlite_path),
        "CARNET_BROKER_URL": settings.broker_url or "",
        "CARNET_BROKER_KEY_PREFIX": settings.broker_key_prefix or "",
        "CARNET_OUTBOX_SWEEP_AGE_SECONDS": "0",
        "CARNET_OUTBOX_SWEEP_SECONDS": str(settings.outbox_sweep_seconds),
        "CARNET_SEARCH_BACKEND": settings.search_backend,
        "CARNET_OUTBOX_LEASE_SECONDS": str(settings.outbox_lease_seconds),
    }
    if settings.search_backend == "elasticsearch":
        values["CARNET_ELASTICSEARCH_URL"] = settings.elasticsearch_url
        values["CARNET_ELASTICSEARCH_INDEX"] = settings.elasticsearch_index
        values["CARNET_ELASTICSEARCH_PLAIN_JSON"] = str(settings.elasticsearch_plain_json)
    return {k: v for k, v in values.items() if v}


def start_worker(
    settings: Settings, log: Path, *, queues: str = "indexing,maintenance", beat: bool = False
) -> subprocess.Popen[bytes]:
    """A solo worker; with ``beat``, Celery beat runs inside it (the sweep on schedule)."""
    command = [sys.executable, "-m", "celery", "-A", "workers.worker", "worker", "-Q", queues]
    command += ["-P", "solo", "--without-gossip", "--without-mingle", "-l", "warning"]
    if beat:
        command += ["-B", "--schedule", str(log.with_suffix(".schedule"))]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env_of(settings)}, stdout=out, stderr=out
        )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    process.send_signal(sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait for the asynchronous pipeline (not a speed assertion: the bound is generous)."""
    wait_until(check, timeout, what, interval=0.1)


@dataclass
class Stack:
    settings: Settings
    database: Database
    #: the records apps' databases (each wired to its Celery app), closed at the end
    opened: list[Database] = field(default_factory=list, init=False)

    def records(self, settings: Settings) -> Any:
        built = components(create_celery(settings))
        self.opened.append(built.db)
        return create_app(settings, database=built.db, job_queue=built.jobs)

    def close(self) -> None:
        for opened in self.opened:
            opened.dispose()

    def finder(self) -> Searcher:
        return Searcher(create_search_app(self.settings))


@contextmanager
def scratch_stack(tmp: Path, **overrides: Any) -> Iterator[tuple[Settings, Database]]:
    """A migrated scratch PostgreSQL database, and settings for it on the machine's Redis
    under a key prefix of this run's own (its keys deleted at the end)."""
    broker = redis_url()
    prefix = f"carnet-test-{uuid.uuid4().hex}:"
    with scratch_postgres_database() as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        settings = load_settings(
            data_dir=tmp / "var",
            database_url=url,
            secret_key=SECRET,
            broker_url=broker,
            broker_key_prefix=prefix,
            **overrides,
        )
        try:
            yield settings, database
        finally:
            database.dispose()
            forget_keys(broker, prefix)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("pipeline")
    with scratch_stack(tmp) as (settings, database):
        worker = start_worker(settings, tmp / "worker.log")
        stack = Stack(settings, database)
        try:
            yield stack
        finally:
            stop(worker, signal.SIGQUIT)
            stack.close()  # cold shutdown: its jobs are idempotent


def forget_keys(broker: str, prefix: str) -> None:
    """Delete what a test run left on the shared Redis (every key under its prefix)."""
    client = redis.Redis.from_url(broker)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_a_real_worker_indexes_creates_renames_and_deletes(stack: Stack) -> None:
    app = stack.records(stack.settings)
    seller: Api = make_user(app, stack.database, f"seller-{uuid.uuid4().hex[:6]}")
    finder = stack.finder()
    reply = seller.post("/api/v1/prospects", json={"name": "Quincaillerie Dupré"})
    assert reply.status_code == 201, reply.json
    path = reply.json["links"]["self"]
    eventually(lambda: finder.labels("quinc dup") == ["Quincaillerie Dupré"], "created → found")

    assert seller.edit(path, {"name": "Droguerie Lefèvre"}).status_code == 200
    eventually(lambda: finder.labels("drog lef") == ["Droguerie Lefèvre"], "renamed → found")
    assert finder.labels("quinc") == []

    current = seller.get(path)
    assert seller.delete(path, headers={"If-Match": current.headers["ETag"]}).status_code == 204
    eventually(lambda: finder.labels("drog") == [], "deleted → gone")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is needed for the broker outage test")
    command = [
        server,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    eventually(up, "redis-server started", timeout=10)
    client.close()
    return process


def test_a_broker_outage_loses_nothing(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    settings = stack.settings.model_copy(
        update={"broker_url": f"redis://127.0.0.1:{port}/0", "broker_key_prefix": None}
    )
    broker = start_redis(port, tmp_path)
    app = stack.records(settings)
    seller = make_user(app, stack.database, f"seller-{uuid.uuid4().hex[:6]}")
    stop(broker)  # the broker goes down

    reply = seller.post("/api/v1/prospects", json={"name": "Ferronnerie Œillet"})
    assert reply.status_code == 201, reply.json  # records writes still succeed
    path = reply.json["links"]["self"]
    assert seller.edit(path, {"name": "Ferronnerie Œillet & Fils"}).status_code == 200
    with stack.database.read() as session:
        assert outbox.pending_count(session) >= 2

    broker = start_redis(port, tmp_path)  # back
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        create_celery(settings).tasks[SWEEP_TASK].apply_async()  # what beat sends
        finder = stack.finder()
        eventually(lambda: finder.labels("oeillet") == ["Ferronnerie Œillet & Fils"], "swept")

        def drained() -> bool:
            with stack.database.read() as session:
                return outbox.pending_count(session) == 0

        eventually(drained, "outbox empty")
    finally:
        stop(worker, signal.SIGQUIT)
        stop(broker)
    for name, value in env_of(stack.settings).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(carnet, ["search", "verify"])
    assert result.exit_code == 0, result.output
    assert "No drift" in result.output


def test_a_worker_killed_mid_burst_loses_nothing(stack: Stack, tmp_path: Path) -> None:
    """SIGKILL the indexing worker while writes pour in; a new worker and beat's sweeps
    bring the index level with the database, every acknowledged create included."""
    import threading

    from search_svc.backends import from_settings
    from workers import maintenance

    settings = stack.settings.model_copy(
        update={"broker_key_prefix": f"carnet-test-{uuid.uuid4().hex}:", "outbox_lease_seconds": 2}
    )
    app = stack.records(settings)
    seller = make_user(app, stack.database, f"seller-{uuid.uuid4().hex[:6]}")
    created: list[int] = []

    def write(count: int) -> None:
        for n in range(count):
            reply = seller.post("/api/v1/prospects", json={"name": f"Averse {n}"})
            assert reply.status_code == 201, reply.json
            created.append(int(reply.json["id"]))

    worker = start_worker(settings, tmp_path / "worker-1.log")
    writer = threading.Thread(target=write, args=(150,))
    writer.start()
    eventually(lambda: len(created) >= 40, "the burst is under way")
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    writer.join(60)
    worker = start_worker(settings, tmp_path / "worker-2.log")
    sweep = create_celery(settings).tasks[SWEEP_TASK]
    backend = from_settings(settings)
    try:

        def level() -> bool:
            sweep.apply_async()  # what beat sends, every period
            time.sleep(1)
            return not maintenance.verify(stack.database, backend)

        eventually(level, "verify reports no drift", timeout=60)
        indexed = {doc_id for doc_id, _ in backend.versions()}
        assert {f"account:{i}" for i in created} <= indexed
    finally:
        backend.close()
        stop(worker, signal.SIGQUIT)
        client = redis.Redis.from_url(settings.broker_url or "")
        keys = list(client.scan_iter(match=f"{settings.broker_key_prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
