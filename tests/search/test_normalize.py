"""The fast word splitter agrees with the one that keeps offsets (highlighting)."""

from __future__ import annotations

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
