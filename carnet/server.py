"""The embedded default's web server: gunicorn, one process, a pool of threads.

One worker process because the embedded runtime (SQLite, the FTS5 index, Celery
in eager mode, background threads of the runtime) lives in one process; threads
because a team's requests are mostly waiting on SQLite and the network.

SIGTERM is a graceful stop: gunicorn stops accepting, lets the requests in
flight finish (up to ``GRACEFUL_TIMEOUT`` seconds), then the runtime's shutdown
hooks run (``Runtime.on_shutdown``) before its connections close. SIGINT
(Ctrl-C) is gunicorn's quick stop: the hooks still run.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from carnet import embedded
from config import Settings
from config.logs import gunicorn_logconfig

log = logging.getLogger(__name__)

#: seconds a stopping server gives the requests in flight
GRACEFUL_TIMEOUT = 30


def _worker_exit(_arbiter: Any, worker: Any) -> None:
    """gunicorn hook, in the worker once it has stopped serving: flush and close."""
    runtime = getattr(worker.app, "runtime", None)
    if runtime is not None:
        runtime.shutdown()
        log.info("Carnet stopped: requests finished, shutdown hooks run")


class EmbeddedServer(BaseApplication):
    """``carnet serve``: records, search and the portal in one gunicorn worker."""

    def __init__(
        self, settings: Settings, host: str, port: int, *, access_log: bool = False
    ) -> None:
        self.settings = settings
        self.runtime: embedded.Runtime | None = None
        self.options: dict[str, Any] = {
            "bind": [f"{host}:{port}"],
            "workers": 1,
            "worker_class": "gthread",
            "threads": settings.serve_threads,
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "control_socket_disable": True,
            "accesslog": None,
            # built in the worker, after the fork: threads and connections start there
            "preload_app": False,
            "proc_name": "carnet-serve",
            "worker_exit": _worker_exit,
            "logconfig_dict": gunicorn_logconfig(
                settings, "carnet", requests=settings.log_level if access_log else "WARNING"
            ),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # The command has migrated (or checked) the database before starting the server.
        self.runtime = embedded.runtime(self.settings)
        # An index of an earlier release's format (or lost) is rebuilt before serving.
        embedded.heal_search(self.runtime)
        # Replays what a crash left in the outbox, sweeps in the background; on shutdown
        # the sweep stops and flushes what is still pending.
        embedded.start_sweep(self.runtime)
        return embedded.wsgi_app(self.runtime)
