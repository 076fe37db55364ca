"""A lost or replaced index, with the tasks called as plain functions: writes through the
alias only, 503 while the index is unavailable, the repair and the reindex that heal it.

"Lost" is what a search server restarted empty looks like from Carnet: nothing stands
at the alias name (here: the alias's physical indices are deleted, so the session's
server goes on serving the other tests). A "rogue" index is the concrete index an
Elasticsearch-compatible server creates with dynamic mappings when a document is
written to a name that does not exist.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ApiError

from config import Settings
from records_svc.db import Database
from search_svc import create_app as create_search_app
from search_svc.backends.base import SearchBackend, SearchUnavailableError
from search_svc.backends.elasticsearch import ElasticsearchBackend
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.conftest import Api
from tests.search.conftest import Searcher, es_client
from tests.search.test_pipeline import drain, new_prospect, pending
from workers import indexing, maintenance
from workers.celery_app import components, create_celery
from workers.maintenance import SWEEP_TASK


@pytest.fixture
def es(es_url: str) -> Iterator[ElasticsearchBackend]:
    backend = ElasticsearchBackend(
        es_client(es_url), f"carnet-heal-{uuid.uuid4().hex[:10]}x", refresh=True
    )
    backend.rebuild().commit()
    yield backend
    backend.client.indices.delete(index=f"{backend.alias}*", ignore_unavailable=True)
    backend.close()


def lose(backend: ElasticsearchBackend) -> None:
    """The search server came back empty: nothing stands at the alias name."""
    backend.client.indices.delete(index=f"{backend.alias}-*")
    assert not backend.client.indices.exists(index=backend.alias)


def plant_rogue(backend: ElasticsearchBackend) -> None:
    """What a write to the bare name left behind before writes required the alias."""
    lose(backend)
    backend.client.index(index=backend.alias, id="account:1", document={"doc_id": "x"})
    assert backend.client.indices.exists(index=backend.alias)
    assert not backend.client.indices.exists_alias(name=backend.alias)


def finder_of(settings: Settings, backend: SearchBackend) -> Searcher:
    return Searcher(create_search_app(settings, backend=backend), "show_closed_accounts")


def assert_unavailable(reply: Any, state: str) -> None:
    assert reply.status_code == 503, reply.json
    assert reply.content_type == "application/problem+json"
    assert reply.headers["Retry-After"] == "5"
    assert reply.json["checks"] == {"index": state}


def labels(finder: Searcher, q: str) -> list[str]:
    return [item["label"] for item in finder.search(q)]


def test_a_write_to_a_lost_index_fails_and_its_events_stay_pending(
    seller: Api, database: Database, es: ElasticsearchBackend
) -> None:
    new_prospect(seller, "Quincaillerie Dupré")
    lose(es)
    events = pending(database)
    with pytest.raises(SearchUnavailableError) as raised:
        indexing.process_events(database, es, events)
    assert raised.value.health.state == "missing"
    assert pending(database) == events  # not marked processed
    with pytest.raises(SearchUnavailableError):
        es.delete(["account:1"])
    # Neither the write nor the delete made a concrete index at the alias name.
    assert not es.client.indices.exists(index=es.alias)


def test_search_and_readyz_answer_503_while_the_index_is_lost(
    search_settings: Settings, es: ElasticsearchBackend
) -> None:
    finder = finder_of(search_settings, es)
    assert finder.search("dupre") == []
    lose(es)
    reply = finder.get("/api/v1/search", q="dupre")
    assert_unavailable(reply, "missing")
    assert "rebuild needed" in reply.json["detail"]
    ready = finder.client.get("/readyz")
    assert_unavailable(ready, "missing")
    assert "missing: rebuild needed" in ready.json["detail"]


def test_search_answers_503_not_500_on_a_rogue_index(
    search_settings: Settings, es: ElasticsearchBackend
) -> None:
    finder = finder_of(search_settings, es)
    plant_rogue(es)
    assert_unavailable(finder.get("/api/v1/search", q="dupre"), "rogue")
    ready = finder.client.get("/readyz")
    assert_unavailable(ready, "rogue")
    assert "concrete index stands at the alias name" in ready.json["detail"]


def test_search_answers_503_while_the_search_server_is_down(search_settings: Settings) -> None:
    down = ElasticsearchBackend(es_client("http://127.0.0.1:9"), "nowhere")
    reply = finder_of(search_settings, down).get("/api/v1/search", q="dupre")
    assert_unavailable(reply, "unreachable")


def test_sqlite_search_answers_503_while_its_index_is_unreadable(
    search_settings: Settings, tmp_path: Path
) -> None:
    backend = SqliteFtsBackend(tmp_path / "search.db")
    finder = finder_of(search_settings, backend)
    assert finder.search("dupre") == []
    with sqlite3.connect(tmp_path / "search.db") as other:  # the index file lost its tables
        other.execute("DROP TABLE entries")
    assert_unavailable(finder.get("/api/v1/search", q="dupre"), "unreachable")
    assert_unavailable(finder.client.get("/readyz"), "unreachable")
    backend.close()


@pytest.mark.parametrize("fault", [lose, plant_rogue])
def test_the_repair_recreates_the_index_and_rebuilds_it_from_the_database(
    seller: Api, database: Database, es: ElasticsearchBackend, search_settings: Settings, fault: Any
) -> None:
    new_prospect(seller, "Quincaillerie Dupré")
    drain(database, es)
    fault(es)
    new_prospect(seller, "Droguerie Lefèvre")  # written while the index is lost
    with pytest.raises(SearchUnavailableError):
        drain(database, es)

    assert maintenance.heal_index(database, es) is True
    assert es.health().state == "ok"  # the rebuild replaced the recreated index
    assert es.client.indices.exists_alias(name=es.alias)
    drain(database, es)  # the pending events land
    assert pending(database) == []
    assert not maintenance.verify(database, es)
    finder = finder_of(search_settings, es)
    assert labels(finder, "dupre") == ["Quincaillerie Dupré"]
    assert labels(finder, "lefevre") == ["Droguerie Lefèvre"]
    assert maintenance.heal_index(database, es) is False  # healthy: nothing to do


def test_a_recreated_index_takes_writes_at_once_and_is_rebuilt_later(
    seller: Api, database: Database, es: ElasticsearchBackend, search_settings: Settings
) -> None:
    new_prospect(seller, "Quincaillerie Dupré")
    drain(database, es)
    lose(es)
    assert es.ensure_index() is True
    assert es.ensure_index() is False
    health = es.health()
    assert (health.state, health.ok, health.repairable) == ("incomplete", True, True)
    finder = finder_of(search_settings, es)
    assert finder.client.get("/readyz").json["checks"] == {"index": "incomplete"}
    new_prospect(seller, "Droguerie Lefèvre")
    drain(database, es)  # lands in the recreated index
    assert labels(finder, "lefevre") == ["Droguerie Lefèvre"]
    assert labels(finder, "dupre") == []  # until the rebuild

    # A rebuild still filling its own index (within its lease) is not started twice.
    running = es.rebuild()
    assert es.repair() is False
    running.abort()
    assert es.repair() is True
    assert maintenance.heal_index(database, es) is True
    assert labels(finder, "dupre") == ["Quincaillerie Dupré"]
    assert not maintenance.verify(database, es)


def test_only_one_of_several_racing_repairs_replaces_the_index(
    es: ElasticsearchBackend, es_url: str
) -> None:
    plant_rogue(es)
    backends = [ElasticsearchBackend(es_client(es_url), es.alias) for _ in range(4)]
    results: list[bool] = []
    start = threading.Barrier(len(backends))

    def repair(backend: ElasticsearchBackend) -> None:
        start.wait()
        results.append(backend.ensure_index())

    threads = [threading.Thread(target=repair, args=(b,)) for b in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    # One index stands behind the alias; the losers removed theirs.
    [winner] = es.physical_indices()
    assert list(es.client.indices.get_alias(index=f"{es.alias}*")) == [winner]
    for backend in backends:
        backend.close()


@pytest.mark.parametrize("fault", [lose, plant_rogue])
def test_reindex_succeeds_whatever_stands_at_the_alias_name(
    seller: Api, database: Database, es: ElasticsearchBackend, fault: Any
) -> None:
    new_prospect(seller, "Quincaillerie Dupré")
    drain(database, es)
    fault(es)
    assert maintenance.reindex(database, es) == 1
    assert es.health().state == "ok"
    assert not maintenance.verify(database, es)


def test_verify_on_a_lost_index_says_so(database: Database, es: ElasticsearchBackend) -> None:
    lose(es)
    with pytest.raises(SearchUnavailableError, match="missing: rebuild needed"):
        maintenance.verify(database, es)


def test_the_sweep_notices_a_lost_index_and_has_it_repaired(
    settings: Settings, seller: Api, database: Database, es: ElasticsearchBackend
) -> None:
    celery = create_celery(settings)  # no broker: tasks run inline, as beat would send
    # the components' cached services, on the test's ones
    components(celery).__dict__.update(db=database, search=es)
    new_prospect(seller, "Quincaillerie Dupré")
    drain(database, es)
    plant_rogue(es)
    celery.tasks[SWEEP_TASK].apply()
    assert es.health().state == "ok"
    assert not maintenance.verify(database, es)
    assert pending(database) == []


@pytest.mark.parametrize("fault", [None, lose, plant_rogue])
def test_a_swap_made_from_a_stale_view_fails_as_a_whole(
    es: ElasticsearchBackend, fault: Any
) -> None:
    if fault is not None:
        fault(es)
    stale = es._layout()
    winner = es._create_physical()
    es._swap_in(winner, stale)  # the alias moved after the view was taken (old index kept)
    mine = es._create_physical()
    with pytest.raises(ApiError):
        es._swap_in(mine, stale)
    assert es.physical_indices() == [winner]
    assert es.health().state == "ok"


def test_racing_rebuilds_and_repairs_leave_one_index_behind_the_alias(
    seller: Api, database: Database, es: ElasticsearchBackend, es_url: str
) -> None:
    new_prospect(seller, "Quincaillerie Dupré")
    plant_rogue(es)
    racers = [ElasticsearchBackend(es_client(es_url), es.alias) for _ in range(4)]
    start = threading.Barrier(len(racers))
    failures: list[BaseException] = []

    def race(backend: ElasticsearchBackend, rebuilds: bool) -> None:
        start.wait()
        try:
            if rebuilds:
                maintenance.reindex(database, backend)
            else:
                backend.ensure_index()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=race, args=(b, n % 2 == 0)) for n, b in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(es.physical_indices()) == 1
    drain(database, es)  # the alias has one write index
    assert not maintenance.verify(database, es)
    for backend in racers:
        backend.close()
