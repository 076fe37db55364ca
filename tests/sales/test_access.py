"""Rights and tokens on the sales endpoints."""

from __future__ import annotations

from httpkit.tokens import issue_token
from records_svc.domain import users
from tests.conftest import Api

ENDPOINTS = [
    ("GET", "/api/v1/opportunities"),
    ("POST", "/api/v1/opportunities"),
    ("GET", "/api/v1/opportunities/signature-calendar?from=2027-01-01&to=2027-01-31"),
    ("GET", "/api/v1/opportunities/1"),
    ("PATCH", "/api/v1/opportunities/1"),
    ("DELETE", "/api/v1/opportunities/1"),
    ("GET", "/api/v1/opportunities/1/contacts"),
    ("POST", "/api/v1/opportunities/1/contacts"),
    ("DELETE", "/api/v1/opportunities/1/contacts/1"),
    ("GET", "/api/v1/opportunities/1/actions"),
    ("POST", "/api/v1/opportunities/1/actions"),
    ("GET", "/api/v1/contacts/1/actions"),
    ("POST", "/api/v1/prospects/1/actions"),
    ("GET", "/api/v1/clients/1/actions"),
    ("GET", "/api/v1/actions/1"),
    ("PATCH", "/api/v1/actions/1"),
    ("POST", "/api/v1/actions/1/done"),
    ("DELETE", "/api/v1/actions/1"),
]


def test_no_token_no_access(anonymous: Api, opportunity: dict) -> None:
    for method, path in ENDPOINTS:
        reply = anonymous.request(method, path, json={})
        assert reply.status_code == 401, (method, path)
        assert reply.content_type == "application/problem+json"
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_forged_and_disabled_are_refused(
    seller: Api, opportunity: dict, settings, database
) -> None:
    path = opportunity["links"]["self"]
    expired = issue_token(
        settings.secret_key, user_id=seller.user_id, username="alice", rights=[], ttl_seconds=-10
    )
    forged = issue_token(
        "another key that is long enough to sign",
        user_id=seller.user_id,
        username="alice",
        rights=[],
        ttl_seconds=60,
    )
    for token in (expired, forged, "not-a-token"):
        reply = seller.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401
    assert seller.get(path).status_code == 200
    with database.unit_of_work() as uow:
        users.set_disabled(uow.session, "alice", True)
    assert seller.get(path).status_code == 401
    assert seller.delete(path).status_code == 401


def test_the_team_shares_opportunities_and_actions(
    seller: Api, manager: Api, opportunity: dict
) -> None:
    """No right is needed: the portfolio is a filter, not a wall (like the address book)."""
    path = opportunity["links"]["self"]
    assert manager.get(path).status_code == 200
    logged = manager.post(opportunity["links"]["actions"], json={"type": "email", "subject": "CR"})
    assert logged.status_code == 201
    assert logged.json["author_id"] == manager.user_id
    assert manager.get("/api/v1/opportunities").json["items"] == []
    assert [o["id"] for o in manager.get("/api/v1/opportunities?owner=all").json["items"]] == [
        opportunity["id"]
    ]
