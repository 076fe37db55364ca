"""The Elasticsearch backend's query building and client path, against osmem-server.

osmem-server is an in-memory, Elasticsearch-compatible HTTP server in Python
(a dev dependency): its timings say how much Carnet's own ES path costs, not
how fast Elasticsearch is. The report labels them so.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from carnet.bench import measure
from carnet.bench.queries import Query
from records_svc.db import Database
from search_svc.backends.base import SearchQuery
from search_svc.backends.elasticsearch import PlainJsonNode
from workers import maintenance

NOT_REPRESENTATIVE = (
    "not representative of Elasticsearch's own speed: osmem-server (an in-memory Python "
    "server) stands in for it; this measures Carnet's query building and client path"
)


def measure_backend(db: Database, log: Sequence[Query], entries: int) -> dict[str, Any]:
    try:
        from osmem_server import OsmemServer
    except ImportError:
        return {"skipped": "osmem-server is not installed (pip install -e '.[dev]')"}
    from elasticsearch import Elasticsearch

    from search_svc.backends.elasticsearch import ElasticsearchBackend

    server = OsmemServer.start(japanese=False)
    client = Elasticsearch(server.url, node_class=PlainJsonNode, request_timeout=60)
    try:
        backend = ElasticsearchBackend(client, f"carnet-bench-{uuid.uuid4().hex[:8]}")
        rebuild = backend.rebuild()
        written = 0
        for docs in itertools.islice(maintenance.expected_documents(db, 2000), None):
            take = docs[: entries - written]
            rebuild.write(take)
            written += len(take)
            if written >= entries:
                break
        rebuild.commit()
        client.indices.refresh(index="_all")

        def run(query: Query) -> object:
            return backend.search(SearchQuery(query.text))

        measure.timed(run, log[:20])
        report = measure.timed(run, log).report()
        report["entries"] = written
        report["note"] = NOT_REPRESENTATIVE
        return report
    finally:
        client.close()
        server.close()
        if server.process.stdout is not None:
            server.process.stdout.close()
