"""GET /api/v1/search answered before Flask: the type-ahead's every key stroke.

A successful search is answered here, as a plain WSGI call: the same token
check (``decode_token``, cached per token, then the user's current state), the
same query-string rules (``api._parse``), the same reply (``api._body``) and
the same headers as the Flask app would send (``Server``, ``nosniff``,
``Cache-Control: no-store``, HSTS behind HTTPS, the request id, echoed and
logged). Anything else — another path or method, no or a bad token, a bad
parameter, a text Carnet refuses, the index unavailable, any error — goes to
the Flask app, which answers it as it always did (problem+json): the contract
has one implementation of every error, and the fast path only skips Flask's
routing, request and response objects and their hooks on the common case.

It sits inside the proxy fix (``httpkit.headers``), so ``wsgi.url_scheme`` is
already the client's when the HSTS header is decided.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.http import parse_cookie

from config.logs import HTTP_HEADER, reset_request_id, set_request_id
from httpkit.headers import SERVER
from httpkit.inputs import _text_problem
from httpkit.requestid import _VALID
from httpkit.tokens import SESSION_COOKIE, decode_token
from httpkit.userstate import check_current
from search_svc import api

log = logging.getLogger("carnet.http")

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
_REQUEST_ID_KEY = "HTTP_" + HTTP_HEADER.upper().replace("-", "_")


class Fallback(Exception):
    """The request is not the common case: the Flask app answers it."""


class FastSearch:
    """WSGI middleware: the successful ``GET /api/v1/search`` without Flask, the rest to
    ``inner`` (the Flask app's own ``wsgi_app``)."""

    def __init__(
        self, services: api.SearchServices, inner: WSGIApp, *, hsts_seconds: int = 0
    ) -> None:
        self.services = services
        self.inner = inner
        self.hsts_seconds = hsts_seconds

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != api.PATH or environ.get("REQUEST_METHOD") != "GET":
            return self.inner(environ, start_response)
        if (
            environ.get("CONTENT_LENGTH", "") not in ("", "0")
            or "HTTP_TRANSFER_ENCODING" in environ
        ):
            # a GET with a body: the input limits (httpkit.inputs) read it, in the Flask app
            return self.inner(environ, start_response)
        started = time.perf_counter()
        given = environ.get(_REQUEST_ID_KEY, "")
        request_id = given if _VALID.match(given) else uuid.uuid4().hex
        context = set_request_id(request_id)
        try:
            body: bytes | None = self._answer(environ).encode()
        except Exception:  # every other case is the Flask app's, answered as before
            body = None
        finally:
            reset_request_id(context)
        if body is None:
            return self.inner(environ, start_response)
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            (HTTP_HEADER, request_id),
            ("Server", SERVER),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store"),
        ]
        if self.hsts_seconds and environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", f"max-age={self.hsts_seconds}"))
        start_response("200 OK", headers)
        if log.isEnabledFor(logging.INFO):
            context = set_request_id(request_id)
            try:
                log.info(
                    "%s %s %s",
                    "GET",
                    api.PATH,
                    200,
                    extra={
                        "method": "GET",
                        "path": api.PATH,
                        "status": 200,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            finally:
                reset_request_id(context)
        return [body]

    def _answer(self, environ: dict[str, Any]) -> str:
        args: dict[str, str] = {}
        # WSGI hands the query string as latin-1 text of its bytes; its words are UTF-8.
        raw = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8", "replace")
        for key, value in parse_qsl(raw, keep_blank_values=True):
            if _text_problem(key) or _text_problem(value):
                raise Fallback  # a value no field of Carnet can hold: the 422 of httpkit.inputs
            args.setdefault(key, value)
        svc = self.services
        principal = check_current(decode_token(svc.secret_key, _token(environ)), svc.user_states)
        query = api.with_rights(api._parse(args), principal)
        page = svc.backend.page(query)
        return api._body(query, page, svc.backend)


def _token(environ: dict[str, Any]) -> str:
    """The bearer token, else the session cookie (a GET needs no CSRF header), as
    ``httpkit.tokens.bearer_token`` reads them; anything unusual is the Flask app's."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Fallback
        return token
    session = parse_cookie(environ.get("HTTP_COOKIE", "")).get(SESSION_COOKIE, "").strip()
    if not session:
        raise Fallback
    return session
