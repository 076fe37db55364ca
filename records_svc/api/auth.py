"""Sign-in: username and password for a signed, expiring bearer token."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from httpkit.tokens import UnauthorizedError, issue_token
from records_svc.api.common import API, services
from records_svc.api.schemas import TokenRequestSchema, TokenSchema
from records_svc.domain import users

blp = Blueprint("auth", __name__, url_prefix=API, description="Sign-in")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.doc(security=[])
def sign_in(credentials: dict[str, Any]) -> dict[str, Any]:
    svc = services()
    with svc.db.read() as session:
        user = users.authenticate(session, credentials["username"], credentials["password"])
        if user is None:
            raise UnauthorizedError("Unknown user, wrong password or disabled account.")
        token = issue_token(
            svc.secret_key,
            user_id=user.id,
            username=user.username,
            rights=user.right_names,
            ttl_seconds=svc.settings.token_ttl_seconds,
        )
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": svc.settings.token_ttl_seconds,
    }
