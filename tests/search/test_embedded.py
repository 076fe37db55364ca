"""`carnet serve` composition: records and search in one WSGI app; the search CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.test import Client

from carnet import demo, embedded
from carnet.cli import main as carnet
from config import load_settings
from search_svc.backends.base import SearchQuery
from tests.search.conftest import SECRET


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[embedded.Runtime]:
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CARNET_SECRET_KEY", SECRET)
    rt = embedded.runtime(load_settings())
    yield rt
    rt.close()


def sign_in(client: Client, rt: embedded.Runtime) -> dict[str, str]:
    embedded.ensure_admin(rt, "admin password")
    reply = client.post(
        "/api/v1/auth/token", json={"username": "admin", "password": "admin password"}
    )
    return {"Authorization": f"Bearer {reply.json['access_token']}"}


def test_one_process_serves_records_and_type_ahead_on_the_demo_data(
    runtime: embedded.Runtime,
) -> None:
    client = Client(embedded.wsgi_app(runtime))
    auth = sign_in(client, runtime)
    totals = demo.load(runtime.db, count=40)
    items = client.get("/api/v1/search?q=a&limit=50", headers=auth).json["items"]
    assert {i["kind"] for i in items} <= {"contact", "prospect", "client"}
    assert len(items) >= 10
    first = items[0]
    assert client.get(first["link"], headers=auth).status_code == 200  # the result opens its record
    # Indexing is inline (eager jobs): what is written is found at once.
    reply = client.post("/api/v1/prospects", json={"name": "Zinguerie Ébène"}, headers=auth)
    assert reply.status_code == 201, reply.json
    assert [
        i["label"] for i in client.get("/api/v1/search?q=zingu eb", headers=auth).json["items"]
    ] == ["Zinguerie Ébène"]
    assert client.get("/api/v1/search/readyz").status_code == 200
    assert client.get("/api/v1/healthz").status_code == 200
    assert totals["contacts"] > 0


def test_search_reindex_and_verify_commands(runtime: embedded.Runtime) -> None:
    embedded.ensure_admin(runtime)
    demo.load(runtime.db, count=10)
    runner = CliRunner()
    verified = runner.invoke(carnet, ["search", "verify"])
    assert verified.exit_code == 0, verified.output
    runtime.search.delete(["account:1"])  # the index loses a document
    verified = runner.invoke(carnet, ["search", "verify"])
    assert verified.exit_code == 1
    assert "missing account:1" in verified.output
    rebuilt = runner.invoke(carnet, ["search", "reindex", "--batch-size", "7"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "the new index is live" in rebuilt.output
    assert runner.invoke(carnet, ["search", "verify"]).exit_code == 0
    from search_svc import documents

    runtime.search.write(
        [
            documents.account_document(
                {"id": 1, "kind": "prospect", "name": "Renommé", "version": 99}
            )
        ]
    )
    assert [h.label for h in runtime.search.search(SearchQuery("renomme"))] == ["Renommé"]


def test_a_failed_index_write_leaves_the_event_to_the_background_sweep(
    runtime: embedded.Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from records_svc.domain import outbox
    from workers import maintenance

    # An in-process Celery worker of an earlier test may have left the root logger at ERROR.
    caplog.set_level(logging.WARNING, logger="workers.indexing")
    client = Client(embedded.wsgi_app(runtime))
    auth = sign_in(client, runtime)
    write = runtime.search.write
    calls: list[int] = []

    def broken(documents: object) -> None:
        calls.append(1)
        raise OSError("the index is unwritable")

    monkeypatch.setattr(runtime.search, "write", broken)
    reply = client.post(
        "/api/v1/prospects",
        json={"name": "Tonnellerie Mérand"},
        headers={**auth, "X-Request-ID": "req-index-failure"},
    )
    assert reply.status_code == 201, reply.json
    assert calls == [1]  # tried once, no retry loop in the request
    [failure] = [r for r in caplog.records if r.name == "workers.indexing"]
    assert failure.request_id == "req-index-failure"  # type: ignore[attr-defined]
    with runtime.db.read() as session:
        assert outbox.pending_count(session) == 1
    assert maintenance.verify(runtime.db, runtime.search).missing == [f"account:{reply.json['id']}"]

    monkeypatch.setattr(runtime.search, "write", write)
    sweeper = embedded.start_sweep(runtime)  # what `carnet serve` starts: a replay first
    sweeper.stop()
    assert not maintenance.verify(runtime.db, runtime.search)
    with runtime.db.read() as session:
        assert outbox.pending_count(session) == 0
