"""A salesperson's day: owner pickers, saved views and the calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from httpkit.tokens import current_principal
from records_svc.api.common import API, Shown, etag, expected_version, login_required, services
from records_svc.api.day_schemas import (
    CalendarFeedSchema,
    ViewCreateSchema,
    ViewListArgsSchema,
    ViewListSchema,
    ViewSchema,
    ViewWriteSchema,
)
from records_svc.api.schemas import UserListSchema
from records_svc.domain import calendar_feeds, users, views
from records_svc.domain.list_models import SavedView

blp = Blueprint("day", __name__, url_prefix=API, description="Owners, saved views, calendar")

Reply = tuple[SavedView, int, dict[str, str]]


@blp.route("/users", methods=["GET"])
@login_required()
@blp.response(200, UserListSchema)
def list_users() -> dict[str, Any]:
    """Active users, for owner and assignee pickers."""
    with services().db.read() as session:
        return {"items": users.list_active_users(session)}


# --- saved views ---------------------------------------------------------------------------


@blp.route("/views", methods=["GET"])
@login_required()
@blp.arguments(ViewListArgsSchema, location="query")
@blp.response(200, ViewListSchema)
def list_views(args: dict[str, Any]) -> dict[str, Any]:
    """My views and the shared ones."""
    with services().db.read() as session:
        found = views.list_views(session, current_principal().user_id, args.get("entity"))
        return {"items": found}


@blp.route("/views", methods=["POST"])
@login_required()
@blp.arguments(ViewCreateSchema)
@blp.response(201, ViewSchema)
def create_view(data: dict[str, Any]) -> Reply:
    with services().db.unit_of_work() as uow:
        view = views.create_view(uow.session, current_principal().user_id, data)
        headers = {**etag(view.version), "Location": f"{API}/views/{view.id}"}
        return view, 201, headers


@blp.route("/views/<id:view_id>", methods=["GET"])
@login_required()
@blp.response(200, ViewSchema)
def get_view(view_id: int) -> Reply:
    with services().db.read() as session:
        view = views.get_view(session, current_principal().user_id, view_id)
        return view, 200, etag(view.version)


@blp.route("/views/<id:view_id>", methods=["PATCH", "PUT"])
@login_required()
@blp.arguments(ViewWriteSchema)
@blp.response(200, ViewSchema)
def edit_view(data: dict[str, Any], view_id: int) -> Reply:
    version = expected_version(request.headers.get("If-Match"), required=False)
    with services().db.unit_of_work() as uow:
        view = views.update_view(
            uow.session, current_principal().user_id, view_id, data, expected_version=version
        )
        return view, 200, etag(view.version)


@blp.route("/views/<id:view_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_view(view_id: int) -> tuple[str, int]:
    version = expected_version(request.headers.get("If-Match"), required=False)
    with services().db.unit_of_work() as uow:
        views.delete_view(
            uow.session, current_principal().user_id, view_id, expected_version=version
        )
    return "", 204


# --- the calendar feed ---------------------------------------------------------------------


@blp.route("/calendar/feeds/me", methods=["POST"])
@login_required()
@blp.response(201, CalendarFeedSchema)
def create_calendar_feed() -> Shown:
    """A new secret URL of my calendar (the previous one stops working)."""
    with services().db.unit_of_work() as uow:
        feed, token = calendar_feeds.create_feed(uow.session, current_principal().user_id)
        return Shown(feed, token=token)


@blp.route("/calendar/feeds/me", methods=["GET"])
@login_required()
@blp.response(200, CalendarFeedSchema)
def get_calendar_feed() -> Shown:
    """Whether I have a feed (its URL was shown once, when made: only its hash is kept)."""
    with services().db.read() as session:
        return Shown(calendar_feeds.get_feed(session, current_principal().user_id), token=None)


@blp.route("/calendar/feeds/me", methods=["DELETE"])
@login_required()
@blp.response(204)
def revoke_calendar_feed() -> tuple[str, int]:
    with services().db.unit_of_work() as uow:
        calendar_feeds.revoke_feed(uow.session, current_principal().user_id)
    return "", 204


@blp.route("/calendar/<string(length=43):token>.ics", methods=["GET"])
@blp.doc(security=[])
@blp.response(200, content_type="text/calendar", description="iCalendar (RFC 5545)")
def calendar(token: str) -> Response:
    """The feed a calendar subscribes to: the secret token in the URL is the only key."""
    with services().db.read() as session:
        user = calendar_feeds.feed_owner(session, token)
        body = calendar_feeds.render_feed(
            session, user, host=request.host.split(":")[0], now=datetime.now(UTC)
        )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Cache-Control": "private, no-store", "Content-Disposition": "inline"},
    )
