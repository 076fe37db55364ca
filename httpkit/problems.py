"""RFC 9457 problem details for every error a Carnet service returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from httpkit.error_codes import (
    CODES,
    UNKNOWN_URL,
    UnknownErrorCodeError,
    code_of_message,
    field_error,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(Exception):
    """An error with an HTTP status, rendered as application/problem+json.

    ``code`` (in ``extra``), when given, is the problem's own registered code
    (``httpkit.error_codes``): what clients match, never the ``detail``.
    """

    status = 400
    title: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        errors: Iterable[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        code = extra.get("code")
        if code is not None and code not in CODES:
            raise UnknownErrorCodeError(f"problem code {code!r} is not in error_codes.CODES")
        self.detail = detail
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        self.errors = [dict(e) for e in errors] if errors else []
        self.headers = dict(headers or {})
        self.extra = extra


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"https://carnet.dev/problems/{phrase.lower().replace(' ', '-')}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _webargs_errors(messages: Any) -> list[dict[str, str]]:
    """Flatten webargs/marshmallow messages ({location: {field: [msg]}}) to entries
    {field, code, message}, the code from the message's template."""
    out: list[dict[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, sub in value.items():
                name = str(key) if key != "_schema" else ""
                walk(f"{prefix}.{name}" if prefix and name else (name or prefix), sub)
        elif isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            for message in value:
                out.append(field_error(prefix or "body", code_of_message(message), message))
        elif isinstance(value, list | tuple):
            for sub in value:
                walk(prefix, sub)
        else:
            out.append(field_error(prefix or "body", code_of_message(str(value)), str(value)))

    if isinstance(messages, Mapping):
        for location, fields in messages.items():
            if isinstance(fields, Mapping):
                walk("", fields)
            else:
                walk(str(location), fields)
    else:
        walk("", messages)
    return out


def init_app(app: Flask) -> None:
    """Render every error of ``app`` as problem+json."""

    @app.errorhandler(ProblemError)
    def _problem(error: ProblemError) -> Response:
        return problem_response(
            error.status,
            error.detail,
            title=error.title,
            errors=error.errors,
            headers=error.headers,
            **error.extra,
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") if isinstance(data, Mapping) else None
        if messages:
            errors = _webargs_errors(messages)
            if any(e["message"] == "Invalid JSON body." for e in errors):
                return problem_response(400, "The request body is not valid JSON.")
            if status == 422:
                return problem_response(
                    422,
                    "Some fields are invalid: "
                    + ", ".join(sorted({e["field"] for e in errors}))
                    + ".",
                    errors=errors,
                )
            return problem_response(status, "The request is malformed.", errors=errors)
        detail = error.description or HTTPStatus(status).phrase
        headers = {}
        if status == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        if status == 404 and request.routing_exception is error:
            # no endpoint has this URL (not a record that is missing): a feature this
            # server does not offer, which a client says so
            return problem_response(status, detail, headers=headers, code=UNKNOWN_URL)
        return problem_response(status, detail, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error", exc_info=error)
        return problem_response(500, "An unexpected error occurred; it has been logged.")
