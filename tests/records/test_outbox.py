"""Every write that search shows leaves an index event in the same transaction."""

from __future__ import annotations

from sqlalchemy import select

from records_svc.db import Database
from records_svc.domain.models import Account, Contact, IndexEvent
from tests.conftest import Api


def events(database: Database) -> list[tuple[str, int]]:
    with database.read() as session:
        rows = session.scalars(select(IndexEvent).order_by(IndexEvent.id))
        return [(e.entity, e.entity_id) for e in rows]


def search_version(database: Database, entity: str, entity_id: int) -> int | None:
    """The version of the record's search document (None: the record is gone)."""
    model = Account if entity == "account" else Contact
    with database.read() as session:
        return session.scalar(select(model.search_version).where(model.id == entity_id))


def test_create_edit_delete_write_events_with_versions(seller: Api, database: Database) -> None:
    account = seller.post("/api/v1/prospects", json={"name": "Dupré SARL"}).json
    contact = seller.post(
        f"/api/v1/accounts/{account['id']}/contacts", json={"last_name": "Dupré"}
    ).json
    seller.edit(contact["links"]["self"], {"first_name": "Zoé"})
    assert events(database) == [
        ("account", account["id"]),
        ("contact", contact["id"]),
        ("contact", contact["id"]),
    ]
    assert search_version(database, "contact", contact["id"]) == 2
    seller.edit(account["links"]["self"], {"name": "Dupré et Fils"})
    assert events(database)[-2:] == [
        ("account", account["id"]),
        ("contact", contact["id"]),  # its document shows the account's name
    ]
    assert search_version(database, "account", account["id"]) == 2
    assert search_version(database, "contact", contact["id"]) == 3
    before = events(database)
    seller.edit(account["links"]["self"], {"phone": "0142142000"})
    assert events(database) == before  # no search document shows the phone
    assert search_version(database, "account", account["id"]) == 2
    seller.delete(account["links"]["self"])
    assert search_version(database, "account", account["id"]) is None
    assert events(database)[-2:] == [
        ("account", account["id"]),
        ("contact", contact["id"]),
    ]


def test_closing_a_client_reindexes_its_contacts(erp: Api, seller: Api, database: Database) -> None:
    client = erp.put("/api/v1/sync/clients/C1", json={"name": "Müller GmbH"}).json
    contact = seller.post(
        f"/api/v1/accounts/{client['id']}/contacts", json={"last_name": "Weiß"}
    ).json
    erp.put("/api/v1/sync/clients/C1", json={"name": "Müller GmbH", "closed": True})
    assert events(database)[-2:] == [("account", client["id"]), ("contact", contact["id"])]
    assert search_version(database, "contact", contact["id"]) == 2


def test_an_erp_conversion_alone_is_an_event(seller: Api, erp: Api, database: Database) -> None:
    prospect = seller.post("/api/v1/prospects", json={"name": "Bientôt Client"}).json
    reply = erp.put("/api/v1/sync/clients/ERP-7", json={"prospect_id": prospect["id"]})
    assert reply.status_code == 200, reply.json
    assert reply.json["kind"] == "client"
    # The document's kind, link and badges change: an event, the account's only.
    assert events(database)[-1] == ("account", prospect["id"])
    assert search_version(database, "account", prospect["id"]) == 2


def test_a_failed_write_leaves_no_event(seller: Api, database: Database) -> None:
    assert seller.post("/api/v1/prospects", json={"name": "X", "siren": "123"}).status_code == 422
    prospect = seller.post("/api/v1/prospects", json={"name": "Y"}).json
    seller.patch(prospect["links"]["self"], json={"name": "Z"}, headers={"If-Match": '"9"'})
    assert events(database) == [("account", prospect["id"])]
    assert search_version(database, "account", prospect["id"]) == 1


def test_events_are_handed_to_the_job_queue_after_commit(settings, database: Database) -> None:
    from records_svc import create_app
    from records_svc.composition import records_database
    from tests.conftest import make_user

    sent: list[tuple[str, dict]] = []

    class RecordingQueue:
        def enqueue(self, task: str, /, **kwargs):
            # The rows are committed by the time the job is sent.
            with database.read() as session:
                assert session.get(IndexEvent, kwargs["event_ids"][0]) is not None
            sent.append((task, kwargs))
            return "id"

        def wait(self, task_id: str, timeout: float):
            raise TimeoutError

    queue = RecordingQueue()
    recorded = records_database(settings, queue)
    app = create_app(settings, database=recorded, job_queue=queue)
    seller = make_user(app, database, "carol")
    seller.post("/api/v1/prospects", json={"name": "Œuvres Sociales"})
    recorded.dispose()
    assert sent and sent[0][0] == "carnet.indexing.process_events"
    assert len(sent[0][1]["event_ids"]) == 1
