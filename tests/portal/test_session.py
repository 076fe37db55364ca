"""The portal's session: an HttpOnly cookie with a CSRF token, accepted beside bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from flask.testing import FlaskClient

from httpkit.tokens import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    authenticated,
    bearer_token,
    current_principal,
    decode_token,
    issue_token,
)
from tests.conftest import PASSWORD, Api

PROSPECT = {"name": "Boulangerie Dupré"}


def _set_cookies(reply: Any) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header, attributes included)."""
    return {h.split("=", 1)[0]: h for h in reply.headers.getlist("Set-Cookie")}


def _signed_in(app: Flask, username: str = "alice") -> tuple[FlaskClient, str]:
    client = app.test_client()
    reply = client.post("/api/v1/auth/session", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.json
    return client, reply.json["csrf_token"]


def test_sign_in_sets_an_http_only_strict_cookie_and_a_readable_csrf_cookie(
    app: Flask, seller: Api
) -> None:
    reply = app.test_client().post(
        "/api/v1/auth/session", json={"username": "alice", "password": PASSWORD}
    )
    assert reply.status_code == 200
    assert reply.json["username"] == "alice"
    assert "access_token" not in reply.json  # the page never holds the token
    cookies = _set_cookies(reply)
    session = cookies[SESSION_COOKIE].lower()
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session
    csrf = cookies[CSRF_COOKIE].lower()
    assert "httponly" not in csrf and "samesite=strict" in csrf
    assert f"{CSRF_COOKIE}={reply.json['csrf_token']}".lower() in csrf


def test_the_cookie_signs_requests_in_without_a_bearer(app: Flask, seller: Api) -> None:
    client, _ = _signed_in(app)
    who = client.get("/api/v1/auth/session")
    assert who.status_code == 200
    assert who.json["username"] == "alice" and who.json["user_id"] == seller.user_id
    assert client.get("/api/v1/prospects").status_code == 200


def test_unsafe_methods_need_the_csrf_header(app: Flask, seller: Api) -> None:
    client, csrf = _signed_in(app)
    missing = client.post("/api/v1/prospects", json=PROSPECT)
    assert missing.status_code == 403
    assert missing.content_type == "application/problem+json"
    forged = client.post("/api/v1/prospects", json=PROSPECT, headers={CSRF_HEADER: "0" * 64})
    assert forged.status_code == 403
    assert client.get("/api/v1/prospects").json["items"] == []  # nothing was written
    made = client.post("/api/v1/prospects", json=PROSPECT, headers={CSRF_HEADER: csrf})
    assert made.status_code == 201, made.json


def test_a_csrf_token_of_another_session_is_refused(app: Flask, seller: Api, manager: Api) -> None:
    client, _ = _signed_in(app, "alice")
    _, other = _signed_in(app, "bob")
    reply = client.post("/api/v1/prospects", json=PROSPECT, headers={CSRF_HEADER: other})
    assert reply.status_code == 403


def test_a_bearer_header_wins_over_the_cookie(app: Flask, seller: Api, manager: Api) -> None:
    client, _ = _signed_in(app, "alice")
    # bob's bearer with alice's cookie: bob is the caller, and no CSRF header is needed
    reply = client.get("/api/v1/auth/session", headers={"Authorization": f"Bearer {manager.token}"})
    assert reply.json["username"] == "bob"
    made = client.post(
        "/api/v1/prospects", json=PROSPECT, headers={"Authorization": f"Bearer {manager.token}"}
    )
    assert made.status_code == 201
    bad = client.get("/api/v1/prospects", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


def test_sign_out_forgets_the_session(app: Flask, seller: Api) -> None:
    client, _ = _signed_in(app)
    reply = client.delete("/api/v1/auth/session")
    assert reply.status_code == 204
    cleared = _set_cookies(reply)
    assert {SESSION_COOKIE, CSRF_COOKIE} <= set(cleared)
    assert all("expires=thu, 01 jan 1970" in h.lower() for h in cleared.values())
    assert client.get("/api/v1/auth/session").status_code == 401


def test_wrong_password_sets_no_cookie(app: Flask, seller: Api) -> None:
    reply = app.test_client().post(
        "/api/v1/auth/session", json={"username": "alice", "password": "wrong password"}
    )
    assert reply.status_code == 401
    assert reply.content_type == "application/problem+json"
    assert not reply.headers.getlist("Set-Cookie")


def test_an_expired_session_is_401(app: Flask, settings: Any, seller: Api) -> None:
    expired = issue_token(
        settings.resolved_secret_key(),
        user_id=seller.user_id or 0,
        username="alice",
        rights=[],
        ttl_seconds=-10,
    )
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, expired)
    reply = client.get("/api/v1/prospects")
    assert reply.status_code == 401
    assert "expired" in reply.json["detail"]


def test_any_service_using_httpkit_accepts_the_cookie() -> None:
    """The extraction lives in httpkit, so the search service gets it the same way."""
    key = "k" * 48
    service = Flask("other_service")

    def verify() -> Any:
        return decode_token(key, bearer_token())

    @service.route("/thing", methods=["GET", "POST"])
    @authenticated(verify)
    def thing() -> Any:
        return jsonify(user=current_principal().username)

    from httpkit import problems

    problems.init_app(service)
    token = issue_token(key, user_id=7, username="zoé", rights=[], ttl_seconds=60)
    client = service.test_client()
    assert client.get("/thing").status_code == 401
    client.set_cookie(SESSION_COOKIE, token)
    assert client.get("/thing").json == {"user": "zoé"}
    assert client.post("/thing").status_code == 403
    from httpkit.tokens import csrf_token_for

    assert client.post("/thing", headers={CSRF_HEADER: csrf_token_for(token)}).json == {
        "user": "zoé"
    }
