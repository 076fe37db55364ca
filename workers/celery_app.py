"""The Celery app: explicit queues, late acks, eager in the embedded default."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from kombu import Queue

from config import Settings
from config.logs import CELERY_HEADER, current_request_id, reset_request_id, set_request_id
from records_svc.composition import Components, build_records

log = logging.getLogger(__name__)

QUEUES = ("indexing", "sirene", "editions", "maintenance")
ROUTES = {
    "carnet.indexing.*": {"queue": "indexing"},
    # The sweep never waits behind the backlog it is meant to repair.
    "carnet.maintenance.*": {"queue": "maintenance"},
    "carnet.sirene.*": {"queue": "sirene"},
    "carnet.editions.*": {"queue": "editions"},
    # Long file work beside the renders (a worker of its own would be a queue of its own).
    "carnet.imports.*": {"queue": "editions"},
}

FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def create_celery(settings: Settings) -> Celery:
    """A Celery app for ``settings`` with every Carnet task registered.

    The tasks run on the process's components (records_svc/composition.py), built here
    with this app's job queue: the index events of a task's writes are sent at once.
    ``components(app)`` gives them to the rest of the process (``carnet serve``).
    """
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
        worker_concurrency=settings.worker_concurrency,
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
        # Every task is bounded (the render task has its own, shorter limits).
        task_soft_time_limit=settings.task_soft_time_limit_seconds,
        task_time_limit=max(
            settings.task_time_limit_seconds, settings.task_soft_time_limit_seconds
        ),
    )
    if (settings.broker_url or "").startswith("redis://"):
        from workers.broker import TRANSPORT

        app.conf.broker_transport = TRANSPORT  # survives a Redis restart (workers/broker.py)
    if settings.broker_key_prefix:
        prefix = {"global_keyprefix": settings.broker_key_prefix}
        app.conf.broker_transport_options = {**app.conf.broker_transport_options, **prefix}
        app.conf.result_backend_transport_options = {
            **app.conf.result_backend_transport_options,
            **prefix,
        }
    _follow_request_ids()
    built = build_records(settings, CeleryJobQueue(app))
    app.carnet_components = built
    from workers import registry

    registry.register_all(app, built)
    return app


def components(app: Celery) -> Components:
    """The components ``app``'s tasks run on (built with it by ``create_celery``)."""
    built: Components = app.carnet_components
    return built


def _task_started(task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    if request is None:
        return
    headers = getattr(request, "headers", None) or {}
    request_id = request.get(CELERY_HEADER) or headers.get(CELERY_HEADER)
    request.carnet_request_token = set_request_id(request_id)


def _task_ended(task: Any = None, **_: Any) -> None:
    token = getattr(getattr(task, "request", None), "carnet_request_token", None)
    if token is not None:
        try:
            reset_request_id(token)
        except ValueError:
            set_request_id(None)


def _follow_request_ids() -> None:
    """Each task runs with the request id of the request that enqueued it (logged with it)."""
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="carnet-request-id-in")
    signals.task_postrun.connect(_task_ended, weak=False, dispatch_uid="carnet-request-id-out")


class CeleryJobQueue:
    """records_svc's JobQueue on Celery; a broker outage is logged, never raised."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def enqueue(self, task: str, /, **kwargs: Any) -> str | None:
        try:
            request_id = current_request_id()
            headers = {CELERY_HEADER: request_id} if request_id else None
            result = self.app.tasks[task].apply_async(kwargs=kwargs, headers=headers)
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
