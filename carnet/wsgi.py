"""WSGI entry points of the full stack, for gunicorn:

    gunicorn 'carnet.wsgi:records()'
    gunicorn 'carnet.wsgi:search()'
    gunicorn 'carnet.wsgi:portal()'

Each factory reads the settings (the environment) when gunicorn calls it, sets
up JSON logs, and wires the records app to the Celery job queue. Migrations
are not run here: the one-shot migration step (``carnet db upgrade``) does it.
"""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings
from config.logs import configure


def records(settings: Settings | None = None) -> Flask:
    """The records API, enqueueing its jobs on the broker."""
    from records_svc import create_app
    from workers.celery_app import components, create_celery

    settings = settings or load_settings()
    configure(settings, "records")
    built = components(create_celery(settings))
    return create_app(settings, database=built.db, job_queue=built.jobs)


def search(settings: Settings | None = None) -> Flask:
    """The type-ahead search API over the index the settings name."""
    from search_svc import create_app

    settings = settings or load_settings()
    configure(settings, "search")
    return create_app(settings)


def portal(settings: Settings | None = None) -> Flask:
    """The portal's page and files (the gateway sends /api/v1 to the APIs)."""
    import portal as portal_pkg

    settings = settings or load_settings()
    configure(settings, "portal")
    return portal_pkg.create_app(settings)
