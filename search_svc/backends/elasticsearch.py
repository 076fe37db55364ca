"""The full-stack search backend: Elasticsearch, with the official client.

A versioned physical index (``<alias>-<timestamp>``) sits behind the alias
the service reads and writes; an index template gives every physical index
the analysers and mapping. Documents are written with external versioning,
so Elasticsearch itself refuses an older version. Ranking is the shared one
(base.ranked): each tier is one query sorted on ``order_key`` with a small
``size``, which Elasticsearch answers with a top-k collector.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch, NotFoundError, helpers

from search_svc import typos
from search_svc.backends.base import (
    DELETED,
    TOTAL_CAP,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    Tier,
    ranked,
)

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


class BulkWriteError(RuntimeError):
    """Elasticsearch refused documents for another reason than an older version."""


class ElasticsearchBackend:
    """Reads and writes the alias ``alias``; ``refresh`` makes writes visible at once."""

    def __init__(self, client: Elasticsearch, alias: str, *, refresh: bool = False) -> None:
        self.client = client
        self.alias = alias
        self.refresh = refresh
        self._ready = False

    @classmethod
    def from_url(cls, url: str, alias: str, *, plain_json: bool = False) -> ElasticsearchBackend:
        if plain_json:
            return cls(Elasticsearch(url, node_class=PlainJsonNode, request_timeout=10), alias)
        return cls(Elasticsearch(url, request_timeout=10), alias)

    # the index, its template and its alias

    def ensure_index(self) -> None:
        """Put the template; create the first physical index behind the alias if none."""
        if self._ready:
            return
        self.client.indices.put_index_template(
            name=self.alias,
            index_patterns=[f"{self.alias}-*"],
            template={"settings": SETTINGS, "mappings": MAPPINGS},
        )
        if not self.client.indices.exists_alias(name=self.alias):
            self._create_physical(alias=True)
        self._ready = True

    def _create_physical(self, *, alias: bool) -> str:
        name = f"{self.alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        body: dict[str, Any] = {"settings": SETTINGS, "mappings": MAPPINGS}
        if alias:
            body["aliases"] = {self.alias: {}}
        self.client.indices.create(index=name, **body)
        return name

    def physical_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).keys())
        except NotFoundError:
            return []

    def ping(self) -> bool:
        try:
            self.ensure_index()
            return bool(self.client.indices.exists_alias(name=self.alias))
        except Exception:
            return False

    def close(self) -> None:
        self.client.close()

    # reading

    def search(self, query: SearchQuery) -> list[SearchHit]:
        return self.page(query).hits

    def page(self, query: SearchQuery) -> SearchPage:
        self.ensure_index()
        return ranked(query, self._fetch)

    def count(self, query: SearchQuery, cap: int = TOTAL_CAP) -> int:
        self.ensure_index()
        if not query.tokens:
            return 0
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
        self.ensure_index()
        after: list[Any] | None = None
        while True:
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
        self.ensure_index()
        self._bulk(
            {
                "_op_type": "index",
                "_index": index or self.alias,
                "_id": d.doc_id,
                "version": d.version,
                "version_type": "external",
                "_source": _source(d),
            }
            for d in documents
        )

    def delete(self, doc_ids: Sequence[str]) -> None:
        # The highest version leaves a tombstone that refuses any late write.
        self.ensure_index()
        self._bulk(
            {
                "_op_type": "delete",
                "_index": self.alias,
                "_id": doc_id,
                "version": DELETED,
                "version_type": "external",
            }
            for doc_id in doc_ids
        )

    def _bulk(self, actions: Any) -> None:
        _, errors = helpers.bulk(
            self.client, actions, raise_on_error=False, refresh=self.refresh, stats_only=False
        )
        refused = [
            e
            for e in errors  # type: ignore[union-attr]
            if next(iter(e.values())).get("status") not in (404, 409)
        ]
        if refused:
            raise BulkWriteError(f"{len(refused)} documents refused, e.g. {refused[0]}")

    # bulk rebuild

    def rebuild(self) -> ElasticsearchRebuild:
        self.ensure_index()
        return ElasticsearchRebuild(self, self._create_physical(alias=False))


class ElasticsearchRebuild:
    """Fills a new physical index, then moves the alias to it in one call."""

    def __init__(self, backend: ElasticsearchBackend, index: str) -> None:
        self.backend = backend
        self.index = index

    def write(self, documents: Sequence[SearchDocument]) -> None:
        self.backend.write(documents, index=self.index)

    def commit(self) -> None:
        client, alias = self.backend.client, self.backend.alias
        old = self.backend.physical_indices()
        client.indices.refresh(index=self.index)
        actions: list[dict[str, Any]] = [{"add": {"index": self.index, "alias": alias}}]
        actions += [{"remove": {"index": name, "alias": alias}} for name in old]
        client.indices.update_aliases(actions=actions)
        for name in old:
            client.indices.delete(index=name)

    def abort(self) -> None:
        self.backend.client.indices.delete(index=self.index)
