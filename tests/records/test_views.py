"""Saved views (/views) and the owner picker (/users)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from records_svc.db import Database
from records_svc.domain import users
from tests.conftest import Api, make_user

VIEWS = "/api/v1/views"


def save(api: Api, **body: Any) -> Any:
    return api.post(VIEWS, json={"entity": "accounts", **body})


def test_a_view_is_saved_reopened_and_changed_by_its_owner(seller: Api) -> None:
    made = save(seller, name="Gironde", filters={"owner": "me", "postal_code": "33"}, sort="name")
    assert made.status_code == 201, made.json
    view = made.json
    assert view["filters"] == {"owner": "me", "postal_code": "33"}
    assert (view["sort"], view["shared"], view["mine"]) == ("name", False, True)
    assert seller.get(made.headers["Location"]).json == view
    changed = seller.patch(made.headers["Location"], json={"sort": "-updated_at"})
    assert changed.status_code == 200
    assert changed.json["sort"] == "-updated_at" and changed.json["version"] == 2
    assert [v["name"] for v in seller.get(VIEWS).json["items"]] == ["Gironde"]
    assert seller.delete(made.headers["Location"]).status_code == 204
    assert seller.get(made.headers["Location"]).status_code == 404


def test_shared_views_are_seen_by_all_and_changed_by_their_owner_only(
    seller: Api, manager: Api
) -> None:
    shared = save(manager, name="Clients lyonnais", filters={"city": "Lyon"}, shared=True).json
    private = save(manager, name="Les miens", filters={"owner": "me"}).json
    mine = save(seller, name="Mes contacts", entity="contacts", filters={"owner": "me"}).json
    assert [v["name"] for v in seller.get(VIEWS).json["items"]] == [
        "Clients lyonnais",
        "Mes contacts",
    ]
    assert [
        v["id"] for v in seller.get(VIEWS, query_string={"entity": "contacts"}).json["items"]
    ] == [mine["id"]]
    assert seller.get(f"{VIEWS}/{shared['id']}").json["mine"] is False
    assert seller.get(f"{VIEWS}/{private['id']}").status_code == 404
    assert seller.patch(f"{VIEWS}/{shared['id']}", json={"name": "À moi"}).status_code == 403
    assert seller.delete(f"{VIEWS}/{shared['id']}").status_code == 403
    assert seller.delete(f"{VIEWS}/{private['id']}").status_code == 404


def test_a_view_with_an_unknown_filter_or_sort_is_refused(seller: Api) -> None:
    reply = save(seller, name="X", filters={"colour": "red", "custom.sector": "bois"})
    assert reply.status_code == 422
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [
        ("filters.colour", "unknown_filter")
    ]
    reply = save(seller, name="X", entity="actions", filters={"done": False}, sort="name")
    assert reply.status_code == 422
    assert reply.json["errors"][0]["code"] == "unknown_sort"
    reply = save(seller, name="X", filters={"city": {"nested": 1}})
    assert reply.status_code == 422
    assert save(seller, name="X", entity="deals").status_code == 422
    assert seller.get(VIEWS).json["items"] == []


def test_users_lists_the_active_ones_for_owner_pickers(
    app: Flask, database: Database, seller: Api
) -> None:
    make_user(app, database, "zoe")
    with database.unit_of_work() as uow:
        users.set_disabled(uow.session, "zoe", True)
        users.get_by_username(uow.session, "alice").display_name = "Alice Martin"
    reply = seller.get("/api/v1/users")
    assert reply.status_code == 200
    assert reply.json["items"] == [
        {"id": seller.user_id, "username": "alice", "display_name": "Alice Martin"}
    ]
