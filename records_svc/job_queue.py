"""The job queue as the records service sees it: enqueue by task name, never import workers.

The composition (``carnet``, or the worker's entry module) injects a Celery-backed
queue; alone, the service uses ``NullJobQueue`` and the outbox sweep catches up.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

INDEX_EVENTS_TASK = "carnet.indexing.process_events"


class JobQueue(Protocol):
    def enqueue(self, task: str, /, **kwargs: Any) -> str | None:
        """Send ``task`` with keyword arguments; return its task id (None if not sent)."""

    def wait(self, task_id: str, timeout: float) -> Any:
        """The task's return value, waiting up to ``timeout`` seconds (TimeoutError past it)."""


class NullJobQueue:
    """Sends nothing: events stay in the outbox until a sweep dispatches them."""

    def enqueue(self, task: str, /, **kwargs: Any) -> str | None:
        log.debug("no job queue: %s not sent", task)
        return None

    def wait(self, task_id: str, timeout: float) -> Any:
        raise TimeoutError(task_id)
