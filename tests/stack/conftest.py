"""The full stack started once for the module, by ``carnet stack up``, as an operator would.

Real PostgreSQL (a scratch database) and Redis (a key prefix of its own: other
runs share this Redis), the Elasticsearch-compatible test server as the index.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from records_svc.db import Database
from records_svc.domain import users
from tests.conftest import TEST_HASHING
from tests.services import redis_url, scratch_postgres_database
from tests.sirene.fake_provider import INSEE_KEY, FakeProvider, running

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def carnet(
    env: dict[str, str], *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carnet.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Stack:
    env: dict[str, str]
    data_dir: Path
    records: str
    search: str
    flower: str
    database_url: str
    passwords: dict[str, str] = field(default_factory=dict)

    def state(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.data_dir / "stack" / "state.json").read_text())
        return loaded

    def log(self, name: str) -> list[str]:
        return (self.data_dir / "stack" / "logs" / f"{name}.log").read_text().splitlines()


class Portal:
    """A signed-in user of the portal: bearer token on every call to records and search."""

    def __init__(self, stack: Stack, username: str) -> None:
        self.stack = stack
        self.http = requests.Session()
        reply = self.http.post(
            f"{stack.records}/api/v1/auth/token",
            json={"username": username, "password": stack.passwords[username]},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text
        self.http.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def close(self) -> None:
        self.http.close()

    def records(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.stack.records}{path}", timeout=30, **kwargs)

    def search(self, q: str) -> list[dict[str, Any]]:
        reply = self.http.get(f"{self.stack.search}/api/v1/search", params={"q": q}, timeout=10)
        assert reply.status_code == 200, reply.text
        items: list[dict[str, Any]] = reply.json()["items"]
        return items


USERS = {
    # a salesperson who validates prospects, prints, and (for the test) plays the ERP
    "alice": ("validate_prospect", "manage_templates", "erp_sync"),
    # a manager who sees closed accounts
    "bruno": ("show_closed_accounts",),
}


def forget_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def es_endpoint() -> Iterator[str]:
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    yield server.url
    server.close()
    if server.process.stdout is not None:
        server.process.stdout.close()


@pytest.fixture(scope="module")
def sirene_provider() -> Iterator[FakeProvider]:
    """The local fake of INSEE API Sirene (recorded answers), for the SIRENE workers."""
    yield from running()


@pytest.fixture(scope="module")
def stack_env(
    tmp_path_factory: pytest.TempPathFactory, es_endpoint: str, sirene_provider: FakeProvider
) -> Iterator[Stack]:
    """The environment of the stack (not started): what an operator exports."""
    broker = redis_url()
    data_dir = tmp_path_factory.mktemp("stack") / "var"
    prefix = f"carnet-test-{uuid.uuid4().hex}:"
    ports = {name: free_port() for name in ("records", "search", "flower")}
    with scratch_postgres_database() as database_url:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CARNET_", "FLOWER_"))
        }
        env.update(
            CARNET_DATA_DIR=str(data_dir),
            CARNET_DATABASE_URL=database_url,
            CARNET_SECRET_KEY="stack-test-secret-" * 3,
            CARNET_BROKER_URL=broker,
            CARNET_BROKER_KEY_PREFIX=prefix,
            CARNET_SEARCH_BACKEND="elasticsearch",
            CARNET_ELASTICSEARCH_URL=es_endpoint,
            CARNET_ELASTICSEARCH_PLAIN_JSON="true",
            CARNET_ELASTICSEARCH_INDEX=f"carnet-stack-{uuid.uuid4().hex[:8]}",
            CARNET_WEB_WORKERS="1",
            CARNET_WORKER_CONCURRENCY="1",
            CARNET_OUTBOX_SWEEP_SECONDS="5",
            CARNET_SIRENE_PROVIDER="insee",
            CARNET_SIRENE_INSEE_URL=f"{sirene_provider.url}/insee",
            CARNET_SIRENE_INSEE_KEY=INSEE_KEY,
            CARNET_SIRENE_REDIS_PREFIX=f"{prefix}sirene:",
            CARNET_SIRENE_WAIT_SECONDS="10",
            # Flower's API answers without sign-in; it listens on 127.0.0.1 only
            FLOWER_UNAUTHENTICATED_API="true",
        )
        yield Stack(
            env=env,
            data_dir=data_dir,
            records=f"http://127.0.0.1:{ports['records']}",
            search=f"http://127.0.0.1:{ports['search']}",
            flower=f"http://127.0.0.1:{ports['flower']}",
            database_url=database_url,
        )
        # Whatever happened in the tests, nothing is left running, and no key of ours.
        carnet(env, "stack", "down")
        forget_keys(broker, prefix)


@pytest.fixture(scope="module")
def stack(stack_env: Stack) -> Stack:
    """``carnet stack up`` once for the module; it returns when every process answers."""
    records_port = stack_env.records.rsplit(":", 1)[1]
    search_port = stack_env.search.rsplit(":", 1)[1]
    flower_port = stack_env.flower.rsplit(":", 1)[1]
    # a database not at this release's schema is refused: `carnet db upgrade` first
    refused = carnet(stack_env.env, "stack", "up", "--timeout=5")
    assert refused.returncode != 0 and "carnet db upgrade" in refused.stderr, refused.stderr
    upgraded = carnet(stack_env.env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    started = carnet(
        stack_env.env,
        "stack",
        "up",
        f"--records-port={records_port}",
        f"--search-port={search_port}",
        f"--flower-port={flower_port}",
        "--timeout=120",
    )
    assert started.returncode == 0, started.stdout + started.stderr + _logs(stack_env)
    database = Database(stack_env.database_url)
    try:
        with database.unit_of_work() as uow:
            for username, rights in USERS.items():
                password = uuid.uuid4().hex
                users.create_user(uow.session, username, password, rights, hashing=TEST_HASHING)
                stack_env.passwords[username] = password
    finally:
        database.dispose()
    return stack_env


def _logs(stack: Stack) -> str:
    logs = stack.data_dir / "stack" / "logs"
    if not logs.exists():
        return ""
    return "".join(
        f"\n--- {path.name}\n" + "\n".join(path.read_text().splitlines()[-20:])
        for path in sorted(logs.iterdir())
    )


@pytest.fixture
def alice(stack: Stack) -> Iterator[Portal]:
    portal = Portal(stack, "alice")
    yield portal
    portal.close()


@pytest.fixture
def bruno(stack: Stack) -> Iterator[Portal]:
    portal = Portal(stack, "bruno")
    yield portal
    portal.close()
