"""Contacts of prospects and clients."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from records_svc.api.common import (
    API,
    Shown,
    contact_path,
    etag,
    expected_version,
    login_required,
    services,
)
from records_svc.api.duplicate_schemas import CreatedContactSchema
from records_svc.api.duplicates import possible_contact_duplicates
from records_svc.api.lists import list_query
from records_svc.api.schemas import (
    ContactPageSchema,
    ContactSchema,
    ContactWriteSchema,
    ListArgsSchema,
    PageArgsSchema,
)
from records_svc.domain import contacts
from records_svc.domain.listing import LIST_FILTERS
from records_svc.domain.models import Contact

blp = Blueprint("contacts", __name__, url_prefix=API, description="Contacts")

#: the contact (dumped by the response's schema), its status and headers
Reply = tuple[Contact | Shown, int, dict[str, str]]


@blp.route("/contacts", methods=["GET"])
@login_required()
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, ContactPageSchema)
def list_all_contacts(args: dict[str, Any]) -> dict[str, Any]:
    """Contacts of every account the caller sees; ``owner=me``: of the accounts I own."""
    query = list_query(args, LIST_FILTERS, custom=True)
    with services().db.read() as session:
        rows, next_cursor = contacts.list_all_contacts(
            session, query, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/accounts/<id:account_id>/contacts", methods=["GET"])
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, ContactPageSchema)
def list_contacts(args: dict[str, Any], account_id: int) -> dict[str, Any]:
    with services().db.read() as session:
        rows, next_cursor = contacts.list_contacts(
            session, account_id, cursor=args.get("cursor"), limit=args["limit"]
        )
        return {"items": rows, "next_cursor": next_cursor}


@blp.route("/accounts/<id:account_id>/contacts", methods=["POST"])
@login_required()
@blp.arguments(ContactWriteSchema)
@blp.response(201, CreatedContactSchema)
def create_contact(data: dict[str, Any], account_id: int) -> Reply:
    with services().db.unit_of_work() as uow:
        contact = contacts.create_contact(uow, account_id, data)
    with services().db.read() as session:
        likely = possible_contact_duplicates(session, contact)
    headers = {**etag(contact.version), "Location": contact_path(contact)}
    return Shown(contact, possible_duplicates=likely), 201, headers


@blp.route("/contacts/<id:contact_id>", methods=["GET"])
@login_required()
@blp.response(200, ContactSchema)
def get_contact(contact_id: int) -> Reply:
    with services().db.read() as session:
        contact = contacts.get_contact(session, contact_id)
        return contact, 200, etag(contact.version)


@blp.route("/contacts/<id:contact_id>", methods=["PATCH", "PUT"])
@login_required()
@blp.arguments(ContactWriteSchema)
@blp.response(200, ContactSchema)
def edit_contact(data: dict[str, Any], contact_id: int) -> Reply:
    version = expected_version(request.headers.get("If-Match"))
    with services().db.unit_of_work() as uow:
        contact = contacts.update_contact(uow, contact_id, data, expected_version=version)
    return contact, 200, etag(contact.version)


@blp.route("/contacts/<id:contact_id>", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_contact(contact_id: int) -> tuple[str, int]:
    version = expected_version(request.headers.get("If-Match"), required=False)
    with services().db.unit_of_work() as uow:
        contacts.delete_contact(uow, contact_id, expected_version=version)
    return "", 204
