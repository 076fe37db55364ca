"""The search contract (architecture §5), the same on every backend."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import pytest

from search_svc import documents
from search_svc.backends.base import SearchBackend, SearchDocument, SearchQuery
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.search.conftest import Searcher


def account(id: int, name: str, **values: Any) -> SearchDocument:
    row = {"id": id, "kind": "prospect", "name": name, "status": "draft", "version": 1}
    return documents.account_document(row | values)


def contact(
    id: int, first: str | None, last: str, owner: dict[str, Any], **values: Any
) -> SearchDocument:
    row = {"id": id, "first_name": first, "last_name": last, "version": 1} | values
    return documents.contact_document(row, owner)


SOGE = {"id": 1, "kind": "client", "name": "Société Générale", "version": 3, "closed": False}


@pytest.fixture
def directory(backend: SearchBackend) -> SearchBackend:
    backend.write(
        [
            account(
                1,
                "Société Générale",
                kind="client",
                status=None,
                legal_name="SOCIETE GENERALE SA",
                siren="552120222",
                siret="55212022200013",
                city="Paris",
                version=3,
            ),
            account(2, "L'Oréal", city="Clichy"),
            account(3, "Œuvres Sociales de l'Ouest", city="Nantes", status="validated"),
            account(4, "Müller Straße GmbH", city="Strasbourg"),
            account(5, "Générale des Eaux", city="Lyon"),
            contact(10, "Jean-Pierre", "d'Estienne", SOGE, email="jp.destienne@example.fr"),
            contact(11, "Hélène", "Dupré", SOGE),
        ]
    )
    return backend


@pytest.mark.parametrize(
    ("q", "label"),
    [
        ("societe", "Société Générale"),
        ("SOCIÉTÉ", "Société Générale"),
        ("soc gen", "Société Générale"),
        ("gen soc", "Société Générale"),
        ("dupre", "Hélène Dupré"),
        ("DUPRÉ hel", "Hélène Dupré"),
        ("jean-pierre", "Jean-Pierre d'Estienne"),
        ("pierre jean", "Jean-Pierre d'Estienne"),
        ("d'estienne", "Jean-Pierre d'Estienne"),
        ("estienne", "Jean-Pierre d'Estienne"),
        ("oeuvres", "Œuvres Sociales de l'Ouest"),
        ("œuv soc", "Œuvres Sociales de l'Ouest"),
        ("l'ouest", "Œuvres Sociales de l'Ouest"),
        ("l'oréal", "L'Oréal"),
        ("oreal", "L'Oréal"),
        ("muller", "Müller Straße GmbH"),
        ("MÜL", "Müller Straße GmbH"),
        ("strasse", "Müller Straße GmbH"),
        ("straße", "Müller Straße GmbH"),
        ("soc, gen!", "Société Générale"),
    ],
)
def test_words_match_by_prefix_folding_case_accents_punctuation(
    directory: SearchBackend, seller_search: Searcher, q: str, label: str
) -> None:
    assert label in seller_search.labels(q)


@pytest.mark.parametrize("q", ["ociete", "societe xyz", "xociete", "oreall gen"])
def test_every_query_word_must_begin_some_word(
    directory: SearchBackend, seller_search: Searcher, q: str
) -> None:
    assert seller_search.labels(q) == []


@pytest.mark.parametrize(
    "q", ["552", "552120222", "552 120 222", "55212022200013", "552 120 222 00013", "5521 20"]
)
def test_siren_and_siret_digits_match_by_prefix_with_or_without_spaces(
    directory: SearchBackend, seller_search: Searcher, q: str
) -> None:
    assert seller_search.labels(q) == ["Société Générale"]


@pytest.mark.parametrize(
    ("q", "label"),
    [
        ("sa", "Société Générale"),
        ("paris", "Société Générale"),
        ("clichy", "L'Oréal"),
        ("example", "Jean-Pierre d'Estienne"),
    ],
)
def test_legal_name_city_and_email_are_searchable(
    directory: SearchBackend, seller_search: Searcher, q: str, label: str
) -> None:
    assert label in seller_search.labels(q)


def test_a_result_carries_kind_id_label_sublabel_badges_link_and_highlight(
    directory: SearchBackend, seller_search: Searcher
) -> None:
    [soge] = seller_search.search("soc gen", kinds="client")
    assert soge == {
        "kind": "client",
        "id": 1,
        "label": "Société Générale",
        "sublabel": "Paris",
        "badges": [],
        "link": "/api/v1/clients/1",
        "highlight": [[0, 3], [8, 11]],
    }
    [person] = seller_search.search("estienne jean")
    assert person["kind"] == "contact"
    assert person["sublabel"] == "Société Générale"
    assert person["link"] == "/api/v1/contacts/10"
    assert person["highlight"] == [[0, 4], [14, 22]]
    [works] = seller_search.search("oeuv")
    assert works["badges"] == ["validated"]
    assert works["highlight"] == [[0, 3]]  # "Œuv": Œ folds to two letters


def test_kinds_and_limit(directory: SearchBackend, seller_search: Searcher) -> None:
    assert {i["kind"] for i in seller_search.search("s", kinds="contact")} == set()
    assert {i["kind"] for i in seller_search.search("ge", kinds="prospect,client")} == {
        "prospect",
        "client",
    }
    assert len(seller_search.search("s", limit=1)) == 1


def test_ranking_name_start_then_first_word_then_others_ties_by_name_then_id(
    backend: SearchBackend, seller_search: Searcher
) -> None:
    backend.write(
        [
            account(20, "Générale Société"),  # other match
            account(21, "Société Générale"),  # first word
            account(22, "Soc Gen Conseil"),  # the whole name starts with the query
            account(24, "Sociétés Réunies Générales"),  # first word, later name
            account(23, "Société Générale"),  # same name: by id
            account(19, "Alpha Société Générale"),  # other match, earlier name
        ]
    )
    assert seller_search.labels("soc gen") == [
        "Soc Gen Conseil",
        "Société Générale",
        "Société Générale",
        "Sociétés Réunies Générales",
        "Alpha Société Générale",
        "Générale Société",
    ]
    assert [i["id"] for i in seller_search.search("soc gen")][1:3] == [21, 23]
    # One word: names starting with it first, then the others, each by name.
    assert seller_search.labels("gen") == [
        "Générale Société",
        "Alpha Société Générale",
        "Soc Gen Conseil",
        "Société Générale",
        "Société Générale",
        "Sociétés Réunies Générales",
    ]


def test_ties_across_kinds_by_name_then_id(backend: SearchBackend, seller_search: Searcher) -> None:
    owner = {"id": 30, "kind": "prospect", "name": "Zed", "version": 1}
    backend.write(
        [account(31, "Dupont"), contact(30, None, "Dupont", owner), account(29, "dupont")]
    )
    assert [(i["kind"], i["id"]) for i in seller_search.search("dupont")] == [
        ("prospect", 29),
        ("contact", 30),
        ("prospect", 31),
    ]


def test_closed_clients_and_their_contacts_only_with_the_right(
    backend: SearchBackend, seller_search: Searcher, manager_search: Searcher
) -> None:
    closed = {"id": 40, "kind": "client", "name": "Ancienne Maison", "version": 2, "closed": True}
    backend.write(
        [
            account(40, "Ancienne Maison", kind="client", status=None, closed=True, version=2),
            contact(41, "Anne", "Martin", closed),
            account(42, "Ancienne Forge"),
        ]
    )
    assert seller_search.labels("anc") == ["Ancienne Forge"]
    assert seller_search.labels("martin") == []
    assert manager_search.labels("anc") == ["Ancienne Forge", "Ancienne Maison"]
    [person] = manager_search.search("martin")
    assert person["badges"] == ["closed"]
    assert manager_search.search("ancienne maison")[0]["badges"] == ["closed"]


def test_an_older_version_never_overwrites_a_newer_one(backend: SearchBackend) -> None:
    newer = account(50, "Nouveau Nom", version=5)
    older = dataclasses.replace(account(50, "Ancien Nom", version=4))
    backend.write([newer])
    backend.write([older])
    assert [h.label for h in backend.search(SearchQuery("nom"))] == ["Nouveau Nom"]
    assert dict(backend.versions()) == {"account:50": 5}


def test_a_deleted_document_stays_deleted(backend: SearchBackend) -> None:
    backend.write([account(60, "Éphémère", version=1)])
    backend.delete(["account:60"])
    backend.write([account(60, "Éphémère", version=2)])  # a late job
    assert backend.search(SearchQuery("ephemere")) == []


def test_rebuild_swaps_in_a_new_index(directory: SearchBackend) -> None:
    rebuild = directory.rebuild()
    rebuild.write([account(70, "Reconstruit")])
    assert [h.label for h in directory.search(SearchQuery("reconstruit"))] == []
    assert directory.search(SearchQuery("oreal"))  # the live index serves meanwhile
    rebuild.commit()
    assert [h.label for h in directory.search(SearchQuery("r"))] == ["Reconstruit"]
    assert directory.search(SearchQuery("oreal")) == []


def test_a_rebuild_puts_entries_in_name_order(backend: SearchBackend) -> None:
    """Written in several batches in no order, the rebuilt index answers in name order
    (SQLite: positions rise with the name and are evenly spaced)."""
    names = [f"Maison {(i * 37) % 300:04d}" for i in range(300)]
    rebuild = backend.rebuild()
    for start in range(0, 300, 70):
        rebuild.write([account(5000 + n, names[n]) for n in range(start, min(start + 70, 300))])
    rebuild.commit()
    labels = [h.label for h in backend.search(SearchQuery("maison", limit=50))]
    assert labels == sorted(names)[:50]
    if isinstance(backend, SqliteFtsBackend):
        rows = backend._conn().execute("SELECT pos, order_key FROM entries ORDER BY pos")
        positions, keys = zip(*rows, strict=True)
        assert list(keys) == sorted(keys)
        assert len({b - a for a, b in itertools.pairwise((0, *positions))}) == 1


def test_many_entries_keep_their_order(backend: SearchBackend) -> None:
    """Inserts in any order, including runs into one gap, keep name order."""
    names = [f"Maison {i:04d}" for i in range(0, 400, 2)]
    names += [f"Maison {i:04d}" for i in range(399, 0, -2)]
    names += [f"Maison 0100 {i:03d}" for i in range(120)]
    backend.write([account(1000 + n, name) for n, name in enumerate(names)])
    labels = [h.label for h in backend.search(SearchQuery("maison", limit=50))]
    assert labels == sorted(names)[:50]
    labels = [h.label for h in backend.search(SearchQuery("0100", limit=50))]
    assert labels == sorted(n for n in names if n.startswith("Maison 0100"))[:50]


def test_a_long_prefix_with_many_completions(backend: SearchBackend) -> None:
    """More completions than the SQLite backend expands into an OR of words: still every match."""
    suffixes = [f"{a}{b}" for a in "abcdefg" for b in "xyzwvu"]  # 42 distinct words
    backend.write([account(2000 + n, f"Marchand{s} Frères") for n, s in enumerate(suffixes)])
    labels = [h.label for h in backend.search(SearchQuery("marchand fre", limit=50))]
    assert labels == sorted(f"Marchand{s} Frères" for s in suffixes)
    assert [h.label for h in backend.search(SearchQuery("marchandqqq"))] == []
    # The exact match first, then its two-typo neighbours (10 letters).
    [first, *_] = backend.search(SearchQuery("frere marchandgv"))
    assert first.label == "Marchandgv Frères"


def test_many_completions_still_match_only_at_the_start_of_a_word(backend: SearchBackend) -> None:
    """Entries that share the first letters, or hold the word inside another, do not match."""
    suffixes = [f"{a}{b}" for a in "abcdefg" for b in "xyzwvu"]  # 42 words starting "boulang"
    docs = [account(3000 + n, f"Boulang{s}") for n, s in enumerate(suffixes)]
    docs += [account(3100, "Boulevard du Port"), account(3101, "Atelier Xboulangab")]
    docs += [account(3102, "Atelier Roux", legal_name="BOULANGAX SAS")]
    backend.write(docs)
    labels = [h.label for h in backend.search(SearchQuery("boulang", limit=50))]
    assert labels == [*sorted(f"Boulang{s}" for s in suffixes), "Atelier Roux"]
    assert [h.label for h in backend.search(SearchQuery("atelier boulang"))] == ["Atelier Roux"]
    # Exact matches first; then (9 letters: two typos) the neighbours of "boulangax".
    labels = [h.label for h in backend.search(SearchQuery("boulangax", limit=50))]
    assert labels[:2] == ["Boulangax", "Atelier Roux"]
    assert "Boulangau" in labels[2:]
