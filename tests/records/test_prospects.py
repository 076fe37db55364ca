"""Prospects over HTTP: create as draft, read, list, edit with If-Match, validate, delete."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.imports.helpers import siret


def test_create_saves_a_draft_owned_by_its_creator(seller: Api, prospect: dict) -> None:
    assert prospect["kind"] == "prospect"
    assert prospect["status"] == "draft"
    assert prospect["owner_id"] == seller.user_id
    assert prospect["version"] == 1
    assert prospect["address"]["city"] == "Paris"
    assert prospect["links"] == {
        "self": f"/api/v1/prospects/{prospect['id']}",
        "contacts": f"/api/v1/accounts/{prospect['id']}/contacts",
        "documents": f"/api/v1/prospects/{prospect['id']}/documents",
        "actions": f"/api/v1/prospects/{prospect['id']}/actions",
    }
    read = seller.get(prospect["links"]["self"])
    assert read.status_code == 200
    assert read.headers["ETag"] == '"1"'
    created = {k: v for k, v in prospect.items() if k != "possible_duplicates"}
    assert read.json == created
    assert prospect["possible_duplicates"] == []


def test_read_by_the_wrong_kind_is_404_but_accounts_serves_both(
    seller: Api, prospect: dict
) -> None:
    assert seller.get(f"/api/v1/clients/{prospect['id']}").status_code == 404
    assert seller.get(f"/api/v1/accounts/{prospect['id']}").json["id"] == prospect["id"]
    missing = seller.get("/api/v1/prospects/999999")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"


def test_edit_with_current_version_bumps_it(seller: Api, prospect: dict) -> None:
    path = prospect["links"]["self"]
    reply = seller.patch(path, json={"phone": "01 23 45 67 89"}, headers={"If-Match": '"1"'})
    assert reply.status_code == 200, reply.json
    assert reply.json["phone"] == "+33123456789"
    assert reply.json["version"] == 2
    assert reply.headers["ETag"] == '"2"'
    assert reply.json["name"] == "Société Générale"  # untouched fields stay


def test_stale_edit_is_412_and_changes_nothing(seller: Api, manager: Api, prospect: dict) -> None:
    path = prospect["links"]["self"]
    assert (
        seller.patch(path, json={"name": "First"}, headers={"If-Match": '"1"'}).status_code == 200
    )
    stale = manager.patch(path, json={"name": "Second"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.content_type == "application/problem+json"
    assert seller.get(path).json["name"] == "First"


def test_edit_without_if_match_is_refused(seller: Api, prospect: dict) -> None:
    reply = seller.patch(prospect["links"]["self"], json={"name": "Blind"})
    assert reply.status_code == 428
    assert reply.json["errors"][0]["field"] == "If-Match"
    assert seller.get(prospect["links"]["self"]).json["name"] == "Société Générale"


def test_an_edit_that_changes_nothing_keeps_the_version(seller: Api, prospect: dict) -> None:
    reply = seller.edit(prospect["links"]["self"], {"name": "Société Générale"})
    assert reply.json["version"] == 1


def test_validate_needs_the_right_and_is_409_the_second_time(manager: Api, prospect: dict) -> None:
    path = f"/api/v1/prospects/{prospect['id']}/validate"
    first = manager.post(path)
    assert first.status_code == 200
    assert first.json["status"] == "validated"
    again = manager.post(path)
    assert again.status_code == 409
    assert "already" in again.json["detail"]


def test_list_uses_cursor_pagination(seller: Api) -> None:
    created = [
        seller.post("/api/v1/prospects", json={"name": f"Boulangerie {i}"}).json["id"]
        for i in range(5)
    ]
    seen: list[int] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = seller.get(f"/api/v1/prospects{query}").json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert seller.get("/api/v1/prospects?cursor=garbage").status_code == 400
    assert seller.get("/api/v1/prospects?limit=0").status_code == 422


def test_delete_is_definitive_and_takes_the_contacts(seller: Api, prospect: dict) -> None:
    contact = seller.post(
        f"/api/v1/accounts/{prospect['id']}/contacts", json={"last_name": "Dupré"}
    ).json
    assert seller.delete(prospect["links"]["self"]).status_code == 204
    assert seller.get(prospect["links"]["self"]).status_code == 404
    assert seller.get(contact["links"]["self"]).status_code == 404
    assert seller.delete(prospect["links"]["self"]).status_code == 404


def test_delete_with_a_stale_if_match_is_refused(seller: Api, prospect: dict) -> None:
    seller.edit(prospect["links"]["self"], {"name": "Renamed"})
    reply = seller.delete(prospect["links"]["self"], headers={"If-Match": '"1"'})
    assert reply.status_code == 412
    assert seller.get(prospect["links"]["self"]).status_code == 200


BAD_BODIES: list[tuple[Any, str]] = [
    ({"name": "X", "unknown": 1}, "unknown"),
    ({"name": 12}, "name"),
    ({"name": "X" * 201}, "name"),
    ({"name": "X", "email": "not an e-mail"}, "email"),
    ({"name": "X", "phone": "12"}, "phone"),
    ({"name": "X", "siren": "552120223"}, "siren"),
    ({"name": "X", "siret": "79237773100022"}, "siret"),
    ({"name": "X", "siren": "12345"}, "siren"),
    ({"name": "X", "ape_code": "nope"}, "ape_code"),
    ({"name": "X", "address": {"city": "Y" * 121}}, "address.city"),
    ({"name": "X", "custom": {"nope": 1}}, "custom.nope"),
    ({"legal_name": "No trade name"}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "X", "owner_id": 987654}, "owner_id"),
]


def test_bad_input_names_the_field_and_writes_nothing(seller: Api) -> None:
    for body, field in BAD_BODIES:
        reply = seller.post("/api/v1/prospects", json=body)
        assert reply.status_code == 422, (body, reply.json)
        assert reply.content_type == "application/problem+json"
        assert field in [e["field"] for e in reply.json["errors"]], (body, reply.json)
    assert seller.get("/api/v1/prospects").json["items"] == []


def test_malformed_json_is_400(seller: Api) -> None:
    reply = seller.post(
        "/api/v1/prospects", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.content_type == "application/problem+json"


def test_la_poste_siret_rule_applies_to_its_own_siren_only(seller: Api) -> None:
    ok = seller.post("/api/v1/prospects", json={"name": "La Poste", "siret": "35600000049837"})
    assert ok.status_code == 201, ok.json
    bad = seller.post("/api/v1/prospects", json={"name": "La Poste", "siret": "35600000049838"})
    assert bad.status_code == 422
    mismatch = seller.post(
        "/api/v1/prospects",
        json={"name": "DINUM", "siren": "552081317", "siret": "13002526500013"},
    )
    assert mismatch.status_code == 422
    assert mismatch.json["errors"][0]["field"] == "siret"


def test_nul_characters_are_refused_everywhere(seller: Api, prospect: dict) -> None:
    reply = seller.post("/api/v1/prospects", json={"name": "Nul\x00", "address": {"city": "a\x00"}})
    assert reply.status_code == 422
    assert {e["field"] for e in reply.json["errors"]} == {"name", "address.city"}
    assert seller.get("/api/v1/prospects?cursor=%00").status_code == 422
    assert len(seller.get("/api/v1/prospects").json["items"]) == 1


def test_a_siret_alone_gives_the_siren_of_its_company(seller: Api) -> None:
    created = seller.post("/api/v1/prospects", json={"name": "DINUM", "siret": "13002526500013"})
    assert created.status_code == 201, created.json
    assert created.json["siren"] == "130025265"
    later = seller.post("/api/v1/prospects", json={"name": "Sans numéro"})
    assert later.json["siren"] is None
    path = f"/api/v1/prospects/{later.json['id']}"
    edited = seller.patch(path, json={"siret": "35600000049837"}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.json
    assert edited.json["siren"] == "356000000"
    # another establishment, of another company: the SIREN taken from the SIRET follows
    other = siret(5)
    moved = seller.patch(path, json={"siret": other}, headers={"If-Match": '"2"'})
    assert moved.status_code == 200, moved.json
    assert moved.json["siren"] == other[:9] != "356000000"
    # a SIREN of its own: a SIRET of another company is refused, as when both are sent
    own = seller.post("/api/v1/prospects", json={"name": "Siège", "siren": "552081317"}).json
    path = f"/api/v1/prospects/{own['id']}"
    refused = seller.patch(path, json={"siret": "35600000049837"}, headers={"If-Match": '"1"'})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["code"] == "siret_siren_mismatch"
    assert seller.get(path).json["siret"] is None
