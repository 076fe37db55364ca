"""Sign-in throttling per user name and per client address, on a clock the tests move."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import load_settings
from records_svc import throttle
from records_svc.db import Database
from records_svc.domain import users
from tests.conftest import PASSWORD, TEST_HASHING, Api
from tests.services import redis_url

TOKEN, SESSION = "/api/v1/auth/token", "/api/v1/auth/session"
WINDOW = 15 * 60


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(app: Flask) -> Clock:
    fake = Clock()
    app.extensions[throttle.EXTENSION].clock = fake
    return fake


def sign_in(
    client: FlaskClient, username: str, password: str, address: str = "10.0.0.1", path: str = TOKEN
) -> Any:
    return client.post(
        path,
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_five_failures_for_a_name_then_429_with_retry_after(
    app: Flask, seller: Api, clock: Clock
) -> None:
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "alice", "wrong password").status_code == 401
    clock.advance(60)
    # Refused even with the right password, from another address, on the session endpoint.
    refused = sign_in(client, "alice", PASSWORD, address="10.9.9.9", path=SESSION)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == str(WINDOW - 60)
    assert refused.json["retry_after"] == WINDOW - 60
    assert sign_in(client, "someone-else", "x").status_code == 401  # other names are not held
    clock.advance(WINDOW - 60)
    assert sign_in(client, "alice", PASSWORD).status_code == 200


def test_the_window_slides(app: Flask, seller: Api, clock: Clock) -> None:
    client = app.test_client()
    assert sign_in(client, "alice", "wrong password").status_code == 401
    clock.advance(600)
    for _ in range(4):
        assert sign_in(client, "alice", "wrong password", path=SESSION).status_code == 401
    clock.advance(1)
    reply = sign_in(client, "alice", PASSWORD)
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == str(WINDOW - 601)  # when the first failure leaves
    clock.advance(WINDOW - 601)
    assert sign_in(client, "alice", "wrong password").status_code == 401  # one place freed
    assert sign_in(client, "alice", PASSWORD).status_code == 429


def test_fifty_failures_from_an_address_hold_that_address_only(
    app: Flask, seller: Api, clock: Clock
) -> None:
    client = app.test_client()
    for i in range(50):
        assert sign_in(client, f"guess-{i}", "x", address="192.0.2.7").status_code == 401
    reply = sign_in(client, "alice", PASSWORD, address="192.0.2.7")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == str(WINDOW)
    assert sign_in(client, "alice", PASSWORD, address="192.0.2.8").status_code == 200


def test_a_success_forgets_only_its_own_address_failures(
    app: Flask, database: Database, seller: Api, clock: Clock
) -> None:
    app.extensions[throttle.EXTENSION].per_address = 4
    with database.unit_of_work() as uow:
        users.create_user(uow.session, "bob", PASSWORD, hashing=TEST_HASHING)
    client = app.test_client()
    a, b, c = "198.51.100.1", "198.51.100.2", "198.51.100.3"
    for address in (a, a, b, b):
        assert sign_in(client, "alice", "wrong password", address=address).status_code == 401
    assert sign_in(client, "alice", PASSWORD, address=a).status_code == 200
    # b's two failures still count against alice: three more and she is held...
    for _ in range(3):
        assert sign_in(client, "alice", "wrong password", address=c).status_code == 401
    assert sign_in(client, "alice", PASSWORD, address=a).status_code == 429
    # ...and against b itself, as a's count against a: two more failures fill each.
    for address in (a, b):
        for _ in range(2):
            assert sign_in(client, "bob", "wrong password", address=address).status_code == 401
        assert sign_in(client, "bob", PASSWORD, address=address).status_code == 429
    assert sign_in(client, "bob", PASSWORD, address=c).status_code == 200


def test_throttled_attempts_never_reach_the_password_hash(
    app: Flask, seller: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login flood costs a hash per allowed guess only (a spy counts the real calls)."""
    hashed: list[str] = []
    real = users.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        hashed.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counting)
    client = app.test_client()
    replies = [sign_in(client, "alice", f"guess {i}").status_code for i in range(40)]
    assert replies == [401] * 5 + [429] * 35
    assert len(hashed) == 5


@pytest.fixture
def redis_log() -> Any:
    return throttle.RedisAttemptLog(redis_url())


def test_the_redis_log_slides_and_forgets_per_address(redis_log: Any) -> None:
    """The full stack's log, on the real Redis (the keys are the test's own)."""
    import redis

    prefix = f"carnet-test-{uuid.uuid4().hex}:"
    clock = Clock()
    shared = throttle.SignInThrottle(
        redis_log, per_name=3, per_address=10, clock=clock, prefix=prefix
    )
    other_worker = throttle.SignInThrottle(
        redis_log, per_name=3, per_address=10, clock=clock, prefix=prefix
    )
    try:
        shared.attempt("alice", "203.0.113.1")  # failures: never taken back
        clock.advance(100)
        other_worker.attempt("alice", "203.0.113.2")
        other_worker.attempt("alice", "203.0.113.2")
        with pytest.raises(throttle.SignInThrottledError) as held:
            shared.attempt("alice", "203.0.113.3")
        assert held.value.headers["Retry-After"] == str(WINDOW - 100)
        clock.advance(WINDOW - 100)
        success = shared.attempt("alice", "203.0.113.1")  # the first failure has left
        success.succeeded()
        shared.attempt("alice", "203.0.113.1")
        with pytest.raises(throttle.SignInThrottledError):
            shared.attempt("alice", "203.0.113.1")  # .2's two failures are still there
    finally:
        client = redis.Redis.from_url(redis_url())
        keys = list(client.scan_iter(f"{prefix}*"))
        assert keys
        client.delete(*keys)
        client.close()


def test_the_full_stack_uses_redis_and_an_outage_leaves_sign_in_open(tmp_path: Any) -> None:
    settings = load_settings(
        data_dir=tmp_path, secret_key="s" * 64, broker_url="redis://127.0.0.1:1/0"
    )
    made = throttle.from_settings(settings)
    assert isinstance(made.log, throttle.RedisAttemptLog)
    for _ in range(10):
        made.attempt("alice", "203.0.113.1")  # Redis unreachable: logged, never refused
    embedded = throttle.from_settings(load_settings(data_dir=tmp_path, secret_key="s" * 64))
    assert isinstance(embedded.log, throttle.LocalAttemptLog)
