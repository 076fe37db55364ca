"""The SQLite backend's MATCH expressions: one per ranking tier (base.Tier), with the
long-prefix expansion and the typo alternatives of each query word. See docs/search.md."""

from __future__ import annotations

import sqlite3

from search_svc import typos
from search_svc.backends.base import SearchQuery, Tier

TOP = "\U0010ffff"
#: marks the name's first word among the indexed words (normalised words are letters and digits)
HEAD = "_"
#: marks a primary word (name words, postal code): the "in the name" tiers
PRIMARY = "~"
#: marks the name's words sorted and joined (the EXACT tier)
EXACT = "="
#: prefix lengths FTS5 indexes (its ``prefix`` option); longer words expand through ``words``
INDEXED_PREFIX = 3
#: a longer query word with more completions than this falls back to a prefix query
MAX_EXPANSION = 32
#: words read behind one prefix of the deletion table, and typo alternatives kept per word
TYPO_CANDIDATES = 256
MAX_TYPO_ALTERNATIVES = 24


def word_match(conn: sqlite3.Connection, token: str) -> tuple[str, str | None]:
    """FTS5 syntax for "a word starting with ``token``", read incrementally in rowid order,
    and the text an entry's words must then contain (``None``: the match is exact).

    Up to 3 letters, the prefix index holds the token's doclist. A longer
    prefix query would merge every completion's doclist in memory first, so it
    becomes an OR of the (few) complete words that start with it: FTS5 walks
    an OR of terms incrementally, and LIMIT stops it early. A token with many
    completions (``boulang``: boulangerie and every bakery's e-mail domain) walks
    the doclist of its first 3 letters instead, keeping the entries that have a
    word starting with the whole token (``instr`` on the entry's indexed words).
    """
    if len(token) <= INDEXED_PREFIX:
        return f'"{token}"*', None
    completions = [
        row[0]
        for row in conn.execute(
            "SELECT term FROM words WHERE term >= ? AND term < ? ORDER BY term LIMIT ?",
            (token, token + TOP, MAX_EXPANSION + 1),
        )
    ]
    if len(completions) > MAX_EXPANSION:
        return f'"{token[:INDEXED_PREFIX]}"*', " " + token
    if not completions:
        return f'"{token}"', None  # matches nothing: no indexed word starts with it
    return "(" + " OR ".join(f'"{term}"' for term in completions) + ")", None


#: a query word's alternatives: (text, True) matches words starting with text, (text, False)
#: the word itself
Alternatives = list[tuple[str, bool]]


def typo_alternatives(conn: sqlite3.Connection, token: str, *, last: bool) -> Alternatives:
    """The indexed words ``token`` stands for with its allowed typos: prefixes for the last
    word typed, whole words for the others (see search_svc.typos)."""
    limit = typos.allowed_typos(token)
    keys = sorted(typos.lookup_keys(token))
    marks = ", ".join("?" for _ in keys)
    prefixes = sorted(
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT prefix FROM typo_keys WHERE key IN ({marks})", keys
        )
    )
    # A prefix whose shorter prefix is also found reads the same words again.
    prefixes = [p for n, p in enumerate(prefixes) if not any(p.startswith(q) for q in prefixes[:n])]
    found: dict[tuple[str, bool], None] = {}
    for prefix in prefixes:
        for (word,) in conn.execute(
            "SELECT term FROM typo_words WHERE term >= ? AND term < ? ORDER BY term LIMIT ?",
            (prefix, prefix + TOP, TYPO_CANDIDATES),
        ):
            if word.startswith(token):
                continue  # an exact match, already the token's own alternative
            if last:
                closest = typos.closest_prefix(token, word, limit)
                if closest is not None:
                    found.setdefault((closest, True), None)
            elif typos.distance(token, word, limit) <= limit:
                found.setdefault((word, False), None)
    alternatives = sorted(found)
    # A prefix alternative covers the longer ones it starts.
    kept = [
        (text, is_prefix)
        for text, is_prefix in alternatives
        if not any(p and text.startswith(t) and t != text for t, p in alternatives)
    ]
    return kept[:MAX_TYPO_ALTERNATIVES]


def _alternatives_match(
    conn: sqlite3.Connection, alternatives: Alternatives
) -> tuple[str, str | None, list[str]]:
    """MATCH syntax for "a word that is one of ``alternatives``", and, when a prefix had
    too many completions to list, the SQL test on the entry's words with its parameters."""
    exprs: list[str] = []
    needles: list[str] = []
    filtered = False
    for text, is_prefix in alternatives:
        if is_prefix:
            expr, contains = word_match(conn, text)
            filtered = filtered or contains is not None
            needles.append(" " + text)
        else:
            expr = f'"{text}"'
            needles.append(f" {text} ")
        exprs.append(expr)
    match = exprs[0] if len(exprs) == 1 else "(" + " OR ".join(exprs) + ")"
    if not filtered:
        return match, None, []
    test = " OR ".join("instr(' ' || f.terms || ' ', ?) > 0" for _ in needles)
    return match, f"({test})", needles


def _tier_words(query: SearchQuery, tier: Tier) -> list[str]:
    """The query words as the tier's indexed words: marked head and primary words."""
    first, *rest = query.tokens
    if tier == Tier.HEAD_NAME:
        return [HEAD + first, *(PRIMARY + t for t in rest)]
    if tier in (Tier.NAME, Tier.TYPO_NAME):
        return [PRIMARY + t for t in query.tokens]
    if tier == Tier.HEAD:
        return [HEAD + first, *rest]
    return list(query.tokens)


TypoCache = dict[tuple[str, bool], Alternatives]


def cached_alternatives(
    conn: sqlite3.Connection, cache: TypoCache, token: str, index: int, count: int
) -> Alternatives:
    """The typo alternatives of the query's ``index``-th word of ``count`` (the last is a
    prefix), from ``cache`` when the word was seen before."""
    key = (token, index == count - 1)
    if key not in cache:
        cache[key] = typo_alternatives(conn, token, last=key[1])
    return cache[key]


def match(
    conn: sqlite3.Connection, query: SearchQuery, tier: Tier, cache: TypoCache
) -> tuple[str, list[str], list[str]]:
    """The MATCH expression of a tier, the SQL tests its entries must also pass, and their
    parameters. ``cache`` keeps the typo alternatives of words already seen."""
    if tier == Tier.EXACT:
        return f'"{EXACT}{query.exact_key}"', [], []
    tokens = _tier_words(query, tier)
    alternatives: list[Alternatives] = [[(t, True)] for t in tokens]
    if tier in (Tier.TYPO, Tier.TYPO_NAME):
        mark = PRIMARY if tier == Tier.TYPO_NAME else ""
        for index, token in enumerate(query.tokens):
            if typos.allowed_typos(token):
                found = cached_alternatives(conn, cache, token, index, len(tokens))
                alternatives[index] += [(mark + text, is_prefix) for text, is_prefix in found]
    parts = [_alternatives_match(conn, a) for a in alternatives]
    tests = [t for _, t, _ in parts if t is not None]
    return " AND ".join(m for m, _, _ in parts), tests, [p for _, _, ps in parts for p in ps]
