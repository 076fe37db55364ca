"""The provider's quota holds across concurrent workers (the real Redis) and in process."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from records_svc.sirene.errors import QuotaExhaustedError
from records_svc.sirene.limiter import LocalRateLimiter, RateLimiter, RedisRateLimiter
from tests.services import redis_url

LIMIT, WINDOW = 5, 0.4
WORKERS, CALLS_EACH = 6, 4


@pytest.fixture
def redis_key() -> Iterator[tuple[str, str]]:
    import redis

    url = redis_url()
    key = f"carnet-test-{uuid.uuid4().hex}:sirene:quota"
    yield url, key
    client = redis.Redis.from_url(url)
    client.delete(key)
    client.close()


def run_concurrently(make_limiter: Callable[[], RateLimiter]) -> list[float]:
    """WORKERS threads, each with its own limiter (and connection), each taking CALLS_EACH slots."""
    grants: list[float] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        limiter = make_limiter()
        try:
            for _ in range(CALLS_EACH):
                granted = limiter.acquire(max_wait=30)
                with lock:
                    grants.append(granted)
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return sorted(grants)


def assert_quota_held(grants: list[float]) -> None:
    """No window of WINDOW seconds holds more than LIMIT calls."""
    assert len(grants) == WORKERS * CALLS_EACH
    window_us = round(WINDOW * 1_000_000)
    for earlier, later in zip(grants, grants[LIMIT:], strict=False):
        assert round((later - earlier) * 1_000_000) >= window_us


@pytest.mark.redis
def test_the_quota_holds_across_concurrent_workers_on_redis(redis_key: tuple[str, str]) -> None:
    import redis

    url, key = redis_key
    clients: list[Any] = []

    def make() -> RateLimiter:
        client = redis.Redis.from_url(url)
        clients.append(client)
        return RedisRateLimiter(client, key, LIMIT, WINDOW)

    try:
        assert_quota_held(run_concurrently(make))
    finally:
        for client in clients:
            client.close()


def test_the_quota_holds_across_threads_in_process() -> None:
    shared = LocalRateLimiter(LIMIT, WINDOW)
    assert_quota_held(run_concurrently(lambda: shared))


@pytest.mark.redis
def test_past_max_wait_the_quota_answers_429_with_the_delay(redis_key: tuple[str, str]) -> None:
    import redis

    url, key = redis_key
    client = redis.Redis.from_url(url)
    try:
        limiter = RedisRateLimiter(client, key, 1, 60)
        limiter.acquire(max_wait=0)
        with pytest.raises(QuotaExhaustedError) as caught:
            limiter.acquire(max_wait=1)
        assert caught.value.status == 429
        assert 55 <= (caught.value.retry_after or 0) <= 60
    finally:
        client.close()
