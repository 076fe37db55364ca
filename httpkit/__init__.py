"""Web plumbing shared by the Carnet services: problem+json errors, input hygiene,
bearer tokens and the OpenAPI settings. Both records_svc and search_svc use it;
it knows nothing of either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from config import Settings


def api_config(title: str) -> dict[str, Any]:
    """flask-smorest settings: OpenAPI 3 at /openapi.json, bearer auth on every operation."""
    return {
        "API_TITLE": title,
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "security": [{"bearerAuth": []}],
        },
    }


def init_app(app: Flask, settings: Settings | None = None) -> None:
    """Errors as problem+json, a request id on every request (logged, echoed, passed to
    the jobs it enqueues), the request checks and the response headers every service
    applies (limits and proxies from ``settings``)."""
    from httpkit import headers, inputs, problems, requestid

    if settings is not None:
        app.config[inputs.MAX_JSON_BYTES_KEY] = settings.max_json_bytes
        app.config[inputs.MAX_JSON_DEPTH_KEY] = settings.max_json_depth
    problems.init_app(app)
    requestid.init_app(app)
    inputs.init_app(app)
    headers.init_app(
        app,
        trusted_proxies=settings.trusted_proxies if settings else 0,
        hsts_seconds=settings.hsts_seconds if settings else 0,
    )
