"""Clients come from the ERP: no creation from the portal; sync upserts by ERP key."""

from __future__ import annotations

from tests.conftest import Api

ACME = {"name": "Carrefour Market Lyon", "legal_name": "CARREFOUR", "siren": "652014051"}


def test_creating_a_client_from_the_portal_is_403(seller: Api) -> None:
    reply = seller.post("/api/v1/clients", json=ACME)
    assert reply.status_code == 403
    assert "desktop ERP" in reply.json["detail"]
    assert seller.get("/api/v1/clients").json["items"] == []


def test_sync_needs_the_erp_right(seller: Api) -> None:
    reply = seller.put("/api/v1/sync/clients/C001", json=ACME)
    assert reply.status_code == 403
    assert reply.json["missing_right"] == "erp_sync"


def test_sync_is_an_idempotent_upsert(erp: Api, seller: Api, manager: Api) -> None:
    first = erp.put("/api/v1/sync/clients/C001", json=ACME)
    assert first.status_code == 201, first.json
    assert first.json["kind"] == "client"
    assert first.json["external_ref"] == "C001"
    assert first.json["status"] is None
    again = erp.put("/api/v1/sync/clients/C001", json=ACME)
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert again.json["version"] == first.json["version"]
    closed = erp.put("/api/v1/sync/clients/C001", json={**ACME, "closed": True})
    assert closed.json["closed"] is True
    assert closed.json["version"] == first.json["version"] + 1
    listed = manager.get("/api/v1/clients").json["items"]
    assert [c["id"] for c in listed] == [first.json["id"]]
    assert manager.get("/api/v1/clients?closed=false").json["items"] == []
    assert seller.get("/api/v1/clients").json["items"] == []


def test_sync_turns_a_prospect_into_a_client_keeping_its_contacts(
    erp: Api, seller: Api, prospect: dict
) -> None:
    contact = seller.post(
        f"/api/v1/accounts/{prospect['id']}/contacts",
        json={"first_name": "Jean-Pierre", "last_name": "d'Estienne"},
    ).json
    reply = erp.put(
        "/api/v1/sync/clients/C042",
        json={"name": "Société Générale", "prospect_id": prospect["id"]},
    )
    assert reply.status_code == 200, reply.json
    assert reply.json["id"] == prospect["id"]
    assert reply.json["kind"] == "client"
    assert reply.json["status"] is None
    assert seller.get(f"/api/v1/prospects/{prospect['id']}").status_code == 404
    contacts = seller.get(f"/api/v1/accounts/{prospect['id']}/contacts").json["items"]
    assert [c["id"] for c in contacts] == [contact["id"]]
    assert contacts[0]["links"]["account"] == f"/api/v1/clients/{prospect['id']}"


def test_sync_conflicts_are_409(erp: Api, prospect: dict) -> None:
    erp.put("/api/v1/sync/clients/C001", json=ACME)
    other = erp.put("/api/v1/sync/clients/C001", json={**ACME, "prospect_id": prospect["id"]})
    assert other.status_code == 409
    erp.put("/api/v1/sync/clients/C002", json={"name": "X", "prospect_id": prospect["id"]})
    twice = erp.put("/api/v1/sync/clients/C003", json={"name": "X", "prospect_id": prospect["id"]})
    assert twice.status_code == 409


def test_sync_validates_like_any_write(erp: Api) -> None:
    reply = erp.put("/api/v1/sync/clients/C009", json={"name": "X", "siren": "782377731"})
    assert reply.status_code == 422
    assert reply.json["errors"][0]["field"] == "siren"
    missing_name = erp.put("/api/v1/sync/clients/C010", json={"legal_name": "X"})
    assert missing_name.status_code == 422


def test_the_portal_edits_a_client_but_not_what_the_erp_sends(erp: Api, seller: Api) -> None:
    client = erp.put("/api/v1/sync/clients/C001", json=ACME).json
    edited = seller.edit(client["links"]["self"], {"custom": {}})
    assert edited.status_code == 200, edited.json
    assert edited.json["external_ref"] == "C001"
    assert seller.delete(client["links"]["self"]).status_code == 403
    assert erp.delete(client["links"]["self"]).status_code == 204
    assert seller.get(client["links"]["self"]).status_code == 404
