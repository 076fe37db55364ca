"""Actions over HTTP: from an opportunity, on records, timelines, edit, done, delete."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.sales.conftest import add_contact


def _action(api: Api, path: str, **fields: Any) -> dict[str, Any]:
    reply = api.post(path, json={"type": "call", "subject": "Appel", **fields})
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def test_an_action_from_an_opportunity_targets_its_account_by_default(
    seller: Api, prospect: dict, opportunity: dict
) -> None:
    created = _action(
        seller,
        opportunity["links"]["actions"],
        type="meeting",
        subject="Démonstration",
        notes="Salle B",
        due_at="2027-01-10T14:30:00+01:00",
    )
    assert created["target"]["kind"] == "prospect"
    assert created["target"]["id"] == prospect["id"]
    assert created["target"]["link"] == f"/api/v1/prospects/{prospect['id']}"
    assert created["opportunity_id"] == opportunity["id"]
    assert created["author_id"] == seller.user_id
    assert created["due_at"] == "2027-01-10T13:30:00Z"  # the same instant, in UTC
    assert (created["done"], created["done_at"]) == (False, None)
    tab = seller.get(opportunity["links"]["actions"]).json["items"]
    assert [a["id"] for a in tab] == [created["id"]]


def test_targets_are_validated(
    seller: Api, prospect: dict, client_account: dict, opportunity: dict
) -> None:
    path = opportunity["links"]["actions"]
    mine = add_contact(seller, prospect["id"], "Martin")
    stranger = add_contact(seller, client_account["id"], "Durand")
    on_contact = _action(seller, path, target={"kind": "contact", "id": mine["id"]})
    assert on_contact["target"] == {
        "kind": "contact",
        "id": mine["id"],
        "link": f"/api/v1/contacts/{mine['id']}",
    }
    for target in [
        {"kind": "contact", "id": stranger["id"]},
        {"kind": "client", "id": client_account["id"]},
        {"kind": "client", "id": prospect["id"]},  # the right id, the wrong kind
        {"kind": "contact", "id": 999999},
        {"kind": "opportunity", "id": opportunity["id"]},
        {"kind": "contact"},
    ]:
        reply = seller.post(path, json={"type": "call", "subject": "X", "target": target})
        assert reply.status_code == 422, target
        assert reply.json["errors"][0]["field"].startswith("target"), reply.json
    assert len(seller.get(path).json["items"]) == 1
    assert (
        seller.post(
            "/api/v1/opportunities/999999/actions", json={"type": "call", "subject": "X"}
        ).status_code
        == 404
    )


def test_action_fields_are_validated(seller: Api, prospect: dict) -> None:
    path = f"/api/v1/prospects/{prospect['id']}/actions"
    for body, field in [
        ({"subject": "X"}, "type"),
        ({"type": "fax", "subject": "X"}, "type"),
        ({"type": "call"}, "subject"),
        ({"type": "call", "subject": "X", "due_at": "2027-01-10T14:30:00"}, "due_at"),
        ({"type": "call", "subject": "X", "due_at": "demain"}, "due_at"),
        ({"type": "call", "subject": "X", "due_at": "0001-01-01T00:00:00+14:00"}, "due_at"),
        ({"type": "call", "subject": "a\x00b"}, "subject"),
        ({"type": "call", "subject": "X", "author_id": 7}, "author_id"),
    ]:
        reply = seller.post(path, json=body)
        assert reply.status_code == 422, body
        assert field in [e["field"] for e in reply.json["errors"]], reply.json
    assert seller.get(path).json["items"] == []


def test_record_timelines_are_newest_first(
    seller: Api, prospect: dict, client_account: dict
) -> None:
    contact = add_contact(seller, prospect["id"], "Martin")
    on_prospect = f"/api/v1/prospects/{prospect['id']}/actions"
    on_contact = f"/api/v1/contacts/{contact['id']}/actions"
    old = _action(seller, on_prospect, subject="old", due_at="2026-12-31T23:30:00+00:00")
    new = _action(seller, on_prospect, subject="new", due_at="2027-01-01T00:30:00+02:00")
    call = _action(seller, on_contact, subject="call", due_at="2027-01-05T09:00:00+01:00")
    same = _action(seller, on_prospect, subject="same", due_at="2027-01-05T08:00:00Z")
    assert [a["subject"] for a in seller.get(on_prospect).json["items"]] == [
        "same",  # same instant as "call", logged later
        "call",
        "old",  # 23:30 UTC is after 22:30 UTC ("new" at 00:30 +02:00)
        "new",
    ]
    assert [a["id"] for a in seller.get(f"{on_prospect}?contacts=false").json["items"]] == [
        same["id"],
        old["id"],
        new["id"],
    ]
    assert [a["id"] for a in seller.get(on_contact).json["items"]] == [call["id"]]
    pages, cursor = [], None
    while True:
        page = seller.get(f"{on_prospect}?limit=1" + (f"&cursor={cursor}" if cursor else "")).json
        pages += [a["subject"] for a in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert pages == ["same", "call", "old", "new"]
    assert seller.get(f"/api/v1/clients/{prospect['id']}/actions").status_code == 404
    assert seller.get(f"/api/v1/clients/{client_account['id']}/actions").json["items"] == []
    assert seller.get("/api/v1/contacts/999999/actions").status_code == 404


def test_edit_mark_done_and_delete(seller: Api, prospect: dict) -> None:
    created = _action(
        seller, f"/api/v1/prospects/{prospect['id']}/actions", type="task", subject="Devis"
    )
    path = created["links"]["self"]
    assert seller.patch(path, json={"subject": "Y"}).status_code == 428
    edited = seller.edit(path, {"subject": "Devis v2", "notes": "avec remise"})
    assert edited.status_code == 200, edited.json
    assert (edited.json["subject"], edited.json["version"]) == ("Devis v2", created["version"] + 1)
    assert (
        seller.patch(
            path, json={"target": {"kind": "client", "id": 1}}, headers={"If-Match": "*"}
        ).status_code
        == 422
    )
    stale = seller.post(f"{path}/done", headers={"If-Match": f'"{created["version"]}"'})
    assert stale.status_code == 412
    done = seller.post(f"{path}/done")
    assert done.status_code == 200
    assert done.json["done"] is True
    assert done.json["done_at"].endswith("Z")
    assert seller.edit(path, {"done": False}).json["done_at"] is None
    back = seller.edit(path, {"done_at": "2027-01-02T10:00:00+01:00"}).json
    assert (back["done"], back["done_at"]) == (True, "2027-01-02T09:00:00Z")
    assert seller.delete(path, headers={"If-Match": '"1"'}).status_code == 412
    assert seller.delete(path).status_code == 204
    assert seller.get(path).status_code == 404


def test_deleting_an_opportunity_keeps_its_actions_on_the_record(
    seller: Api, prospect: dict, opportunity: dict
) -> None:
    logged = _action(seller, opportunity["links"]["actions"], subject="Relance")
    assert seller.delete(opportunity["links"]["self"]).status_code == 204
    kept = seller.get(logged["links"]["self"]).json
    assert kept["opportunity_id"] is None
    timeline = seller.get(f"/api/v1/prospects/{prospect['id']}/actions").json["items"]
    assert [a["id"] for a in timeline] == [logged["id"]]


def test_deleting_a_client_deletes_its_and_its_contacts_actions(
    seller: Api, erp: Api, client_account: dict
) -> None:
    contact = add_contact(seller, client_account["id"], "Martin")
    on_client = _action(seller, f"/api/v1/clients/{client_account['id']}/actions")
    on_contact = _action(seller, f"/api/v1/contacts/{contact['id']}/actions")
    assert erp.delete(f"/api/v1/clients/{client_account['id']}").status_code == 204
    assert seller.get(on_client["links"]["self"]).status_code == 404
    assert seller.get(on_contact["links"]["self"]).status_code == 404
