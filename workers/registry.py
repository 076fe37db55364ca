"""Every task module registers its tasks here (one line each)."""

from __future__ import annotations

from celery import Celery

from records_svc.composition import Components
from workers import editions, imports, indexing, maintenance, retention, sirene


def register_all(app: Celery, ctx: Components) -> None:
    # Each module: ``def register(app: Celery, ctx: Components) -> None``.
    editions.register(app, ctx)
    imports.register(app, ctx)
    indexing.register(app, ctx)
    maintenance.register(app, ctx)
    retention.register(app, ctx)
    sirene.register(app, ctx)
