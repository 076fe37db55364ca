"""Opportunities over HTTP: create, read, edit with If-Match, contacts, delete."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.sales.conftest import OPPORTUNITIES, add_contact, add_opportunity


def test_an_opportunity_links_to_its_account(
    seller: Api, prospect: dict, opportunity: dict
) -> None:
    assert opportunity["account"] == {
        "id": prospect["id"],
        "kind": "prospect",
        "name": "Société Générale",
        "link": f"/api/v1/prospects/{prospect['id']}",
    }
    assert opportunity["account_id"] == prospect["id"]
    assert opportunity["amount"] == "25000.00"
    assert opportunity["currency"] == "EUR"
    assert opportunity["stage"] == "qualification"
    assert opportunity["probability"] == 10
    assert opportunity["expected_signing_date"] == "2027-01-15"
    assert opportunity["owner_id"] == seller.user_id
    assert opportunity["contact_ids"] == []
    reply = seller.get(opportunity["links"]["self"])
    assert reply.status_code == 200
    assert reply.headers["ETag"] == f'"{opportunity["version"]}"'
    assert reply.json == opportunity
    assert seller.get(opportunity["links"]["account"]).json["name"] == "Société Générale"


def test_amounts_are_exact_decimals(seller: Api, prospect: dict) -> None:
    created = add_opportunity(seller, prospect["id"], amount="123456789012.34")
    assert seller.get(created["links"]["self"]).json["amount"] == "123456789012.34"
    assert add_opportunity(seller, prospect["id"], amount=0.1)["amount"] == "0.10"
    for amount in ("12.345", -5, "abc", "NaN"):
        reply = seller.post(
            OPPORTUNITIES,
            json={
                "account_id": prospect["id"],
                "title": "X",
                "amount": amount,
                "expected_signing_date": "2027-01-15",
            },
        )
        assert reply.status_code == 422, amount
        assert [e["field"] for e in reply.json["errors"]] == ["amount"]


def test_creation_is_validated_field_by_field(seller: Api, prospect: dict) -> None:
    base = {
        "account_id": prospect["id"],
        "title": "X",
        "amount": 10,
        "expected_signing_date": "2027-01-15",
    }
    for change, field in [
        ({"account_id": 999999}, "account_id"),
        ({"account_id": 2**40}, "account_id"),
        ({"title": "a\x00b"}, "title"),
        ({"contact_ids": [0]}, "contact_ids.0"),
        ({"title": ""}, "title"),
        ({"stage": "maybe"}, "stage"),
        ({"probability": 101}, "probability"),
        ({"currency": "euro"}, "currency"),
        ({"expected_signing_date": "2027-01-15T10:00:00+02:00"}, "expected_signing_date"),
        ({"expected_signing_date": "15/01/2027"}, "expected_signing_date"),
        ({"owner_id": 999999}, "owner_id"),
    ]:
        reply = seller.post(OPPORTUNITIES, json={**base, **change})
        assert reply.status_code == 422, change
        assert field in [e["field"] for e in reply.json["errors"]], reply.json
    assert seller.get(f"{OPPORTUNITIES}?owner=all").json["items"] == []


def test_edits_need_the_current_version(seller: Api, opportunity: dict) -> None:
    path = opportunity["links"]["self"]
    missing = seller.patch(path, json={"stage": "proposal"})
    assert missing.status_code == 428
    edited = seller.edit(path, {"stage": "proposal", "amount": "30000.5"})
    assert edited.status_code == 200, edited.json
    assert edited.json["stage"] == "proposal"
    assert edited.json["probability"] == 40  # the stage's unless given
    assert edited.json["amount"] == "30000.50"
    assert edited.headers["ETag"] == f'"{opportunity["version"] + 1}"'
    stale = seller.patch(
        path, json={"title": "lost update"}, headers={"If-Match": f'"{opportunity["version"]}"'}
    )
    assert stale.status_code == 412
    assert seller.get(path).json["title"] == "Migration cloud"
    assert seller.patch(path, json={"account_id": 3}, headers={"If-Match": "*"}).status_code == 422


def test_contacts_of_the_account_only(seller: Api, prospect: dict, opportunity: dict) -> None:
    mine = add_contact(seller, prospect["id"], "Martin")
    other_account = seller.post("/api/v1/prospects", json={"name": "Autre"}).json
    stranger = add_contact(seller, other_account["id"], "Durand")
    path = opportunity["links"]["self"]

    refused = seller.post(f"{path}/contacts", json={"contact_id": stranger["id"]})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "contact_ids"
    assert "another account" in refused.json["errors"][0]["message"]
    assert seller.edit(path, {"contact_ids": [stranger["id"]]}).status_code == 422
    assert seller.get(path).json["contact_ids"] == []

    added = seller.post(f"{path}/contacts", json={"contact_id": mine["id"]})
    assert added.status_code == 200, added.json
    assert added.json["contact_ids"] == [mine["id"]]
    assert added.json["contacts"][0]["link"] == f"/api/v1/contacts/{mine['id']}"
    assert added.json["version"] == opportunity["version"] + 1
    tab = seller.get(added.json["links"]["contacts"]).json["items"]
    assert [(c["id"], c["links"]["self"]) for c in tab] == [
        (mine["id"], f"/api/v1/contacts/{mine['id']}")
    ]
    removed = seller.delete(f"{path}/contacts/{mine['id']}")
    assert removed.status_code == 200
    assert removed.json["contact_ids"] == []
    assert seller.delete(f"{path}/contacts/{mine['id']}").status_code == 404


def test_create_with_contacts_and_another_owner(seller: Api, manager: Api, prospect: dict) -> None:
    contact = add_contact(seller, prospect["id"], "Martin")
    created = add_opportunity(
        seller, prospect["id"], contact_ids=[contact["id"]], owner_id=manager.user_id
    )
    assert created["contact_ids"] == [contact["id"]]
    assert created["owner_id"] == manager.user_id


def test_delete_is_definitive(seller: Api, opportunity: dict) -> None:
    path = opportunity["links"]["self"]
    assert seller.delete(path, headers={"If-Match": '"99"'}).status_code == 412
    assert seller.delete(path).status_code == 204
    assert seller.get(path).status_code == 404
    assert seller.delete(path).status_code == 404


def test_deleting_an_account_or_contact_removes_what_hangs_on_it(
    seller: Api, prospect: dict, client_account: dict, opportunity: dict
) -> None:
    contact = add_contact(seller, prospect["id"], "Martin")
    path = opportunity["links"]["self"]
    seller.post(f"{path}/contacts", json={"contact_id": contact["id"]})
    on_contact = seller.post(
        f"{path}/actions",
        json={
            "type": "call",
            "subject": "Relance",
            "target": {"kind": "contact", "id": contact["id"]},
        },
    ).json
    kept = add_opportunity(seller, client_account["id"])

    assert seller.delete(contact["links"]["self"]).status_code == 204
    assert seller.get(path).json["contact_ids"] == []
    assert seller.get(on_contact["links"]["self"]).status_code == 404

    on_account = seller.post(f"{path}/actions", json={"type": "task", "subject": "Devis"}).json
    assert seller.delete(f"/api/v1/prospects/{prospect['id']}").status_code == 204
    assert seller.get(path).status_code == 404
    assert seller.get(on_account["links"]["self"]).status_code == 404
    rows = seller.get(f"{OPPORTUNITIES}?owner=all").json["items"]
    assert [o["id"] for o in rows] == [kept["id"]]


def test_an_account_becoming_a_client_keeps_its_opportunities(
    seller: Api, erp: Api, prospect: dict, opportunity: dict
) -> None:
    reply = erp.put("/api/v1/sync/clients/C777", json={"name": "SG", "prospect_id": prospect["id"]})
    assert reply.status_code == 200, reply.json
    account: dict[str, Any] = seller.get(opportunity["links"]["self"]).json["account"]
    assert account["kind"] == "client"
    assert account["link"] == f"/api/v1/clients/{prospect['id']}"
