"""The worker's entry module: ``celery -A workers.worker worker -Q indexing``.

The only module of workers/ that reads the environment (through the settings).
Beat and Flower use it too (``celery -A workers.worker beat|flower``).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import signals
from celery.apps import worker as celery_worker

from config import load_settings
from config.logs import capture_output, configure
from workers.celery_app import create_celery
from workers.heartbeat import Heartbeat

settings = load_settings()
# Every process started with -A workers.worker (worker, beat, Flower) logs JSON lines.
configure(settings, "celery")
app = create_celery(settings)


def _say(message: str, *_: object) -> None:
    """Celery's shutdown messages, which it writes to the file descriptor itself, as log
    lines like every other (e.g. "worker: Warm shutdown (MainProcess)")."""
    logging.getLogger("celery.apps.worker").warning(message.strip())


celery_worker.safe_say = _say


@signals.setup_logging.connect(weak=False)
def _keep_json_logs(**_: object) -> None:
    """Connected, this signal stops Celery from installing its own handlers over ours."""


@signals.worker_init.connect(weak=False)
@signals.beat_init.connect(weak=False)
def _capture_output(**_: object) -> None:
    """A worker or beat: what Celery and kombu print themselves (shutdown, crash) becomes
    JSON lines too. Only there: importing this module changes no stream."""
    capture_output()


_heartbeat: list[Heartbeat] = []


@signals.worker_ready.connect(weak=False)
def _start_heartbeat(sender: Any = None, **_: object) -> None:
    """Each queue this worker consumes gets its liveness key (read by /readyz)."""
    queues = sorted(sender.app.amqp.queues.consume_from) if sender is not None else []
    beat = Heartbeat(settings, queues)
    beat.start()
    _heartbeat.append(beat)


@signals.worker_shutdown.connect(weak=False)
def _stop_heartbeat(**_: object) -> None:
    while _heartbeat:
        _heartbeat.pop().stop()
