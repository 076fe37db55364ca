"""The search backend interface, and the ranking both backends share.

Ranking (architecture §5): the whole name starts with the query (tier 0) >
the first word of the name starts with the first query word (tier 1) > any
other match (tier 2); ties by name, then id. Each backend only answers "the
first ``n`` entries of one tier in name order", which an index answers by
reading ``n`` entries in order, never by ranking every match: that is what
keeps a one-letter query fast at a million entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from search_svc import normalize

KINDS = ("contact", "prospect", "client")
#: a deleted document's version: ids are never reused, so a deletion is final
DELETED = 2**62


#: index states (IndexHealth.state): the ones a worker repairs with a rebuild from the database
REPAIRABLE = ("missing", "rogue", "incomplete")


@dataclass(frozen=True)
class IndexHealth:
    """What stands behind the index name: ``ok``; ``incomplete`` (recreated empty after a
    loss, a rebuild from the database is filling it); ``missing`` (nothing at the name);
    ``rogue`` (something that is not Carnet's index stands at the name); ``unreachable``
    (the index or its server cannot be read)."""

    state: str
    detail: str

    @property
    def ok(self) -> bool:
        """Searchable: results may still be filling in while ``incomplete``."""
        return self.state in ("ok", "incomplete")

    @property
    def repairable(self) -> bool:
        return self.state in REPAIRABLE


HEALTHY = IndexHealth("ok", "the index is ready")


class SearchUnavailableError(RuntimeError):
    """The index cannot answer or take writes now (its server is down, or the index is
    missing or not Carnet's): search answers 503, an indexing job fails and its events
    stay pending."""

    def __init__(self, health: IndexHealth) -> None:
        super().__init__(health.detail)
        self.health = health


@dataclass(frozen=True)
class SearchDocument:
    """What the index holds for one record (built by search_svc.documents only)."""

    doc_id: str
    kind: str
    entity_id: int
    version: int
    label: str
    sublabel: str | None
    badges: tuple[str, ...]
    link: str
    closed: bool
    terms: tuple[str, ...]
    sort_key: str

    @property
    def head(self) -> str:
        """The first word of the name (tier 1 of the ranking)."""
        return self.sort_key.split(" ", 1)[0]

    @property
    def order_key(self) -> str:
        """Name, then id, then the document id: the total order of results."""
        return f"{self.sort_key}\x01{self.entity_id:012d}\x01{self.doc_id}"


@dataclass(frozen=True)
class SearchQuery:
    text: str
    kinds: frozenset[str] = frozenset(KINDS)
    limit: int = 10
    show_closed: bool = False
    tokens: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(normalize.query_tokens(self.text)))

    @property
    def phrase(self) -> str:
        return " ".join(self.tokens)


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: int
    label: str
    sublabel: str | None
    badges: tuple[str, ...]
    link: str
    highlight: tuple[tuple[int, int], ...]


class SearchBackend(Protocol):
    """One search index: the SQLite FTS5 file or an Elasticsearch alias."""

    def search(self, query: SearchQuery) -> list[SearchHit]: ...

    def write(self, documents: Sequence[SearchDocument]) -> None:
        """Store each document unless the index holds the same or a newer version."""

    def delete(self, doc_ids: Sequence[str]) -> None:
        """Remove documents for good (their records are gone; ids are never reused)."""

    def versions(self) -> Iterator[tuple[str, int]]:
        """(doc_id, version) of every document, for drift checks."""

    def rebuild(self) -> Rebuild:
        """A new, empty index that replaces the live one atomically when committed."""

    def ping(self) -> bool: ...

    def health(self) -> IndexHealth:
        """The state of the index (cheap: /readyz asks on every probe)."""

    def repair(self) -> bool:
        """Put an empty index in place of a lost one (or find one still to be filled);
        True when the caller must now rebuild it from the database."""

    def close(self) -> None: ...


class Rebuild(Protocol):
    def write(self, documents: Sequence[SearchDocument]) -> None: ...

    def commit(self) -> None:
        """Swap the new index in (alias move / table rename); the old one is dropped."""

    def abort(self) -> None: ...


class TierFetch(Protocol):
    def __call__(self, query: SearchQuery, tier: int, count: int) -> Iterable[SearchDocument]: ...


def ranked(query: SearchQuery, fetch: TierFetch) -> list[SearchHit]:
    """The first ``query.limit`` hits, tier by tier; each tier read in name order."""
    if not query.tokens:
        return []
    found: dict[str, SearchDocument] = {}
    tiers = (0, 2) if len(query.tokens) == 1 else (0, 1, 2)
    for tier in tiers:
        wanted = query.limit - len(found)
        if wanted <= 0:
            break
        # Earlier tiers' entries come back again in later tiers: ask for that many more.
        for document in fetch(query, tier, wanted + len(found)):
            if document.doc_id not in found:
                found[document.doc_id] = document
                if len(found) == query.limit:
                    break
    return [hit(document, query) for document in found.values()]


def visible(document: SearchDocument, query: SearchQuery) -> bool:
    return document.kind in query.kinds and (query.show_closed or not document.closed)


def hit(document: SearchDocument, query: SearchQuery) -> SearchHit:
    return SearchHit(
        kind=document.kind,
        id=document.entity_id,
        label=document.label,
        sublabel=document.sublabel,
        badges=document.badges,
        link=document.link,
        highlight=tuple(normalize.highlight(document.label, list(query.tokens))),
    )
