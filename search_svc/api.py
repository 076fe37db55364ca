"""GET /api/v1/search: the type-ahead query; health and readiness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from httpkit.problems import problem_response
from httpkit.tokens import Principal, authenticated, bearer_token, current_principal, decode_token
from httpkit.userstate import UserStates, check_current
from search_svc.backends.base import (
    KINDS,
    SearchBackend,
    SearchHit,
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

blp = Blueprint("search", __name__, description="Type-ahead search")


@dataclass
class Services:
    backend: SearchBackend
    secret_key: str
    #: users' current rights, active flag and token version (None: trust the token)
    user_states: UserStates | None = None


def services() -> Services:
    svc: Services = current_app.extensions["carnet.search"]
    return svc


def _verify() -> Principal:
    svc = services()
    return check_current(decode_token(svc.secret_key, bearer_token()), svc.user_states)


class SearchArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "What the user typed: words, in any order, by prefix"},
    )
    kinds = fields.String(
        load_default=",".join(KINDS),
        metadata={"description": "Comma-separated: contact, prospect, client"},
    )
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT))

    @validates("q")
    def _not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("must not be blank")

    @validates("kinds")
    def _known_kinds(self, value: str, **_: Any) -> None:
        unknown = sorted({k.strip() for k in value.split(",")} - set(KINDS))
        if unknown:
            raise ValidationError(f"unknown kind {unknown[0]!r} (known: {', '.join(KINDS)})")


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


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route(PATH, methods=["GET"])
@authenticated(_verify)
@blp.arguments(SearchArgsSchema, location="query", error_status_code=400)
@blp.response(200, ResultsSchema)
@blp.alt_response(503, description=UNAVAILABLE)
def search(args: dict[str, Any]) -> Response:
    query = SearchQuery(
        text=args["q"],
        kinds=frozenset(k.strip() for k in args["kinds"].split(",")),
        limit=args["limit"],
        show_closed=current_principal().has(SHOW_CLOSED_ACCOUNTS),
    )
    # Serialised here, not by the response schema (which still documents it): a
    # type-ahead answers on every key stroke, and the schema's generic dump cost more
    # than the index query itself.
    items = [_item(hit) for hit in services().backend.search(query)]
    return current_app.response_class(
        current_app.json.dumps({"items": items}), mimetype="application/json"
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
