"""Celery jobs: thin tasks over the services' own code (indexing, sirene, editions, maintenance)."""
