"""The one way tests wait for something asynchronous (a server starting, a worker's job,
the indexing pipeline): poll a predicate until it holds, or fail saying what was awaited.

Not a speed assertion: the timeouts are generous bounds, so that a loaded machine only
makes a test slower, never red.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeoutError(AssertionError):
    """The predicate never held within the timeout."""


def wait_until(
    predicate: Callable[[], T], timeout: float, message: str, *, interval: float = 0.05
) -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something truthy, and
    return that; after ``timeout`` seconds raise ``WaitTimeoutError`` with ``message``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeoutError(f"still waiting after {timeout} s: {message}")
        time.sleep(interval)
