"""Schemas of history entries, tombstones and a person's data."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from records_svc.api.converters import MAX_ID
from records_svc.api.documents import DocumentSchema
from records_svc.api.opportunity_schemas import ActionSchema
from records_svc.api.schemas import (
    ComputedList,
    ContactSchema,
    Instant,
    PageArgsSchema,
    ShownSchema,
    page_of,
)


class UserRefSchema(ShownSchema):
    """A user named by a history entry or a tombstone, dumped from the model object."""

    id = fields.Integer()
    username = fields.String()


class FieldChangeSchema(Schema):
    field = fields.String(metadata={"description": "API name: phone, address.city, custom.x"})
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class HistoryEntrySchema(ShownSchema):
    """A history entry, dumped from the model object."""

    id = fields.Integer()
    action = fields.String(
        metadata={
            "description": "created, changed, validated, converted, closed, reopened, "
            "sirene_filled, document_added, document_removed, edition_attached, merged, imported"
        }
    )
    changes = ComputedList(fields.Nested(FieldChangeSchema), of=lambda e: e.changes or [])
    detail = fields.Dict(allow_none=True)
    user = fields.Nested(UserRefSchema, allow_none=True)
    request_id = fields.String(allow_none=True)
    at = Instant()


HistoryPageSchema = page_of(HistoryEntrySchema, "HistoryPageSchema")


class PersonExportSchema(ShownSchema):
    """All that Carnet holds on a person: fields, actions, documents listed, history
    (``history_log.PersonData``, shown with its documents' owner and ``exported_at``)."""

    contact = fields.Nested(ContactSchema)
    actions = fields.List(fields.Nested(ActionSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    history = fields.List(fields.Nested(HistoryEntrySchema))
    exported_at = Instant()


class DeletedRecordSchema(ShownSchema):
    """A tombstone, dumped from the model object."""

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
    deleted_at = Instant()


DeletedPageSchema = page_of(DeletedRecordSchema, "DeletedPageSchema")


class DeletedArgsSchema(PageArgsSchema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(validate=validate.OneOf(["prospect", "client", "contact"]))
    account_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
