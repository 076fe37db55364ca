"""The Celery app: explicit queues, late acks, eager in the embedded default."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from kombu import Queue

from config import Settings
from workers.context import WorkerContext

log = logging.getLogger(__name__)

QUEUES = ("indexing", "sirene", "editions")
ROUTES = {
    "carnet.indexing.*": {"queue": "indexing"},
    "carnet.maintenance.*": {"queue": "indexing"},
    "carnet.sirene.*": {"queue": "sirene"},
    "carnet.editions.*": {"queue": "editions"},
}

FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def create_celery(settings: Settings, context: WorkerContext | None = None) -> Celery:
    """A Celery app for ``settings`` with every Carnet task registered."""
    app = Celery("carnet", set_as_current=False)
    eager = settings.eager_jobs
    app.conf.update(
        broker_url=settings.broker_url or "memory://",
        result_backend=settings.result_backend or settings.broker_url or "cache+memory://",
        task_always_eager=eager,
        task_eager_propagates=False,
        task_store_eager_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="indexing",
        task_routes=ROUTES,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        # A Redis outage must not hold a records request: fail fast, the outbox keeps the event.
        result_backend_transport_options={"retry_policy": FAIL_FAST},
        task_publish_retry_policy=FAIL_FAST,
        enable_utc=True,
    )
    if settings.broker_key_prefix:
        prefix = {"global_keyprefix": settings.broker_key_prefix}
        app.conf.broker_transport_options = {**app.conf.broker_transport_options, **prefix}
        app.conf.result_backend_transport_options = {
            **app.conf.result_backend_transport_options,
            **prefix,
        }
    ctx = context or WorkerContext(settings)
    ctx.jobs = CeleryJobQueue(app)
    app.carnet_context = ctx
    from workers import registry

    registry.register_all(app, ctx)
    return app


class CeleryJobQueue:
    """records_svc's JobQueue on Celery; a broker outage is logged, never raised."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def enqueue(self, task: str, /, **kwargs: Any) -> str | None:
        try:
            result = self.app.tasks[task].apply_async(kwargs=kwargs)
        except Exception:
            # The outbox keeps what matters; the sweep sends it again.
            log.warning("could not enqueue %s", task, exc_info=True)
            return None
        return str(result.id)

    def wait(self, task_id: str, timeout: float) -> Any:
        from celery.exceptions import TimeoutError as CeleryTimeoutError

        try:
            return self.app.AsyncResult(task_id).get(timeout=timeout, propagate=True)
        except CeleryTimeoutError as exc:
            raise TimeoutError(task_id) from exc
