"""The fast word splitter agrees with the one that keeps offsets (highlighting)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_svc import normalize


@given(st.text())
def test_tokens_are_the_words_of_the_text(text: str) -> None:
    assert normalize.tokens(text) == [w.text for w in normalize.words(text)]


def test_tokens_fold_french_names() -> None:
    assert normalize.tokens("Jean-Pierre d'Estienne-Œuvré, SAS") == [
        "jean",
        "pierre",
        "d",
        "estienne",
        "oeuvre",
        "sas",
    ]


def test_an_ampersand_is_the_word_et_with_its_place_in_the_text() -> None:
    assert normalize.tokens("Dupont&Fils") == ["dupont", "et", "fils"]
    [_, et, _] = normalize.words("Dupont & Fils")
    assert (et.text, et.start, et.original_end(2)) == ("et", 7, 8)


@pytest.mark.parametrize(
    ("name", "joined"),
    [
        ("L'Oréal", ["loreal"]),
        ("Jean-Pierre d'Estienne", ["jeanpierre", "destienne"]),
        ("Yann Le Goff", ["legoff"]),
        ("Tour de la Vallée", ["delavallee", "lavallee"]),
        ("Pierre-Emmanuel Paul", ["pierreemmanuel"]),
        ("Dupont", []),
        ("Le", []),
        (None, []),
    ],
)
def test_joined_forms(name: str | None, joined: list[str]) -> None:
    assert normalize.joined_forms(name) == joined


def test_synonyms_and_weak_words() -> None:
    assert normalize.with_synonyms(["st", "michel", "sainte"]) == [
        *("st", "michel", "sainte"),
        *("saint", "ste"),
    ]
    assert normalize.head_word(["sarl", "le", "goff"]) == "goff"
    assert normalize.head_word(["sarl"]) == "sarl"


@pytest.mark.parametrize(
    ("label", "query", "ranges"),
    [
        ("L'Oréal", ["loreal"], [(0, 7)]),
        ("L'Oréal", ["lor"], [(0, 4)]),
        ("Jean-Pierre Martin", ["jeanpi", "mar"], [(0, 7), (12, 15)]),
        ("Yann Le Goff", ["legoff"], [(5, 12)]),
        ("Saint-Michel", ["st", "mic"], [(0, 5), (6, 9)]),
        ("Lefebvre", ["le"], [(0, 2)]),
        ("Jean Martin", ["jeanx"], []),
    ],
)
def test_highlight_joined_forms_and_synonyms(
    label: str, query: list[str], ranges: list[tuple[int, int]]
) -> None:
    assert normalize.highlight(label, query) == ranges
