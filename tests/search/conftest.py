"""Search fixtures: each backend (SQLite FTS5 file, Elasticsearch over HTTP), the search app."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask

from config import Settings
from httpkit.tokens import issue_token
from httpkit.userstate import RedisUserStates, UserState
from search_svc import create_app
from search_svc.backends.base import SearchBackend
from search_svc.backends.elasticsearch import ElasticsearchBackend
from search_svc.backends.elasticsearch import PlainJsonNode as JsonNode
from search_svc.backends.sqlite_fts import SqliteFtsBackend

SECRET = "test-secret-key-" * 4


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    yield server.url
    server.close()
    if server.process.stdout is not None:  # the server's ready-line pipe
        server.process.stdout.close()


def es_client(url: str) -> Elasticsearch:
    return Elasticsearch(url, node_class=JsonNode, request_timeout=10)


@pytest.fixture(params=["sqlite", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    """Each contract test runs on both backends; each test gets an empty index."""
    made: SearchBackend
    if request.param == "sqlite":
        made = SqliteFtsBackend(tmp_path / "search.db")
    else:
        url = request.getfixturevalue("es_url")
        # Writes visible at once, so that a test reads what it just wrote. The name ends
        # with a letter: the ES-compatible test server silently makes no index whose name
        # holds a 10-digit segment (a hex draw of only digits, about one test in 110).
        made = ElasticsearchBackend(
            es_client(url), f"carnet-test-{uuid.uuid4().hex[:10]}x", refresh=True
        )
        made.rebuild().commit()  # the index of an empty database
    yield made
    made.close()


@pytest.fixture
def search_settings(tmp_path: Path) -> Settings:
    from config import load_settings

    return load_settings(data_dir=tmp_path / "var", secret_key=SECRET)


@pytest.fixture
def search_app(search_settings: Settings, backend: SearchBackend) -> Flask:
    return create_app(search_settings, backend=backend)


class Searcher:
    """Calls GET /api/v1/search as a signed-in user with the given rights."""

    def __init__(self, app: Flask, *rights: str) -> None:
        self.client = app.test_client()
        token = issue_token(SECRET, user_id=1, username="tester", rights=rights, ttl_seconds=600)
        states = app.extensions["carnet.search"].user_states
        if states is not None and isinstance(states.source, RedisUserStates):
            # what the records service would have published at sign-in
            states.source.publish(UserState.of(1, "tester", 0, True, rights))
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, query_string=params, headers=self.headers)

    def search(self, q: str, **params: Any) -> list[dict[str, Any]]:
        reply = self.get("/api/v1/search", q=q, **params)
        assert reply.status_code == 200, reply.json
        return reply.json["items"]  # type: ignore[no-any-return]

    def labels(self, q: str, **params: Any) -> list[str]:
        return [item["label"] for item in self.search(q, **params)]


@pytest.fixture
def seller_search(search_app: Flask) -> Searcher:
    return Searcher(search_app)


@pytest.fixture
def manager_search(search_app: Flask) -> Searcher:
    return Searcher(search_app, "show_closed_accounts")
