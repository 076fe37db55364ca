"""The portal: Carnet's French web front end, a static client of the records and search APIs.

It is plain files (HTML, ES modules, one stylesheet) served under a strict
Content-Security-Policy; the page signs in through ``/api/v1/auth/session``
and never sees the token. ``carnet serve`` mounts it at ``/`` beside the APIs
(carnet/embedded.py); the full stack runs it as its own service behind the
gateway (docker-compose.yml).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, jsonify, send_from_directory

from config import Settings, load_settings
from httpkit import headers

STATIC_DIR = Path(__file__).parent / "static"
#: the portal's files live under this path; the page itself is ``/``
PREFIX = "/portal"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(settings: Settings | None = None) -> Flask:
    """The portal's files and its small configuration (what the server offers)."""
    settings = settings or load_settings()
    app = Flask("portal", static_folder=None)
    # SIRENE is configured on the records service; the page shows *détecter* only then.
    # The upload limit, so that the page names it and refuses a file too big before sending.
    features = {
        "sirene": settings.sirene_provider != "none",
        "max_upload_bytes": settings.max_upload_bytes,
    }

    @app.get("/")
    def index() -> Response:
        response = send_from_directory(STATIC_DIR, "index.html")
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get(f"{PREFIX}/config.json")
    def config() -> Response:
        return jsonify(features)

    @app.get(f"{PREFIX}/<path:name>")
    def static_file(name: str) -> Response:
        response = send_from_directory(STATIC_DIR, name)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.after_request
    def _secure(response: Response) -> Response:
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    headers.init_app(
        app, trusted_proxies=settings.trusted_proxies, hsts_seconds=settings.hsts_seconds
    )
    return app
