"""Sign-in: a signed, expiring bearer token, or the portal's session cookie."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from httpkit.error_codes import BAD_CREDENTIALS
from httpkit.problems import ProblemError
from httpkit.tokens import (
    UnauthorizedError,
    bearer_token,
    clear_session_cookies,
    csrf_token_for,
    current_principal,
    decode_token,
    issue_token,
    set_session_cookies,
)
from httpkit.userstate import check_current
from records_svc.api.common import API, login_required, services
from records_svc.api.schemas import PasswordChangeSchema, TokenRequestSchema, TokenSchema
from records_svc.domain import users
from records_svc.throttle import throttled

blp = Blueprint("auth", __name__, url_prefix=API, description="Sign-in")
THROTTLED = "Too many failed sign-ins for the name or from the address: wait Retry-After seconds"


class SessionSchema(Schema):
    user_id = fields.Integer()
    username = fields.String()
    rights = fields.List(fields.String())
    expires_in = fields.Integer(metadata={"description": "Seconds (only when signing in)"})
    csrf_token = fields.String(
        metadata={"description": "Echo it in X-CSRF-Token on unsafe methods (also a cookie)"}
    )


@throttled
def _sign_in(credentials: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The token of a valid username and password, and who it is."""
    svc = services()
    with svc.db.read() as session:
        user = users.authenticate(
            session,
            credentials["username"],
            credentials["password"],
            hashing=svc.settings.password_hashing,
        )
        if user is None:
            raise UnauthorizedError(
                "Unknown user, wrong password or disabled account.", code=BAD_CREDENTIALS
            )
        token = issue_token(
            svc.secret_key,
            user_id=user.id,
            username=user.username,
            rights=user.right_names,
            ttl_seconds=svc.settings.token_ttl_seconds,
            token_version=user.token_version or 0,
        )
        who = {"user_id": user.id, "username": user.username, "rights": sorted(user.right_names)}
    svc.user_states.refresh(user.id)  # the search service learns of the user now
    return token, who


@blp.route("/auth/token", methods=["POST"])
@blp.alt_response(429, description=THROTTLED)
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.doc(security=[])
def sign_in(credentials: dict[str, Any]) -> dict[str, Any]:
    token, _ = _sign_in(credentials)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": services().settings.token_ttl_seconds,
    }


@blp.route("/auth/session", methods=["POST"])
@blp.alt_response(429, description=THROTTLED)
@blp.arguments(TokenRequestSchema)
@blp.response(200, SessionSchema)
@blp.doc(security=[])
def open_session(credentials: dict[str, Any]) -> Response:
    """Sign a browser in: the token goes in an HttpOnly cookie that script cannot read."""
    token, who = _sign_in(credentials)
    ttl = services().settings.token_ttl_seconds
    response = jsonify({**who, "expires_in": ttl, "csrf_token": csrf_token_for(token)})
    set_session_cookies(response, token, ttl)
    return response


@blp.route("/auth/session", methods=["GET"])
@login_required()
@blp.response(200, SessionSchema)
def who_am_i() -> dict[str, Any]:
    principal = current_principal()
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "rights": sorted(principal.rights),
    }


@blp.route("/auth/session", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=[])
def close_session() -> Response:
    """Sign out: the tokens issued so far stop working (on both services within 5 s),
    and the browser forgets its cookies. Anonymous, so an expired session can too."""
    svc = services()
    try:
        principal = check_current(decode_token(svc.secret_key, bearer_token()), svc.user_states)
    except ProblemError:
        principal = None  # nothing valid to end: just forget the cookies
    if principal is not None:
        with svc.db.unit_of_work() as uow:
            users.sign_out(uow.session, principal.user_id, principal.token_version)
        svc.user_states.refresh(principal.user_id)
    response = Response(status=204)
    clear_session_cookies(response)
    return response


@blp.route("/auth/password", methods=["POST"])
@login_required()
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
def change_password(data: dict[str, Any]) -> Response:
    """Change one's own password: every session of the user ends, this one too."""
    svc = services()
    user_id = current_principal().user_id
    with svc.db.unit_of_work() as uow:
        users.change_password(
            uow.session,
            user_id,
            data["current_password"],
            data["new_password"],
            hashing=svc.settings.password_hashing,
        )
    svc.user_states.refresh(user_id)
    response = Response(status=204)
    clear_session_cookies(response)
    return response
