"""The full-stack search backend: Elasticsearch, with the official client.

A versioned physical index (``<alias>-<timestamp>``) sits behind the alias
the service reads and writes; an index template gives every physical index
the analysers and mapping. Documents are written with external versioning,
so Elasticsearch itself refuses an older version. Ranking is the shared one
(base.ranked): each tier is one query sorted on ``order_key`` with a small
``size``, which Elasticsearch answers with a top-k collector.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from elastic_transport import TransportError, Urllib3HttpNode
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, helpers

from search_svc import typos
from search_svc.backends.base import (
    DELETED,
    HEALTHY,
    INDEX_FORMAT,
    TOTAL_CAP,
    IndexHealth,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchUnavailableError,
    Tier,
    ranked,
)

#: physical index names: ``<alias>-<UTC time>`` (``<alias>-<UTC time>-recreated`` when
#: put in place empty after the index was lost, until a rebuild replaces it)
STAMP = "%Y%m%d%H%M%S%f"
RECREATED = "-recreated"
#: a rebuild's physical index still not behind the alias after this long is a dead one's
REBUILD_LEASE_SECONDS = 900
#: the search path checks what stands at the alias name at most this often (seconds)
HEALTH_TTL = 1.0
#: a rebuild's swap is made again when the alias moved under it
SWAP_ATTEMPTS = 3

#: longest indexed prefix; a longer query word is cut to it (still a prefix test)
MAX_GRAM = 30

SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "analysis": {
        "filter": {
            "carnet_prefixes": {"type": "edge_ngram", "min_gram": 1, "max_gram": MAX_GRAM},
        },
        "analyzer": {
            # Text arrives folded by search_svc.normalize; lowercase + asciifolding
            # only guard against a client that did not fold.
            "carnet_prefix": {
                "type": "custom",
                "tokenizer": "whitespace",
                "filter": ["lowercase", "asciifolding", "carnet_prefixes"],
            },
            "carnet_word": {
                "type": "custom",
                "tokenizer": "whitespace",
                "filter": ["lowercase", "asciifolding"],
            },
        },
    },
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    # the format this mapping is (an index without it, or of another, is ``outdated``)
    "_meta": {"carnet_index_format": INDEX_FORMAT},
    "properties": {
        "doc_id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "entity_id": {"type": "long"},
        "version": {"type": "long"},
        "order_key": {"type": "keyword"},
        "closed": {"type": "boolean"},
        "head": {"type": "text", "analyzer": "carnet_prefix", "search_analyzer": "carnet_word"},
        # primary words: the name's (with joined forms, synonyms) and the postal code
        "name": {"type": "text", "analyzer": "carnet_prefix", "search_analyzer": "carnet_word"},
        "terms": {"type": "text", "analyzer": "carnet_prefix", "search_analyzer": "carnet_word"},
        # the same words whole: typos on a word that is not the last one typed
        "words": {"type": "text", "analyzer": "carnet_word"},
        "name_words": {"type": "text", "analyzer": "carnet_word"},
        # the name's words sorted and joined: the EXACT tier
        "exact": {"type": "keyword"},
        "label": {"type": "keyword", "index": False},
        "sublabel": {"type": "keyword", "index": False},
        "badges": {"type": "keyword"},
        "link": {"type": "keyword", "index": False},
    },
}


def _source(document: SearchDocument) -> dict[str, Any]:
    return {
        "doc_id": document.doc_id,
        "kind": document.kind,
        "entity_id": document.entity_id,
        "version": document.version,
        "order_key": document.order_key,
        "closed": document.closed,
        "head": document.head,
        "name": " ".join(document.primary),
        "terms": " ".join(document.terms),
        "words": " ".join(document.terms),
        "name_words": " ".join(document.primary),
        "exact": document.exact_key,
        "label": document.label,
        "sublabel": document.sublabel,
        "badges": list(document.badges),
        "link": document.link,
    }


def _document(source: dict[str, Any]) -> SearchDocument:
    return SearchDocument(
        doc_id=source["doc_id"],
        kind=source["kind"],
        entity_id=int(source["entity_id"]),
        version=int(source["version"]),
        label=source["label"],
        sublabel=source.get("sublabel"),
        badges=tuple(source.get("badges") or ()),
        link=source["link"],
        closed=bool(source["closed"]),
        terms=(),
        sort_key=str(source["order_key"]).split("\x01", 1)[0],
    )


def _typo_match(word: str, *, last: bool, name: bool = False) -> dict[str, Any]:
    """The word exactly (as a prefix), or with its allowed typos: the last word typed as a
    prefix (fuzzy on the edge n-grams), the others as whole words; never the first letter.
    ``name``: among the primary words only."""
    fuzzy = {
        "query": word,
        "fuzziness": typos.allowed_typos(word),
        "prefix_length": 1,
        "fuzzy_transpositions": True,
        "max_expansions": 256,
    }
    prefixes, whole = ("name", "name_words") if name else ("terms", "words")
    exact = {"match": {prefixes: word}}
    return {
        "bool": {
            "should": [exact, {"match": {prefixes if last else whole: fuzzy}}],
            "minimum_should_match": 1,
        }
    }


def _query(query: SearchQuery, tier: Tier) -> dict[str, Any]:
    """One tier of the ranking (base.Tier) as an Elasticsearch query."""
    words = [token[:MAX_GRAM] for token in query.tokens]
    must: list[dict[str, Any]]
    if tier == Tier.PHRASE:
        must = [{"prefix": {"order_key": query.phrase}}]
    elif tier == Tier.EXACT:
        must = [{"term": {"exact": query.exact_key}}]
    elif tier in (Tier.TYPO, Tier.TYPO_NAME):
        name = tier == Tier.TYPO_NAME
        must = [
            _typo_match(w, last=i == len(words) - 1, name=name)
            if typos.allowed_typos(w)
            else {"match": {"name" if name else "terms": w}}
            for i, w in enumerate(words)
        ]
    else:
        field = "name" if tier in (Tier.HEAD_NAME, Tier.NAME) else "terms"
        must = [{"match": {field: word}} for word in words]
        if tier in (Tier.HEAD_NAME, Tier.HEAD):
            must[0] = {"match": {"head": words[0]}}
    filters: list[dict[str, Any]] = [{"terms": {"kind": sorted(query.kinds)}}]
    if not query.show_closed:
        filters.append({"term": {"closed": False}})
    return {"bool": {"must": must, "filter": filters}}


class PlainJsonNode(Urllib3HttpNode):
    """Sends plain application/json instead of the client's vendor media types
    (application/vnd.elasticsearch+json; compatible-with=N), which some
    Elasticsearch-compatible servers refuse; real Elasticsearch takes both."""

    def perform_request(  # type: ignore[override]
        self, method: str, target: str, body: Any = None, headers: Any = None, **kw: Any
    ) -> Any:
        if headers is not None:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value and "vnd.elasticsearch" in value:
                    plain = "application/x-ndjson" if "x-ndjson" in value else "application/json"
                    headers[name] = plain
        return super().perform_request(method, target, body=body, headers=headers, **kw)


def _error_type(failure: dict[str, Any]) -> str | None:
    error = failure.get("error")
    return str(error.get("type")) if isinstance(error, dict) else None


def _expired(name: str) -> bool:
    """A physical index whose name says it was made longer ago than the rebuild lease."""
    stamp = name.rsplit("-", 2)
    for part in stamp[1:]:
        try:
            made = datetime.strptime(part, STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        return (datetime.now(UTC) - made).total_seconds() > REBUILD_LEASE_SECONDS
    return False


class BulkWriteError(RuntimeError):
    """Elasticsearch refused documents for another reason than an older version."""


class ElasticsearchBackend:
    """Reads and writes the alias ``alias``; ``refresh`` makes writes visible at once.

    Documents are written through the alias only (``require_alias``), so a lost
    index is never replaced by a concrete index that Elasticsearch creates with
    dynamic mappings at the alias name: the write fails, its events stay
    pending, and a worker repairs the index (``repair``, then a rebuild).
    """

    def __init__(self, client: Elasticsearch, alias: str, *, refresh: bool = False) -> None:
        self.client = client
        self.alias = alias
        self.refresh = refresh
        #: (monotonic time, health) of the last check made on the search path
        self._seen: tuple[float, IndexHealth] = (-HEALTH_TTL, HEALTHY)

    @classmethod
    def from_url(cls, url: str, alias: str, *, plain_json: bool = False) -> ElasticsearchBackend:
        if plain_json:
            return cls(Elasticsearch(url, node_class=PlainJsonNode, request_timeout=10), alias)
        return cls(Elasticsearch(url, request_timeout=10), alias)

    # the index, its template and its alias

    def _layout(self) -> dict[str, set[str]]:
        """{concrete index: its aliases} for whatever stands at the alias name and every
        physical index named after it, in one request."""
        reply = self.client.indices.get_alias(
            index=[self.alias, f"{self.alias}-*"], ignore_unavailable=True
        )
        return {name: set(meta.get("aliases") or ()) for name, meta in reply.items()}

    def _behind(self, layout: dict[str, set[str]]) -> list[str]:
        return sorted(name for name, aliases in layout.items() if self.alias in aliases)

    def health(self) -> IndexHealth:
        try:
            return self._judge(self._layout())
        except (ApiError, TransportError) as exc:
            # the error's class only: /readyz is anonymous, the server's address stays inside
            detail = f"the search server cannot be reached ({type(exc).__name__})"
            return IndexHealth("unreachable", detail)

    def _judge(self, layout: dict[str, set[str]]) -> IndexHealth:
        if self.alias in layout:
            return IndexHealth(
                "rogue",
                f"a concrete index stands at the alias name {self.alias!r}: rebuild needed",
            )
        behind = self._behind(layout)
        if not behind:
            return IndexHealth("missing", f"index {self.alias!r} missing: rebuild needed")
        if any(name.endswith(RECREATED) for name in behind):
            return IndexHealth(
                "incomplete", "index recreated empty after a loss: rebuild from the database"
            )
        stored = self._format(behind[0])
        if stored != INDEX_FORMAT:
            return IndexHealth(
                "outdated",
                f"index format {stored} where this release uses {INDEX_FORMAT}: "
                "rebuild from the database",
            )
        return HEALTHY

    def _format(self, index: str) -> int | None:
        """The INDEX_FORMAT stored in the mapping's ``_meta`` of the physical ``index``."""
        reply: dict[str, Any] = dict(self.client.indices.get_mapping(index=index))
        found: dict[str, Any] = next(iter(reply.values()), {})
        mappings: dict[str, Any] = found.get("mappings") or {}
        stored = (mappings.get("_meta") or {}).get("carnet_index_format")
        return stored if isinstance(stored, int) else None

    def ping(self) -> bool:
        return self.health().ok

    def ensure_index(self) -> bool:
        """Put a new, empty index behind the alias if nothing (or a concrete index) stands
        at its name. True when this call did, and a rebuild from the database must follow.

        Safe against other processes doing the same (``_swap_in``): one succeeds.
        """
        with self._diagnosed():
            layout = self._layout()
        if self._judge(layout).state not in ("missing", "rogue"):
            return False
        self.client.indices.put_index_template(
            name=self.alias,
            index_patterns=[f"{self.alias}-*"],
            template={"settings": SETTINGS, "mappings": MAPPINGS},
        )
        name = self._create_physical(RECREATED)
        try:
            self._swap_in(name, layout)
        except ApiError:  # another process put its index there first
            self.client.indices.delete(index=name, ignore_unavailable=True)
            return False
        return True

    def _swap_in(self, index: str, layout: dict[str, set[str]]) -> list[str]:
        """Put the alias on ``index`` alone, replacing what ``layout`` saw at its name, in
        one ``_aliases`` call that fails as a whole (ApiError) if that changed meanwhile:
        a compare-and-swap, so of processes racing to replace one state, one wins.
        Returns the indices the alias was taken from."""
        old = [name for name in self._behind(layout) if name != index]
        rogue = self.alias in layout
        if not old and not rogue:
            # Nothing stands at the name: a placeholder there makes the swap exclusive too.
            with contextlib.suppress(BadRequestError):  # another process made one first
                self.client.indices.create(index=self.alias)
            rogue = True
        actions: list[dict[str, Any]] = [{"add": {"index": index, "alias": self.alias}}]
        actions += [
            {"remove": {"index": name, "alias": self.alias, "must_exist": True}} for name in old
        ]
        if rogue:  # a concrete index at the name is deleted in the same call
            actions.append({"remove_index": {"index": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        return old

    def repair(self) -> bool:
        if self.health().state in ("incomplete", "outdated"):
            return not self._rebuilding()
        return self.ensure_index()

    def _rebuilding(self) -> bool:
        """A rebuild is filling a physical index of its own (started within the lease)."""
        layout = self._layout()
        return any(
            not aliases and name != self.alias and not _expired(name)
            for name, aliases in layout.items()
        )

    def _create_physical(self, suffix: str = "") -> str:
        name = f"{self.alias}-{datetime.now(UTC):{STAMP}}{suffix}"
        self.client.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS)
        return name

    def physical_indices(self) -> list[str]:
        try:
            return self._behind(self._layout())
        except NotFoundError:
            return []

    def close(self) -> None:
        self.client.close()

    def _searchable(self) -> None:
        """Refuse to search a lost index (checked at most every HEALTH_TTL seconds):
        a concrete index made at the alias name may answer, but not with Carnet's
        documents."""
        seen, health = self._seen
        if time.monotonic() - seen > HEALTH_TTL:
            health = self.health()
            self._seen = (time.monotonic(), health)
        if not health.ok:
            raise SearchUnavailableError(health)

    @contextlib.contextmanager
    def _diagnosed(self) -> Iterator[None]:
        """An Elasticsearch error while the index is not healthy is SearchUnavailableError."""
        try:
            yield
        except (ApiError, TransportError) as exc:
            health = self.health()
            self._seen = (time.monotonic(), health)
            if health.ok:
                raise
            raise SearchUnavailableError(health) from exc

    # reading

    def search(self, query: SearchQuery) -> list[SearchHit]:
        return self.page(query).hits

    def page(self, query: SearchQuery) -> SearchPage:
        self._searchable()
        with self._diagnosed():
            return ranked(query, self._fetch)

    def count(self, query: SearchQuery, cap: int = TOTAL_CAP) -> int:
        if not query.tokens:
            return 0
        self._searchable()
        with self._diagnosed():
            reply = self.client.search(
                index=self.alias, query=_query(query, query.widest), size=0, track_total_hits=cap
            )
        return min(int(reply["hits"]["total"]["value"]), cap)

    def _fetch(self, query: SearchQuery, tier: Tier, count: int) -> list[SearchDocument]:
        reply = self.client.search(
            index=self.alias,
            query=_query(query, tier),
            sort=[{"order_key": "asc"}],
            size=count,
            track_total_hits=False,
        )
        return [_document(h["_source"]) for h in reply["hits"]["hits"]]

    def versions(self) -> Iterator[tuple[str, int]]:
        self._searchable()
        after: list[Any] | None = None
        while True:
            with self._diagnosed():
                reply = self.client.search(
                    index=self.alias,
                    query={"match_all": {}},
                    sort=[{"order_key": "asc"}],
                    size=1000,
                    source={"includes": ["doc_id", "version"]},
                    search_after=after,
                )
            hits = reply["hits"]["hits"]
            for h in hits:
                yield h["_source"]["doc_id"], int(h["_source"]["version"])
            if len(hits) < 1000:
                return
            after = hits[-1]["sort"]

    # writing

    def write(self, documents: Sequence[SearchDocument], *, index: str | None = None) -> None:
        """Index ``documents`` through the alias (or into the physical ``index`` a rebuild
        fills): a missing alias fails the write instead of creating a concrete index."""
        self._bulk(
            (
                {
                    "_op_type": "index",
                    "_index": index or self.alias,
                    "_id": d.doc_id,
                    "version": d.version,
                    "version_type": "external",
                    "_source": _source(d),
                }
                for d in documents
            ),
            require_alias=index is None,
        )

    def delete(self, doc_ids: Sequence[str]) -> None:
        # The highest version leaves a tombstone that refuses any late write. Elasticsearch
        # ignores require_alias on a delete and, with external versions, creates a missing
        # index: the delete is sent to the physical index the alias stands on instead.
        target = self._write_index()
        self._bulk(
            {
                "_op_type": "delete",
                "_index": target,
                "_id": doc_id,
                "version": DELETED,
                "version_type": "external",
            }
            for doc_id in doc_ids
        )

    def _write_index(self) -> str:
        with self._diagnosed():
            layout = self._layout()
        behind = self._behind(layout)
        if self.alias in layout or len(behind) != 1:
            raise SearchUnavailableError(self.health())
        return behind[0]

    def _bulk(self, actions: Any, *, require_alias: bool = False) -> None:
        options = {"require_alias": True} if require_alias else {}
        with self._diagnosed():
            _, errors = helpers.bulk(
                self.client,
                actions,
                raise_on_error=False,
                refresh=self.refresh,
                stats_only=False,
                **options,
            )
        failed = [next(iter(e.values())) for e in errors]  # type: ignore[union-attr]
        if any(_error_type(f) == "index_not_found_exception" for f in failed):
            health = self.health()
            if health.ok:  # the alias came back meanwhile: the job is retried
                health = IndexHealth("missing", f"index {self.alias!r} was missing")
            raise SearchUnavailableError(health)
        refused = [
            f
            for f in failed
            if f.get("status") not in (404, 409)
            or _error_type(f) not in (None, "version_conflict_engine_exception")
        ]
        if refused:
            health = self.health()
            if health.state == "outdated":  # an earlier release's mapping refuses new fields
                raise SearchUnavailableError(health)
            raise BulkWriteError(f"{len(refused)} documents refused, e.g. {refused[0]}")

    # bulk rebuild

    def rebuild(self) -> ElasticsearchRebuild:
        with self._diagnosed():
            return ElasticsearchRebuild(self, self._create_physical())


class ElasticsearchRebuild:
    """Fills a new physical index, then moves the alias to it in one call."""

    def __init__(self, backend: ElasticsearchBackend, index: str) -> None:
        self.backend = backend
        self.index = index

    def write(self, documents: Sequence[SearchDocument]) -> None:
        self.backend.write(documents, index=self.index)

    def commit(self) -> None:
        """Whatever stands at the alias name (the live index, several, nothing, a concrete
        index made there) is replaced in one ``_aliases`` call; if it changed meanwhile the
        call fails as a whole and is made again from what stands there now."""
        backend = self.backend
        client, alias = backend.client, backend.alias
        client.indices.refresh(index=self.index)
        for attempt in range(1, SWAP_ATTEMPTS + 1):
            layout = backend._layout()
            try:
                old = backend._swap_in(self.index, layout)
                break
            except ApiError:
                if attempt == SWAP_ATTEMPTS:
                    raise
        # the replaced indices, and those of rebuilds that died before their swap
        dead = [n for n, aliases in layout.items() if not aliases and n != alias and _expired(n)]
        for name in old + dead:
            client.indices.delete(index=name, ignore_unavailable=True)

    def abort(self) -> None:
        self.backend.client.indices.delete(index=self.index)
