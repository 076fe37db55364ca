"""History: one entry per change, in the change's transaction, with who and the request id."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from sqlalchemy import select

from records_svc.db import Database
from records_svc.domain import accounts, documents, sirene
from records_svc.domain import history as history_listener
from records_svc.domain.errors import StaleVersionError
from records_svc.domain.history_models import DeletedRecord, HistoryEntry
from records_svc.files import DOCUMENTS
from tests.conftest import Api
from tests.documents.test_documents import PDF, upload

API = "/api/v1"


def history(api: Api, path: str) -> list[dict[str, Any]]:
    reply = api.get(f"{path}/history")
    assert reply.status_code == 200, reply.json
    items: list[dict[str, Any]] = reply.json["items"]
    return items


def changes(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}


def all_entries(database: Database) -> list[HistoryEntry]:
    with database.read() as session:
        return list(session.scalars(select(HistoryEntry).order_by(HistoryEntry.id)))


def test_create_and_field_changes_standard_and_custom(
    seller: Api, admin: Api, prospect: dict[str, Any]
) -> None:
    path = f"{API}/prospects/{prospect['id']}"
    [created] = history(seller, path)
    assert created["action"] == "created"
    assert created["user"] == {"id": seller.user_id, "username": "alice"}
    assert created["request_id"]
    definition = {"entity": "prospect", "key": "sector", "label": "Secteur", "type": "text"}
    assert admin.post(f"{API}/field-definitions", json=definition).status_code == 201

    edit = {"phone": "01 40 00 00 02", "address": {"city": "Lyon"}, "custom": {"sector": "BTP"}}
    assert seller.edit(path, edit).status_code == 200
    newest, _created = history(seller, path)
    assert newest["action"] == "changed"
    assert newest["user"]["username"] == "alice"
    assert changes(newest) == {
        "phone": (None, "+33140000002"),
        "address.city": ("Paris", "Lyon"),
        "custom.sector": (None, "BTP"),
    }
    # the same values sent back change nothing, and write nothing
    assert seller.edit(path, edit).status_code == 200
    assert len(history(seller, path)) == 2
    # the request id is the one the logs carry
    etag = seller.get(path).headers["ETag"]
    headers = {"If-Match": etag, "X-Request-ID": "req-history-1"}
    assert seller.patch(path, json={"website": "https://sg.fr"}, headers=headers).status_code == 200
    assert history(seller, path)[0]["request_id"] == "req-history-1"


def test_validation_conversion_close_and_reopen(
    seller: Api, manager: Api, erp: Api, prospect: dict[str, Any]
) -> None:
    pid = prospect["id"]
    reply = manager.post(f"{API}/prospects/{pid}/validate", headers={"If-Match": '"1"'})
    assert reply.status_code == 200, reply.json
    [validated, _] = history(seller, f"{API}/prospects/{pid}")
    assert validated["action"] == "validated"
    assert changes(validated)["status"] == ("draft", "validated")
    assert validated["user"]["username"] == "bob"

    reply = erp.put(f"{API}/sync/clients/C9", json={"name": "SG", "prospect_id": pid})
    assert reply.status_code in (200, 201), reply.json
    converted = history(seller, f"{API}/clients/{pid}")[0]
    assert converted["action"] == "converted"
    assert changes(converted)["kind"] == ("prospect", "client")
    assert changes(converted)["name"] == ("Société Générale", "SG")
    assert converted["user"]["username"] == "erp"

    erp.put(f"{API}/sync/clients/C9", json={"name": "SG", "closed": True})
    erp.put(f"{API}/sync/clients/C9", json={"name": "SG", "closed": False})
    reopened, closed = history(manager, f"{API}/clients/{pid}")[:2]
    assert (closed["action"], changes(closed)["closed"]) == ("closed", (False, True))
    assert (reopened["action"], changes(reopened)["closed"]) == ("reopened", (True, False))
    assert len(history(manager, f"{API}/clients/{pid}")) == 5


def test_sirene_fill_and_documents(
    seller: Api, prospect: dict[str, Any], database: Database
) -> None:
    pid = prospect["id"]
    with database.unit_of_work() as uow:
        sirene.apply_lookup(uow, pid, {"ape_code": "64.19Z"}, expected_version=None)
    filled = history(seller, f"{API}/prospects/{pid}")[0]
    assert filled["action"] == "sirene_filled"
    assert changes(filled) == {"ape_code": (None, "64.19Z")}

    reply = upload(seller, f"{API}/prospects/{pid}/documents", (PDF, "Devis.pdf"))
    doc = reply.json["items"][0]
    added = history(seller, f"{API}/prospects/{pid}")[0]
    assert added["action"] == "document_added"
    assert added["detail"] == {"document_id": doc["id"], "name": "Devis.pdf"}
    assert added["user"]["username"] == "alice"
    assert seller.delete(f"{API}/documents/{doc['id']}").status_code == 204
    removed = history(seller, f"{API}/prospects/{pid}")[0]
    assert (removed["action"], removed["detail"]["name"]) == ("document_removed", "Devis.pdf")

    # an edition's worker attaches its output for the user who asked (no request)
    assert database.files is not None
    with database.unit_of_work() as uow:
        stored = database.files.write_bytes(PDF, area=DOCUMENTS)
        owner = documents.Owner("prospect", pid)
        documents.attach_file(uow, owner, stored, "Fiche.pdf", uploaded_by=seller.user_id)
    attached = history(seller, f"{API}/prospects/{pid}")[0]
    assert attached["action"] == "edition_attached"
    assert attached["user"]["username"] == "alice"
    assert len(history(seller, f"{API}/prospects/{pid}")) == 5


def test_a_failed_change_leaves_no_history(
    seller: Api, prospect: dict[str, Any], database: Database
) -> None:
    path = f"{API}/prospects/{prospect['id']}"
    bad = seller.edit(path, {"phone": "01 40 00 00 02", "siren": "123"})
    assert bad.status_code == 422
    with pytest.raises(RuntimeError), database.unit_of_work() as uow:
        accounts.update_account(uow, prospect["id"], {"phone": "0140000003"}, expected_version=None)
        raise RuntimeError("after the change, before the commit")
    assert [e.action for e in all_entries(database)] == ["created"]
    assert seller.get(path).json["phone"] is None


def test_concurrent_edits_are_each_recorded(
    seller: Api, prospect: dict[str, Any], database: Database
) -> None:
    pid = prospect["id"]
    outcomes: list[int] = []

    def edit(n: int) -> None:
        for attempt in range(50):
            try:
                with database.unit_of_work() as uow:
                    data = {"website": f"https://e{n}-{attempt}.fr"}
                    accounts.update_account(uow, pid, data, expected_version=None)
            except StaleVersionError:  # another edit won the race: read again, retry
                continue
            outcomes.append(n)
            return

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    edits = [e for e in all_entries(database) if e.action == "changed"]
    assert len(edits) == len(outcomes) == 4
    # each entry's old value is the previous entry's new value: none was lost
    chain = [e.changes[0] for e in edits]
    assert chain[0]["old"] is None
    assert all(a["new"] == b["old"] for a, b in itertools.pairwise(chain))


def test_closed_client_history_is_hidden_without_the_right(
    seller: Api, manager: Api, erp: Api
) -> None:
    client = erp.put(f"{API}/sync/clients/C1", json={"name": "Fermée SA"}).json
    contact = seller.post(
        f"{API}/accounts/{client['id']}/contacts", json={"last_name": "Martin"}
    ).json
    erp.put(f"{API}/sync/clients/C1", json={"name": "Fermée SA", "closed": True})
    for path in (f"{API}/clients/{client['id']}", f"{API}/contacts/{contact['id']}"):
        assert seller.get(f"{path}/history").status_code == 404
        assert manager.get(f"{path}/history").status_code == 200
    assert seller.get(f"{API}/prospects/{client['id']}/history").status_code == 404


def test_history_is_newest_first_and_keyset_paged(seller: Api, prospect: dict[str, Any]) -> None:
    path = f"{API}/prospects/{prospect['id']}"
    for n in range(4):
        seller.edit(path, {"website": f"https://p{n}.fr"})
    first = seller.get(f"{path}/history?limit=3").json
    second = seller.get(f"{path}/history?limit=3&cursor={first['next_cursor']}").json
    items = first["items"] + second["items"]
    assert second["next_cursor"] is None
    assert [i["action"] for i in items] == ["changed"] * 4 + ["created"]
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    assert seller.get(f"{path}/history?cursor=%%%").status_code == 400


def test_deletes_leave_tombstones_without_personal_data(
    seller: Api, admin: Api, prospect: dict[str, Any], database: Database
) -> None:
    pid = prospect["id"]
    person = {
        "first_name": "Zoé",
        "last_name": "Quintard",
        "email": "zoe.quintard@example.fr",
        "mobile": "06 12 34 56 78",
    }
    kept = seller.post(f"{API}/accounts/{pid}/contacts", json=person).json
    gone = seller.post(f"{API}/accounts/{pid}/contacts", json=person).json
    seller.edit(f"{API}/contacts/{gone['id']}", {"job_title": "DAF"})
    assert seller.delete(f"{API}/contacts/{gone['id']}").status_code == 204
    assert seller.delete(f"{API}/prospects/{pid}").status_code == 204

    assert all_entries(database) == []  # the history went with the records
    with database.read() as session:
        rows = list(session.scalars(select(DeletedRecord).order_by(DeletedRecord.id)))
    assert [(r.kind, r.record_id) for r in rows] == [
        ("contact", gone["id"]),
        ("prospect", pid),
        ("contact", kept["id"]),
    ]
    assert rows[1].name == "Société Générale"
    assert {r.user_id for r in rows} == {seller.user_id}
    listed = admin.get(f"{API}/deleted-records").json
    text = repr(listed)
    for value in ("Zoé", "Quintard", "zoe.quintard", "612345678"):
        assert value not in text
    assert [i["kind"] for i in listed["items"]] == ["contact", "prospect", "contact"][::-1]
    assert listed["items"][1]["name"] == "Société Générale"
    assert seller.get(f"{API}/deleted-records").status_code == 403
    only = admin.get(f"{API}/deleted-records?kind=prospect").json["items"]
    assert [i["record_id"] for i in only] == [pid]


def test_consent_and_opposition_are_validated_shown_and_in_the_history(
    seller: Api, prospect: dict[str, Any]
) -> None:
    reply = seller.post(
        f"{API}/accounts/{prospect['id']}/contacts",
        json={"last_name": "Martin", "email": "m@example.fr", "direct_line": "0140000001"},
    )
    contact = reply.json
    assert contact["consent"] == {"status": "unknown", "at": None, "source": None}
    assert contact["do_not_contact"] is False
    assert contact["links"]["tel"] and contact["links"]["mailto"]
    path = f"{API}/contacts/{contact['id']}"
    for bad, field in (
        ({"consent": {"status": "maybe"}}, "consent.status"),
        ({"consent": {"at": "yesterday"}}, "consent.at"),
        ({"do_not_contact": "often"}, "do_not_contact"),
        ({"consent": {"status": "granted", "colour": "blue"}}, "consent.colour"),
    ):
        reply = seller.edit(path, bad)
        assert reply.status_code == 422, (bad, reply.json)
        assert field in repr(reply.json), reply.json
    assert len(history(seller, path)) == 1  # nothing written

    edit = {"consent": {"status": "refused", "source": "appel du 3 mars"}, "do_not_contact": True}
    reply = seller.edit(path, edit)
    assert reply.status_code == 200, reply.json
    body = reply.json
    assert body["consent"]["status"] == "refused"
    assert body["consent"]["at"] is not None
    assert body["do_not_contact"] is True
    assert body["links"]["tel"] is None and body["links"]["mailto"] is None
    entry = history(seller, path)[0]
    found = changes(entry)
    assert found["consent.status"] == ("unknown", "refused")
    assert found["consent.source"] == (None, "appel du 3 mars")
    assert found["do_not_contact"] == (False, True)
    assert found["consent.at"][0] is None and found["consent.at"][1]
    reply = seller.edit(path, {"consent": {"at": "2026-03-03T10:00:00+01:00"}})
    assert reply.json["consent"]["at"] == "2026-03-03T09:00:00Z"


def test_a_persons_export_holds_fields_actions_documents_and_history(
    seller: Api, manager: Api, erp: Api, prospect: dict[str, Any]
) -> None:
    person = {"first_name": "Zoé", "last_name": "Quintard", "email": "zoe@example.fr"}
    contact = seller.post(f"{API}/accounts/{prospect['id']}/contacts", json=person).json
    path = f"{API}/contacts/{contact['id']}"
    seller.edit(path, {"job_title": "DAF"})
    action = seller.post(
        f"{path}/actions",
        json={"type": "call", "subject": "Rappeler", "due_at": "2026-12-02T09:00:00Z"},
    )
    assert action.status_code == 201, action.json
    upload(seller, f"{path}/documents", (PDF, "CV.pdf"))
    other = seller.post(f"{API}/accounts/{prospect['id']}/contacts", json={"last_name": "Autre"})
    upload(seller, f"{API}/contacts/{other.json['id']}/documents", (PDF, "autre.pdf"))

    reply = seller.get(f"{path}/export")
    assert reply.status_code == 200, reply.json
    assert reply.headers["Content-Disposition"].startswith("attachment")
    data = reply.json
    assert data["contact"]["last_name"] == "Quintard"
    assert data["contact"]["job_title"] == "DAF"
    assert [a["subject"] for a in data["actions"]] == ["Rappeler"]
    assert [d["name"] for d in data["documents"]] == ["CV.pdf"]
    assert [h["action"] for h in data["history"]] == ["document_added", "changed", "created"]

    client = erp.put(f"{API}/sync/clients/C2", json={"name": "Fermée"}).json
    hidden = seller.post(f"{API}/accounts/{client['id']}/contacts", json={"last_name": "X"}).json
    erp.put(f"{API}/sync/clients/C2", json={"name": "Fermée", "closed": True})
    assert seller.get(f"{API}/contacts/{hidden['id']}/export").status_code == 404
    assert manager.get(f"{API}/contacts/{hidden['id']}/export").status_code == 200
    assert seller.get(f"{API}/contacts/999999/export").status_code == 404


def test_an_account_deleted_with_its_contacts_loaded_leaves_one_tombstone_each(
    seller: Api, prospect: dict[str, Any], database: Database
) -> None:
    pid = prospect["id"]
    ids = [
        seller.post(f"{API}/accounts/{pid}/contacts", json={"last_name": n}).json["id"]
        for n in ("Un", "Deux")
    ]
    with database.unit_of_work() as uow:
        account = accounts.get_account(uow.session, pid)
        assert len(account.contacts) == 2  # the ORM deletes these itself (cascade)
        accounts.delete_account(uow, pid, expected_version=None)
    with database.read() as session:
        rows = list(session.scalars(select(DeletedRecord)))
    assert sorted((r.kind, r.record_id) for r in rows) == sorted(
        [("prospect", pid), *(("contact", i) for i in ids)]
    )
    assert {r.user_id for r in rows} == {None}


def test_a_deleted_contacts_id_is_never_given_again(seller: Api, prospect: dict[str, Any]) -> None:
    """The migration adding consent keeps the table's AUTOINCREMENT on SQLite."""
    made = [
        seller.post(f"{API}/accounts/{prospect['id']}/contacts", json={"last_name": n}).json["id"]
        for n in ("Un", "Deux")
    ]
    assert seller.delete(f"{API}/contacts/{made[1]}").status_code == 204
    again = seller.post(f"{API}/accounts/{prospect['id']}/contacts", json={"last_name": "Trois"})
    assert again.json["id"] > made[1]


def test_every_new_database_records_history(tmp_path: Any) -> None:
    """Each Database the process opens writes history, however many came and went before.

    SQLAlchemy keys its listener registry by the id() of the target; a new session factory
    can get the id of a collected one, and asking the registry "listening already?" then
    said yes: one Database in five recorded no history (seen as empty histories in
    whole-suite runs)."""
    import gc

    from records_svc import migrate

    for n in range(400):
        db = Database("sqlite://")
        with db.unit_of_work() as uow:
            assert history_listener.before_flush in list(uow.session.dispatch.before_flush), n
        db.dispose()
        del db, uow
        if n % 7 == 0:
            gc.collect()
    path = tmp_path / "one.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    try:
        with db.unit_of_work() as uow:
            account = accounts.Account(kind="prospect", name="Essai")
            uow.session.add(account)
        with db.read() as session:
            found = session.scalars(
                select(HistoryEntry.action).where(HistoryEntry.entity_id == account.id)
            )
            assert list(found) == ["created"]
    finally:
        db.dispose()
