"""The access policy: closed clients are hidden everywhere; the ERP's fields are the ERP's."""

from __future__ import annotations

import io
from typing import Any

import pytest

from records_svc.db import Database
from records_svc.domain import tracked_jobs
from tests.conftest import Api

API = "/api/v1"


def _new_opportunity(api: Api, account_id: int) -> Any:
    body = {
        "account_id": account_id,
        "title": "Parc",
        "amount": "10.00",
        "expected_signing_date": "2027-01-15",
    }
    return api.post(f"{API}/opportunities", json=body)


@pytest.fixture
def closed_client(erp: Api, seller: Api, database: Database) -> dict[str, Any]:
    """A client with a contact, documents, an action, an opportunity and a job, then closed."""
    client = erp.put(
        f"{API}/sync/clients/C1", json={"name": "Fermée SA", "address": {"city": "Lyon"}}
    ).json
    cid = client["id"]
    contact = seller.post(f"{API}/accounts/{cid}/contacts", json={"last_name": "Dupré"}).json
    doc = seller.post(
        f"{API}/clients/{cid}/documents", data={"file": (io.BytesIO(b"hello"), "a.txt")}
    ).json["items"][0]
    contact_doc = seller.post(
        f"{API}/contacts/{contact['id']}/documents",
        data={"file": (io.BytesIO(b"hi"), "b.txt")},
    ).json["items"][0]
    action = seller.post(f"{API}/clients/{cid}/actions", json={"type": "call", "subject": "x"})
    opportunity = _new_opportunity(seller, cid)
    assert action.status_code == opportunity.status_code == 201
    with database.unit_of_work() as uow:
        job = tracked_jobs.create_job(
            uow.session, "edition", created_by=seller.user_id, target_kind="client", target_id=cid
        )
    closed = erp.put(f"{API}/sync/clients/C1", json={"name": "Fermée SA", "closed": True})
    assert closed.json["closed"] is True
    return {
        "client": client,
        "contact": contact,
        "document": doc,
        "contact_document": contact_doc,
        "action": action.json,
        "opportunity": opportunity.json,
        "job": job.id,
    }


def _by_id_paths(data: dict[str, Any]) -> list[str]:
    cid, contact_id = data["client"]["id"], data["contact"]["id"]
    return [
        f"{API}/clients/{cid}",
        f"{API}/accounts/{cid}",
        f"{API}/accounts/{cid}/contacts",
        f"{API}/clients/{cid}/documents",
        f"{API}/clients/{cid}/actions",
        f"{API}/contacts/{contact_id}",
        f"{API}/contacts/{contact_id}/documents",
        f"{API}/contacts/{contact_id}/actions",
        f"{API}/documents/{data['document']['id']}",
        f"{API}/documents/{data['document']['id']}/content",
        f"{API}/documents/{data['contact_document']['id']}/content",
        f"{API}/actions/{data['action']['id']}",
        f"{API}/opportunities/{data['opportunity']['id']}",
        f"{API}/opportunities/{data['opportunity']['id']}/contacts",
        f"{API}/opportunities/{data['opportunity']['id']}/actions",
        f"{API}/jobs/{data['job']}",
    ]


def _listed_ids(api: Api, path: str) -> list[int]:
    reply = api.get(path)
    assert reply.status_code == 200, reply.json
    return [item["id"] for item in reply.json["items"]]


def test_a_closed_client_and_all_it_holds_do_not_exist_without_the_right(
    seller: Api, manager: Api, closed_client: dict[str, Any]
) -> None:
    for path in _by_id_paths(closed_client):
        reply = seller.get(path)
        assert reply.status_code == 404, path
        assert reply.content_type == "application/problem+json"
    cid = closed_client["client"]["id"]
    for path in ("/clients", "/accounts", "/clients?closed=true", "/accounts?closed=true"):
        assert cid not in _listed_ids(seller, API + path), path
        assert cid in _listed_ids(manager, API + path), path
    assert _listed_ids(seller, f"{API}/opportunities?owner=all") == []
    calendar = f"{API}/opportunities/signature-calendar?from=2027-01-01&to=2027-01-31&owner=all"
    assert seller.get(calendar).json["days"] == []
    assert len(manager.get(calendar).json["days"]) == 1


def test_holding_the_right_opens_everything_again(
    seller: Api, manager: Api, closed_client: dict[str, Any]
) -> None:
    for path in _by_id_paths(closed_client):
        if path.startswith(f"{API}/jobs/"):
            continue  # a job is its author's alone
        reply = manager.get(path)
        reply.close()  # a document's content is streamed from its file
        assert reply.status_code == 200, path


def test_no_write_reaches_a_hidden_client(seller: Api, closed_client: dict[str, Any]) -> None:
    cid, contact = closed_client["client"]["id"], closed_client["contact"]
    writes = [
        ("POST", f"{API}/accounts/{cid}/contacts", {"last_name": "X"}),
        ("PATCH", f"{API}/clients/{cid}", {"custom": {}}),
        ("PATCH", f"{API}/contacts/{contact['id']}", {"last_name": "Y"}),
        ("DELETE", f"{API}/contacts/{contact['id']}", None),
        ("POST", f"{API}/clients/{cid}/actions", {"type": "call", "subject": "x"}),
        ("DELETE", f"{API}/documents/{closed_client['document']['id']}", None),
        ("DELETE", f"{API}/actions/{closed_client['action']['id']}", None),
        ("DELETE", f"{API}/opportunities/{closed_client['opportunity']['id']}", None),
    ]
    for method, path, body in writes:
        reply = seller.request(method, path, json=body, headers={"If-Match": "*"})
        assert reply.status_code == 404, (method, path, reply.json)
    opportunity = _new_opportunity(seller, cid)
    assert opportunity.status_code == 422
    assert opportunity.json["errors"][0]["field"] == "account_id"


ERP_EDIT = {
    "name": "Autre nom",
    "legal_name": "AUTRE",
    "siren": "552120222",
    "phone": "+33 1 00 00 00 00",
    "email": "a@example.fr",
    "website": "https://example.fr",
    "ape_code": "62.02A",
    "address": {"city": "Paris", "postal_code": "75001"},
    "closed": True,
    "external_ref": "C9",
}


@pytest.mark.parametrize("prefix", ["clients", "accounts"])
@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_erp_owned_fields_of_a_client_are_read_only(
    seller: Api, erp: Api, prefix: str, method: str
) -> None:
    client = erp.put(
        f"{API}/sync/clients/C1", json={"name": "Ouverte", "address": {"city": "Lyon"}}
    ).json
    path = f"{API}/{prefix}/{client['id']}"
    reply = seller.request(method, path, json=ERP_EDIT, headers={"If-Match": "*"})
    assert reply.status_code == 422, reply.json
    fields = [e["field"] for e in reply.json["errors"]]
    assert fields == [
        "name",
        "legal_name",
        "siren",
        "ape_code",
        "address.postal_code",
        "address.city",
        "phone",
        "email",
        "website",
        "closed",
        "external_ref",
    ]
    assert {e["code"] for e in reply.json["errors"]} == {"read_only"}
    after = seller.get(path)
    assert after.json["name"] == "Ouverte" and after.json["version"] == client["version"]
    # the same values sent back (a whole form) and the rest of the record stay editable
    same = {"name": "Ouverte", "address": {"city": "Lyon"}, "closed": False, "custom": {}}
    assert seller.request(method, path, json=same, headers={"If-Match": "*"}).status_code == 200
    # the ERP's service account writes everything, closing included
    done = erp.request(method, path, json=ERP_EDIT, headers={"If-Match": "*"})
    assert done.status_code == 200, done.json
    assert done.json["closed"] is True and done.json["external_ref"] == "C9"


def test_prospects_stay_editable_and_deletable(seller: Api, prospect: dict[str, Any]) -> None:
    edited = seller.edit(prospect["links"]["self"], {"name": "Nouveau nom"})
    assert edited.status_code == 200
    closing = seller.patch(
        prospect["links"]["self"], json={"closed": True}, headers={"If-Match": "*"}
    )
    assert closing.status_code == 422
    assert closing.json["errors"][0]["field"] == "closed"
    assert seller.delete(prospect["links"]["self"]).status_code == 204


def test_deleting_a_client_needs_the_erp_right(seller: Api, manager: Api, erp: Api) -> None:
    client = erp.put(f"{API}/sync/clients/C1", json={"name": "Ouverte"}).json
    for api in (seller, manager):
        for path in (client["links"]["self"], f"{API}/accounts/{client['id']}"):
            reply = api.delete(path)
            assert reply.status_code == 403
            assert reply.json["missing_right"] == "erp_sync"
    assert erp.delete(client["links"]["self"]).status_code == 204


def test_the_erp_account_manages_closed_clients_too(erp: Api, seller: Api) -> None:
    client = erp.put(f"{API}/sync/clients/C1", json={"name": "Fermée", "closed": True}).json
    assert erp.get(client["links"]["self"]).status_code == 200
    reopened = erp.patch(client["links"]["self"], json={"closed": False}, headers={"If-Match": "*"})
    assert reopened.status_code == 200 and reopened.json["closed"] is False
    assert seller.get(client["links"]["self"]).status_code == 200
    erp.patch(client["links"]["self"], json={"closed": True}, headers={"If-Match": "*"})
    assert seller.get(client["links"]["self"]).status_code == 404
    assert erp.delete(client["links"]["self"]).status_code == 204
