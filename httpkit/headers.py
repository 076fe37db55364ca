"""Response headers every Carnet app sends, and the trusted proxies in front of it.

Set by the app itself (after_request), not by the WSGI server, so they hold whatever
server runs it: the API answers are never cached nor sniffed, ``Server`` names no
version, and behind HTTPS (directly, or through ``trusted_proxies`` proxies that say so
in ``X-Forwarded-Proto``) browsers are told to stay on HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

SERVER = "Carnet"
JSON_TYPES = frozenset({"application/json", "application/problem+json"})


def init_app(app: Flask, *, trusted_proxies: int = 0, hsts_seconds: int = 0) -> None:
    """``trusted_proxies``: how many proxies in front set X-Forwarded-For/-Proto/-Host
    (0: none; their headers are then ignored, as a client could forge them)."""
    if trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies, x_host=trusted_proxies
        )

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Server"] = SERVER
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype in JSON_TYPES:
            response.headers["Cache-Control"] = "no-store"
        if hsts_seconds and request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}")
        return response
