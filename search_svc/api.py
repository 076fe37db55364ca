"""GET /api/v1/search: the type-ahead query; health and readiness."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from httpkit.error_codes import field_error
from httpkit.problems import ProblemError, problem_response
from httpkit.tokens import Principal, bearer_token, decode_token
from httpkit.userstate import UserStates, check_current
from search_svc.backends.base import (
    KINDS,
    TOTAL_CAP,
    SearchBackend,
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchUnavailableError,
)

PATH = "/api/v1/search"
#: the ERP right 191516: closed clients and their contacts show in results
SHOW_CLOSED_ACCOUNTS = "show_closed_accounts"
MAX_LIMIT = 50
UNAVAILABLE = (
    "The search index is unavailable (its server is down, or the index is missing or "
    "replaced: checks.index says which); Retry-After says when to ask again"
)
MAX_QUERY = 100
ALL_KINDS = frozenset(KINDS)

blp = Blueprint("search", __name__, description="Type-ahead search")


@dataclass
class SearchServices:
    backend: SearchBackend
    secret_key: str
    #: users' current rights, active flag and token version (None: trust the token)
    user_states: UserStates | None = None


def services() -> SearchServices:
    svc: SearchServices = current_app.extensions["carnet.search"]
    return svc


def _verify() -> Principal:
    svc = services()
    return check_current(decode_token(svc.secret_key, bearer_token()), svc.user_states)


def _bad(field: str, code: str, message: str, *, status: int = 400) -> ProblemError:
    return ProblemError(
        f"{field}: {message}",
        status=status,
        title="Invalid request",
        errors=[field_error(field, code, message)],
    )


def _parse(args: Any) -> SearchQuery:
    """The query string by hand: this endpoint answers every key stroke, and a generic
    argument-parsing layer cost as much as the search (the OpenAPI document still
    describes the parameters, see PARAMETERS)."""
    unknown = sorted(set(args) - {"q", "kinds", "limit", "cursor"})
    if unknown:
        raise _bad(unknown[0], "unknown_field", "unknown parameter")
    text = args.get("q")
    if text is None:
        raise _bad("q", "required", "missing")
    if not text.strip():
        raise _bad("q", "required", "must not be blank")
    if len(text) > MAX_QUERY:
        raise _bad("q", "too_long", f"at most {MAX_QUERY} characters")
    kinds = ALL_KINDS
    if "kinds" in args:
        kinds = frozenset(k.strip() for k in args["kinds"].split(","))
        unknown = sorted(kinds - ALL_KINDS)
        if unknown:
            raise _bad(
                "kinds", "not_one_of", f"unknown kind {unknown[0]!r} (known: {', '.join(KINDS)})"
            )
    limit = 10
    if "limit" in args:
        try:
            limit = int(args["limit"])
        except ValueError:
            raise _bad("limit", "not_a_number", "must be an integer") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise _bad("limit", "out_of_range", f"must be between 1 and {MAX_LIMIT}", status=422)
    offset = _offset(args["cursor"]) if "cursor" in args else 0
    return SearchQuery(text=text, kinds=kinds, limit=limit, offset=offset)


def with_rights(query: SearchQuery, principal: Principal) -> SearchQuery:
    """The query as the caller may see: closed clients only with show_closed_accounts."""
    if not principal.has(SHOW_CLOSED_ACCOUNTS):
        return query
    return SearchQuery(query.text, query.kinds, query.limit, show_closed=True, offset=query.offset)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset = int(text[1:]) if text.startswith("o") else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
    if not 0 < offset <= TOTAL_CAP:
        raise _bad("cursor", "invalid_cursor", "not a cursor from a previous page")
    return offset


PARAMETERS: list[dict[str, Any]] = [
    {
        "in": "query",
        "name": "q",
        "required": True,
        "description": "What the user typed: words, in any order, by prefix",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
    },
    {
        "in": "query",
        "name": "kinds",
        "description": "Comma-separated: contact, prospect, client",
        "schema": {"type": "string", "default": ",".join(KINDS)},
    },
    {
        "in": "query",
        "name": "limit",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
    },
    {
        "in": "query",
        "name": "cursor",
        "description": "next_cursor of the previous page",
        "schema": {"type": "string"},
    },
]


class HitSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    id = fields.Integer()
    label = fields.String()
    sublabel = fields.String(allow_none=True)
    badges = fields.List(fields.String())
    link = fields.String()
    highlight = fields.List(
        fields.List(fields.Integer()),
        metadata={"description": "[start, end) character ranges of label"},
    )


class ResultsSchema(Schema):
    items = fields.List(fields.Nested(HitSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "the next page's cursor; null on the last"}
    )
    total = fields.Integer(metadata={"description": "how many match (exact up to 1,000)"})
    total_is_lower_bound = fields.Boolean(
        metadata={"description": "more than `total` match (counting stops at 1,000)"}
    )


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route(PATH, methods=["GET"])
@blp.doc(
    parameters=PARAMETERS,
    responses={
        "400": {"description": "Invalid request (problem+json naming the parameter)"},
        "401": {"description": "No token, or a bad or expired one"},
        "422": {"description": "limit out of range (problem+json)"},
    },
)
@blp.response(200, ResultsSchema)
@blp.alt_response(503, description=UNAVAILABLE)
def search() -> Response:
    principal = _verify()
    query = with_rights(_parse(request.args), principal)
    backend = services().backend
    page = backend.page(query)
    # Serialised here, compactly, not by the response schema (which only documents it): a
    # type-ahead answers on every key stroke.
    return Response(_body(query, page, backend), mimetype="application/json")


def _body(query: SearchQuery, page: SearchPage, backend: SearchBackend) -> str:
    end = query.offset + len(page.hits)
    more = page.more and end < TOTAL_CAP
    # Only a page that is not the last needs counting: otherwise its end is the count.
    total = backend.count(query, TOTAL_CAP + 1) if page.more else end
    return json.dumps(
        {
            "items": [_item(hit) for hit in page.hits],
            "next_cursor": _cursor(end) if more else None,
            "total": min(total, TOTAL_CAP),
            "total_is_lower_bound": total > TOTAL_CAP,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _item(hit: SearchHit) -> dict[str, Any]:
    return {
        "kind": hit.kind,
        "id": hit.id,
        "label": hit.label,
        "sublabel": hit.sublabel,
        "badges": list(hit.badges),
        "link": hit.link,
        "highlight": [[start, end] for start, end in hit.highlight],
    }


@blp.route("/healthz", methods=["GET"])
@blp.route(f"{PATH}/healthz", methods=["GET"], endpoint="healthz_api")
@blp.response(200, HealthSchema)
@blp.doc(security=[])
def healthz() -> dict[str, Any]:
    return {"status": "ok", "checks": {}}


@blp.route("/readyz", methods=["GET"])
@blp.route(f"{PATH}/readyz", methods=["GET"], endpoint="readyz_api")
@blp.response(200, HealthSchema)
@blp.alt_response(503, description=UNAVAILABLE)
@blp.doc(security=[])
def readyz() -> dict[str, Any]:
    health = services().backend.health()
    if not health.ok:
        raise SearchUnavailableError(health)
    # "incomplete": recreated after a loss, answering while a rebuild from the database fills it
    return {"status": "ok", "checks": {"index": health.state}}


#: what a client is told to wait before asking again while the index is unavailable
RETRY_AFTER_SECONDS = 5


@blp.app_errorhandler(SearchUnavailableError)
def _unavailable(error: SearchUnavailableError) -> Response:
    """The index or its server is down, or the index is lost: 503, never a 500."""
    return problem_response(
        503,
        f"The search index is unavailable: {error.health.detail}.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        checks={"index": error.health.state},
    )
