"""gunicorn settings of both web services: ``gunicorn -c python:carnet.gunicorn_conf ...``.

gunicorn's own lines (start, workers booting, errors) are JSON like the app's;
requests are logged by the app itself (with their request id), so no access log;
no control socket (two services on one machine would share its default path).
"""

from __future__ import annotations

from typing import Any

from config import load_settings

#: gunicorn workers per service (CARNET_WEB_WORKERS)
workers = load_settings().web_workers
accesslog = None
control_socket_disable = True
graceful_timeout = 10
worker_class = "gthread"
threads = 4

_handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}

logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logs.JsonFormatter", "service": "gunicorn"}},
    "handlers": {"console": _handler, "error_console": _handler},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
    },
}
