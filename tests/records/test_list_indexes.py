"""What the lists' indexes hold stays true on every write path, on both databases.

The ``q`` filter looks words up in ``account_words``/``contact_words`` and "my
contacts" reads ``contacts.owner_id``: the database keeps both (triggers), so an ORM
write, a bulk SQL update, an ERP sync, an owner change and a contact moved to another
account all leave them equal to what they are derived from.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from records_svc.db import Database
from records_svc.domain import accounts, listing, merge
from records_svc.domain import contacts as contacts_domain
from records_svc.domain.models import Account, AccountWord, Contact, ContactWord
from search_svc.normalize import query_tokens
from tests.conftest import Api, make_user
from tests.records.test_lists import add_client, add_prospect, address, every_page, names

ACCOUNTS = "/api/v1/accounts"
CONTACTS = "/api/v1/contacts"


def assert_indexes_true(database: Database) -> None:
    """Each row's words are the words of its search text, with its sort name; each
    contact's owner is its account's; each account's department is its postal code's."""
    with database.read() as session:
        for model, words, key in (
            (Account, AccountWord, AccountWord.account_id),
            (Contact, ContactWord, ContactWord.contact_id),
        ):
            rows = select(model.id, model.search_text, model.sort_name)
            expected = {
                (row_id, word, sort_name)
                for row_id, search_text, sort_name in session.execute(rows)
                for word in search_text.split()
            }
            found = {
                tuple(row) for row in session.execute(select(key, words.word, words.sort_name))
            }
            assert found == expected, model.__name__
        departments = session.execute(select(Account.postal_code, Account.department)).all()
        assert [d for _p, d in departments] == [p[:2] if p else p for p, _d in departments]
        owners = session.execute(
            select(Contact.id, Contact.owner_id, Account.owner_id).join(Contact.account)
        ).all()
        assert [(c, o) for c, o, _ in owners] == [(c, a) for c, _, a in owners]


def matching(database: Database, q: str) -> list[int]:
    """The accounts whose search text has a word beginning with each word of ``q``:
    the search rules' prefix test, done by hand."""
    with database.read() as session:
        rows = session.execute(select(Account.id, Account.search_text)).all()
    wanted = query_tokens(q)
    return sorted(
        row_id
        for row_id, search_text in rows
        if all(any(w.startswith(t) for w in search_text.split()) for t in wanted)
    )


def listed_ids(api: Api, path: str, **query: Any) -> list[int]:
    return sorted(item["id"] for item in every_page(api, path, **query))


@pytest.mark.parametrize("few", [listing.FEW_MATCHES, 1, 0])
def test_q_finds_through_the_words_what_the_prefix_rule_finds(
    database: Database, seller: Api, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """Rare words are gathered by id, frequent ones tested in the row: the same rows."""
    monkeypatch.setattr(listing, "FEW_MATCHES", few)
    me = seller.user_id
    add_prospect(database, me, "Boulangerie Ségolène", **address("Saint-Émilion", "33330"))
    add_prospect(database, me, "Boulangerie du Port", legal_name="SARL Port & Fils")
    add_prospect(database, me, "La Petite Boulange", **address("Bordeaux", "33000"))
    add_client(database, "E1", "Ébénisterie Mériadec", siret="55212022200013")
    assert_indexes_true(database)
    for q in ("boul", "BOULANGERIE port", "segolene", "sego boul", "33", "saint emil", "fils et"):
        assert listed_ids(seller, ACCOUNTS, q=q) == matching(database, q), q
    assert listed_ids(seller, ACCOUNTS, q="552 120") == matching(database, "552120")
    assert listed_ids(seller, ACCOUNTS, q="zzz") == []
    # characters LIKE or GLOB would take for wildcards are plain letters here
    for q in ("b%", "b_", "b*", "b?", "[b"):
        assert listed_ids(seller, ACCOUNTS, q=q) == matching(database, q), q
    for sort in ("name", "-city", "updated_at"):
        paged = every_page(seller, ACCOUNTS, q="boul", sort=sort, limit=1)
        whole = seller.get(ACCOUNTS, query_string={"q": "boul", "sort": sort}).json["items"]
        assert [a["id"] for a in paged] == [a["id"] for a in whole]


@pytest.mark.parametrize("max_words", [listing.MAX_WORDS, 1, 0])
def test_q_by_name_reads_the_words_in_name_order(
    database: Database,
    seller: Api,
    manager: Api,
    monkeypatch: pytest.MonkeyPatch,
    max_words: int,
) -> None:
    """Sorted by name, ``q`` reads a word's rows in name order (the merge of its words'
    ranges, or of its first letters' when it begins more than ``MAX_WORDS`` words; a
    short prefix walks the name index): the same pages as the list without ``q``,
    filtered by the prefix rule, in rounds when ``owner`` leaves few candidates."""
    monkeypatch.setattr(listing, "MAX_WORDS", max_words)
    monkeypatch.setattr(listing, "LAST_ROUND", 8)
    names = [
        "Marché Dupont",
        "Martin Frères",
        "marbrerie Alpha",
        "Boulangerie Marc",
        "Zinc Mars",
        "Amar",
        "Mariage & Co",
        "Ma Maison",
        "Boulangerie Zoé",
        "Boulangeries Réunies",
        "Boulangerie Marc",
        "Bouquet",
    ]
    for n, name in enumerate(names):
        add_prospect(database, manager.user_id if n % 3 == 0 else seller.user_id, name)
    for q in ("mar", "ma", "boulangerie", "marc", "mar dup", "boul mar", "m", "zzz"):
        wanted = set(matching(database, q))
        for sort, limit in (("name", 1), ("-name", 3), ("name", 50)):
            for owner in ({}, {"owner": "me"}):
                whole = every_page(seller, ACCOUNTS, sort=sort, **owner)
                expected = [a["id"] for a in whole if a["id"] in wanted]
                paged = every_page(seller, ACCOUNTS, q=q, sort=sort, limit=limit, **owner)
                assert [a["id"] for a in paged] == expected, (q, sort, limit, owner)


def test_the_words_follow_every_write_path(database: Database, seller: Api, erp: Api) -> None:
    me = seller.user_id
    first = add_prospect(database, me, "Atelier Rivière", **address("Lyon"))
    client = add_client(database, "R1", "Quincaillerie Centrale")
    reply = seller.edit(f"/api/v1/prospects/{first}", {"name": "Atelier Montagne"})
    assert reply.status_code == 200, reply.json
    assert listed_ids(seller, ACCOUNTS, q="riviere") == []
    assert listed_ids(seller, ACCOUNTS, q="montagne") == [first]
    # the ERP renames its client
    with database.unit_of_work() as uow:
        accounts.sync_client(uow, "R1", {"name": "Droguerie Centrale"})
    assert listed_ids(seller, ACCOUNTS, q="quinca") == []
    assert listed_ids(seller, ACCOUNTS, q="drog centr") == [client]
    # a bulk update that no ORM listener sees
    with database.unit_of_work() as uow:
        uow.session.execute(
            update(Account).where(Account.id == first).values(search_text="vallee lyon")
        )
    assert listed_ids(seller, ACCOUNTS, q="valle") == [first]
    with database.unit_of_work() as uow:
        contact = contacts_domain.create_contact(
            uow, first, {"first_name": "Zoé", "last_name": "N'Diaye"}
        )
        contact_id = contact.id
    assert listed_ids(seller, CONTACTS, q="zoe diay") == [contact_id]
    reply = seller.edit(f"/api/v1/contacts/{contact_id}", {"last_name": "Lefèvre"})
    assert reply.status_code == 200, reply.json
    assert listed_ids(seller, CONTACTS, q="diaye") == []
    assert listed_ids(seller, CONTACTS, q="lefe") == [contact_id]
    assert_indexes_true(database)
    # deleting an account takes its words and its contacts' words with it
    reply = seller.get(f"/api/v1/prospects/{first}")
    deleted = seller.delete(
        f"/api/v1/prospects/{first}", headers={"If-Match": reply.headers["ETag"]}
    )
    assert deleted.status_code == 204, deleted.json
    assert listed_ids(seller, CONTACTS, q="lefe") == []
    assert_indexes_true(database)


def test_the_sort_keys_follow_every_write_path(
    database: Database, seller: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The words' sort names and the department, through an edit, bulk SQL that changes
    only the sort name or the postal code, and a merge (an import:
    tests/imports/test_imports.py)."""
    monkeypatch.setattr(listing, "FEW_MATCHES", 0)  # q reads the words in name order
    me = seller.user_id
    target = add_prospect(database, me, "Marin Zèbre", **address("Arcachon", "33120"))
    source = add_prospect(database, me, "Marin Abeille", **address("Paris", "75011"))
    other = add_prospect(database, me, "Marin Castor", **address("Lyon", "69002"))
    reply = seller.edit(f"/api/v1/prospects/{target}", {"name": "Marin Bison"})
    assert reply.status_code == 200, reply.json
    assert [a["id"] for a in every_page(seller, ACCOUNTS, q="marin", sort="name", limit=1)] == [
        source,
        target,
        other,
    ]
    assert listed_ids(seller, ACCOUNTS, postal_code="33") == [target]
    assert_indexes_true(database)
    with database.unit_of_work() as uow:
        uow.session.execute(update(Account).where(Account.id == other).values(sort_name="aaa"))
        uow.session.execute(update(Account).where(Account.id == source).values(postal_code="33000"))
    assert_indexes_true(database)
    assert listed_ids(seller, ACCOUNTS, postal_code="33") == [target, source]
    assert listed_ids(seller, ACCOUNTS, postal_code="3312") == [target]
    assert [a["id"] for a in every_page(seller, ACCOUNTS, q="marin", sort="-name")] == [
        target,
        source,
        other,
    ]
    with database.unit_of_work() as uow:
        merge.merge_accounts(uow, target, source, fields={"name": "source"}, expected_version=None)
    assert_indexes_true(database)
    assert [a["id"] for a in every_page(seller, ACCOUNTS, q="marin abei", sort="name")] == [target]
    assert listed_ids(seller, ACCOUNTS, postal_code="75") == []


def test_my_contacts_follow_the_accounts_owner(
    database: Database, seller: Api, manager: Api
) -> None:
    me, other = seller.user_id, manager.user_id
    mine = add_prospect(database, me, "Chez Moi")
    theirs = add_prospect(database, other, "Chez Eux")
    with database.unit_of_work() as uow:
        ana = contacts_domain.create_contact(uow, mine, {"last_name": "Ana"}).id
        ben = contacts_domain.create_contact(uow, theirs, {"last_name": "Ben"}).id
    assert listed_ids(seller, CONTACTS, owner="me") == [ana]
    # the owner changes on the account: its contacts follow
    reply = manager.edit(f"/api/v1/prospects/{theirs}", {"owner_id": me})
    assert reply.status_code == 200, reply.json
    assert listed_ids(seller, CONTACTS, owner="me") == sorted([ana, ben])
    assert listed_ids(manager, CONTACTS, owner="me") == []
    # a contact moved to another account (as a merge does) takes that account's owner
    with database.unit_of_work() as uow:
        uow.session.execute(update(Account).where(Account.id == mine).values(owner_id=other))
    assert listed_ids(seller, CONTACTS, owner="me") == [ben]
    with database.unit_of_work() as uow:
        moved = uow.session.get(Contact, ben)
        assert moved is not None
        moved.account_id = mine
    assert listed_ids(seller, CONTACTS, owner="me") == []
    assert listed_ids(manager, CONTACTS, owner=str(other)) == sorted([ana, ben])
    # an ERP sync that gives its client an owner
    client = add_client(database, "O1", "Client Sans Vendeur")
    with database.unit_of_work() as uow:
        carl = contacts_domain.create_contact(uow, client, {"last_name": "Carl"}).id
        accounts.sync_client(uow, "O1", {"name": "Client Sans Vendeur", "owner_id": me})
    assert listed_ids(seller, CONTACTS, owner="me") == [carl]
    # nobody writes it by hand: the database puts the account's owner back
    with database.unit_of_work() as uow:
        uow.session.execute(update(Contact).where(Contact.id == carl).values(owner_id=other))
    assert listed_ids(seller, CONTACTS, owner="me") == [carl]
    assert_indexes_true(database)
    with database.read() as session:
        read = session.get(Contact, carl)
        assert read is not None and read.owner_id == me


@pytest.mark.parametrize("sort", ["name", "-name", "city", "-city", "updated_at", "-updated_at"])
def test_my_contacts_page_in_every_sort(database: Database, seller: Api, sort: str) -> None:
    me = seller.user_id
    for index, city in enumerate(["Brest", "Agen", "Brest", None]):
        account = add_prospect(database, me, f"Compte {index}", **address(city))
        with database.unit_of_work() as uow:
            for last in ("Durand", "Durand", "Abel"):
                contacts_domain.create_contact(uow, account, {"last_name": last})
    whole = seller.get(CONTACTS, query_string={"owner": "me", "sort": sort, "limit": 100}).json
    paged = every_page(seller, CONTACTS, owner="me", sort=sort, limit=5)
    assert [c["id"] for c in paged] == [c["id"] for c in whole["items"]]
    assert len(paged) == 12
    if sort.lstrip("-") == "name":
        ordered = names(paged, "last_name")
        assert ordered == sorted(ordered, reverse=sort.startswith("-"))


def test_the_triggers_are_in_the_schema(database: Database) -> None:
    """A later migration that rebuilds accounts or contacts must keep them."""
    with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            found = set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
            wanted = {"account_words_insert", "account_words_update", "contacts_owner"}
            wanted |= {"contact_words_insert", "contact_words_update", "accounts_owner"}
        else:
            found = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type='trigger'")))
            wanted = {"account_words_insert", "account_words_update", "contacts_owner_insert"}
            wanted |= {"contact_words_insert", "contact_words_update", "contacts_owner_update"}
            wanted |= {"accounts_owner"}
    assert wanted <= found


def test_the_words_match_the_text_rule(database: Database, seller: Api) -> None:
    """``account_words_match`` and the text rule ``words_match`` select the same rows."""
    for name in ("Alpha Béta", "Gamma", "alphabet", "Bêta Gamma Alpha"):
        add_prospect(database, seller.user_id, name)
    with database.read() as session:
        for q in ("alp", "beta alpha", "g", "alphab"):
            by_words = session.scalars(
                select(Account.id).where(*listing.account_words_match(session, q))
            ).all()
            by_text = session.scalars(
                select(Account.id).where(*listing.words_match(Account.search_text, q))
            ).all()
            assert sorted(by_words) == sorted(by_text), q


# --- the property on "my contacts": paging under concurrent inserts ----------------------

LAST_NAMES = ["Abel", "Durand", "dürand", "Ézéchiel", "Abel"]
CONTACT_SORTS = ["name", "-name", "city", "-city", "updated_at", "-updated_at"]
serial = itertools.count()


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.tuples(st.sampled_from(LAST_NAMES), st.sampled_from([0, 1])), max_size=10),
    sort=st.sampled_from(CONTACT_SORTS),
    limit=st.integers(min_value=1, max_value=4),
    inserts=st.lists(
        st.lists(st.tuples(st.sampled_from(LAST_NAMES), st.sampled_from([0, 1])), max_size=3),
        max_size=4,
    ),
)
def test_my_contacts_pages_concatenated_are_the_sorted_list_under_concurrent_inserts(
    app: Flask,
    database: Database,
    rows: list[tuple[str, int]],
    sort: str,
    limit: int,
    inserts: list[list[tuple[str, int]]],
) -> None:
    api = make_user(app, database, f"c{next(serial)}")
    homes = [
        add_prospect(database, api.user_id, f"Compte {n}", **address(city))
        for n, city in enumerate(("Évry", "Agen"))
    ]

    def add(last_name: str, home: int) -> int:
        with database.unit_of_work() as uow:
            return contacts_domain.create_contact(uow, homes[home], {"last_name": last_name}).id

    for last_name, home in rows:
        add(last_name, home)
    before = api.get(CONTACTS, query_string={"sort": sort, "limit": 200, "owner": "me"}).json
    seen: list[int] = []
    added: set[int] = set()
    cursor = None
    for page in itertools.count():
        query = {
            "sort": sort,
            "limit": limit,
            "owner": "me",
            **({"cursor": cursor} if cursor else {}),
        }
        reply = api.get(CONTACTS, query_string=query)
        assert reply.status_code == 200, reply.json
        seen += [c["id"] for c in reply.json["items"]]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
        for last_name, home in inserts[page] if page < len(inserts) else []:
            added.add(add(last_name, home))
    assert len(seen) == len(set(seen)), "a contact came twice"
    existing = [c["id"] for c in before["items"]]
    assert [i for i in seen if i not in added] == existing, "a contact is missing or out of order"
