"""Readiness names the dependency that is down; a request id is echoed and logged as JSON."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid
from pathlib import Path

import redis

from config import Settings, load_settings
from config.logs import JsonFormatter, reset_request_id, set_request_id
from records_svc import create_app
from records_svc.composition import records_database
from records_svc.db import Database
from records_svc.job_queue import NullJobQueue
from tests.services import redis_url
from tests.stack.conftest import ROOT, free_port
from workers.heartbeat import Heartbeat

SECRET = "test-secret-key-" * 4


def records_settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(data_dir=tmp_path / "var", secret_key=SECRET, **overrides)


def readyz(settings: Settings, database: Database | None = None) -> tuple[int, dict[str, object]]:
    app = create_app(settings, database=database)
    reply = app.test_client().get("/readyz")
    return reply.status_code, reply.json


def test_ready_with_its_database_redis_and_a_live_indexing_worker(tmp_path: Path) -> None:
    settings = records_settings(
        tmp_path, broker_url=redis_url(), broker_key_prefix=f"carnet-test-{uuid.uuid4().hex}:"
    )
    status, body = readyz(settings)
    # no indexing worker has written its heartbeat: writes would never reach search
    assert status == 503
    assert body["checks"] == {"database": "ok", "redis": "ok", "indexing_worker": "down"}
    assert "indexing worker" in str(body["detail"])

    client = redis.Redis.from_url(redis_url())
    try:
        Heartbeat(settings, ["indexing"]).beat(client)  # what a running worker writes
        status, body = readyz(settings)
        assert status == 200
        assert body["checks"] == {"database": "ok", "redis": "ok", "indexing_worker": "ok"}
        assert 0 < client.ttl(settings.worker_heartbeat_key("indexing")) <= 15
    finally:
        client.delete(settings.worker_heartbeat_key("indexing"))
        client.close()


def test_redis_down_is_named(tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    status, body = readyz(records_settings(tmp_path, broker_url=nowhere))
    assert status == 503
    assert body["checks"] == {"database": "ok", "redis": "down"}
    assert "Redis" in str(body["detail"])


def test_database_down_is_named(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/carnet"
    settings = records_settings(tmp_path, database_url=url)
    database = records_database(settings, NullJobQueue())
    try:
        status, body = readyz(settings, database)
    finally:
        database.dispose()
    assert status == 503
    assert body["checks"] == {"database": "down"}
    assert "database" in str(body["detail"])


def test_a_request_id_is_echoed_or_made(tmp_path: Path) -> None:
    client = create_app(records_settings(tmp_path)).test_client()
    given = client.get("/healthz", headers={"X-Request-ID": "portal-42"})
    assert given.headers["X-Request-ID"] == "portal-42"
    made = client.get("/healthz", headers={"X-Request-ID": "not a valid id\u00e9"})
    assert made.headers["X-Request-ID"] not in ("", "not a valid id\u00e9")
    assert len(made.headers["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id() -> None:
    formatter = JsonFormatter("records")
    token = set_request_id("abc123")
    try:
        record = logging.makeLogRecord(
            {"name": "carnet.http", "levelname": "INFO", "msg": "GET %s", "args": ("/x",)}
        )
        record.status = 200
        line = formatter.format(record)
    finally:
        reset_request_id(token)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "GET /x"
    assert entry["request_id"] == "abc123"
    assert entry["service"] == "records"
    assert entry["status"] == 200


def test_printed_lines_crashes_and_recovered_criticals_are_json_lines(tmp_path: Path) -> None:
    """What a Celery process prints itself, and its crash, come out as JSON lines."""
    code = "\n".join(
        [
            "import logging",
            "from config import load_settings",
            "from config.logs import capture_output, configure",
            f"configure(load_settings(data_dir={str(tmp_path)!r}), 'celery')",
            "capture_output()",
            "print('worker: Warm shutdown (MainProcess)')",
            "logging.getLogger('celery.backends.asynchronous').critical(",
            "    'Retry limit exceeded. The Celery application must be restarted.')",
            "logging.getLogger('celery.worker').critical('Unrecoverable error: X')",
            "raise RuntimeError('boom')",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 1
    entries = [json.loads(line) for line in (done.stdout + done.stderr).splitlines()]
    levels = {e["message"].split(":")[0].split(".")[0]: e["level"] for e in entries}
    assert levels["worker"] == "INFO"  # the printed line
    assert levels["Retry limit exceeded"] == "WARNING"  # it reconnects by itself
    assert levels["Unrecoverable error"] == "CRITICAL"  # a real one stays critical
    crash = entries[-1]
    assert crash["level"] == "CRITICAL" and "RuntimeError: boom" in crash["exc_info"]
