"""The type-ahead search service (see docs/search.md)."""
