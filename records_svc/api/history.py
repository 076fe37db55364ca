"""History of records, the deleted-records log, a person's data (GDPR)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from records_svc.api import documents
from records_svc.api.common import API, Shown, login_required, services
from records_svc.api.history_schemas import (
    DeletedArgsSchema,
    DeletedPageSchema,
    HistoryPageSchema,
    PersonExportSchema,
)
from records_svc.api.lists import no_query
from records_svc.api.schemas import PageArgsSchema
from records_svc.domain import history_log
from records_svc.domain.documents import Owner
from records_svc.domain.models import utcnow
from records_svc.domain.rights import MANAGE_USERS

blp = Blueprint("history", __name__, url_prefix=API, description="History and personal data")


def _history(kind: str, record_id: int, args: dict[str, Any]) -> dict[str, Any]:
    with services().db.read() as session:
        rows, next_cursor = history_log.list_history(
            session, kind, record_id, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": rows, "next_cursor": next_cursor}


def _routes(kind: str) -> None:
    """GET ``/{kind}s/{id}/history`` for one kind of record."""

    @blp.route(f"/{kind}s/<id:record_id>/history", methods=["GET"], endpoint=f"{kind}_history")
    @login_required()
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, HistoryPageSchema)
    def record_history(args: dict[str, Any], record_id: int) -> dict[str, Any]:
        """Who changed what on the record, newest first (keyset-paged)."""
        return _history(kind, record_id, args)


for _kind in ("contact", "prospect", "client"):
    _routes(_kind)


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
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/contacts/<id:contact_id>/export", methods=["GET"])
@login_required()
@blp.response(200, PersonExportSchema)
def export_contact(contact_id: int) -> tuple[Shown, int, dict[str, str]]:
    """Everything held on the person (an access request): a JSON file."""
    no_query()
    with services().db.read() as session:
        data = history_log.person_data(session, contact_id)
    export = Shown(
        data,
        documents=documents.shown(data.documents, Owner("contact", contact_id)),
        exported_at=utcnow(),
    )
    disposition = f'attachment; filename="contact-{contact_id}.json"'
    return export, 200, {"Content-Disposition": disposition}
