"""Likely duplicates: one SIRET is one record (409), other reasons are scored candidates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

API = "/api/v1"
SIREN = "552120222"
SIRET = "55212022200013"  # head office
OTHER_SIRET = "55212022200021"  # another establishment of the same company
UNRELATED_SIRET = "73282932000017"
PAIRS = json.loads(Path(__file__).with_name("distinct_companies.json").read_text())["pairs"]


def create(user: Api, name: str, **fields: Any) -> dict[str, Any]:
    reply = user.post(f"{API}/prospects", json={"name": name, **fields})
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def candidates(user: Api, **probe: Any) -> list[dict[str, Any]]:
    reply = user.post(f"{API}/accounts/duplicates", json=probe)
    assert reply.status_code == 200, reply.json
    return reply.json["items"]  # type: ignore[no-any-return]


def reasons_by_id(items: list[dict[str, Any]]) -> dict[int, list[str]]:
    return {item["account"]["id"]: item["reasons"] for item in items}


def account_count(user: Api) -> int:
    return len(user.get(f"{API}/accounts?limit=200").json["items"])


def test_a_prospect_with_a_used_siret_is_a_409_listing_the_record(seller: Api) -> None:
    first = create(seller, "Société Générale", siret=SIRET)
    reply = seller.post(
        f"{API}/prospects", json={"name": "SG agence", "siret": "552 120 222 00013"}
    )
    assert reply.status_code == 409
    assert reply.content_type == "application/problem+json"
    [item] = reply.json["duplicates"]
    assert item["account"]["id"] == first["id"]
    assert item["account"]["name"] == "Société Générale"
    assert item["reasons"] == ["siret"]
    assert reply.json["errors"] == [
        {"field": "siret", "code": "duplicate", "message": f"belongs to account {first['id']}"}
    ]
    assert account_count(seller) == 1  # nothing written


def test_setting_a_used_siret_by_patch_is_a_409_and_changes_nothing(seller: Api) -> None:
    first = create(seller, "Société Générale", siret=SIRET)
    second = create(seller, "Autre", siret=UNRELATED_SIRET)
    path = second["links"]["self"]
    reply = seller.patch(path, json={"siret": SIRET}, headers={"If-Match": '"1"'})
    assert reply.status_code == 409
    assert reply.json["duplicates"][0]["account"]["id"] == first["id"]
    assert seller.get(path).json["siret"] == UNRELATED_SIRET
    # the record's own SIRET sent back unchanged is no duplicate
    same = seller.patch(path, json={"siret": UNRELATED_SIRET}, headers={"If-Match": '"1"'})
    assert same.status_code == 200, same.json


def test_a_hidden_closed_client_still_holds_its_siret_but_shows_nothing(
    erp: Api, seller: Api, manager: Api
) -> None:
    reply = erp.put(
        f"{API}/sync/clients/C1", json={"name": "Fermée SA", "siret": SIRET, "closed": True}
    )
    assert reply.status_code == 201, reply.json
    hidden = seller.post(f"{API}/prospects", json={"name": "Nouvelle", "siret": SIRET})
    assert hidden.status_code == 409
    assert hidden.json["duplicates"] == []
    assert "Fermée" not in hidden.get_data(as_text=True)
    assert hidden.json["detail"] == (
        f"The SIRET {SIRET} already belongs to a record you cannot see: "
        "one establishment is one record."
    )
    shown = manager.post(f"{API}/prospects", json={"name": "Nouvelle", "siret": SIRET})
    assert shown.status_code == 409
    assert shown.json["duplicates"][0]["account"]["name"] == "Fermée SA"


def test_each_account_reason(seller: Api) -> None:
    paris = {"postal_code": "75009", "city": "Paris"}
    same_siret = create(seller, "Siège", siret=SIRET)
    same_siren = create(seller, "Agence", siret=OTHER_SIRET)
    same_name = create(seller, "SARL Boulangerie Martin & Fils", address=paris)
    same_phone = create(seller, "Téléphone", phone="+33 1 23 45 67 89")
    same_mail = create(seller, "Courriel", email="ventes@dupont-fils.fr")
    same_site = create(seller, "Site", website="https://www.carnet-exemple.fr/contact")
    webmail = create(seller, "Webmail", email="dupont@gmail.com")

    found = reasons_by_id(candidates(seller, siret=SIRET))
    assert found[same_siret["id"]] == ["siret", "siren"]
    assert found[same_siren["id"]] == ["siren"]
    name = candidates(seller, name="fils et martin, boulangerie", address={"postal_code": "75009"})
    assert reasons_by_id(name) == {same_name["id"]: ["name_city"]}
    by_city = candidates(seller, name="Boulangerie Martin & Fils", address={"city": "PARIS"})
    assert reasons_by_id(by_city) == {same_name["id"]: ["name_city"]}
    assert candidates(seller, name="Boulangerie Martin", address={"city": "Lyon"}) == []
    assert reasons_by_id(candidates(seller, phone="01 23 45 67 89")) == {
        same_phone["id"]: ["phone"]
    }
    assert reasons_by_id(candidates(seller, email="Contact@Dupont-Fils.fr")) == {
        same_mail["id"]: ["email_domain"]
    }
    assert reasons_by_id(candidates(seller, website="carnet-exemple.fr")) == {
        same_site["id"]: ["website"]
    }
    # a mailbox provider's domain says nothing about the company
    assert candidates(seller, email="martin@gmail.com") == []
    assert webmail["id"] not in reasons_by_id(candidates(seller, email="dupont@gmail.com"))


def test_candidates_come_best_first_with_scores(seller: Api) -> None:
    weak = create(seller, "Courriel", email="a@dupont-fils.fr")
    strong = create(
        seller,
        "Dupont et Fils",
        email="b@dupont-fils.fr",
        phone="0123456789",
        address={"postal_code": "69007", "city": "Lyon"},
    )
    items = candidates(
        seller,
        name="Dupont & Fils",
        email="c@dupont-fils.fr",
        phone="01 23 45 67 89",
        address={"postal_code": "69007"},
    )
    assert [i["account"]["id"] for i in items] == [strong["id"], weak["id"]]
    assert items[0]["reasons"] == ["name_city", "phone", "email_domain"]
    assert 0 < items[1]["score"] < items[0]["score"] <= 1
    assert set(items[0]["account"]) >= {"id", "kind", "name", "address", "links", "version"}


def test_the_201_of_a_create_carries_the_likely_duplicates(seller: Api) -> None:
    first = create(seller, "Garage Dupont", address={"postal_code": "69007", "city": "Lyon"})
    assert first["possible_duplicates"] == []
    second = create(seller, "GARAGE DUPONT SARL", address={"postal_code": "69007"})
    [item] = second["possible_duplicates"]
    assert item["account"]["id"] == first["id"]
    assert item["reasons"] == ["name_city"]


def test_no_false_positive_among_distinct_companies_with_similar_names(seller: Api) -> None:
    """Held-out pairs: two cities, or a surname that differs by a letter (Faure, Fabre)."""
    made = []
    for pair in PAIRS:
        for company in pair:
            address = {"postal_code": company["postal_code"], "city": company["city"]}
            made.append(create(seller, company["name"], address=address))
    assert len(made) >= 60
    flagged = {
        account["name"]: [i["account"]["name"] for i in account["possible_duplicates"]]
        for account in made
        if account["possible_duplicates"]
    }
    assert flagged == {}
    for account in made:
        probe = {"name": account["name"], "address": account["address"]}
        assert candidates(seller, exclude_id=account["id"], **probe) == []


def test_a_closed_client_is_no_candidate_for_who_may_not_see_it(
    erp: Api, seller: Api, manager: Api
) -> None:
    erp.put(
        f"{API}/sync/clients/C9",
        json={"name": "Fermée SA", "phone": "0123456789", "closed": True},
    )
    assert candidates(seller, phone="01 23 45 67 89") == []
    assert [i["account"]["name"] for i in candidates(manager, phone="0123456789")] == ["Fermée SA"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"siret": 12}, "siret"), ({"nom": "x"}, "nom"), ({"limit": 0}, "limit")],
)
def test_bad_probes_are_422(seller: Api, body: dict[str, Any], field: str) -> None:
    reply = seller.post(f"{API}/accounts/duplicates", json=body)
    assert reply.status_code == 422
    assert [e["field"] for e in reply.json["errors"]] == [field]


# --- contacts ----------------------------------------------------------------------------


def contact(user: Api, account_id: int, **fields: Any) -> dict[str, Any]:
    reply = user.post(f"{API}/accounts/{account_id}/contacts", json=fields)
    assert reply.status_code == 201, reply.json
    return reply.json  # type: ignore[no-any-return]


def contact_reasons(user: Api, **probe: Any) -> dict[int, list[str]]:
    reply = user.post(f"{API}/contacts/duplicates", json=probe)
    assert reply.status_code == 200, reply.json
    return {item["contact"]["id"]: item["reasons"] for item in reply.json["items"]}


def test_each_contact_reason(seller: Api) -> None:
    home = create(seller, "Maison")["id"]
    other = create(seller, "Ailleurs")["id"]
    by_mail = contact(seller, other, last_name="Durand", email="Jean.Durand@Exemple.fr")
    by_mobile = contact(seller, other, last_name="Petit", mobile="06 12 34 56 78")
    by_line = contact(seller, other, last_name="Grand", direct_line="+33 1 98 76 54 32")
    by_name = contact(seller, home, first_name="Hélène", last_name="Lefèvre")

    assert contact_reasons(seller, email="jean.durand@exemple.FR") == {by_mail["id"]: ["email"]}
    assert contact_reasons(seller, mobile="+33612345678") == {by_mobile["id"]: ["mobile"]}
    assert contact_reasons(seller, direct_line="01 98 76 54 32") == {by_line["id"]: ["direct_line"]}
    same_name = {"first_name": "helene", "last_name": "LEFEVRE"}
    assert contact_reasons(seller, account_id=home, **same_name) == {
        by_name["id"]: ["name_account"]
    }
    # the same name in another account is another person
    assert contact_reasons(seller, account_id=other, **same_name) == {}


def test_the_201_of_a_contact_create_carries_the_likely_duplicates(seller: Api) -> None:
    home = create(seller, "Maison")["id"]
    first = contact(seller, home, last_name="Martin", email="p.martin@exemple.fr")
    assert first["possible_duplicates"] == []
    second = contact(
        seller, home, first_name="Paul", last_name="Martin", email="P.Martin@exemple.fr"
    )
    [item] = second["possible_duplicates"]
    assert item["contact"]["id"] == first["id"]
    assert item["reasons"] == ["email"]


def test_a_closed_clients_contacts_are_no_candidates_for_who_may_not_see_them(
    erp: Api, seller: Api, manager: Api
) -> None:
    client = erp.put(f"{API}/sync/clients/C3", json={"name": "Fermée SA"}).json
    contact(erp, client["id"], last_name="Caché", email="cache@fermee.fr")
    erp.put(f"{API}/sync/clients/C3", json={"name": "Fermée SA", "closed": True})
    assert contact_reasons(seller, email="cache@fermee.fr") == {}
    assert len(contact_reasons(manager, email="cache@fermee.fr")) == 1


def test_candidates_come_from_index_look_ups_never_a_scan(tmp_path: Path) -> None:
    """Each look-up of a probe searches an index (SQLite's plan): no table is scanned."""
    from sqlalchemy import select, text

    from records_svc import migrate
    from records_svc.db import Database
    from records_svc.domain import duplicates
    from records_svc.domain.models import Account, Contact

    db = Database(f"sqlite:///{tmp_path}/plan.db")
    try:
        migrate.upgrade(db.engine)
        account = duplicates.AccountProbe.from_data(
            {
                "name": "Garage Dupont",
                "siret": SIRET,
                "phone": "0123456789",
                "email": "a@dupont.fr",
                "website": "dupont.fr",
                "address": {"postal_code": "69007", "city": "Lyon"},
            }
        )
        person = duplicates.ContactProbe.from_data(
            {
                "email": "A@b.fr",
                "mobile": "0612345678",
                "direct_line": "0198765432",
                "first_name": "Jean",
                "last_name": "Dupont",
            },
            3,
        )
        statements = [
            select(Account.id).where(condition)
            for _, condition in duplicates._account_lookups(account)
        ] + [
            select(Contact.id).where(condition)
            for _, condition in duplicates._contact_lookups(person)
        ]
        assert len(statements) == 16  # 10 of the account, 6 of the person
        with db.engine.connect() as conn:
            for statement in statements:
                sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
                plan = [row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
                assert all(not step.startswith("SCAN") for step in plan), (sql, plan)
                assert any("USING" in step and "INDEX" in step for step in plan), (sql, plan)
    finally:
        db.dispose()


def batch_as_one_by_one(database: Any, batch: Any, one: Any, probes: list[Any]) -> list[Any]:
    """The batch look-up's candidates for ``probes`` (a seller's), asserted to be those
    of the look-up of one probe at a time: ids, reasons and scores."""
    from records_svc.domain import access

    def shown(found: list[Any]) -> list[tuple[int, list[str], float]]:
        return [(c.record.id, c.reasons, c.score) for c in found]

    with database.read() as session:
        access.bind(session, access.AccessPolicy.for_rights([]))
        together = batch(session, probes)
        apart = [one(session, probe) for probe in probes]
    assert [shown(found) for found in together] == [shown(found) for found in apart]
    return together  # type: ignore[no-any-return]


def test_a_batch_finds_what_one_probe_finds_by_its_keys(seller: Api, database: Any) -> None:
    """The batch look-up (an import's) gives each probe the candidates, reasons and scores
    of ``account_candidates``, the similar-but-not-same names aside."""
    from records_svc.domain import duplicates

    paris = {"postal_code": "75009", "city": "Paris"}
    create(seller, "Siège", siret=SIRET, phone="+33 1 23 45 67 89")
    create(seller, "Agence", siret=OTHER_SIRET, address=paris, email="a@dupont-fils.fr")
    create(seller, "SARL Boulangerie Martin & Fils", address=paris, phone="0123456789")
    create(seller, "Boulangerie Martin", address={"postal_code": "69007", "city": "Lyon"})
    create(seller, "Site", website="https://www.dupont-fils.fr/contact")
    create(seller, "Webmail", email="dupont@gmail.com")
    bodies: list[dict[str, Any]] = [
        {"name": "Nouveau", "siren": SIREN},
        {"name": "Fils et Martin, boulangerie", "address": {"postal_code": "75009"}},
        {"name": "Boulangerie Martin & Fils", "address": {"city": "PARIS"}},
        {"name": "Boulangerie Martin", "address": {"city": "Bordeaux"}},
        {"name": "Autre", "phone": "01 23 45 67 89", "email": "b@dupont-fils.fr"},
        {"name": "Autre", "website": "dupont-fils.fr"},
        {"name": "Personne", "email": "martin@gmail.com"},
        {"name": "Personne"},
    ]
    probes = [duplicates.AccountProbe.from_data(body) for body in bodies]
    batch = batch_as_one_by_one(
        database, duplicates.account_candidates_of_batch, duplicates.account_candidates, probes
    )
    assert sum(1 for found in batch if found) == 5  # the last three have none


def test_a_batch_of_contacts_finds_what_one_probe_finds(
    seller: Api, erp: Api, database: Any
) -> None:
    """The batch look-up of contacts (an import's) gives each probe the candidates,
    reasons and scores of ``contact_candidates``: a number found as a mobile or a direct
    line whichever the probe's, a name only in its account, a hidden account's contacts
    for no one who may not see them."""
    from records_svc.domain import duplicates

    home = create(seller, "Maison")["id"]
    other = create(seller, "Ailleurs")["id"]
    closed = erp.put(f"{API}/sync/clients/C7", json={"name": "Fermée SA"}).json["id"]
    contact(seller, home, first_name="Jean", last_name="Durand", email="Jean.Durand@Exemple.fr")
    contact(seller, other, last_name="Petit", mobile="06 12 34 56 78", email="petit@exemple.fr")
    contact(seller, other, last_name="Grand", direct_line="+33 6 12 34 56 78")
    contact(seller, other, first_name="Hélène", last_name="Lefèvre", direct_line="0198765432")
    contact(seller, home, first_name="Hélène", last_name="Lefèvre", mobile="06 99 88 77 66")
    contact(erp, closed, last_name="Caché", email="petit@exemple.fr", mobile="0612345678")
    erp.put(f"{API}/sync/clients/C7", json={"name": "Fermée SA", "closed": True})
    bodies: list[tuple[dict[str, Any], int | None]] = [
        ({"last_name": "X", "email": " JEAN.durand@exemple.fr "}, other),
        ({"last_name": "X", "mobile": "+33612345678"}, home),
        ({"last_name": "X", "direct_line": "06 12 34 56 78", "email": "petit@exemple.fr"}, home),
        ({"first_name": "helene", "last_name": "LEFEVRE", "direct_line": "01 98 76 54 32"}, home),
        ({"first_name": "Lefèvre", "last_name": "Hélène"}, other),  # the other way round
        ({"first_name": "Jean", "last_name": "Durand"}, other),  # another account's
        ({"first_name": "Jean", "last_name": "Durand"}, None),
        ({"last_name": "Caché"}, closed),
        ({"last_name": "Personne", "mobile": "06 00 00 00 01"}, home),
    ]
    probes = [duplicates.ContactProbe.from_data(body, account) for body, account in bodies]
    batch = batch_as_one_by_one(
        database, duplicates.contact_candidates_of_batch, duplicates.contact_candidates, probes
    )
    reasons = [[c.reasons for c in found] for found in batch]
    assert reasons == [
        [["email"]],
        [["mobile"], ["direct_line"]],
        [["email", "mobile"], ["direct_line"]],
        [["name_account"], ["direct_line"]],
        [["name_account"]],
        [],
        [],
        [],
        [],
    ]


def test_a_batch_reads_each_part_through_its_index(database: Any) -> None:
    """One statement, whose every part searches its own index (SQLite's plan; PostgreSQL's:
    no table read whole, sequential scans priced out, its tables being too small to be
    worth an index)."""
    from sqlalchemy import text, union

    from records_svc.domain import access, duplicates

    accounts = [
        duplicates.AccountProbe.from_data(
            {"name": "Garage Dupont", "siret": SIRET, "phone": "0123456789",
             "email": "a@dupont.fr", "website": "dupont.fr",
             "address": {"postal_code": "69007", "city": "Lyon"}}
        ),
        duplicates.AccountProbe.from_data({"name": "Boulangerie", "address": {"city": "Paris"}}),
        duplicates.AccountProbe.from_data({"name": "Épicerie", "address": {"postal_code": "33000"}}),
    ]  # fmt: skip
    people = [
        duplicates.ContactProbe.from_data(
            {"email": "A@b.fr", "mobile": "0612345678", "direct_line": "0198765432",
             "first_name": "Jean", "last_name": "Dupont"},
            3,
        ),
        duplicates.ContactProbe.from_data({"email": "c@b.fr", "last_name": "Martin"}, 4),
    ]  # fmt: skip
    with database.read() as session:
        access.bind(session, access.AccessPolicy.for_rights([]))
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            session.execute(text("SET LOCAL enable_seqscan = off"))
        batches = [
            (
                "accounts",
                list(duplicates._batch_parts(session, accounts, duplicates.DEFAULT_LIMIT)),
                ["siren", "name_key_postal_code", "sort_city", "phone", "email_domain", "web_domain"],
            ),
            (
                "contacts",
                list(duplicates._contact_parts(session, people, duplicates.DEFAULT_LIMIT)),
                ["email_key", "mobile", "direct_line", "account_sort_name"],
            ),
        ]  # fmt: skip
        for table, parts, indexes in batches:
            stmt = union(*parts).compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            if postgres:  # which index depends on its statistics (a postal code's, say)
                plan = [row[0] for row in session.execute(text(f"EXPLAIN {stmt}"))]
                assert not any(f"Seq Scan on {table}" in step for step in plan), plan
                continue
            plan = [row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {stmt}"))]
            assert not any(step.startswith(f"SCAN {table}") for step in plan), plan
            for index in indexes:
                assert any(f"ix_{table}_{index} " in f"{step} " for step in plan), (index, plan)


def test_a_batch_reads_the_newest_few_of_each_key_on_both_databases(
    seller: Api, database: Any
) -> None:
    """A key shared by many accounts (a common name in a town, a platform's web domain)
    gives the newest ``limit`` of them, the same on SQLite and PostgreSQL, and never
    crowds out another probe's key."""
    from records_svc.domain import access, duplicates

    lyon = {"postal_code": "69002", "city": "Lyon"}
    same = [create(seller, "Boulangerie Martin", address=lyon)["id"] for _ in range(5)]
    shop = [
        create(seller, f"Boutique {n}", website="facebook.com/boutique")["id"] for n in range(5)
    ]
    own = create(seller, "Quincaillerie Dupont", website="dupont-fils.fr")["id"]
    probes = [
        duplicates.AccountProbe.from_data({"name": "Boulangerie Martin", "address": lyon}),
        duplicates.AccountProbe.from_data({"name": "Autre", "website": "facebook.com"}),
        duplicates.AccountProbe.from_data({"name": "Autre", "website": "dupont-fils.fr"}),
    ]
    with database.read() as session:
        access.bind(session, access.AccessPolicy.for_rights([]))
        found = duplicates.account_candidates_of_batch(session, probes, limit=3)
    # the newest three of each key, then best first (ties: the oldest first)
    assert [c.record.id for c in found[0]] == sorted(same)[-3:]
    assert [c.record.id for c in found[1]] == sorted(shop)[-3:]
    assert [c.record.id for c in found[2]] == [own]
