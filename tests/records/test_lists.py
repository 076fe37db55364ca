"""Lists with filters and sort on /accounts, /prospects, /clients, /contacts, /opportunities.

Each test runs on both databases. The property test pages through a list while
other rows are inserted between pages: the pages, concatenated, are the list as
it was (every row once, in order) plus, at most, some of the rows added since.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records_svc.db import Database
from records_svc.domain import accounts
from records_svc.domain import contacts as contacts_domain
from records_svc.domain import fields as fields_domain
from tests.conftest import Api, make_user

ACCOUNTS = "/api/v1/accounts"
SORTS = ("name", "-name", "city", "-city", "updated_at", "-updated_at")


def add_prospect(database: Database, owner: int | None, name: str, **data: Any) -> int:
    assert owner is not None
    with database.unit_of_work() as uow:
        return accounts.create_prospect(uow, owner, {"name": name, **data}).id


def add_client(database: Database, ref: str, name: str, **data: Any) -> int:
    with database.unit_of_work() as uow:
        client, _ = accounts.sync_client(uow, ref, {"name": name, **data})
        return client.id


def address(city: str | None, postal_code: str | None = None) -> dict[str, Any]:
    return {"address": {"city": city, "postal_code": postal_code}}


def every_page(api: Api, path: str, **query: Any) -> list[dict[str, Any]]:
    """All the pages of a list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        reply = api.get(path, query_string={**query, **({"cursor": cursor} if cursor else {})})
        assert reply.status_code == 200, reply.json
        items += reply.json["items"]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return items


def names(items: list[dict[str, Any]], key: str = "name") -> list[str]:
    return [item[key] for item in items]


@pytest.fixture
def directory(database: Database, seller: Api, manager: Api) -> dict[str, int]:
    """Accounts of two owners in a few cities, a closed client among them."""
    me, other = seller.user_id, manager.user_id
    return {
        "bordeaux": add_prospect(database, me, "Élan Bordelais", **address("Bordeaux", "33000")),
        "begles": add_prospect(database, me, "atelier de Bègles", **address("BÈGLES", "33130")),
        "paris": add_prospect(database, other, "Zinc Parisien", **address("Paris", "75011")),
        "lyon": add_client(database, "C1", "Brasserie Lyonnaise", **address("Lyon", "69002")),
        "closed": add_client(database, "C2", "Ancien Client", closed=True, **address("Lyon")),
        "nowhere": add_prospect(database, other, "Sans Adresse"),
    }


def test_each_filter_narrows_the_list(seller: Api, directory: dict[str, int]) -> None:
    def listed(**query: Any) -> list[str]:
        return names(every_page(seller, ACCOUNTS, sort="name", **query))

    assert listed(owner="me") == ["atelier de Bègles", "Élan Bordelais"]
    assert listed(owner=str(seller.user_id)) == listed(owner="me")
    assert listed(kind="client") == ["Brasserie Lyonnaise"]
    assert listed(status="draft", postal_code="33") == ["atelier de Bègles", "Élan Bordelais"]
    assert listed(postal_code="3313") == ["atelier de Bègles"]
    assert listed(city="begles") == ["atelier de Bègles"]  # case and accents aside
    assert listed(q="bord") == ["Élan Bordelais"]  # a word's start, folded
    assert listed(q="ELAN bordelais") == ["Élan Bordelais"]
    assert listed(q="lan") == []  # the start of a word, not any part of it
    assert listed(q="33130") == ["atelier de Bègles"]
    # closed clients do not exist for a seller, even asked for
    assert listed(closed="true") == []
    assert "Ancien Client" not in listed()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert listed(updated_since=future) == []
    assert len(listed(updated_since="2000-01-01T00:00:00+00:00")) == 5


def test_closed_clients_are_listed_for_who_may_see_them(
    manager: Api, directory: dict[str, int]
) -> None:
    listed = every_page(manager, "/api/v1/clients", closed="true")
    assert names(listed) == ["Ancien Client"]


def test_custom_field_filter_is_typed_by_the_field_library(
    database: Database, seller: Api, directory: dict[str, int]
) -> None:
    with database.unit_of_work() as uow:
        fields_domain.add_custom_field(
            uow.session, entity="prospect", key="sector", label="Secteur", type="text"
        )
        fields_domain.add_custom_field(
            uow.session, entity="prospect", key="staff", label="Effectif", type="number"
        )
    for key, custom in (("bordeaux", {"sector": "bois", "staff": 12}), ("paris", {"staff": 3})):
        path = f"{ACCOUNTS}/{directory[key]}"
        assert seller.edit(path, {"custom": custom}).status_code == 200
    assert names(every_page(seller, ACCOUNTS, **{"custom.sector": "bois"})) == ["Élan Bordelais"]
    assert names(every_page(seller, ACCOUNTS, **{"custom.staff": "3"})) == ["Zinc Parisien"]
    wrong = seller.get(ACCOUNTS, query_string={"custom.staff": "many", "custom.colour": "red"})
    assert wrong.status_code == 422
    assert {(e["field"], e["code"]) for e in wrong.json["errors"]} == {
        ("custom.staff", "invalid"),
        ("custom.colour", "unknown_filter"),
    }


@pytest.mark.parametrize("path", [ACCOUNTS, "/api/v1/prospects", "/api/v1/contacts"])
def test_an_unknown_filter_or_sort_is_a_422_naming_it(seller: Api, path: str) -> None:
    reply = seller.get(path, query_string={"colour": "red", "town": "Lyon"})
    assert reply.status_code == 422
    assert reply.content_type == "application/problem+json"
    assert {(e["field"], e["code"]) for e in reply.json["errors"]} == {
        ("colour", "unknown_filter"),
        ("town", "unknown_filter"),
    }
    reply = seller.get(path, query_string={"sort": "-siret"})
    assert reply.status_code == 422
    assert [(e["field"], e["code"]) for e in reply.json["errors"]] == [("sort", "unknown_sort")]
    assert seller.get(path, query_string={"owner": "someone"}).status_code == 422


def test_a_cursor_of_another_sort_is_refused(seller: Api, directory: dict[str, int]) -> None:
    first = seller.get(ACCOUNTS, query_string={"sort": "name", "limit": 1}).json
    reply = seller.get(ACCOUNTS, query_string={"sort": "city", "cursor": first["next_cursor"]})
    assert reply.status_code == 400
    assert reply.json["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_pages_in_order_both_ways(
    database: Database, seller: Api, directory: dict[str, int], sort: str
) -> None:
    # ties: several accounts share a name and a city, so the order falls back on ids
    for _ in range(4):
        add_prospect(database, seller.user_id, "Doublon", **address("Bordeaux", "33000"))
    whole = seller.get(ACCOUNTS, query_string={"sort": sort, "limit": 200}).json
    assert whole["next_cursor"] is None
    paged = every_page(seller, ACCOUNTS, sort=sort, limit=2)
    assert [a["id"] for a in paged] == [a["id"] for a in whole["items"]]
    key = sort.lstrip("-")
    if key == "name":
        expected = ["atelier", "Brasserie", "Doublon", "Élan", "Sans", "Zinc"]
        firsts = list(dict.fromkeys(n.split()[0] for n in names(paged)))
        assert firsts == (expected if sort == key else expected[::-1])
    if key == "city":
        cities = [a["address"]["city"] for a in paged if a["address"]["city"]]
        folded = list(dict.fromkeys(c.lower().replace("è", "e") for c in cities))
        assert folded == sorted(folded, reverse=sort.startswith("-"))
    doubles = [a["id"] for a in paged if a["name"] == "Doublon"]
    assert doubles == sorted(doubles, reverse=sort.startswith("-"))


def test_contacts_list_with_their_accounts_filters(
    database: Database, seller: Api, directory: dict[str, int]
) -> None:
    with database.unit_of_work() as uow:
        for key, last in (("bordeaux", "Martin"), ("begles", "Ândré"), ("paris", "Dupont")):
            contacts_domain.create_contact(uow, directory[key], {"last_name": last})
        contacts_domain.create_contact(uow, directory["closed"], {"last_name": "Caché"})
    mine = every_page(seller, "/api/v1/contacts", owner="me", sort="name")
    assert names(mine, "last_name") == ["Ândré", "Martin"]  # the accounts' owner is mine
    by_city = every_page(seller, "/api/v1/contacts", sort="-city")
    assert names(by_city, "last_name") == ["Dupont", "Martin", "Ândré"]
    assert names(every_page(seller, "/api/v1/contacts", q="dup"), "last_name") == ["Dupont"]
    assert names(every_page(seller, "/api/v1/contacts", postal_code="33"), "last_name") == [
        "Martin",
        "Ândré",
    ]


def test_opportunities_list_takes_the_account_filters_and_new_sorts(
    seller: Api, directory: dict[str, int]
) -> None:
    for key, title in (("bordeaux", "Bureaux"), ("paris", "Atelier"), ("lyon", "Cuisine")):
        body = {
            "account_id": directory[key],
            "title": title,
            "amount": "100.00",
            "expected_signing_date": "2027-01-15",
        }
        assert seller.post("/api/v1/opportunities", json=body).status_code == 201
    listed = every_page(seller, "/api/v1/opportunities", sort="name", limit=1)
    assert names(listed, "title") == ["Atelier", "Bureaux", "Cuisine"]
    gironde = every_page(seller, "/api/v1/opportunities", postal_code="33")
    assert names(gironde, "title") == ["Bureaux"]
    assert names(every_page(seller, "/api/v1/opportunities", kind="client"), "title") == ["Cuisine"]
    by_city = every_page(seller, "/api/v1/opportunities", sort="-city")
    assert names(by_city, "title") == ["Atelier", "Cuisine", "Bureaux"]
    wrong = seller.get("/api/v1/opportunities", query_string={"colour": "red"})
    assert wrong.status_code == 422
    assert wrong.json["errors"][0]["code"] == "unknown_filter"


# --- the property: paging under concurrent inserts -------------------------------------

WORDS = ["alpha", "Bravo", "charlie", "Délta", "écho", "alpha", "bravo"]
CITIES = [None, "Paris", "Lyon", "Évry", "paris"]
serial = itertools.count()


def pages_under_inserts(
    api: Api,
    path: str,
    query: dict[str, Any],
    limit: int,
    inserts: list[list[Any]],
    add: Callable[[Any], int],
) -> None:
    """Pages ``path`` (``limit`` a page), inserting ``inserts[n]`` after page n; checks
    that no row comes twice and that the rows there before come all, in their order."""
    before = api.get(path, query_string={**query, "limit": 200}).json
    assert before["next_cursor"] is None
    seen: list[int] = []
    added: set[int] = set()
    cursor = None
    for page in itertools.count():
        reply = api.get(
            path, query_string={**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
        )
        assert reply.status_code == 200, reply.json
        seen += [item["id"] for item in reply.json["items"]]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
        for row in inserts[page] if page < len(inserts) else []:
            added.add(add(row))
    assert len(seen) == len(set(seen)), "a row came twice"
    existing = [item["id"] for item in before["items"]]
    assert [i for i in seen if i not in added] == existing, "a row is missing or out of order"


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(CITIES)), max_size=12),
    sort=st.sampled_from(SORTS),
    limit=st.integers(min_value=1, max_value=4),
    inserts=st.lists(
        st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(CITIES)), max_size=3),
        max_size=5,
    ),
)
def test_pages_concatenated_are_the_sorted_list_under_concurrent_inserts(
    app: Flask,
    database: Database,
    rows: list[tuple[str, str | None]],
    sort: str,
    limit: int,
    inserts: list[list[tuple[str, str | None]]],
) -> None:
    api = make_user(app, database, f"u{next(serial)}")

    def add(row: tuple[str, str | None]) -> int:
        return add_prospect(database, api.user_id, row[0], **address(row[1]))

    for row in rows:
        add(row)
    pages_under_inserts(api, ACCOUNTS, {"sort": sort, "owner": "me"}, limit, inserts, add)
