"""Schemas and representations of history entries and tombstones."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from records_svc.api.common import iso
from records_svc.api.converters import MAX_ID
from records_svc.api.documents import DocumentSchema
from records_svc.api.opportunity_schemas import ActionSchema
from records_svc.api.schemas import ContactSchema, PageArgsSchema, page_of
from records_svc.domain.history_models import DeletedRecord, HistoryEntry
from records_svc.domain.models import User


class UserRefSchema(Schema):
    id = fields.Integer()
    username = fields.String()


class FieldChangeSchema(Schema):
    field = fields.String(metadata={"description": "API name: phone, address.city, custom.x"})
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class HistoryEntrySchema(Schema):
    id = fields.Integer()
    action = fields.String(
        metadata={
            "description": "created, changed, validated, converted, closed, reopened, "
            "sirene_filled, document_added, document_removed, edition_attached, merged, imported"
        }
    )
    changes = fields.List(fields.Nested(FieldChangeSchema))
    detail = fields.Dict(allow_none=True)
    user = fields.Nested(UserRefSchema, allow_none=True)
    request_id = fields.String(allow_none=True)
    at = fields.String()


HistoryPageSchema = page_of(HistoryEntrySchema, "HistoryPageSchema")


class PersonExportSchema(Schema):
    """All that Carnet holds on a person: fields, actions, documents listed, history."""

    contact = fields.Nested(ContactSchema)
    actions = fields.List(fields.Nested(ActionSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    history = fields.List(fields.Nested(HistoryEntrySchema))
    exported_at = fields.String()


class DeletedRecordSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    record_id = fields.Integer()
    name = fields.String(
        allow_none=True, metadata={"description": "an account's; never a person's"}
    )
    account_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    user = fields.Nested(UserRefSchema, allow_none=True)
    request_id = fields.String(allow_none=True)
    deleted_at = fields.String()


DeletedPageSchema = page_of(DeletedRecordSchema, "DeletedPageSchema")


class DeletedArgsSchema(PageArgsSchema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(validate=validate.OneOf(["prospect", "client", "contact"]))
    account_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


def user_ref(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "username": user.username}


def entry_repr(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "action": entry.action,
        "changes": entry.changes or [],
        "detail": entry.detail,
        "user": user_ref(entry.user),
        "request_id": entry.request_id,
        "at": iso(entry.at),
    }


def deleted_repr(row: DeletedRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "record_id": row.record_id,
        "name": row.name,
        "account_id": row.account_id,
        "reason": row.reason,
        "user": user_ref(row.user),
        "request_id": row.request_id,
        "deleted_at": iso(row.deleted_at),
    }
