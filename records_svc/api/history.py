"""History of records, the deleted-records log, a person's data (GDPR)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from records_svc.api.common import API, login_required, services
from records_svc.api.history_schemas import (
    DeletedArgsSchema,
    DeletedPageSchema,
    HistoryPageSchema,
    deleted_repr,
    entry_repr,
)
from records_svc.api.schemas import PageArgsSchema
from records_svc.domain import history_log
from records_svc.domain.rights import MANAGE_USERS

blp = Blueprint("history", __name__, url_prefix=API, description="History and personal data")


def _history(kind: str, record_id: int, args: dict[str, Any]) -> dict[str, Any]:
    with services().db.read() as session:
        rows, next_cursor = history_log.list_history(
            session, kind, record_id, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": [entry_repr(row) for row in rows], "next_cursor": next_cursor}


@blp.route("/prospects/<id:record_id>/history", methods=["GET"])
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, HistoryPageSchema)
def prospect_history(args: dict[str, Any], record_id: int) -> dict[str, Any]:
    """Who changed what on a prospect, newest first."""
    return _history("prospect", record_id, args)


@blp.route("/clients/<id:record_id>/history", methods=["GET"])
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, HistoryPageSchema)
def client_history(args: dict[str, Any], record_id: int) -> dict[str, Any]:
    """Who changed what on a client, newest first."""
    return _history("client", record_id, args)


@blp.route("/contacts/<id:record_id>/history", methods=["GET"])
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, HistoryPageSchema)
def contact_history(args: dict[str, Any], record_id: int) -> dict[str, Any]:
    """Who changed what on a contact, newest first."""
    return _history("contact", record_id, args)


@blp.route("/deleted-records", methods=["GET"])
@login_required(MANAGE_USERS)
@blp.arguments(DeletedArgsSchema, location="query")
@blp.response(200, DeletedPageSchema)
def deleted_records(args: dict[str, Any]) -> dict[str, Any]:
    """Tombstones of deleted prospects, clients and contacts (managers: right manage_users)."""
    with services().db.read() as session:
        rows, next_cursor = history_log.list_deleted(
            session,
            kind=args.get("kind"),
            account_id=args.get("account_id"),
            cursor=args.get("cursor"),
            limit=args["limit"],
        )
        return {"items": [deleted_repr(row) for row in rows], "next_cursor": next_cursor}
