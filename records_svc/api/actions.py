"""Actions (activities): from an opportunity, on a record, and one by one."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from httpkit.tokens import current_principal
from records_svc.api.common import API, etag, expected_version, login_required
from records_svc.api.common import services as svc
from records_svc.api.lists import check_query, user_id_of
from records_svc.api.opportunity_schemas import (
    ActionCreateSchema,
    ActionEditSchema,
    ActionListArgsSchema,
    ActionPageSchema,
    ActionSchema,
    OpportunityActionCreateSchema,
    TimelineArgsSchema,
    action_path,
)
from records_svc.domain import actions
from records_svc.domain.opportunity_models import Action

blp = Blueprint("actions", __name__, url_prefix=API, description="Actions (activities)")

Reply = tuple[Action, int, dict[str, str]]


def _created(action: Action) -> Reply:
    return action, 201, {**etag(action.version), "Location": action_path(action.id)}


@blp.route("/opportunities/<id:opportunity_id>/actions", methods=["GET"])
@login_required()
@blp.arguments(TimelineArgsSchema, location="query")
@blp.response(200, ActionPageSchema)
def opportunity_actions(args: dict[str, Any], opportunity_id: int) -> dict[str, Any]:
    with svc().db.read() as session:
        rows, next_cursor = actions.opportunity_actions(
            session, opportunity_id, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/opportunities/<id:opportunity_id>/actions", methods=["POST"])
@login_required()
@blp.arguments(OpportunityActionCreateSchema)
@blp.response(201, ActionSchema)
def add_opportunity_action(data: dict[str, Any], opportunity_id: int) -> Reply:
    with svc().db.unit_of_work() as uow:
        action = actions.create_from_opportunity(
            uow, current_principal().user_id, opportunity_id, data
        )
        return _created(action)


def _record_routes(segment: str, kind: str) -> None:
    """The timeline of ``/{segment}/{id}`` and adding an action to it."""

    @blp.route(f"/{segment}/<id:record_id>/actions", methods=["GET"], endpoint=f"{kind}_actions")
    @login_required()
    @blp.arguments(TimelineArgsSchema, location="query")
    @blp.response(200, ActionPageSchema)
    def timeline(args: dict[str, Any], record_id: int) -> dict[str, Any]:
        with svc().db.read() as session:
            rows, next_cursor = actions.record_timeline(
                session,
                kind,
                record_id,
                with_contacts=args["contacts"],
                cursor=args.get("cursor"),
                limit=args["limit"],
            )
            return {"items": rows, "next_cursor": next_cursor}

    @blp.route(
        f"/{segment}/<id:record_id>/actions", methods=["POST"], endpoint=f"add_{kind}_action"
    )
    @login_required()
    @blp.arguments(ActionCreateSchema)
    @blp.response(201, ActionSchema)
    def add(data: dict[str, Any], record_id: int) -> Reply:
        with svc().db.unit_of_work() as uow:
            action = actions.create_on_record(
                uow, current_principal().user_id, kind, record_id, data
            )
            return _created(action)


for _segment, _kind in (("contacts", "contact"), ("prospects", "prospect"), ("clients", "client")):
    _record_routes(_segment, _kind)


@blp.route("/actions", methods=["GET"])
@login_required()
@blp.arguments(ActionListArgsSchema, location="query")
@blp.response(200, ActionPageSchema)
def list_actions(args: dict[str, Any]) -> dict[str, Any]:
    """My actions: ``assignee=me&done=false&sort=due_at`` puts the overdue ones first."""
    check_query(actions.ACTION_FILTERS, custom=False)
    query = actions.ActionQuery(
        assignee_id=user_id_of(args.get("assignee")),
        done=args.get("done"),
        due_before=args.get("due_before"),
        due_after=args.get("due_after"),
        overdue=bool(args.get("overdue")),
        sort=args.get("sort"),
    )
    with svc().db.read() as session:
        rows, next_cursor = actions.list_actions(
            session, query, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/actions/<id:action_id>", methods=["GET"])
@login_required()
@blp.response(200, ActionSchema)
def get_action(action_id: int) -> Reply:
    with svc().db.read() as session:
        action = actions.get_action(session, action_id)
        return action, 200, etag(action.version)


@blp.route("/actions/<id:action_id>", methods=["PATCH", "PUT"])
@login_required()
@blp.arguments(ActionEditSchema)
@blp.response(200, ActionSchema)
def edit_action(data: dict[str, Any], action_id: int) -> Reply:
    version = expected_version(request.headers.get("If-Match"))
    with svc().db.unit_of_work() as uow:
        action = actions.update_action(uow, action_id, data, expected_version=version)
        return action, 200, etag(action.version)


@blp.route("/actions/<id:action_id>/done", methods=["POST"])
@login_required()
@blp.response(200, ActionSchema)
def mark_action_done(action_id: int) -> Reply:
    version = expected_version(request.headers.get("If-Match"), required=False)
    with svc().db.unit_of_work() as uow:
        action = actions.mark_done(uow, action_id, expected_version=version)
        return action, 200, etag(action.version)


@blp.route("/actions/<id:action_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_action(action_id: int) -> tuple[str, int]:
    version = expected_version(request.headers.get("If-Match"), required=False)
    with svc().db.unit_of_work() as uow:
        actions.delete_action(uow, action_id, expected_version=version)
    return "", 204
