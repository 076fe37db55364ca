"""Records → outbox → indexing job → index, with the tasks called as plain functions.

Each test runs on both records databases and both search backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from config import Settings
from records_svc.db import Database
from records_svc.domain import outbox
from search_svc import create_app as create_search_app
from search_svc.backends.base import SearchBackend, SearchDocument
from tests.conftest import Api
from tests.search.conftest import Searcher
from workers import indexing, maintenance


def pending(database: Database) -> list[int]:
    with database.read() as session:
        return outbox.due(session, older_than=outbox.ago(-3600), limit=10_000)


def drain(database: Database, backend: SearchBackend) -> None:
    """What the worker does for every event the records service left in the outbox."""
    indexing.process_events(database, backend, pending(database))


@pytest.fixture
def finder(search_settings: Settings, backend: SearchBackend) -> Searcher:
    return Searcher(create_search_app(search_settings, backend=backend), "show_closed_accounts")


@pytest.fixture
def seller_finder(search_settings: Settings, backend: SearchBackend) -> Searcher:
    return Searcher(create_search_app(search_settings, backend=backend))


def new_prospect(seller: Api, name: str, **extra: Any) -> dict[str, Any]:
    reply = seller.post("/api/v1/prospects", json={"name": name, **extra})
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def new_contact(user: Api, account_id: int, first: str, last: str) -> dict[str, Any]:
    reply = user.post(
        f"/api/v1/accounts/{account_id}/contacts", json={"first_name": first, "last_name": last}
    )
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def test_created_renamed_deleted(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    created = new_prospect(seller, "Boulangerie Dupré")
    assert finder.labels("dupre") == []  # not yet indexed
    drain(database, backend)
    [item] = finder.search("boul dup")
    assert (item["kind"], item["id"], item["badges"]) == ("prospect", created["id"], ["draft"])
    path = f"/api/v1/prospects/{created['id']}"
    assert seller.edit(path, {"name": "Pâtisserie Lenôtre"}).status_code == 200
    drain(database, backend)
    assert finder.labels("patis") == ["Pâtisserie Lenôtre"]
    assert finder.labels("dupre") == []
    current = seller.get(path)
    assert seller.delete(path, headers={"If-Match": current.headers["ETag"]}).status_code == 204
    drain(database, backend)
    assert finder.labels("patis") == []
    assert pending(database) == []


def test_an_account_rename_reindexes_its_contacts(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    created = new_prospect(seller, "Vieux Nom")
    new_contact(seller, created["id"], "Jean-Pierre", "d'Estienne")
    drain(database, backend)
    assert finder.search("estienne")[0]["sublabel"] == "Vieux Nom"
    seller.edit(f"/api/v1/prospects/{created['id']}", {"name": "Nouveau Nom"})
    drain(database, backend)
    assert finder.search("estienne")[0]["sublabel"] == "Nouveau Nom"


def test_a_contact_is_found_by_its_account_city_and_postal_code(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    address = {"postal_code": "44000", "city": "Nantes"}
    created = new_prospect(seller, "Garage du Port", address=address)
    new_contact(seller, created["id"], "Philippe", "Morin")
    drain(database, backend)
    assert finder.labels("morin nantes") == ["Philippe Morin"]
    assert finder.labels("44000") == ["Garage du Port", "Philippe Morin"]
    moved = {"address": {"postal_code": "33000", "city": "Bordeaux"}}
    seller.edit(f"/api/v1/prospects/{created['id']}", moved)
    drain(database, backend)
    assert finder.labels("morin nantes") == []
    assert finder.labels("morin bordeaux") == ["Philippe Morin"]
    assert finder.labels("33") == ["Garage du Port", "Philippe Morin"]


def test_closing_and_reopening_a_client_after_its_contacts_were_indexed(
    erp: Api, database: Database, backend: SearchBackend, finder: Searcher, seller_finder: Searcher
) -> None:
    reply = erp.put("/api/v1/sync/clients/ERP-42", json={"name": "Müller Straße"})
    assert reply.status_code == 201, reply.json
    client_id = reply.json["id"]
    new_contact(erp, client_id, "Hélène", "Martin")
    drain(database, backend)
    assert seller_finder.labels("martin") == ["Hélène Martin"]

    erp.put("/api/v1/sync/clients/ERP-42", json={"name": "Müller Straße", "closed": True})
    drain(database, backend)
    assert seller_finder.labels("martin") == []
    assert seller_finder.labels("muller") == []
    assert finder.search("martin")[0]["badges"] == ["closed"]

    erp.put("/api/v1/sync/clients/ERP-42", json={"name": "Müller Straße", "closed": False})
    drain(database, backend)
    assert seller_finder.labels("martin") == ["Hélène Martin"]
    assert seller_finder.search("strasse")[0]["badges"] == []


def test_out_of_order_jobs_leave_the_newer_document(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    created = new_prospect(seller, "Premier")
    path = f"/api/v1/prospects/{created['id']}"
    seller.edit(path, {"name": "Deuxième"})
    first, second = pending(database)
    # A stale document (what a slow job read before the rename) arrives after the new one.
    indexing.process_events(database, backend, [second])
    from search_svc import documents

    stale = documents.account_document(
        {"id": created["id"], "kind": "prospect", "name": "Premier", "version": 1}
    )
    backend.write([stale])
    indexing.process_events(database, backend, [first])  # the older event, late
    assert finder.labels("premier") == []
    assert finder.labels("deux") == ["Deuxième"]
    assert not maintenance.verify(database, backend)


def test_sweep_sends_again_what_was_never_sent_and_prunes(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    # The records app of these fixtures has no job queue: as if the broker were down.
    new_prospect(seller, "Oubliée SARL")
    sent: list[list[int]] = []
    swept = maintenance.sweep(
        database, sent.append, older_than_seconds=3600, keep_processed_seconds=3600
    )
    assert (swept, sent) == (0, [])  # too recent: its job may still be on its way
    swept = maintenance.sweep(
        database, sent.append, older_than_seconds=-1, keep_processed_seconds=3600
    )
    assert swept == 1
    indexing.process_events(database, backend, sent[0])
    assert finder.labels("oubli") == ["Oubliée SARL"]
    maintenance.sweep(database, sent.append, older_than_seconds=-1, keep_processed_seconds=-1)
    with database.read() as session:
        assert outbox.last_id(session) == 0  # processed events pruned


class RenamingDuringRebuild:
    """A backend whose rebuild lets a record change (and its job run) half-way through."""

    def __init__(self, backend: SearchBackend, during: Any) -> None:
        self.backend = backend
        self.during = during

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def rebuild(self) -> Any:
        inner = self.backend.rebuild()
        during = self.during

        class Rebuild:
            def write(self, documents: list[SearchDocument]) -> None:
                inner.write(documents)
                during()

            def commit(self) -> None:
                inner.commit()

            def abort(self) -> None:
                inner.abort()

        return Rebuild()


def test_reindex_swaps_in_a_full_index_and_keeps_writes_made_meanwhile(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    ids = [new_prospect(seller, f"Maison {n}")["id"] for n in range(4)]
    drain(database, backend)
    ids.append(new_prospect(seller, "Maison 4")["id"])  # its job lost
    assert maintenance.verify(database, backend).missing == [f"account:{ids[4]}"]
    renamed: list[bool] = []

    def rename_once() -> None:
        if not renamed:
            renamed.append(True)
            seller.edit(f"/api/v1/prospects/{ids[1]}", {"name": "Atelier Renommé"})
            drain(database, backend)  # the job writes to the live (old) index

    progress: list[int] = []
    total = maintenance.reindex(
        database,
        RenamingDuringRebuild(backend, rename_once),
        batch_size=2,
        progress=progress.append,
    )
    assert total == 5 and sum(progress) == 5
    assert finder.labels("atelier") == ["Atelier Renommé"]
    assert not maintenance.verify(database, backend)


def test_reindex_builds_documents_in_several_processes(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    """The documents built in forked processes, batch by batch, make the same index."""
    ids = [new_prospect(seller, f"Maison {n}")["id"] for n in range(6)]
    new_contact(seller, ids[0], "Jean-Pierre", "d'Estienne")
    progress: list[int] = []
    total = maintenance.reindex(
        database, backend, batch_size=2, progress=progress.append, processes=2
    )
    assert total == 7 and sum(progress) == 7
    assert not maintenance.verify(database, backend)
    assert finder.labels("jeanpierre") == ["Jean-Pierre d'Estienne"]
    assert len(finder.labels("maison")) == 6


def test_a_small_database_or_a_daemonic_process_builds_in_process(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    assert maintenance._default_processes(database) == 1  # an empty database
    monkeypatch.setattr(maintenance, "PARALLEL_FROM", -1)
    monkeypatch.setattr(maintenance.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    assert maintenance._default_processes(database) == 2
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
    assert maintenance._default_processes(database) == 1  # it may not have children


def test_verify_reports_missing_extra_and_stale(
    seller: Api, database: Database, backend: SearchBackend
) -> None:
    a, b = new_prospect(seller, "Alpha")["id"], new_prospect(seller, "Bêta")["id"]
    seller.edit(f"/api/v1/prospects/{b}", {"name": "Bêta Deux"})
    from search_svc import documents

    backend.write(
        [
            documents.account_document({"id": b, "kind": "prospect", "name": "Bêta", "version": 1}),
            documents.account_document({"id": 999, "kind": "prospect", "name": "X", "version": 1}),
        ]
    )
    drift = maintenance.verify(database, backend)
    assert drift.missing == [f"account:{a}"]
    assert drift.extra == ["account:999"]
    assert drift.stale == [(f"account:{b}", 1, 2)]


class CountingBackend:
    """The backend, counting its write calls (one bulk write per batch)."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.writes: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def write(self, documents: list[SearchDocument]) -> None:
        self.writes.append(len(documents))
        self.backend.write(documents)


def test_a_job_takes_the_pending_events_in_one_bulk_write(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    first, *_, last = [new_prospect(seller, f"Lot {n}")["id"] for n in range(6)]
    events = pending(database)
    counting = CountingBackend(backend)
    # The first event's job takes the five others along, in one write.
    touched = indexing.process_batch(database, counting, events[:1], more=100, lease_seconds=30)
    assert (touched, counting.writes) == (6, [6])
    assert pending(database) == []
    assert len(finder.search("lot")) == 6
    # The jobs of the events it took find nothing left to do.
    assert indexing.process_batch(database, counting, events[-1:], more=100, lease_seconds=30) == 0
    assert counting.writes == [6]
    assert {first, last} <= {h["id"] for h in finder.search("lot")}


def test_a_job_leaves_alone_the_events_another_one_holds(
    seller: Api, database: Database, backend: SearchBackend
) -> None:
    for n in range(3):
        new_prospect(seller, f"Tenu {n}")
    a, b, c = pending(database)
    with database.unit_of_work() as uow:  # another worker's batch: a and b
        assert outbox.claim(uow.session, [a], more=1, until=outbox.ahead(30)) == [a, b]
    with database.unit_of_work() as uow:
        assert outbox.claim(uow.session, [], more=10, until=outbox.ahead(30)) == [c]
    with database.unit_of_work() as uow:  # its own events, a job always takes
        assert outbox.claim(uow.session, [a], more=10, until=outbox.ahead(30)) == [a]


def test_the_sweep_does_not_send_again_what_it_just_sent(
    seller: Api, database: Database, backend: SearchBackend
) -> None:
    new_prospect(seller, "Relancée")
    sent: list[list[int]] = []

    def sweep(lease_seconds: float) -> int:
        return maintenance.sweep(
            database,
            sent.append,
            older_than_seconds=-1,
            keep_processed_seconds=3600,
            lease_seconds=lease_seconds,
        )

    assert sweep(lease_seconds=30) == 1
    assert sweep(lease_seconds=30) == 0  # its job is still queued: leased
    with database.unit_of_work() as uow:  # the lease runs out (the job was lost)
        outbox.lease(uow.session, sent[0], until=outbox.ago(1))
    assert sweep(lease_seconds=30) == 1
    assert sent == [sent[0], sent[0]]


def test_reindex_keeps_a_write_whose_transaction_spans_the_rebuild_start(
    seller: Api, database: Database, backend: SearchBackend, finder: Searcher
) -> None:
    """Issue 14's reproduction: the transaction takes its outbox id, a later one commits,
    the rebuild starts, then the first commits and is indexed into the old index."""
    import threading

    from records_svc.domain import accounts, search_changes

    ids = [new_prospect(seller, f"Comptoir {n}")["id"] for n in range(4)]
    drain(database, backend)
    held, release = threading.Event(), threading.Event()

    def rename_in_a_long_transaction() -> None:
        with database.unit_of_work() as uow:
            accounts.update_account(uow, ids[0], {"name": "Négoce Tardif"}, expected_version=None)
            # Its outbox id is taken now (as a long import does, row after row)…
            for target in search_changes.pending_targets(uow.session):
                uow.record_index_event(*target)
            held.set()  # …and the transaction commits much later
            release.wait(30)

    writer = threading.Thread(target=rename_in_a_long_transaction)
    writer.start()
    assert held.wait(30)
    if (
        database.engine.dialect.name != "sqlite"
    ):  # SQLite has one writer at a time: nothing can overtake it
        new_prospect(seller, "Comptoir Pressé")  # a later id, committed first
        drain(database, backend)

    def commit_the_held_write() -> None:
        if not release.is_set():
            release.set()
            writer.join(30)
            drain(database, backend)  # its job writes to the live (old) index

    maintenance.reindex(
        database, RenamingDuringRebuild(backend, commit_the_held_write), batch_size=2
    )
    assert not maintenance.verify(database, backend)
    assert finder.labels("negoce") == ["Négoce Tardif"]


def test_the_sweep_has_its_own_queue_and_stale_sweeps_expire(tmp_path: Any) -> None:
    from config import load_settings
    from workers.celery_app import create_celery

    settings = load_settings(data_dir=tmp_path / "var", outbox_sweep_seconds=15)
    app = create_celery(settings)
    entry = app.conf.beat_schedule["carnet-outbox-sweep"]
    assert entry["task"] == maintenance.SWEEP_TASK
    assert entry["options"]["expires"] == 15  # queued while no worker took it: dropped
    assert app.amqp.router.route({}, maintenance.SWEEP_TASK)["queue"].name == "maintenance"
    assert app.amqp.router.route({}, "carnet.indexing.process_events")["queue"].name == "indexing"
