"""``carnet bench pipeline``: how long until a write is searchable, through the real chain.

records API (PostgreSQL: row + outbox event in one transaction) → after commit,
the job is enqueued on Redis → a Celery worker process (its own interpreter)
reads the row and writes the SQLite FTS5 index → the search backend finds it.
The lag is measured from the moment the write request starts to the first
search that finds the new name.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from carnet.bench import data, measure
from config import Settings, load_settings
from records_svc import create_app
from records_svc.db import Database
from records_svc.domain import users
from search_svc.backends.base import SearchQuery
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from workers import maintenance
from workers.celery_app import CeleryJobQueue, create_celery

PASSWORD = uuid.uuid4().hex
LETTERS = "bcdfghjklmnpqrstvwxz"


@dataclass
class Options:
    writes: int
    rate: float  # writes per second
    entries: int  # directory already in the database and the index
    seed: int
    admin_url: str
    redis_url: str
    workdir: Path | None


def unique_word(rng: random.Random, index: int) -> str:
    """A word no generated name contains: found only once its write is indexed."""
    digits = []
    while True:
        index, rest = divmod(index, len(LETTERS))
        digits.append(LETTERS[rest])
        if not index:
            break
    return "qz" + "".join(rng.choice(LETTERS) for _ in range(4)) + "".join(digits)


def _env(settings: Settings) -> dict[str, str]:
    return {
        "CARNET_DATA_DIR": str(settings.data_dir),
        "CARNET_DATABASE_URL": settings.resolved_database_url,
        "CARNET_SECRET_KEY": settings.secret_key or "",
        "CARNET_SEARCH_BACKEND": "sqlite",
        "CARNET_SEARCH_SQLITE_PATH": str(settings.resolved_search_sqlite_path),
        "CARNET_BROKER_URL": settings.broker_url or "",
        "CARNET_BROKER_KEY_PREFIX": settings.broker_key_prefix or "",
    }


@contextmanager
def celery_worker(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "celery", "-A", "workers.worker", "worker", "-Q", "indexing"]
    command += ["-P", "solo", "--without-gossip", "--without-mingle", "-l", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env={**os.environ, **_env(settings)}, stdout=out, stderr=out
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGQUIT)  # cold shutdown: indexing jobs are idempotent
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Watcher:
    """Polls the index for the words written but not yet found; records each lag."""

    def __init__(self, backend: SqliteFtsBackend) -> None:
        self.backend = backend
        self.pending: dict[str, float] = {}
        self.lags_ms: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def expect(self, word: str, since: float) -> None:
        with self.lock:
            self.pending[word] = since

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                waiting = list(self.pending.items())
            for word, since in waiting:
                if self.backend.search(SearchQuery(word, limit=1)):
                    found = time.perf_counter()
                    with self.lock:
                        del self.pending[word]
                        self.lags_ms.append((found - since) * 1000)
            time.sleep(0.002)


def run(options: Options, say: Callable[[str], object]) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="carnet-bench-pipeline-", dir=options.workdir))
    prefix = f"carnet-bench-{uuid.uuid4().hex}:"
    try:
        with data.scratch_database(options.admin_url, "pipeline") as url:
            settings = load_settings(
                data_dir=workdir / "var",
                database_url=url,
                secret_key=uuid.uuid4().hex * 2,
                search_backend="sqlite",
                broker_url=options.redis_url,
                broker_key_prefix=prefix,
                outbox_sweep_age_seconds=3600,
            )
            return _run(options, settings, url, workdir, say)
    finally:
        client = redis.Redis.from_url(options.redis_url)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


def _run(
    options: Options, settings: Settings, url: str, workdir: Path, say: Callable[[str], object]
) -> dict[str, Any]:
    db = Database(url)
    backend = SqliteFtsBackend(settings.resolved_search_sqlite_path)
    try:
        say(f"a directory of {options.entries} entries in PostgreSQL and in the index…")
        data.load_directory(db.engine, options.entries, options.seed)
        maintenance.reindex(db, backend)
        with db.unit_of_work() as uow:
            users.create_user(uow.session, "bench", PASSWORD, ())
        app = create_app(settings, database=db, job_queue=CeleryJobQueue(create_celery(settings)))
        client = app.test_client()
        reply = client.post("/api/v1/auth/token", json={"username": "bench", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {reply.get_json()['access_token']}"}
        watcher = Watcher(backend)
        with celery_worker(settings, workdir / "worker.log"):
            _wait_for_worker(client, headers, watcher)
            watcher.lags_ms.clear()
            poller = threading.Thread(target=watcher.run, daemon=True)
            poller.start()
            say(f"{options.writes} writes at {options.rate:g}/s through the records API…")
            failed = _write(options, client, headers, watcher)
            deadline = time.monotonic() + 30
            while watcher.pending and time.monotonic() < deadline:
                time.sleep(0.05)
            watcher.stop.set()
            poller.join()
        report: dict[str, Any] = measure.summary(watcher.lags_ms)
        report.update(
            writes=options.writes,
            failed_writes=failed,
            never_found=len(watcher.pending),
            rate_per_s=options.rate,
            entries=options.entries,
            chain="records API (PostgreSQL) → Redis → Celery worker (solo pool) → SQLite FTS5",
        )
        report["targets"] = {
            "write_to_searchable_p99_ms": {
                "measured": report["p99_ms"],
                "target": 1000.0,
                "met": report["p99_ms"] <= 1000.0 and not watcher.pending and not failed,
            }
        }
        return report
    finally:
        backend.close()
        db.dispose()


def _wait_for_worker(client: Any, headers: dict[str, str], watcher: Watcher) -> None:
    """One write that must come through before timing starts (the worker is up)."""
    word = "qzwarmup"
    client.post("/api/v1/prospects", json={"name": f"Bench {word}"}, headers=headers)
    deadline = time.monotonic() + 60
    while not watcher.backend.search(SearchQuery(word, limit=1)):
        if time.monotonic() > deadline:
            raise RuntimeError("the Celery worker indexed nothing in 60 s; see its log")
        time.sleep(0.05)


def _write(options: Options, client: Any, headers: dict[str, str], watcher: Watcher) -> int:
    rng = random.Random(options.seed)
    failed = 0
    interval = 1 / options.rate
    next_at = time.perf_counter()
    for index in range(options.writes):
        next_at += interval
        word = unique_word(rng, index)
        started = time.perf_counter()
        watcher.expect(word, started)
        reply = client.post(
            "/api/v1/prospects", json={"name": f"Cabinet {word.capitalize()}"}, headers=headers
        )
        if reply.status_code != 201:
            failed += 1
            with watcher.lock:
                watcher.pending.pop(word, None)
        time.sleep(max(next_at - time.perf_counter(), 0))
    return failed
