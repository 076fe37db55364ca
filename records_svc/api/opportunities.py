"""Opportunities: the portfolio, the signature calendar, CRUD and the Contacts tab."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import request
from flask_smorest import Blueprint

from httpkit.tokens import current_principal
from records_svc.api.common import API, etag, expected_version, login_required
from records_svc.api.common import services as svc
from records_svc.api.lists import list_query, user_id_of
from records_svc.api.opportunity_schemas import (
    CalendarArgsSchema,
    CalendarSchema,
    OpportunityContactSchema,
    OpportunityCreateSchema,
    OpportunityEditSchema,
    OpportunityPageSchema,
    OpportunitySchema,
    PortfolioArgsSchema,
    opportunity_path,
)
from records_svc.api.schemas import ContactPageSchema
from records_svc.domain import opportunities
from records_svc.domain.opportunities import PortfolioQuery, SignatureCalendar
from records_svc.domain.opportunity_models import Opportunity

blp = Blueprint(
    "opportunities", __name__, url_prefix=API, description="Opportunities and their calendar"
)

Reply = tuple[Opportunity, int, dict[str, str]]


def _owner(args: dict[str, Any]) -> int | None:
    """Whose opportunities: ``owner_id=``, ``owner=all`` (everyone's), an id or, by default, mine."""
    if args.get("owner_id") is not None:
        return int(args["owner_id"])
    if args.get("owner") == "all":
        return None
    return user_id_of(args.get("owner", "me"))


def _if_match(required: bool) -> int | None:
    return expected_version(request.headers.get("If-Match"), required=required)


@blp.route("/opportunities", methods=["GET"])
@login_required()
@blp.arguments(PortfolioArgsSchema, location="query")
@blp.response(200, OpportunityPageSchema)
def portfolio(args: dict[str, Any]) -> dict[str, Any]:
    query = PortfolioQuery(
        owner_id=_owner(args),
        stages=tuple(args.get("stage") or ()),
        account_id=args.get("account_id"),
        signing_from=args.get("signing_from"),
        signing_to=args.get("signing_to"),
        open_only=bool(args.get("open")),
        sort=args["sort"],
        accounts=replace(
            list_query(args, opportunities.PORTFOLIO_FILTERS, custom=False), owner_id=None
        ),
    )
    with svc().db.read() as session:
        rows, next_cursor = opportunities.list_portfolio(
            session, query, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/opportunities/signature-calendar", methods=["GET"])
@login_required()
@blp.arguments(CalendarArgsSchema, location="query")
@blp.response(200, CalendarSchema)
def signature_calendar(args: dict[str, Any]) -> SignatureCalendar:
    with svc().db.read() as session:
        return opportunities.signature_calendar(
            session, owner_id=_owner(args), start=args["from_"], end=args["to"]
        )


@blp.route("/opportunities", methods=["POST"])
@login_required()
@blp.arguments(OpportunityCreateSchema)
@blp.response(201, OpportunitySchema)
def create_opportunity(data: dict[str, Any]) -> Reply:
    with svc().db.unit_of_work() as uow:
        opportunity = opportunities.create_opportunity(uow, current_principal().user_id, data)
    headers = {**etag(opportunity.version), "Location": opportunity_path(opportunity.id)}
    return opportunity, 201, headers


@blp.route("/opportunities/<id:opportunity_id>", methods=["GET"])
@login_required()
@blp.response(200, OpportunitySchema)
def get_opportunity(opportunity_id: int) -> Reply:
    with svc().db.read() as session:
        opportunity = opportunities.get_opportunity(session, opportunity_id)
        return opportunity, 200, etag(opportunity.version)


@blp.route("/opportunities/<id:opportunity_id>", methods=["PATCH", "PUT"])
@login_required()
@blp.arguments(OpportunityEditSchema)
@blp.response(200, OpportunitySchema)
def edit_opportunity(data: dict[str, Any], opportunity_id: int) -> Reply:
    version = _if_match(required=True)
    with svc().db.unit_of_work() as uow:
        opportunity = opportunities.update_opportunity(
            uow, opportunity_id, data, expected_version=version
        )
    return opportunity, 200, etag(opportunity.version)


@blp.route("/opportunities/<id:opportunity_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_opportunity(opportunity_id: int) -> tuple[str, int]:
    version = _if_match(required=False)
    with svc().db.unit_of_work() as uow:
        opportunities.delete_opportunity(uow, opportunity_id, expected_version=version)
    return "", 204


@blp.route("/opportunities/<id:opportunity_id>/contacts", methods=["GET"])
@login_required()
@blp.response(200, ContactPageSchema)
def list_opportunity_contacts(opportunity_id: int) -> dict[str, Any]:
    with svc().db.read() as session:
        opportunity = opportunities.get_opportunity(session, opportunity_id)
        return {"items": opportunity.contacts, "next_cursor": None}


@blp.route("/opportunities/<id:opportunity_id>/contacts", methods=["POST"])
@login_required()
@blp.arguments(OpportunityContactSchema)
@blp.response(200, OpportunitySchema)
def add_opportunity_contact(data: dict[str, Any], opportunity_id: int) -> Reply:
    version = _if_match(required=False)
    with svc().db.unit_of_work() as uow:
        opportunity = opportunities.add_contact(
            uow, opportunity_id, data["contact_id"], expected_version=version
        )
    return opportunity, 200, etag(opportunity.version)


@blp.route("/opportunities/<id:opportunity_id>/contacts/<id:contact_id>", methods=["DELETE"])
@login_required()
@blp.response(200, OpportunitySchema)
def remove_opportunity_contact(opportunity_id: int, contact_id: int) -> Reply:
    version = _if_match(required=False)
    with svc().db.unit_of_work() as uow:
        opportunity = opportunities.remove_contact(
            uow, opportunity_id, contact_id, expected_version=version
        )
    return opportunity, 200, etag(opportunity.version)
