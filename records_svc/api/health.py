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


def _database_ok() -> bool:
    try:
        with services().db.read() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def _redis_ok(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


@blp.route("/readyz", methods=["GET"])
@blp.route(f"{API}/readyz", methods=["GET"], endpoint="readyz_api")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def readyz() -> dict[str, Any]:
    """The database, and Redis when jobs go through a Redis broker."""
    checks = {"database": "ok" if _database_ok() else "down"}
    broker = services().settings.broker_url
    if broker and broker.startswith(("redis://", "rediss://")):
        checks["redis"] = "ok" if _redis_ok(broker) else "down"
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        names = {"database": "the database", "redis": "Redis"}
        raise ProblemError(
            "Not ready: " + " and ".join(names[n] for n in down) + " unreachable.",
            status=503,
            checks=checks,
        )
    return {"status": "ok", "checks": checks}
