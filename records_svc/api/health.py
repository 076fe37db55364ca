"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import text

from config import Settings
from httpkit.problems import ProblemError
from records_svc.api.common import API, services
from records_svc.api.schemas import HealthSchema

#: the queue whose worker keeps search in step with the records (workers.celery_app.QUEUES)
INDEXING_QUEUE = "indexing"

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


def _redis_checks(settings: Settings) -> dict[str, str]:
    """Redis answers; and the indexing worker's heartbeat (workers/heartbeat.py) is fresh."""
    import redis

    url = settings.broker_url or ""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        beating = bool(client.exists(settings.worker_heartbeat_key(INDEXING_QUEUE)))
    except Exception:
        return {"redis": "down"}
    finally:
        client.close()
    return {"redis": "ok", "indexing_worker": "ok" if beating else "down"}


#: what a failing check means, for the problem's detail
_DOWN = {
    "database": "the database is unreachable",
    "redis": "Redis is unreachable",
    "indexing_worker": "no indexing worker is running (no heartbeat): search lags behind writes",
}


@blp.route("/readyz", methods=["GET"])
@blp.route(f"{API}/readyz", methods=["GET"], endpoint="readyz_api")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def readyz() -> dict[str, Any]:
    """The database; with a Redis broker, Redis and the indexing worker's heartbeat."""
    checks = {"database": "ok" if _database_ok() else "down"}
    settings = services().settings
    if (settings.broker_url or "").startswith(("redis://", "rediss://")):
        checks.update(_redis_checks(settings))
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        raise ProblemError(
            "Not ready: " + "; ".join(_DOWN[n] for n in down) + ".",
            status=503,
            checks=checks,
        )
    return {"status": "ok", "checks": checks}
