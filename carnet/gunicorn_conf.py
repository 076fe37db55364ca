"""gunicorn settings of both web services: ``gunicorn -c python:carnet.gunicorn_conf ...``.

gunicorn's own lines (start, workers booting, errors) are JSON like the app's;
requests are logged by the app itself (with their request id), so no access log;
no control socket (two services on one machine would share its default path).
"""

from __future__ import annotations

from typing import Any

from config import load_settings
from config.logs import gunicorn_logconfig

_settings = load_settings()
#: gunicorn workers per service (CARNET_WEB_WORKERS)
workers = _settings.web_workers
accesslog = None
control_socket_disable = True
graceful_timeout = 10
worker_class = "gthread"
threads = 4

logconfig_dict: dict[str, Any] = gunicorn_logconfig(_settings, "gunicorn")
