"""Revocation within 5 seconds on both services, the full-stack way: through the real Redis.

The records app reads users from its database and publishes their states to
Redis; the search app reads Redis only. Each keeps a state at most 5 s, timed by
a clock the test moves (no sleeping). Operator changes go through the real
``carnet users`` command.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from flask.testing import FlaskClient

from carnet.cli import main as carnet
from config import Settings
from httpkit.userstate import RedisUserStates, UserState, UserStates
from records_svc import create_app
from records_svc.db import Database
from records_svc.domain import outbox, users
from records_svc.userstates import DatabaseUserStates, publisher_for
from search_svc import create_app as create_search_app
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.conftest import PASSWORD, TEST_HASHING
from tests.services import redis_url
from workers import indexing

pytestmark = [pytest.mark.redis]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Services:
    settings: Settings
    database: Database
    records: FlaskClient
    search: FlaskClient
    clock: Clock
    backend: SqliteFtsBackend

    def sign_in(self, username: str, password: str = PASSWORD) -> str:
        reply = self.records.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert reply.status_code == 200, reply.json
        return str(reply.json["access_token"])

    def on_records(self, token: str, path: str = "/api/v1/prospects") -> Any:
        return self.records.get(path, headers={"Authorization": f"Bearer {token}"})

    def on_search(self, token: str, q: str = "ferm") -> Any:
        return self.search.get(
            "/api/v1/search", query_string={"q": q}, headers={"Authorization": f"Bearer {token}"}
        )

    def operator(self, *args: str) -> None:
        env = {
            "CARNET_DATA_DIR": str(self.settings.data_dir),
            "CARNET_DATABASE_URL": self.settings.resolved_database_url,
            "CARNET_SECRET_KEY": self.settings.resolved_secret_key(),
            "CARNET_BROKER_URL": self.settings.broker_url or "",
            "CARNET_BROKER_KEY_PREFIX": self.settings.broker_key_prefix or "",
        }
        result = CliRunner().invoke(carnet, ["users", *args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output

    def later(self, seconds: float) -> None:
        self.clock.now += seconds


@pytest.fixture
def services(settings: Settings, database: Database, tmp_path: Path) -> Iterator[Services]:
    prefix = f"carnet-test-{uuid.uuid4().hex}:"
    full = settings.model_copy(
        update={
            "broker_url": redis_url(),
            "broker_key_prefix": prefix,
            "user_state_cache_seconds": 5,
        }
    )
    clock = Clock()
    publisher = publisher_for(full)
    assert publisher is not None
    records = create_app(
        full,
        database=database,
        user_states=UserStates(DatabaseUserStates(database, publisher), clock=clock),
    )
    reader = RedisUserStates.from_url(redis_url(), full.user_state_redis_prefix)
    backend = SqliteFtsBackend(tmp_path / "search.db")
    search = create_search_app(full, backend=backend, user_states=UserStates(reader, clock=clock))
    with database.unit_of_work() as uow:
        users.create_user(uow.session, "alice", PASSWORD, hashing=TEST_HASHING)
        users.create_user(uow.session, "erp", PASSWORD, ["erp_sync"], hashing=TEST_HASHING)
    yield Services(full, database, records.test_client(), search.test_client(), clock, backend)
    backend.close()
    publisher.close()
    reader.close()
    client = redis.Redis.from_url(redis_url())
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_a_disabled_user_is_refused_by_both_services_within_5_seconds(services: Services) -> None:
    token = services.sign_in("alice")
    assert services.on_search(token).status_code == 200
    assert services.on_records(token).status_code == 200
    services.operator("disable", "alice")
    services.later(4.9)  # what each service read less than 5 s ago still holds…
    assert services.on_search(token).status_code == 200
    services.later(0.1)  # …and no longer
    for reply in (services.on_search(token), services.on_records(token)):
        assert reply.status_code == 401
        assert reply.content_type == "application/problem+json"
    services.operator("enable", "alice")
    services.later(5)
    assert services.on_search(token).status_code == 401  # enabling again does not revive it
    fresh = services.sign_in("alice")
    assert services.on_search(fresh).status_code == 200


def test_signing_out_ends_the_token_on_both_services(services: Services) -> None:
    token = services.sign_in("alice")
    other_device = services.sign_in("alice")
    assert services.on_search(token).status_code == 200
    out = services.records.delete(
        "/api/v1/auth/session", headers={"Authorization": f"Bearer {token}"}
    )
    assert out.status_code == 204
    assert services.on_records(token).status_code == 401  # the records service knows at once
    services.later(5)
    assert services.on_search(token).status_code == 401
    assert services.on_search(other_device).status_code == 401  # every session of the user
    assert services.on_search(services.sign_in("alice")).status_code == 200


def test_a_password_change_ends_earlier_tokens(services: Services) -> None:
    token = services.sign_in("alice")
    assert services.on_search(token).status_code == 200
    headers = {"Authorization": f"Bearer {token}"}
    wrong = services.records.post(
        "/api/v1/auth/password",
        json={"current_password": "not it at all", "new_password": "a new secret"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json["errors"]] == ["current_password"]
    short = services.records.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=headers,
    )
    assert short.status_code == 422
    assert [e["field"] for e in short.json["errors"]] == ["new_password"]
    assert services.on_records(token).status_code == 200  # nothing changed so far
    changed = services.records.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a new secret"},
        headers=headers,
    )
    assert changed.status_code == 204
    assert services.on_records(token).status_code == 401
    services.later(5)
    assert services.on_search(token).status_code == 401
    refused = services.records.post(
        "/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert services.on_search(services.sign_in("alice", "a new secret")).status_code == 200


def test_rights_are_the_current_ones_on_both_services(services: Services) -> None:
    """A right granted shows within 5 s on the token already held; a revoked one ends it."""
    erp = services.sign_in("erp")
    closed = services.records.put(
        "/api/v1/sync/clients/C1",
        json={"name": "Fermée SA", "closed": True},
        headers={"Authorization": f"Bearer {erp}"},
    )
    assert closed.status_code == 201
    with services.database.read() as session:
        pending = outbox.due(session, older_than=outbox.ago(-3600), limit=100)
    indexing.process_events(services.database, services.backend, pending)
    token = services.sign_in("alice")
    client_path = closed.json["links"]["self"]
    assert services.on_search(token, "fermee").json["items"] == []
    assert services.on_records(token, client_path).status_code == 404
    services.operator("grant", "alice", "191516")
    services.later(5)
    assert [i["id"] for i in services.on_search(token, "fermee").json["items"]] == [
        closed.json["id"]
    ]
    assert services.on_records(token, client_path).status_code == 200
    services.operator("revoke", "alice", "show_closed_accounts")
    services.later(5)
    assert services.on_search(token).status_code == 401
    assert services.on_records(token, client_path).status_code == 401
    assert services.on_records(services.sign_in("alice"), client_path).status_code == 404


def test_the_search_service_refuses_a_user_it_was_never_told_of(services: Services) -> None:
    """Fail closed: no published state (e.g. Redis emptied), no answer, until the next sign-in."""
    token = services.sign_in("alice")
    client = redis.Redis.from_url(redis_url())
    for key in client.scan_iter(f"{services.settings.user_state_redis_prefix}*"):
        client.delete(key)
    client.close()
    services.later(5)
    assert services.on_search(token).status_code == 401
    assert services.on_records(token).status_code == 200  # it publishes what it reads
    services.later(5)
    assert services.on_search(token).status_code == 200


def test_a_late_publication_never_undoes_a_revocation() -> None:
    """Two records processes: one read the user before a change, publishes after it."""
    prefix = f"carnet-test-{uuid.uuid4().hex}:user:"
    states = RedisUserStates.from_url(redis_url(), prefix)
    try:
        before = UserState.of(7, "alice", 3, True, ["show_closed_accounts"])
        after = UserState.of(7, "alice", 4, False, [])
        assert states.publish(before) and states.publish(after)
        assert not states.publish(before)  # the slow writer loses
        assert states.load(7) == after
        regranted = UserState.of(7, "alice", 4, False, ["validate_prospect"])
        assert states.publish(regranted)  # same version: the latest read wins
        assert states.load(7) == regranted
        assert states.load(8) is None
    finally:
        states.client.delete(states.key(7))
        states.close()


def test_the_cache_keeps_a_state_at_most_5_seconds() -> None:
    class Source:
        def __init__(self) -> None:
            self.reads = 0

        def load(self, user_id: int) -> UserState | None:
            self.reads += 1
            return UserState.of(user_id, "u", self.reads, True, [])

    clock, source = Clock(), Source()
    cache = UserStates(source, ttl_seconds=60, clock=clock)  # asked for more: 5 at most
    assert cache.ttl_seconds == 5
    assert cache.get(1) is not None and cache.get(1).token_version == 1  # type: ignore[union-attr]
    clock.now += 4.99
    assert cache.get(1).token_version == 1  # type: ignore[union-attr]
    clock.now += 0.01
    assert cache.get(1).token_version == 2  # type: ignore[union-attr]
    assert cache.refresh(1).token_version == 3  # type: ignore[union-attr]
