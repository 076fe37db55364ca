"""Sign-in, tokens and rights over HTTP."""

from __future__ import annotations

import time

import jwt
import pytest
from click.testing import CliRunner

from carnet import cli
from config import ConfigurationError, load_settings
from httpkit.tokens import issue_token
from records_svc.domain import users
from tests.conftest import PASSWORD, Api


def test_sign_in_gives_a_signed_expiring_token_with_rights(manager: Api) -> None:
    claims = jwt.decode(manager.token or "", options={"verify_signature": False})
    assert claims["sub"] == str(manager.user_id)
    assert set(claims["rights"]) == {"validate_prospect", "show_closed_accounts"}
    assert claims["exp"] > time.time()


def test_sign_in_reply_shape(app, seller: Api) -> None:
    reply = app.test_client().post(
        "/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}
    )
    assert reply.status_code == 200
    assert reply.json["token_type"] == "Bearer"
    assert reply.json["expires_in"] == 3600


def test_passwords_are_hashed_with_scrypt_unless_a_test_suite_says_otherwise(app, database) -> None:
    """The suite's users get a cheap hash (tests/conftest.py); Carnet's default is scrypt,
    and a scrypt-hashed user signs in."""
    assert load_settings().password_hashing == "scrypt"
    with database.unit_of_work() as uow:
        hashed = users.create_user(uow.session, "scrypted", PASSWORD).password_hash
        cheap = users.create_user(
            uow.session, "cheap", PASSWORD, hashing="insecure-fast-for-tests"
        ).password_hash
    assert hashed.startswith("scrypt:")
    assert cheap.startswith("pbkdf2:sha256:1$")
    # an unknown user is checked against a hash of the same cost as a known one's
    assert users._dummy_hash("scrypt").startswith("scrypt:")
    assert users._dummy_hash("insecure-fast-for-tests").startswith("pbkdf2:sha256:1$")
    for username in ("scrypted", "cheap"):
        reply = app.test_client().post(
            "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert reply.status_code == 200, reply.json


def test_servers_refuse_the_test_only_password_hashing(monkeypatch) -> None:
    monkeypatch.setenv("CARNET_PASSWORD_HASHING", "insecure-fast-for-tests")
    assert load_settings().password_hashing == "insecure-fast-for-tests"  # a test suite's
    monkeypatch.setenv("CARNET_MODE", "full")
    monkeypatch.setenv("CARNET_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("CARNET_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("CARNET_BROKER_URL", "memory://")
    with pytest.raises(ConfigurationError, match="test suites only"):
        load_settings()
    monkeypatch.setenv("CARNET_MODE", "embedded")
    result = CliRunner().invoke(cli.main, ["serve", "--port", "1"])
    assert result.exit_code != 0
    assert "test suites only" in result.output


@pytest.mark.parametrize(
    "body",
    [{"username": "alice", "password": "wrong password"}, {"username": "nobody", "password": "x"}],
)
def test_wrong_credentials_are_401_problems(app, seller: Api, body: dict) -> None:
    reply = app.test_client().post("/api/v1/auth/token", json=body)
    assert reply.status_code == 401
    assert reply.content_type == "application/problem+json"
    assert "access_token" not in reply.json


def test_missing_fields_name_the_field(app) -> None:
    reply = app.test_client().post("/api/v1/auth/token", json={"username": "alice"})
    assert reply.status_code == 422
    assert {
        "field": "password",
        "code": "required",
        "message": "Missing data for required field.",
    } in reply.json["errors"]


def test_every_endpoint_but_health_and_sign_in_needs_a_token(app, anonymous: Api) -> None:
    paths = [
        ("GET", "/api/v1/prospects"),
        ("POST", "/api/v1/prospects"),
        ("GET", "/api/v1/clients"),
        ("GET", "/api/v1/accounts/1"),
        ("GET", "/api/v1/contacts/1"),
        ("GET", "/api/v1/field-definitions?entity=contact"),
        ("PUT", "/api/v1/sync/clients/X1"),
    ]
    for method, path in paths:
        reply = anonymous.request(method, path, json={})
        assert reply.status_code == 401, (method, path)
        assert reply.content_type == "application/problem+json"
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200


def test_expired_and_forged_tokens_are_refused(app, seller: Api, settings) -> None:
    expired = issue_token(
        settings.secret_key, user_id=seller.user_id, username="alice", rights=[], ttl_seconds=-10
    )
    reply = seller.client.get("/api/v1/prospects", headers={"Authorization": f"Bearer {expired}"})
    assert reply.status_code == 401
    assert "expired" in reply.json["detail"]
    forged = issue_token(
        "another key that is long enough to sign",
        user_id=seller.user_id,
        username="alice",
        rights=["erp_sync"],
        ttl_seconds=60,
    )
    reply = seller.client.get("/api/v1/prospects", headers={"Authorization": f"Bearer {forged}"})
    assert reply.status_code == 401


def test_a_disabled_user_loses_access_at_once(seller: Api, database) -> None:
    assert seller.get("/api/v1/prospects").status_code == 200
    with database.unit_of_work() as uow:
        users.set_disabled(uow.session, "alice", True)
    assert seller.get("/api/v1/prospects").status_code == 401
    reply = seller.client.post(
        "/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}
    )
    assert reply.status_code == 401


def test_missing_right_is_403_naming_it(seller: Api, prospect: dict) -> None:
    reply = seller.post(f"/api/v1/prospects/{prospect['id']}/validate")
    assert reply.status_code == 403
    assert reply.json["missing_right"] == "validate_prospect"
