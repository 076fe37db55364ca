"""Sign-in throttling: failed sign-ins counted per user name and per client address.

Each key keeps a log of its recent failures (a sliding window); once a key holds its
limit, sign-ins under it are refused with 429 and ``Retry-After`` *before* the password
is hashed, so a flood of guesses costs the server next to nothing. An attempt is logged
when it starts (so that concurrent guesses cannot all slip under the limit) and taken
back when it succeeds: a successful sign-in also forgets the failures of that user name
*from that address*, never another address's.

In the full stack the logs are Redis sorted sets updated by Lua scripts (atomic, shared
by every web worker); embedded, one process keeps them in memory. The clock is injected
(tests move it instead of sleeping).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from flask import Flask, current_app, request

from config import Settings
from httpkit.problems import ProblemError
from httpkit.tokens import UnauthorizedError

log = logging.getLogger(__name__)

EXTENSION = "carnet.signin_throttle"
F = TypeVar("F", bound=Callable[..., Any])

_RESERVE = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local limits = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limits[i] then
    local oldest = redis.call('ZRANGE', key, count - limits[i], count - limits[i], 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
end
return '0'
"""

_RELEASE = """
if ARGV[1] ~= '' then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(member, 1, #ARGV[1]) == ARGV[1] then redis.call('ZREM', KEYS[1], member) end
  end
end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""


class AttemptLog(Protocol):
    def reserve(
        self, keys: tuple[str, str], limits: tuple[int, int], member: str, now: float, window: float
    ) -> float:
        """Log ``member`` under both keys unless one holds its limit within ``window``
        seconds before ``now``; return 0, or how many seconds until a place frees up."""

    def release(self, keys: tuple[str, str], prefix: str, member: str) -> None:
        """Take ``member`` back from both keys, and the first key's members under ``prefix``."""


class RedisAttemptLog:
    """The logs in Redis. A connection per call, closed after it: sign-ins are rare next
    to the password hash they guard, and an app holds no socket between them."""

    def __init__(self, url: str) -> None:
        self.url = url

    def reserve(
        self, keys: tuple[str, str], limits: tuple[int, int], member: str, now: float, window: float
    ) -> float:
        return float(self._run(_RESERVE, keys, [now, window, *limits, member]))

    def release(self, keys: tuple[str, str], prefix: str, member: str) -> None:
        self._run(_RELEASE, keys, [prefix, member])

    def _run(self, script: str, keys: tuple[str, str], args: list[Any]) -> Any:
        import redis

        with redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1) as client:
            return client.register_script(script)(keys=list(keys), args=args)


class LocalAttemptLog:
    """The same logs in this process's memory (the embedded default)."""

    def __init__(self) -> None:
        self._logs: dict[str, list[tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def reserve(
        self, keys: tuple[str, str], limits: tuple[int, int], member: str, now: float, window: float
    ) -> float:
        with self._lock:
            self._forget_before(now - window)
            wait = 0.0
            for key, limit in zip(keys, limits, strict=True):
                entries = self._logs.get(key, [])
                if len(entries) >= limit:
                    wait = max(wait, entries[len(entries) - limit][0] + window - now)
            if wait > 0:
                return wait
            for key in keys:
                self._logs.setdefault(key, []).append((now, member))
            return 0.0

    def release(self, keys: tuple[str, str], prefix: str, member: str) -> None:
        with self._lock:
            for index, key in enumerate(keys):
                self._logs[key] = [
                    (at, m)
                    for at, m in self._logs.get(key, [])
                    if m != member and not (index == 0 and prefix and m.startswith(prefix))
                ]

    def _forget_before(self, cutoff: float) -> None:
        for key in list(self._logs):
            kept = [entry for entry in self._logs[key] if entry[0] > cutoff]
            if kept:
                self._logs[key] = kept
            else:
                del self._logs[key]


class SignInThrottledError(ProblemError):
    status = 429

    def __init__(self, wait: float) -> None:
        seconds = max(1, math.ceil(wait))
        super().__init__(
            "Too many failed sign-ins for this user name or from this address; "
            f"try again in {seconds} seconds.",
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
        )


@dataclass
class Attempt:
    throttle: SignInThrottle | None
    keys: tuple[str, str] = ("", "")
    address: str = ""
    member: str = ""

    def succeeded(self) -> None:
        """Not a failure: forget it, and the failures of this name from this address."""
        self._release(f"{self.address}|")

    def void(self) -> None:
        """Neither success nor failure (the server failed): forget this attempt only."""
        self._release("")

    def _release(self, prefix: str) -> None:
        if self.throttle is not None:
            self.throttle.call(self.throttle.log.release, self.keys, prefix, self.member)


@dataclass
class SignInThrottle:
    log: AttemptLog
    per_name: int = 5
    per_address: int = 50
    window: float = 900.0
    clock: Callable[[], float] = field(default=time.time)
    prefix: str = "carnet:signin:"

    def attempt(self, username: str, address: str) -> Attempt:
        """A new attempt, logged; raises SignInThrottledError if either key is at its limit."""
        name = hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:32]
        keys = (f"{self.prefix}name:{name}", f"{self.prefix}address:{address}")
        member = f"{address}|{uuid.uuid4().hex}"
        limits = (self.per_name, self.per_address)
        wait = self.call(self.log.reserve, keys, limits, member, self.clock(), self.window)
        if wait is None:
            return Attempt(None)  # the log is unreachable: sign-in stays open
        if wait > 0:
            raise SignInThrottledError(wait)
        return Attempt(self, keys, address, member)

    def call(self, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args)
        except Exception:  # Redis down: throttling lapses, signing in keeps working
            log.warning("the sign-in throttle's log is unreachable", exc_info=True)
            return None


def from_settings(settings: Settings, *, clock: Callable[[], float] = time.time) -> SignInThrottle:
    url = settings.shared_redis_url
    attempts: AttemptLog = RedisAttemptLog(url) if url else LocalAttemptLog()
    return SignInThrottle(
        attempts,
        per_name=settings.signin_failures_per_name,
        per_address=settings.signin_failures_per_address,
        window=settings.signin_window_seconds,
        clock=clock,
        prefix=f"{settings.broker_key_prefix or ''}carnet:signin:",
    )


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = from_settings(settings)


def throttled(sign_in: F) -> F:
    """Wrap a sign-in function of the credentials: refused while throttled; a 401 counts
    as a failure of the name and of the caller's address."""

    @wraps(sign_in)
    def wrapper(credentials: dict[str, Any]) -> Any:
        throttle: SignInThrottle = current_app.extensions[EXTENSION]
        attempt = throttle.attempt(str(credentials["username"]), request.remote_addr or "-")
        try:
            result = sign_in(credentials)
        except UnauthorizedError:
            raise
        except BaseException:
            attempt.void()
            raise
        attempt.succeeded()
        return result

    return cast(F, wrapper)
