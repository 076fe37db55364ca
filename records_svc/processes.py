"""Whether this process may fork workers of its own."""

from __future__ import annotations

import multiprocessing
import sys


def daemonic() -> bool:
    """Whether this process may not have children: a daemonic process of the standard
    library's or of billiard's (a Celery prefork worker's child)."""
    if multiprocessing.current_process().daemon:
        return True
    billiard = sys.modules.get("billiard.process")
    current = getattr(billiard, "current_process", None)
    return bool(current is not None and getattr(current(), "daemon", False))
