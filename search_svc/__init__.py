"""The type-ahead search service."""
