"""Every task module registers its tasks here (one line each)."""

from __future__ import annotations

from celery import Celery

from workers import editions, imports, indexing, maintenance, retention, sirene
from workers.context import WorkerContext


def register_all(app: Celery, ctx: WorkerContext) -> None:
    # Each module: ``def register(app: Celery, ctx: WorkerContext) -> None``.
    editions.register(app, ctx)
    imports.register(app, ctx)
    indexing.register(app, ctx)
    maintenance.register(app, ctx)
    retention.register(app, ctx)
    sirene.register(app, ctx)
