"""``carnet bench``: how fast Carnet's search is, beside what other CRMs use instead.

Everything runs against real parts: a scratch PostgreSQL database created and
dropped by the run, the search service as a real HTTP server in a subprocess,
a real Celery worker on Redis for the pipeline. Nothing here is imported by
the services.
"""
