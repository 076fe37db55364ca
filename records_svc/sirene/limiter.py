"""The provider's quota, shared by every worker: at most ``limit`` calls in any ``window``.

In the full stack the calls are logged in a Redis sorted set by a Lua script (atomic,
on Redis' own clock, so several workers on several machines share one count); embedded,
one process keeps the same log in memory. A caller that finds the quota used up waits
for the oldest call to leave the window, or gives up with a 429 past ``max_wait``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from records_svc.sirene.errors import QuotaExhaustedError

#: INSEE: 30 calls a minute per key; Recherche d'entreprises: 7 a second per address.
DEFAULT_QUOTAS = {"insee": (30, 60.0), "recherche-entreprises": (7, 1.0)}

_ACQUIRE = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return {1, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"""


class RateLimiter(Protocol):
    def acquire(self, max_wait: float) -> float:
        """Take one slot, waiting up to ``max_wait`` seconds; return when it was granted."""


def _quota_error(wait: float) -> QuotaExhaustedError:
    return QuotaExhaustedError(
        "The SIRENE provider's quota is used up for now; try again after the delay given "
        "in Retry-After.",
        retry_after=wait,
    )


class RedisRateLimiter:
    """The quota in Redis (sliding window log); grant times are Redis' clock, in seconds."""

    def __init__(
        self,
        client: Any,
        key: str,
        limit: int,
        window: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key, self.limit, self.window = key, limit, window
        self._script = client.register_script(_ACQUIRE)
        self._sleep = sleep

    def acquire(self, max_wait: float) -> float:
        deadline = time.monotonic() + max_wait
        window_us = int(self.window * 1_000_000)
        while True:
            granted, value = self._script(
                keys=[self.key], args=[self.limit, window_us, uuid.uuid4().hex]
            )
            if int(granted):
                return int(value) / 1_000_000
            wait = max(int(value), 1000) / 1_000_000
            if time.monotonic() + wait > deadline:
                raise _quota_error(wait)
            self._sleep(wait)


class LocalRateLimiter:
    """The same quota for one process (the embedded default)."""

    def __init__(
        self, limit: int, window: float, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.limit, self.window = limit, window
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self._sleep = sleep

    def acquire(self, max_wait: float) -> float:
        deadline = time.monotonic() + max_wait
        while True:
            with self._lock:
                now = time.monotonic()
                while self._calls and self._calls[0] <= now - self.window:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    return now
                wait = max(self._calls[0] + self.window - now, 0.001)
            if now + wait > deadline:
                raise _quota_error(wait)
            self._sleep(wait)
