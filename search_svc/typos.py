"""Typo tolerance: which indexed words a mistyped query word stands for.

The rules (architecture §5): a query word of 5+ characters matches with one
edit — insertion, deletion, substitution or a swap of two neighbours
(Damerau, "optimal string alignment") — and one of 9+ characters with two;
the first letter is never mistyped. The last word typed is a prefix (it
matches a word one of whose prefixes is that close), earlier words are whole
words.

Candidates come from a deletion neighbourhood built with the index (the
symmetric-deletion method): every indexed word's prefixes of 4 to
:data:`KEY_LENGTH` letters are stored under the strings left by deleting up
to one letter (two for the :data:`KEY_LENGTH` prefix), never the first. A
query word looks up the deletions of its own first :data:`KEY_LENGTH`
letters: two strings within ``k`` edits always share a ``k``-deletion, and
cutting both at the same length keeps that true. So a query reads a few
dozen keys of a B-tree, never the vocabulary, and only the words behind the
keys it finds are checked with the real distance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import combinations

#: length of the word prefixes the neighbourhood is keyed on
KEY_LENGTH = 6
#: shortest prefix stored (a 5-letter query word with one letter too many)
MIN_KEY_PREFIX = 4
#: query words this long get one typo, this long two
ONE_TYPO, TWO_TYPOS = 5, 9


def allowed_typos(word: str) -> int:
    """How many edits a query word may carry: 0 below 5 letters, 1 from 5, 2 from 9; digits none."""
    if not word.isalpha():
        return 0
    return 2 if len(word) >= TWO_TYPOS else 1 if len(word) >= ONE_TYPO else 0


def deletions(text: str, count: int) -> set[str]:
    """``text`` and every string left by deleting up to ``count`` letters, never the first."""
    out = {text}
    for n in range(1, count + 1):
        for picked in combinations(range(1, len(text)), n):
            out.add("".join(c for i, c in enumerate(text) if i not in picked))
    return out


def typo_target(word: str) -> bool:
    """Whether a typo may stand for this indexed word: words of 4+ letters (not numbers,
    not the index's marked words)."""
    return len(word) >= MIN_KEY_PREFIX and word.isalpha()


def keyed_prefixes(word: str) -> Iterator[tuple[str, int]]:
    """(prefix, deletions) the deletion table stores for one indexed word (letters only)."""
    if not typo_target(word):
        return
    for length in range(MIN_KEY_PREFIX, min(len(word), KEY_LENGTH) + 1):
        yield word[:length], 2 if length == KEY_LENGTH and len(word) > KEY_LENGTH else 1


def neighbourhood(words: Iterable[str]) -> set[tuple[str, str]]:
    """(key, prefix) rows of the deletion table for ``words`` (words share most prefixes,
    so each distinct prefix is expanded once)."""
    prefixes: dict[str, int] = {}
    for word in words:
        for prefix, depth in keyed_prefixes(word):
            prefixes[prefix] = max(depth, prefixes.get(prefix, 0))
    return {(key, prefix) for prefix, depth in prefixes.items() for key in deletions(prefix, depth)}


def lookup_keys(word: str) -> set[str]:
    """The keys a query word reads in the deletion table."""
    return deletions(word[:KEY_LENGTH], allowed_typos(word))


def distance(a: str, b: str, limit: int, *, prefix: bool = False) -> int:
    """Damerau (optimal string alignment) distance of ``a`` to ``b``, or, with ``prefix``,
    to the closest prefix of ``b``; anything above ``limit`` comes back as ``limit + 1``."""
    row = _last_row(a, b, limit, prefix=prefix)
    if row is None:
        return limit + 1
    return min(min(row) if prefix else row[-1], limit + 1)


def closest_prefix(a: str, b: str, limit: int) -> str | None:
    """The shortest prefix of ``b`` within ``limit`` edits of ``a`` (every word that starts
    with it is then within ``limit`` of ``a`` as a prefix), or ``None``."""
    row = _last_row(a, b, limit, prefix=True)
    if row is None or min(row) > limit:
        return None
    return b[: min(j for j, value in enumerate(row) if value <= limit and j > 0)]


def best_prefix_length(a: str, b: str, limit: int) -> int:
    """The length of the prefix of ``b`` closest to ``a`` (the longest of the closest),
    0 when none is within ``limit`` edits: what a highlight marks."""
    row = _last_row(a, b, limit, prefix=True)
    if row is None or min(row) > limit:
        return 0
    best = min(row)
    return max(j for j, value in enumerate(row) if value == best)


def _last_row(a: str, b: str, limit: int, *, prefix: bool) -> list[int] | None:
    if not a or not b or a[0] != b[0]:
        return None
    if not prefix and abs(len(a) - len(b)) > limit:
        return None
    b = b[: len(a) + limit] if prefix else b
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return None
        previous2, previous = previous, current
    return previous


def matches(query_word: str, candidates: Iterable[str], *, prefix: bool) -> list[str]:
    """The candidates within the typos ``query_word`` is allowed (its own completions too)."""
    limit = allowed_typos(query_word)
    return [w for w in candidates if distance(query_word, w, limit, prefix=prefix) <= limit]
