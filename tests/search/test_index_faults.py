"""Fault injection on the search server, with real processes: a Celery worker (beat
inside it, the sweep every second) on the machine's Redis (keys under a prefix of
this run), PostgreSQL, and an Elasticsearch-compatible server of the test's own on a
fixed port, stopped and started again empty while the records service takes writes.

Bounds are generous (this machine is shared); the time the repair took is printed.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from carnet.cli import main as carnet
from records_svc.domain import outbox
from search_svc import create_app as create_search_app
from search_svc.backends import from_settings
from search_svc.backends.base import SearchUnavailableError
from search_svc.backends.elasticsearch import ElasticsearchBackend
from tests.conftest import Api, make_user
from tests.search.conftest import Searcher, es_client
from tests.search.test_worker import (
    Stack,
    env_of,
    eventually,
    free_port,
    scratch_stack,
    start_worker,
    stop,
)
from workers import maintenance
from workers.celery_app import QUEUES

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

#: from the worker resuming after the fault to `search verify` = 0, seconds
HEAL_BOUND = 60


class SearchServer:
    """The Elasticsearch-compatible test server on a fixed address, restartable empty."""

    def __init__(self) -> None:
        self.addr = f"127.0.0.1:{free_port()}"
        self.url = f"http://{self.addr}"
        self._start()

    def _start(self) -> None:
        from osmem_server import OsmemServer

        self.server = OsmemServer.start(japanese=False, addr=self.addr)

    def restart_empty(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        self.server.close()
        if self.server.process.stdout is not None:
            self.server.process.stdout.close()


@dataclass
class Load:
    """Creates prospects from one thread and searches from another, recording answers."""

    records: Any
    search: Any
    created: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def write(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            name = f"Atelier Panne {n:04d}"
            reply = self.records.post("/api/v1/prospects", json={"name": name})
            assert reply.status_code == 201, reply.json
            self.created.append(name)
            time.sleep(0.05)

    def read(self) -> None:
        finder = Searcher(self.search, "show_closed_accounts")
        while not self.stopping.is_set():
            self.statuses.append(finder.get("/api/v1/search", q="atelier panne").status_code)
            time.sleep(0.05)

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self.write), threading.Thread(target=self.read)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()


@dataclass
class FaultStack(Stack):
    server: SearchServer
    worker: Any

    def serving(self) -> tuple[Flask, Searcher, Api]:
        """The search app once the worker has made the index (a fresh deployment), and a
        seller on the records app."""
        search = create_search_app(self.settings)
        finder = Searcher(search, "show_closed_accounts")
        eventually(lambda: finder.client.get("/readyz").status_code == 200, "index made", 60)
        seller = make_user(self.records(self.settings), self.database, "seller")
        return search, finder, seller

    def drifted(self) -> bool:
        backend = from_settings(self.settings)
        try:
            return bool(maintenance.verify(self.database, backend))
        except SearchUnavailableError:
            return True
        finally:
            backend.close()

    def pending(self) -> int:
        with self.database.read() as session:
            return outbox.pending_count(session)


@pytest.fixture
def fault_stack(tmp_path: Path) -> Iterator[FaultStack]:
    server = SearchServer()
    search = {
        "search_backend": "elasticsearch",
        "elasticsearch_url": server.url,
        "elasticsearch_index": f"carnet-fault-{uuid.uuid4().hex[:8]}",
        "elasticsearch_plain_json": True,
        "outbox_sweep_seconds": 1,
    }
    try:
        with scratch_stack(tmp_path, **search) as (settings, database):
            queues = ",".join(QUEUES)
            worker = start_worker(settings, tmp_path / "worker.log", queues=queues, beat=True)
            stack = FaultStack(settings, database, server=server, worker=worker)
            try:
                yield stack
            finally:
                worker.send_signal(signal.SIGCONT)
                stop(worker, signal.SIGQUIT)  # cold shutdown: its jobs are idempotent
                stack.close()
    finally:
        server.close()


def state_of(reply: Any) -> str | None:
    return reply.json.get("checks", {}).get("index")  # type: ignore[no-any-return]


def unavailable(reply: Any, state: str) -> str:
    assert reply.status_code == 503, reply.json
    assert reply.content_type == "application/problem+json"
    assert reply.headers["Retry-After"]
    assert reply.json["checks"] == {"index": state}
    return str(reply.json["detail"])


def test_a_search_server_restarted_empty_heals_without_an_operator(
    fault_stack: FaultStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = fault_stack
    search, finder, seller = stack.serving()
    with Load(seller, search) as load:
        eventually(lambda: len(finder.search("atelier panne")) > 0, "first writes searchable")
        # The worker is held so that the fault is seen before anything repairs it.
        stack.worker.send_signal(signal.SIGSTOP)
        stack.server.restart_empty()
        # unreachable while it restarts, then up but empty
        eventually(lambda: state_of(finder.get("/api/v1/search", q="atelier")) == "missing", "")
        detail = unavailable(finder.get("/api/v1/search", q="atelier"), "missing")
        assert "rebuild needed" in detail
        assert "missing: rebuild needed" in unavailable(finder.client.get("/readyz"), "missing")
        during = len(load.created)
        time.sleep(1)  # writes go on during the fault
        assert len(load.created) > during

        stack.worker.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        time.sleep(2)  # and while it heals
    assert_healed(stack, load, finder, since=resumed, monkeypatch=monkeypatch)
    assert 503 in load.statuses


def test_a_search_server_restarted_empty_while_the_worker_writes_heals(
    fault_stack: FaultStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = fault_stack
    search, finder, seller = stack.serving()
    with Load(seller, search) as load:
        eventually(lambda: len(finder.search("atelier panne")) > 0, "first writes searchable")
        stack.server.restart_empty()
        restarted = time.monotonic()
        time.sleep(3)  # the worker races the repair with its writes
    assert_healed(stack, load, finder, since=restarted, monkeypatch=monkeypatch)


def assert_healed(
    stack: FaultStack,
    load: Load,
    finder: Searcher,
    *,
    since: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """verify = 0 within the bound, every write searchable, and no 500 on the way."""
    eventually(
        lambda: stack.pending() == 0 and not stack.drifted(), "verify = 0", timeout=HEAL_BOUND
    )
    print(f"healed {time.monotonic() - since:.1f} s after the fault")
    assert 500 not in load.statuses
    assert finder.client.get("/readyz").json["checks"] == {"index": "ok"}
    found = finder.search("atelier panne", limit=50)
    assert len(found) == min(len(load.created), 50)
    for name, value in env_of(stack.settings).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(carnet, ["search", "verify"])
    assert result.exit_code == 0, result.output


def test_reindex_replaces_a_rogue_index_while_the_worker_writes(
    fault_stack: FaultStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = fault_stack
    search, finder, seller = stack.serving()
    for name, value in env_of(stack.settings).items():
        monkeypatch.setenv(name, value)
    alias = stack.settings.elasticsearch_index
    client = es_client(stack.server.url)

    with Load(seller, search) as load:
        eventually(lambda: len(finder.search("atelier panne")) > 0, "first writes searchable")
        stack.worker.send_signal(signal.SIGSTOP)  # held, so the rogue index stands a while
        client.indices.delete(index=f"{alias}-*")
        client.index(index=alias, id="account:1", document={"order_key": "x"})
        eventually(lambda: state_of(finder.client.get("/readyz")) == "rogue", "rogue seen")
        unavailable(finder.client.get("/readyz"), "rogue")
        stack.worker.send_signal(signal.SIGCONT)
        # An operator's reindex while the worker writes and may be repairing too.
        result = CliRunner().invoke(carnet, ["search", "reindex"])
        assert result.exit_code == 0, result.output
        time.sleep(1)
    eventually(
        lambda: stack.pending() == 0 and not stack.drifted(), "verify = 0", timeout=HEAL_BOUND
    )
    assert 500 not in load.statuses
    assert ElasticsearchBackend(client, alias).health().state == "ok"
    result = CliRunner().invoke(carnet, ["search", "verify"])
    assert result.exit_code == 0, result.output
