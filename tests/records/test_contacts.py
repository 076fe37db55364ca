"""Contacts under prospects and clients."""

from __future__ import annotations

from tests.conftest import Api


def test_contact_has_tel_and_mailto_links(seller: Api, prospect: dict) -> None:
    reply = seller.post(
        f"/api/v1/accounts/{prospect['id']}/contacts",
        json={
            "civility": "M.",
            "first_name": "Jean-Pierre",
            "last_name": "d'Estienne",
            "direct_line": "01 42 14 20 00",
            "email": "JP.Destienne@Example.FR",
        },
    )
    assert reply.status_code == 201, reply.json
    contact = reply.json
    assert contact["direct_line"] == "+33142142000"
    assert contact["links"]["tel"] == "tel:+33142142000"
    assert contact["links"]["mailto"] == "mailto:JP.Destienne@example.fr"
    assert contact["links"]["self"] == f"/api/v1/contacts/{contact['id']}"
    assert contact["links"]["account"] == f"/api/v1/prospects/{prospect['id']}"
    assert contact["account"]["name"] == "Société Générale"
    bare = seller.post(
        f"/api/v1/accounts/{prospect['id']}/contacts", json={"last_name": "Müller"}
    ).json
    assert bare["links"]["tel"] is None
    assert bare["links"]["mailto"] is None


def test_contact_crud(seller: Api, prospect: dict) -> None:
    base = f"/api/v1/accounts/{prospect['id']}/contacts"
    contact = seller.post(base, json={"last_name": "Dupré"}).json
    edited = seller.edit(contact["links"]["self"], {"first_name": "Hélène", "mobile": "0612345678"})
    assert edited.status_code == 200, edited.json
    assert edited.json["mobile"] == "+33612345678"
    assert edited.json["version"] == 2
    stale = seller.patch(
        contact["links"]["self"], json={"first_name": "X"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert [c["first_name"] for c in seller.get(base).json["items"]] == ["Hélène"]
    assert seller.delete(contact["links"]["self"]).status_code == 204
    assert seller.get(contact["links"]["self"]).status_code == 404


def test_contact_validation(seller: Api, prospect: dict) -> None:
    base = f"/api/v1/accounts/{prospect['id']}/contacts"
    for body, field in [
        ({"first_name": "No last name"}, "last_name"),
        ({"last_name": "X", "civility": "Dr"}, "civility"),
        ({"last_name": "X", "email": "a@"}, "email"),
        ({"last_name": "X", "direct_line": "+33 1"}, "direct_line"),
        ({"last_name": "X", "account_id": 3}, "account_id"),
    ]:
        reply = seller.post(base, json=body)
        assert reply.status_code == 422, body
        assert field in [e["field"] for e in reply.json["errors"]]
    assert seller.get(base).json["items"] == []
    assert (
        seller.post("/api/v1/accounts/999999/contacts", json={"last_name": "X"}).status_code == 404
    )
