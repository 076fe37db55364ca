"""The search backend interface, and the ranking both backends share.

Ranking (architecture §5), tier by tier (:class:`Tier`): the whole name
starts with the query > the name's words are the query's words, in any order
> the name's first word starts with the first query word and every query
word is in the name > every query word is in the name > the name's first
word starts with the first query word > any other exact match > matches
with typos, every word in the name > other matches with typos; ties by name,
then id. "In the name" means a
primary word (a name word, a joined form, the postal code), so a contact
whose first and last names are the two query words ranks above an account
that has one in its name and the other in its city. Weak words (particles,
legal forms) are never a name's first word.

Each backend only answers "the first ``n`` entries of one tier in name
order", which an index answers by reading ``n`` entries in order, never by
ranking every match: that is what keeps a one-letter query fast at a million
entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from typing import Protocol

from search_svc import normalize, typos

KINDS = ("contact", "prospect", "client")
#: a deleted document's version: ids are never reused, so a deletion is final
DELETED = 2**62
#: ``total`` is exact up to this many matches, a lower bound beyond
TOTAL_CAP = 1000


class Tier(IntEnum):
    """The ranking's tiers, best first (see the module's docstring)."""

    PHRASE = 0
    EXACT = 1
    HEAD_NAME = 2
    NAME = 3
    HEAD = 4
    ANY = 5
    TYPO_NAME = 6
    TYPO = 7


def exact_key(words: Iterable[str]) -> str:
    return "".join(sorted(words))


@lru_cache(maxsize=65536)
def _name_keys(sort_key: str) -> tuple[str, str]:
    """A name's head word and exact key; names repeat, so a rebuild computes each once."""
    words = sort_key.split()
    return normalize.head_word(words), exact_key(words)


#: the format of the search index (its tables or mapping): stored with the index, and an
#: index of another format (made by an earlier release) is ``outdated`` until rebuilt
INDEX_FORMAT = 2

#: index states (IndexHealth.state): the ones a worker repairs with a rebuild from the database
REPAIRABLE = ("missing", "rogue", "incomplete", "outdated")


@dataclass(frozen=True)
class IndexHealth:
    """What stands behind the index name: ``ok``; ``incomplete`` (recreated empty after a
    loss, a rebuild from the database is filling it); ``outdated`` (made by an earlier
    release in another INDEX_FORMAT: it answers, a rebuild from the database brings it to
    this release's format); ``missing`` (nothing at the name);
    ``rogue`` (something that is not Carnet's index stands at the name); ``unreachable``
    (the index or its server cannot be read)."""

    state: str
    detail: str

    @property
    def ok(self) -> bool:
        """Searchable: results may still be filling in while ``incomplete``."""
        return self.state in ("ok", "incomplete", "outdated")

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
    #: the name's words (with joined forms and synonyms) and the postal code
    primary: tuple[str, ...] = ()

    @property
    def head(self) -> str:
        """The name's first word that is not weak (a particle or a legal form)."""
        return _name_keys(self.sort_key)[0]

    @property
    def exact_key(self) -> str:
        """The name's words sorted and joined ("Marie Le Floc'h" → flochlemarie): the
        EXACT tier finds the name typed whole, in any order, without a ranking."""
        return _name_keys(self.sort_key)[1]

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
    #: results to skip (the page's place, from ``next_cursor``)
    offset: int = 0
    tokens: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(normalize.query_tokens(self.text)))

    @property
    def phrase(self) -> str:
        return " ".join(self.tokens)

    @property
    def tiers(self) -> tuple[Tier, ...]:
        """The tiers worth asking: the head tiers only split multi-word queries, the typo
        tier only exists when a word is long enough to carry a typo."""
        tiers = list(Tier)
        if len(self.tokens) == 1:
            tiers.remove(Tier.EXACT)  # a one-word name is the start of the PHRASE tier
            tiers.remove(Tier.HEAD)
        if not any(typos.allowed_typos(t) for t in self.tokens):
            tiers.remove(Tier.TYPO_NAME)
            tiers.remove(Tier.TYPO)
        return tuple(tiers)

    @property
    def exact_key(self) -> str:
        """The query's words sorted and joined: an entry's own (SearchDocument.exact_key)
        when its name is those words, in any order."""
        return exact_key(self.tokens)

    @property
    def widest(self) -> Tier:
        """The tier that holds every match (what ``total`` counts)."""
        return self.tiers[-1]


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: int
    label: str
    sublabel: str | None
    badges: tuple[str, ...]
    link: str
    highlight: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    #: more results follow this page
    more: bool


class SearchBackend(Protocol):
    """One search index: the SQLite FTS5 file or an Elasticsearch alias."""

    def search(self, query: SearchQuery) -> list[SearchHit]: ...

    def page(self, query: SearchQuery) -> SearchPage:
        """The hits of ``query``'s page (``offset``, ``limit``) and whether more follow."""

    def count(self, query: SearchQuery, cap: int = TOTAL_CAP) -> int:
        """How many entries match (the widest tier), counting no further than ``cap``."""

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
    """A new index being filled. A rebuild may also offer ``prepare(documents)`` (a plain
    function, run where the documents are built, possibly another process) and
    ``write_prepared(prepared)``: what is costly to turn documents into is then made
    beside them (``maintenance.reindex``)."""

    def write(self, documents: Sequence[SearchDocument]) -> None: ...

    def commit(self) -> None:
        """Swap the new index in (alias move / table rename); the old one is dropped."""

    def abort(self) -> None: ...


class TierFetch(Protocol):
    def __call__(self, query: SearchQuery, tier: Tier, count: int) -> Iterable[SearchDocument]: ...


def ranked(query: SearchQuery, fetch: TierFetch) -> SearchPage:
    """The hits of the page ``query.offset``..``+ query.limit``, tier by tier; each tier
    read in name order. One entry more than the page tells whether more follow."""
    if not query.tokens:
        return SearchPage([], more=False)
    wanted = query.offset + query.limit + 1
    found: dict[str, tuple[SearchDocument, Tier]] = {}
    for tier in query.tiers:
        if len(found) >= wanted:
            break
        # Earlier tiers' entries come back again in later tiers: ask for that many more.
        for document in fetch(query, tier, wanted):
            if document.doc_id not in found:
                found[document.doc_id] = (document, tier)
                if len(found) == wanted:
                    break
    page = list(found.values())[query.offset : query.offset + query.limit]
    hits = [hit(document, query, typos=tier >= Tier.TYPO_NAME) for document, tier in page]
    return SearchPage(hits, len(found) == wanted)


def visible(document: SearchDocument, query: SearchQuery) -> bool:
    return document.kind in query.kinds and (query.show_closed or not document.closed)


def hit(document: SearchDocument, query: SearchQuery, *, typos: bool = False) -> SearchHit:
    """The result for a document; ``typos``: it matched with typos, highlight those words too."""
    return SearchHit(
        kind=document.kind,
        id=document.entity_id,
        label=document.label,
        sublabel=document.sublabel,
        badges=document.badges,
        link=document.link,
        highlight=tuple(normalize.highlight(document.label, list(query.tokens), typos=typos)),
    )
