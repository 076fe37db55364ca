"""Search backends behind one interface (base.SearchBackend), chosen by the settings."""

from __future__ import annotations

from config import Settings
from search_svc.backends.base import SearchBackend


def from_settings(settings: Settings) -> SearchBackend:
    """The backend the settings name: the SQLite FTS5 file, or Elasticsearch."""
    if settings.search_backend == "elasticsearch":
        from search_svc.backends.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend.from_url(
            settings.elasticsearch_url,
            settings.elasticsearch_index,
            plain_json=settings.elasticsearch_plain_json,
        )
    from search_svc.backends.sqlite_fts import SqliteFtsBackend

    return SqliteFtsBackend(settings.resolved_search_sqlite_path)
