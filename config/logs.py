"""Logs as one JSON object per line, each with the request id it belongs to.

The request id is set by the web services for each request (``httpkit.requestid``),
travels with the jobs a request enqueues (a Celery message header set by the job
queue) and is set again around each task in the worker (``workers.celery_app``).
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from contextvars import ContextVar, Token
from typing import Any

from config import Settings

__all__ = [
    "CELERY_HEADER",
    "HTTP_HEADER",
    "JsonFormatter",
    "capture_output",
    "configure",
    "current_request_id",
    "gunicorn_logconfig",
    "reset_request_id",
    "set_request_id",
]

#: the HTTP header a caller may send (and every answer carries)
HTTP_HEADER = "X-Request-ID"
#: the Celery message header that carries it into a job
CELERY_HEADER = "carnet_request_id"

_request_id: ContextVar[str | None] = ContextVar("carnet_request_id", default=None)

#: attributes every LogRecord has; anything else was passed as ``extra=`` and is kept
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> Token[str | None]:
    return _request_id.set(value)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, service, request_id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.request_id = getattr(record, "request_id", None) or current_request_id() or "-"
        return super().format(record)


_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: the app logs each request itself (``carnet.http``, with its request id): gunicorn's
#: access logger, which gunicorn feeds whenever a logging config is given, says nothing
_SILENT = ("gunicorn.access",)


#: CRITICAL lines of Celery for states it recovers from by itself (logged as WARNING):
#: the result consumer reconnects on its next read; a late ack lost with the broker
#: connection means the message is delivered again (index jobs are idempotent)
_RECOVERED = {
    "celery.backends.asynchronous": "must be restarted",
    "celery.worker.request": "Couldn't ack",
}


class _Recovered(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        marker = _RECOVERED.get(record.name)
        if marker and record.levelno == logging.CRITICAL and marker in str(record.msg):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.recovers = True
        return True


class _LinesToLog(io.TextIOBase):
    """A text stream whose lines become log records: what a library prints itself
    (Celery's "Warm shutdown", kombu at exit, tracebacks) comes out as JSON lines too."""

    def __init__(self, name: str, level: int, original: io.TextIOBase) -> None:
        self.original = original
        self._log = logging.getLogger(name)
        self._level = level
        self._pending = ""
        self._inside = threading.local()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if getattr(self._inside, "active", False):  # a handler failing: no loop
            return self.original.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        self._inside.active = True
        try:
            for line in lines:
                if line.strip():
                    self._log.log(self._level, line.rstrip())
        finally:
            self._inside.active = False
        return len(text)

    def flush(self) -> None:
        self.original.flush()

    def fileno(self) -> int:
        return self.original.fileno()

    def isatty(self) -> bool:
        return False


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: object) -> None:
    logging.getLogger("carnet.crash").critical(
        "uncaught %s: %s",
        kind.__name__,
        value,
        exc_info=(kind, value, tb),  # type: ignore[arg-type]
    )


def capture_output() -> None:
    """Lines written to stdout/stderr by anything but logging become JSON log records."""
    for attr, level in (("stdout", logging.INFO), ("stderr", logging.WARNING)):
        current = getattr(sys, attr)
        if not isinstance(current, _LinesToLog):
            stream = _LinesToLog(f"carnet.{attr}", level, current)
            setattr(sys, attr, stream)
            setattr(sys, f"__{attr}__", stream)  # Celery's own messages go there
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda args: _log_uncaught(
        args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback
    )


def configure(settings: Settings, service: str) -> None:
    """Send every log record of this process to stderr, one line each (JSON by default)."""
    stderr = sys.stderr
    handler = logging.StreamHandler(getattr(stderr, "original", stderr))
    handler.addFilter(_Recovered())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(_TextFormatter(_TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    logging.captureWarnings(True)
    # Servers with their own handlers (gunicorn, celery) go through the root handler too.
    for name in ("gunicorn.error", "celery", "flower", "tornado", *_SILENT):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = name not in _SILENT


def gunicorn_logconfig(
    settings: Settings, service: str, *, requests: str | None = None
) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its own lines like the app's, no access log of its
    own; ``requests`` sets the level of the app's request lines (``carnet.http``)."""
    if settings.log_format == "json":
        formatter: dict[str, Any] = {"()": JsonFormatter, "service": service}
    else:
        formatter = {"()": _TextFormatter, "fmt": _TEXT}
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    loggers: dict[str, Any] = {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    }
    if requests:
        loggers["carnet.http"] = {"level": requests.upper(), "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"console": handler, "error_console": handler},
        "root": {"level": settings.log_level.upper(), "handlers": ["console"]},
        "loggers": loggers,
    }
