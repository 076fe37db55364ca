"""Every task module registers its tasks here (one line each)."""

from __future__ import annotations

from celery import Celery

from workers import sirene
from workers.context import WorkerContext


def register_all(app: Celery, ctx: WorkerContext) -> None:
    # Each module: ``def register(app: Celery, ctx: WorkerContext) -> None``.
    sirene.register(app, ctx)
