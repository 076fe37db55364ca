"""Users' current states as the records service reads them, published for the search service."""

from __future__ import annotations

import logging

import redis

from config import Settings
from httpkit.userstate import RedisUserStates, UserState, UserStates
from records_svc.db import Database
from records_svc.domain import users

log = logging.getLogger(__name__)


class DatabaseUserStates:
    """The users table as a user-state source; each state read is also published to Redis.

    Publishing on every read (at most every few seconds per user and process) keeps
    the search service's copy current even if one publication was lost.
    """

    def __init__(self, db: Database, publisher: RedisUserStates | None = None) -> None:
        self.db = db
        self.publisher = publisher

    def load(self, user_id: int) -> UserState | None:
        with self.db.read() as session:
            state = users.state_of(session, user_id)
        if state is not None:
            self.publish(state)
        return state

    def publish(self, state: UserState) -> bool:
        """Tell the search service; False if it could not be told (Redis down)."""
        if self.publisher is None:
            return True
        try:
            self.publisher.publish(state)
        except redis.RedisError:
            log.warning("could not publish the state of user %s to Redis", state.user_id)
            return False
        return True


def publisher_for(settings: Settings) -> RedisUserStates | None:
    url = settings.resolved_user_state_redis_url
    return RedisUserStates.from_url(url, settings.user_state_redis_prefix) if url else None


def user_states_for(settings: Settings, db: Database) -> UserStates:
    return UserStates(
        DatabaseUserStates(db, publisher_for(settings)),
        ttl_seconds=settings.user_state_cache_seconds,
    )
