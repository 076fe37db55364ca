"""The two PostgreSQL approaches other CRMs use, on the same data and the same queries.

Both return the top 10 visible entries (closed clients and their contacts left
out, as for a seller) in a reasonable order: names that start with the query
first, then by name and id (pg_trgm), or by ``ts_rank`` then name and id
(tsvector). Query words are the folded words of search_svc.normalize, so both
baselines see exactly the words Carnet sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from carnet.bench.queries import Query
from search_svc import normalize

#: the name-search style of Odoo: unaccent(column) ILIKE '%word%' for each word, pg_trgm GIN
TRGM_SQL = """
SELECT doc_id, name FROM bench_search
WHERE NOT closed AND {conditions}
ORDER BY (lower(bench_unaccent(name)) LIKE :starts) DESC, lower(name), doc_id
LIMIT 10
"""
#: the style of Twenty CRM: a stored tsvector, `word:*` prefix terms, ranked
TSV_SQL = """
SELECT doc_id, name FROM bench_search
WHERE NOT closed AND tsv @@ to_tsquery('simple', :tsquery)
ORDER BY ts_rank(tsv, to_tsquery('simple', :tsquery)) DESC, lower(name), doc_id
LIMIT 10
"""


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def trgm(conn: Connection) -> Callable[[Query], list[Any]]:
    def run(query: Query) -> list[Any]:
        words = normalize.query_tokens(query.text)
        params = {f"w{i}": f"%{_escape_like(w)}%" for i, w in enumerate(words)}
        conditions = " AND ".join(f"bench_unaccent(body) ILIKE :w{i}" for i in range(len(words)))
        params["starts"] = _escape_like(" ".join(words)) + "%"
        return list(conn.execute(text(TRGM_SQL.format(conditions=conditions)), params))

    return run


def tsvector(conn: Connection) -> Callable[[Query], list[Any]]:
    def run(query: Query) -> list[Any]:
        words = normalize.query_tokens(query.text)  # letters and digits only: safe in a tsquery
        tsquery = " & ".join(f"{w}:*" for w in words)
        return list(conn.execute(text(TSV_SQL), {"tsquery": tsquery}))

    return run
