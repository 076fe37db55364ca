"""Typo rules (search_svc.typos): the distance, and the deletion neighbourhood that finds
every candidate a scan of the whole vocabulary would find."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_svc import typos
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from search_svc.backends.sqlite_match import typo_alternatives

letters = st.text(alphabet="abcdeilmnorstu", min_size=1, max_size=12)


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance, written plainly (the reference)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def within(query: str, word: str, *, prefix: bool) -> bool:
    """The rule, by brute force: same first letter, and the word (or one of its prefixes)
    within the query's allowed edits."""
    limit = typos.allowed_typos(query)
    if not limit or query[0] != word[0]:
        return False
    if prefix:
        return any(osa(query, word[:n]) <= limit for n in range(1, len(word) + 1))
    return osa(query, word) <= limit


@given(letters, letters)
def test_distance_is_damerau_within_the_limit(a: str, b: str) -> None:
    limit = 2
    expected = min(osa(a, b), limit + 1) if a[0] == b[0] else limit + 1
    assert typos.distance(a, b, limit) == expected


def test_the_tiers_and_the_first_letter() -> None:
    assert [typos.allowed_typos(w) for w in ("dupo", "dupon", "lefebvres", "75008")] == [0, 1, 2, 0]
    assert typos.distance("lefebre", "lefebvre", 1) == 1  # a letter dropped
    assert typos.distance("lefebvre", "lefbevre", 1) == 1  # neighbours swapped
    assert typos.distance("elfebvre", "lefebvre", 2) == 3  # never the first letter
    assert typos.distance("castelanne", "castellane", 2) == 2
    assert typos.closest_prefix("materiuax", "materiauxx", 1) == "materiaux"
    assert typos.closest_prefix("dupot", "dupont", 1) == "dupo"  # "dupot" less its t


def mistype(word: str, edits: list[tuple[int, int, str]]) -> str:
    """``word`` with edits (kind, place, letter) applied, never on the first letter."""
    for kind, at, letter in edits:
        at = 1 + at % max(len(word) - 1, 1)
        if kind == 0:
            word = word[:at] + letter + word[at:]
        elif kind == 1 and len(word) > 2:
            word = word[:at] + word[at + 1 :]
        elif kind == 2 and at + 1 < len(word):
            word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            word = word[:at] + letter + word[at + 1 :]
    return word


@settings(max_examples=60, deadline=None)
@given(
    word=st.text(alphabet="abcdelmnorst", min_size=4, max_size=12),
    edits=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 20), st.sampled_from("abelmorz")),
        max_size=2,
    ),
    cut=st.integers(0, 4),
    others=st.lists(st.text(alphabet="abcdelmnorst", min_size=4, max_size=11), max_size=30),
    last=st.booleans(),
)
def test_the_neighbourhood_finds_what_a_scan_finds(
    tmp_path_factory: pytest.TempPathFactory,
    word: str,
    edits: list[tuple[int, int, str]],
    cut: int,
    others: list[str],
    last: bool,
) -> None:
    """A word typed with up to two typos (and, as the last word, not to its end) is
    found through the deletion table exactly when a scan of the vocabulary finds it."""
    query = mistype(word[: max(len(word) - cut, 1)] if last else word, edits)
    if typos.allowed_typos(query) == 0:
        return
    vocabulary = [word, *others]
    backend = SqliteFtsBackend(tmp_path_factory.mktemp("typos") / "search.db")
    conn = backend._conn()
    conn.executemany("INSERT OR IGNORE INTO typo_words VALUES (?)", [(w,) for w in vocabulary])
    conn.executemany(
        "INSERT OR IGNORE INTO typo_keys VALUES (?, ?)", typos.neighbourhood(vocabulary)
    )
    found = typo_alternatives(conn, query, last=last)
    matched = {w for w in vocabulary if any(w.startswith(t) if p else w == t for t, p in found)}
    expected = {w for w in vocabulary if within(query, w, prefix=last)}
    assert expected - {w for w in vocabulary if w.startswith(query)} <= matched
    assert all(within(query, w, prefix=last) for w in matched)
    backend.close()


@pytest.mark.parametrize(
    ("vocabulary", "query", "last", "expected"),
    [
        (["lefebvre", "legrand"], "lefbvre", True, {"lefebvre"}),  # a letter dropped
        (["lefebvre", "legrand"], "lefebvre", False, set()),  # exact: not a typo
        (["castellane", "castor"], "castelanne", False, {"castellane"}),  # two typos
        (["materiaux", "matelas"], "materiuax", False, {"materiaux"}),  # swapped
        (["materiaux", "matelas"], "mateirau", True, {"materiaux"}),  # swapped, then a prefix
        (["boulangerie"], "bouolangeri", True, {"boulangerie"}),  # inserted, then a prefix
        (["boulangerie"], "bolnagerie", False, {"boulangerie"}),  # dropped and swapped
        (["lefebvre"], "mefebvre", False, set()),  # never the first letter
        (["lefebvre"], "lefbevr", False, set()),  # whole words: two edits at 7 letters
    ],
)
def test_typo_alternatives_examples(
    tmp_path_factory: pytest.TempPathFactory,
    vocabulary: list[str],
    query: str,
    last: bool,
    expected: set[str],
) -> None:
    backend = SqliteFtsBackend(tmp_path_factory.mktemp("typos") / "search.db")
    conn = backend._conn()
    conn.executemany("INSERT INTO typo_words VALUES (?)", [(w,) for w in vocabulary])
    conn.executemany("INSERT INTO typo_keys VALUES (?, ?)", typos.neighbourhood(vocabulary))
    found = typo_alternatives(conn, query, last=last)
    matched = {w for w in vocabulary if any(w.startswith(t) if p else w == t for t, p in found)}
    assert matched == expected
    backend.close()
