"""Forgiving type-ahead (architecture §5): a table of query families and the hits they
must find, on every backend; then paging and totals."""

from __future__ import annotations

import pytest

from search_svc.backends.base import SearchBackend, SearchQuery
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.search.conftest import Searcher
from tests.search.test_contract import account, contact

GARAGE = {"id": 30, "kind": "client", "name": "Garage du Port", "version": 1, "closed": False}
GARAGE |= {"city": "Nantes", "postal_code": "44000"}
PHARMACIE = {"id": 31, "kind": "prospect", "name": "Pharmacie du Centre", "version": 1}
LABO = {"id": 20, "kind": "prospect", "name": "Laboratoire Robin", "version": 1}


@pytest.fixture
def directory(backend: SearchBackend) -> SearchBackend:
    backend.write(
        [
            account(1, "L'Oréal", city="Clichy", postal_code="92110"),
            account(2, "D'Arcy Immobilier", city="Rennes", postal_code="35000"),
            account(3, "Prud'homme Frères", city="Tours", postal_code="37000"),
            account(4, "Saint-Michel Automobiles", city="Marseille", postal_code="13008"),
            account(5, "Pharmacie Sainte-Anne", city="Brest", postal_code="29200"),
            account(6, "St-Jean Plomberie", city="Dijon", postal_code="21000"),
            account(7, "Dupont & Fils", city="Lyon", postal_code="69003"),
            account(8, "Martin et Associés", city="Lille", postal_code="59000"),
            account(9, "Lefebvre Matériaux", city="Roubaix", postal_code="59100"),
            account(10, "Castellane Immobilier", city="Nice", postal_code="06000"),
            account(11, "Boulangerie Dupré", city="Paris", postal_code="75008"),
            # its SIREN starts like the postal code above; a name that sorts first
            account(12, "Alpha Études", siren="750081234", city="Metz", postal_code="57000"),
            account(13, "Vins de Bordeaux", city="Bordeaux", postal_code="33000"),
            account(14, "Aquitaine Négoce", siren="330123456", city="Pau", postal_code="64000"),
            account(15, "Morin Transports", city="Philippeville", postal_code="21000"),
            account(16, "SARL Berger", city="Agen", postal_code="47000"),
            account(17, "Bergerac Vins", city="Bergerac", postal_code="24100"),
            account(19, "Corse Primeurs", city="Ajaccio", postal_code="2A004"),
            account(18, "Atelier Berger", city="Agen", postal_code="47000"),
            GARAGE_ACCOUNT,
            contact(40, "Philippe", "Morin", GARAGE),
            contact(41, "Awa", "N'Diaye", GARAGE),
            contact(42, "Jean-Pierre", "Martin", GARAGE),
            contact(43, "Pierre-Emmanuel", "Paul", GARAGE),
            contact(44, "Yann", "Le Goff", GARAGE),
            contact(45, "Hélène", "Dupré", PHARMACIE),
            contact(46, "Zoé", "Lefebre", PHARMACIE),
            contact(47, "Marie-Claire", "Le Floc'h", GARAGE),
            contact(48, "Marie", "Le Floc'h", GARAGE),
            account(20, "Laboratoire Robin", city="Caen", postal_code="14000"),
            contact(49, "Amélie", "Robin", LABO, email="amelie.robin@laboratoirerobin.fr"),
        ]
    )
    return backend


GARAGE_ACCOUNT = account(
    30, "Garage du Port", kind="client", status=None, city="Nantes", postal_code="44000"
)

#: (family, what is typed, the labels that must come first, in this order; [] = nothing)
FAMILIES = [
    ("accent-free", "helene dupre", ["Hélène Dupré"]),
    ("accent-free", "materiaux", ["Lefebvre Matériaux"]),
    ("accent-free", "DUPRE", ["Boulangerie Dupré", "Hélène Dupré"]),
    ("elision", "loreal", ["L'Oréal"]),
    ("elision", "lore", ["L'Oréal"]),
    ("elision", "ndiaye", ["Awa N'Diaye"]),
    ("elision", "darcy", ["D'Arcy Immobilier"]),
    ("elision", "prudhomme", ["Prud'homme Frères"]),
    ("elision", "l'oreal", ["L'Oréal"]),
    ("joined hyphen", "jeanpierre", ["Jean-Pierre Martin"]),
    ("joined hyphen", "jeanpi mar", ["Jean-Pierre Martin"]),
    ("joined hyphen", "pierreemmanuel paul", ["Pierre-Emmanuel Paul"]),
    ("joined hyphen", "saintmichel", ["Saint-Michel Automobiles"]),
    ("particle", "legoff", ["Yann Le Goff"]),
    ("particle", "le goff", ["Yann Le Goff"]),
    ("particle", "goff yann", ["Yann Le Goff"]),
    # a legal form is not the name's first word: before the names that only hold the word
    ("legal form", "berger", ["Bergerac Vins", "SARL Berger", "Atelier Berger"]),
    ("legal form", "sarl berg", ["SARL Berger"]),
    ("saint/st", "st michel", ["Saint-Michel Automobiles"]),
    ("saint/st", "ste anne", ["Pharmacie Sainte-Anne"]),
    ("saint/st", "saint jean", ["St-Jean Plomberie"]),
    ("saint/st", "sainte-anne", ["Pharmacie Sainte-Anne"]),
    ("&/et", "dupont et fils", ["Dupont & Fils"]),
    ("&/et", "dupont & fils", ["Dupont & Fils"]),
    ("&/et", "martin & associes", ["Martin et Associés"]),
    ("typo 1", "lefebre", ["Zoé Lefebre", "Lefebvre Matériaux"]),
    ("typo 1", "castelane", ["Castellane Immobilier"]),
    ("typo 1", "materiuax", ["Lefebvre Matériaux"]),
    ("typo 1", "lefevbre materiaux", ["Lefebvre Matériaux"]),
    ("typo 1", "castelan", ["Castellane Immobilier"]),
    ("typo 2", "castelanne", ["Castellane Immobilier"]),
    ("typo 2", "materiauxxx", ["Lefebvre Matériaux"]),
    ("first-letter typo", "mefebvre", []),
    ("first-letter typo", "elfebvre", []),
    ("first-letter typo", "kastellane", []),
    ("too short for a typo", "lefb", []),
    ("postal code", "75008", ["Boulangerie Dupré", "Alpha Études"]),
    ("postal code", "44000", ["Garage du Port"]),
    ("postal code", "philippe 44000", ["Philippe Morin"]),
    ("department", "33", ["Vins de Bordeaux", "Aquitaine Négoce"]),
    ("department", "2a", ["Corse Primeurs"]),
    ("postal code", "2A004", ["Corse Primeurs"]),
    ("city of a contact's account", "morin nantes", ["Philippe Morin"]),
    ("last name first", "morin philippe", ["Philippe Morin", "Morin Transports"]),
    ("last name first", "philippe morin", ["Philippe Morin", "Morin Transports"]),
    # the whole name typed, in any order, before the longer names it is a part of
    ("whole name", "le floch marie", ["Marie Le Floc'h", "Marie-Claire Le Floc'h"]),
    ("whole name", "marie le floch", ["Marie Le Floc'h", "Marie-Claire Le Floc'h"]),
    # with a typo: every word in the name first (the contact has the company in its e-mail)
    ("typo in the name", "laboratoire robni", ["Laboratoire Robin", "Amélie Robin"]),
]


@pytest.mark.parametrize(
    ("family", "q", "first"), FAMILIES, ids=[f"{f}:{q}" for f, q, _ in FAMILIES]
)
def test_query_families(
    directory: SearchBackend, seller_search: Searcher, family: str, q: str, first: list[str]
) -> None:
    labels = seller_search.labels(q)
    if first:
        assert labels[: len(first)] == first, family
    else:
        assert labels == [], family


def test_a_saint_query_highlights_the_name_as_written(
    directory: SearchBackend, seller_search: Searcher
) -> None:
    [hit] = seller_search.search("st mich")
    assert hit["highlight"] == [[0, 5], [6, 10]]  # "Saint", "Mich"


def test_typo_matches_are_highlighted(directory: SearchBackend, seller_search: Searcher) -> None:
    [first, *_] = seller_search.search("castelane")
    assert (first["label"], first["highlight"]) == ("Castellane Immobilier", [[0, 10]])
    hits = seller_search.search("lefebre")
    assert [h["highlight"] for h in hits[:2]] == [[[4, 11]], [[0, 8]]]  # Zoé Lefebre, Lefebvre


def test_pages_total_and_next_cursor(backend: SearchBackend, seller_search: Searcher) -> None:
    backend.write([account(100 + n, f"Maison {n:02d}") for n in range(43)])
    reply = seller_search.get("/api/v1/search", q="maison", limit=20).json
    assert (reply["total"], reply["total_is_lower_bound"]) == (43, False)
    labels = [i["label"] for i in reply["items"]]
    while reply["next_cursor"]:
        reply = seller_search.get(
            "/api/v1/search", q="maison", limit=20, cursor=reply["next_cursor"]
        ).json
        assert reply["total"] == 43
        labels += [i["label"] for i in reply["items"]]
    assert labels == [f"Maison {n:02d}" for n in range(43)]
    last = seller_search.get("/api/v1/search", q="maison 4", limit=20).json
    assert (last["total"], last["next_cursor"]) == (3, None)


def test_the_total_follows_writes_from_this_and_other_connections(
    backend: SearchBackend,
) -> None:
    """The SQLite backend keeps counts while nothing was written: any write, through this
    connection or another process's, counts again."""
    backend.write([account(300 + n, f"Ferme {n:02d}") for n in range(12)])
    query = SearchQuery("ferme")
    assert backend.count(query) == 12
    backend.write([account(320, "Ferme Neuve")])
    assert backend.count(query) == 13
    if isinstance(backend, SqliteFtsBackend):
        other = SqliteFtsBackend(backend.path)  # another connection, as another process's
        other.write([account(321, "Ferme Vieille")])
        other.close()
        assert backend.count(query) == 14
        backend.delete(["account:300"])
        assert backend.count(query) == 13


def test_the_total_stops_counting_at_a_thousand(
    backend: SearchBackend, seller_search: Searcher
) -> None:
    backend.write([account(2000 + n, f"Entrepôt {n:04d}") for n in range(1003)])
    reply = seller_search.get("/api/v1/search", q="entrepot").json
    assert (reply["total"], reply["total_is_lower_bound"]) == (1000, True)
    assert len(reply["items"]) == 10 and reply["next_cursor"]
