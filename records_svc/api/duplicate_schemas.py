"""Schemas of duplicate detection and merges."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from records_svc.api.schemas import (
    AccountSchema,
    AddressSchema,
    ContactSchema,
    ShownSchema,
    StrictSchema,
    declared_write_fields,
    record_id,
)
from records_svc.domain.field_declarations import ACCOUNTS, CONTACTS

ACCOUNT_REASONS = ["siret", "siren", "name_city", "phone", "email_domain", "website"]
CONTACT_REASONS = ["email", "mobile", "direct_line", "name_account"]


class AccountProbeSchema(StrictSchema):
    """Any of an account's fields: what it is compared by (the rest is ignored)."""

    # the declared standard fields (domain/field_declarations.py), as written
    locals().update(declared_write_fields(ACCOUNTS))
    address = fields.Nested(AddressSchema, allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    custom = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    exclude_id = record_id(metadata={"description": "An account left out (the one being edited)"})
    limit = fields.Integer(strict=True, validate=validate.Range(min=1, max=50), load_default=10)


class ContactProbeSchema(StrictSchema):
    # the declared standard fields (domain/field_declarations.py), as written
    locals().update(declared_write_fields(CONTACTS))
    account_id = record_id(metadata={"description": "The account: same name within it"})
    exclude_id = record_id(metadata={"description": "A contact left out (the one being edited)"})
    limit = fields.Integer(strict=True, validate=validate.Range(min=1, max=50), load_default=10)


class AccountCandidateSchema(ShownSchema):
    """A likely duplicate account (a ``duplicates.Candidate``)."""

    account = fields.Nested(AccountSchema, attribute="record")
    score = fields.Float(metadata={"description": "0–1: how likely the same company"})
    reasons = fields.List(fields.String(validate=validate.OneOf(ACCOUNT_REASONS)))


class ContactCandidateSchema(ShownSchema):
    """A likely duplicate contact (a ``duplicates.Candidate``)."""

    contact = fields.Nested(ContactSchema, attribute="record")
    score = fields.Float(metadata={"description": "0–1: how likely the same person"})
    reasons = fields.List(fields.String(validate=validate.OneOf(CONTACT_REASONS)))


class AccountCandidatesSchema(Schema):
    items = fields.List(fields.Nested(AccountCandidateSchema))


class ContactCandidatesSchema(Schema):
    items = fields.List(fields.Nested(ContactCandidateSchema))


class CreatedAccountSchema(AccountSchema):
    possible_duplicates = fields.List(fields.Nested(AccountCandidateSchema))


class CreatedContactSchema(ContactSchema):
    possible_duplicates = fields.List(fields.Nested(ContactCandidateSchema))


class MergeSchema(StrictSchema):
    source_id = record_id(required=True, metadata={"description": "The record that goes"})
    choices = fields.Dict(
        data_key="fields",
        keys=fields.String(validate=validate.Length(min=1, max=80)),
        values=fields.String(validate=validate.Length(max=10)),
        load_default=dict,
        metadata={"description": "field → source or target (the target's value by default)"},
    )
    source_version = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "The source's version read (a stale one is a 409)"},
    )


class MovedSchema(Schema):
    contacts = fields.Integer()
    documents = fields.Integer()
    actions = fields.Integer()
    opportunities = fields.Integer()
    editions = fields.Integer()


class MergedAccountSchema(AccountSchema):
    merged = fields.Nested(MovedSchema, metadata={"description": "What moved to the target"})


class MergedContactSchema(ContactSchema):
    merged = fields.Nested(MovedSchema, metadata={"description": "What moved to the target"})
