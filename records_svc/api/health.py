"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import text

from httpkit.problems import ProblemError
from records_svc.api.common import API, services
from records_svc.api.schemas import HealthSchema

blp = Blueprint("health", __name__, description="Health")


@blp.route("/healthz", methods=["GET"])
@blp.route(f"{API}/healthz", methods=["GET"], endpoint="healthz_api")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def healthz() -> dict[str, Any]:
    return {"status": "ok", "checks": {}}


@blp.route("/readyz", methods=["GET"])
@blp.route(f"{API}/readyz", methods=["GET"], endpoint="readyz_api")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def readyz() -> dict[str, Any]:
    try:
        with services().db.read() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        raise ProblemError(
            f"The database is unreachable: {type(exc).__name__}.",
            status=503,
            checks={"database": "down"},
        ) from exc
    return {"status": "ok", "checks": {"database": "ok"}}
