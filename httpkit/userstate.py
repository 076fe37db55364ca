"""The signed-in user's current state, read on every request by both services.

A token names who signed in and that user's *token version* at the time; what
the user may do is read from their current record, not from the token. The
records service reads the users table; the search service, which never reads
that database, reads what the records service publishes to Redis (full
stack) or shares the records service's reader (embedded, one process). Either
way a state is kept at most ``ttl_seconds`` (5) in process, so a disabled
account, a revoked right, a sign-out or a password change takes effect on both
services within that delay.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from httpkit.problems import ProblemError
from httpkit.tokens import Principal, UnauthorizedError

#: the longest a state is kept in process (the revocation delay)
MAX_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class UserState:
    user_id: int
    username: str
    token_version: int
    active: bool
    rights: frozenset[str]

    @classmethod
    def of(
        cls, user_id: int, username: str, token_version: int, active: bool, rights: Iterable[str]
    ) -> UserState:
        return cls(user_id, username, token_version, active, frozenset(rights))

    def to_json(self) -> str:
        return json.dumps(
            {
                "user_id": self.user_id,
                "username": self.username,
                "token_version": self.token_version,
                "active": self.active,
                "rights": sorted(self.rights),
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> UserState:
        data = json.loads(raw)
        return cls.of(
            int(data["user_id"]),
            str(data["username"]),
            int(data["token_version"]),
            bool(data["active"]),
            (str(r) for r in data["rights"]),
        )


class UserStateSource(Protocol):
    def load(self, user_id: int) -> UserState | None:
        """The user's current state; None if there is no such user."""
        ...


class UserStateUnavailableError(ProblemError):
    status = 503


class UserStates:
    """A source behind an in-process cache of at most ``ttl_seconds``; ``clock`` is injectable."""

    def __init__(
        self,
        source: UserStateSource,
        *,
        ttl_seconds: float = MAX_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.ttl_seconds = min(ttl_seconds, MAX_CACHE_SECONDS)
        self.clock = clock
        self._cache: dict[int, tuple[float, UserState | None]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int) -> UserState | None:
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        state = self.source.load(user_id)
        with self._lock:
            self._cache[user_id] = (now, state)
        return state

    def refresh(self, user_id: int) -> UserState | None:
        """Forget what this process knew of the user and read it again (after a change)."""
        with self._lock:
            self._cache.pop(user_id, None)
        return self.get(user_id)


def check_current(principal: Principal, states: UserStates | None) -> Principal:
    """The decoded token's identity, checked against the user's current state.

    Both services call this after verifying a token's signature: the account must
    still be active and the token of the user's current version; the rights are
    the user's current ones. Without ``states`` (a search service run on its own
    with no Redis: development, benchmarks) the token's own claims are trusted.
    """
    if states is None:
        return principal
    state = states.get(principal.user_id)
    if state is None or not state.active:
        raise UnauthorizedError("This account is disabled or no longer exists.")
    if state.token_version != principal.token_version:
        raise UnauthorizedError(
            "This session has ended (signed out, password or rights changed); sign in again."
        )
    return Principal(
        user_id=state.user_id,
        username=state.username,
        rights=state.rights,
        token_version=state.token_version,
    )


# Set the state only if it is not older than the one stored: a slow writer holding a
# state read before a revocation never undoes it.
_PUBLISH = """
local stored = tonumber(redis.call('HGET', KEYS[1], 'token_version') or '-1')
if stored > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'token_version', ARGV[1], 'state', ARGV[2])
return 1
"""


class RedisUserStates:
    """User states in Redis: the records service publishes, the search service reads."""

    def __init__(self, client: Any, prefix: str = "carnet:user:") -> None:
        self.client = client
        self.prefix = prefix
        self._publish = client.register_script(_PUBLISH)

    @classmethod
    def from_url(cls, url: str, prefix: str = "carnet:user:") -> RedisUserStates:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), prefix)

    def key(self, user_id: int) -> str:
        return f"{self.prefix}{user_id}"

    def load(self, user_id: int) -> UserState | None:
        import redis

        try:
            raw = self.client.hget(self.key(user_id), "state")
        except redis.RedisError as exc:
            raise UserStateUnavailableError(
                "The user directory (Redis) is unreachable; try again shortly."
            ) from exc
        return None if raw is None else UserState.from_json(raw)

    def publish(self, state: UserState) -> bool:
        """Store ``state`` unless a newer token version is stored already."""
        return bool(
            self._publish(
                keys=[self.key(state.user_id)], args=[state.token_version, state.to_json()]
            )
        )

    def close(self) -> None:
        self.client.close()
