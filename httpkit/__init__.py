"""Web plumbing shared by the Carnet services: problem+json errors, input hygiene,
bearer tokens and the OpenAPI settings. Both records_svc and search_svc use it;
it knows nothing of either.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


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


def init_app(app: Flask) -> None:
    """Errors as problem+json, a request id on every request (logged, echoed, passed to
    the jobs it enqueues), and the request checks every service applies."""
    from httpkit import inputs, problems, requestid

    problems.init_app(app)
    requestid.init_app(app)
    inputs.init_app(app)
