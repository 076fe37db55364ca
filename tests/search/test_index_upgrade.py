"""An index left by the previous release (another INDEX_FORMAT) heals without an operator.

The old indices are made as that release made them: on Elasticsearch its strict mapping
(without the fields added since, without a stored format) behind the alias, filled with
the documents it wrote; on SQLite its FTS5 table (``_`` as the only word character) and
no typo tables, with ``PRAGMA user_version`` left at 0.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from elasticsearch import helpers
from werkzeug.test import Client

from carnet import demo, embedded
from carnet.cli import main as carnet
from carnet.server import EmbeddedServer
from config import Settings, load_settings
from records_svc.db import Database
from search_svc.backends import elasticsearch as es_backend
from search_svc.backends.base import INDEX_FORMAT, SearchQuery
from search_svc.backends.elasticsearch import ElasticsearchBackend
from tests.conftest import Api
from tests.search.conftest import SECRET, es_client
from tests.search.test_embedded import sign_in
from tests.search.test_index_health import finder_of, labels
from tests.search.test_pipeline import drain, new_prospect, pending
from workers import maintenance
from workers.celery_app import components, create_celery
from workers.maintenance import SWEEP_TASK

#: the fields added by INDEX_FORMAT 2 (the earlier fields are mapped as they were)
NEW_FIELDS = ("name", "words", "name_words", "exact")
#: the mapping of the previous release's index (no ``_meta``: no stored format)
OLD_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        name: field
        for name, field in es_backend.MAPPINGS["properties"].items()
        if name not in NEW_FIELDS
    },
}
#: the previous release's FTS5 table
OLD_FTS = (
    "CREATE VIRTUAL TABLE entries_fts USING fts5("
    "terms, prefix='1 2 3', detail=none, tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")"
)


@pytest.fixture
def old_es(es_url: str) -> Iterator[ElasticsearchBackend]:
    """An alias with the previous release's index behind it (and its index template)."""
    backend = ElasticsearchBackend(
        es_client(es_url), f"carnet-old-{uuid.uuid4().hex[:10]}x", refresh=True
    )
    template = {"settings": es_backend.SETTINGS, "mappings": OLD_MAPPINGS}
    backend.client.indices.put_index_template(
        name=backend.alias, index_patterns=[f"{backend.alias}-*"], template=template
    )
    backend.client.indices.create(
        index=f"{backend.alias}-20260101000000000000",
        settings=es_backend.SETTINGS,
        mappings=OLD_MAPPINGS,
        aliases={backend.alias: {}},
    )
    yield backend
    backend.client.indices.delete(index=f"{backend.alias}*", ignore_unavailable=True)
    backend.client.indices.delete_index_template(name=backend.alias)
    backend.close()


def index_as_before(backend: ElasticsearchBackend, database: Database) -> None:
    """What the previous release wrote for the database's records: the old fields only."""
    actions = [
        {
            "_index": backend.alias,
            "_id": d.doc_id,
            "version": d.version,
            "version_type": "external",
            "_source": {
                k: v for k, v in es_backend._source(d).items() if k in OLD_MAPPINGS["properties"]
            },
        }
        for batch in maintenance.expected_documents(database)
        for d in batch
    ]
    helpers.bulk(backend.client, actions, refresh=True)


def test_an_outdated_es_index_answers_and_the_worker_heals_it(
    settings: Settings, seller: Api, database: Database, old_es: ElasticsearchBackend
) -> None:
    new_prospect(seller, "Quincaillerie Dupré")
    index_as_before(old_es, database)  # indexed by the previous release, then upgraded
    health = old_es.health()
    assert (health.state, health.ok, health.repairable) == ("outdated", True, True)
    assert f"uses {INDEX_FORMAT}" in health.detail
    finder = finder_of(settings, old_es)
    assert labels(finder, "quincaillerie") == ["Quincaillerie Dupré"]  # old documents answer
    ready = finder.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"index": "outdated"}
    # A write after the upgrade is refused by the old strict mapping: it stays pending.
    new_prospect(seller, "Zinguerie Ébène")
    events = pending(database)
    with pytest.raises(es_backend.SearchUnavailableError) as raised:
        drain(database, old_es)
    assert raised.value.health.state == "outdated"
    assert pending(database) == events

    # The sweep (beat's task, run inline) notices and has it rebuilt, then the events land.
    celery = create_celery(settings)
    components(celery).__dict__.update(db=database, search=old_es)
    celery.tasks[SWEEP_TASK].apply()
    assert old_es.health().state == "ok"
    (behind,) = old_es.physical_indices()
    mapping = old_es.client.indices.get_mapping(index=behind)[behind]["mappings"]
    assert mapping["_meta"] == {"carnet_index_format": INDEX_FORMAT}
    drain(database, old_es)
    assert pending(database) == []
    assert not maintenance.verify(database, old_es)
    assert labels(finder, "zingu eb") == ["Zinguerie Ébène"]
    assert labels(finder, "quincailerie") == ["Quincaillerie Dupré"]  # typos: a new field
    assert maintenance.heal_index(database, old_es) is False  # current: nothing to do


def make_outdated(path: Path) -> None:
    """Turn a search file into the previous release's: its FTS5 table, no typo tables,
    no stored format (the words table stays: that release had it)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(
            "BEGIN;"
            "CREATE TABLE old_terms AS SELECT rowid AS pos, terms FROM entries_fts;"
            "DROP TABLE entries_fts; DROP TABLE typo_words; DROP TABLE typo_keys;"
            f"{OLD_FTS};"
            "INSERT INTO entries_fts (rowid, terms) SELECT pos, terms FROM old_terms;"
            "DROP TABLE old_terms;"
            "PRAGMA user_version = 0;"
            "COMMIT;"
        )
    finally:
        conn.close()


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An embedded installation whose search file the previous release made."""
    monkeypatch.setenv("CARNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CARNET_SECRET_KEY", SECRET)
    settings = load_settings()
    rt = embedded.runtime(settings)
    try:
        embedded.ensure_admin(rt, "admin password")
        demo.load(rt.db, count=30)
        assert rt.search.search(SearchQuery("a"))
    finally:
        rt.close()
    path = settings.resolved_search_sqlite_path
    assert user_version(path) == INDEX_FORMAT  # a new file is made in the current format
    make_outdated(path)
    return settings


def test_an_outdated_sqlite_index_answers_and_verify_names_the_way_out(
    upgraded: Settings,
) -> None:
    rt = embedded.runtime(upgraded)
    try:
        health = rt.search.health()
        assert (health.state, health.ok, health.repairable) == ("outdated", True, True)
        client = Client(embedded.wsgi_app(rt))
        auth = sign_in(client, rt)
        reply = client.get("/api/v1/search?q=a&limit=5", headers=auth)
        assert reply.status_code == 200, reply.json  # old documents answer, never a 500
        assert reply.json["items"]
        assert client.get("/api/v1/search?q=zz&limit=5", headers=auth).status_code == 200
    finally:
        rt.close()
    verified = CliRunner().invoke(carnet, ["search", "verify"])
    assert verified.exit_code == 1
    assert "outdated: run carnet search reindex" in verified.output
    assert "Traceback" not in verified.output


def test_carnet_serve_rebuilds_an_outdated_sqlite_index_before_serving(
    upgraded: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # An in-process Celery test worker may have left the root logger at ERROR.
    caplog.set_level(logging.WARNING, logger="carnet.embedded")
    path = upgraded.resolved_search_sqlite_path
    server = EmbeddedServer(upgraded, "127.0.0.1", 0)
    app = server.load()  # what the gunicorn worker does before it serves
    rt = server.runtime
    assert rt is not None
    try:
        assert "search index outdated at start" in caplog.text
        assert rt.search.health().state == "ok"
        assert user_version(path) == INDEX_FORMAT
        assert not maintenance.verify(rt.db, rt.search)
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("SELECT count(*) FROM typo_words").fetchone()[0] > 0
        finally:
            conn.close()
        client = Client(app)
        auth = sign_in(client, rt)
        reply = client.post("/api/v1/prospects", json={"name": "Zinguerie Ébène"}, headers=auth)
        assert reply.status_code == 201, reply.json
        found = client.get("/api/v1/search?q=zinguerei", headers=auth).json["items"]
        assert [i["label"] for i in found] == ["Zinguerie Ébène"]  # a typo: the new tables
        assert embedded.heal_search(rt) is False  # current now: nothing to do
    finally:
        rt.shutdown()
    assert CliRunner().invoke(carnet, ["search", "verify"]).exit_code == 0
