"""Schemas of a salesperson's day: owner pickers, saved views, the calendar feed."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from records_svc.api.schemas import StrictSchema
from records_svc.domain.views import ENTITIES

ENTITY = validate.OneOf(list(ENTITIES))


class ViewWriteSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    entity = fields.String(validate=ENTITY)
    filters = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=80)),
        values=fields.Raw(allow_none=True),
        metadata={"description": "The list's query arguments, e.g. {owner: me, postal_code: 33}"},
    )
    sort = fields.String(allow_none=True, validate=validate.Length(min=1, max=32))
    shared = fields.Boolean(metadata={"description": "Visible to every user (read-only to them)"})


class ViewCreateSchema(ViewWriteSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    entity = fields.String(required=True, validate=ENTITY)


class ViewSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    entity = fields.String()
    filters = fields.Dict()
    sort = fields.String(allow_none=True)
    shared = fields.Boolean()
    owner_id = fields.Integer(metadata={"description": "Who saved it (alone may change it)"})
    mine = fields.Boolean()
    version = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()


class ViewListSchema(Schema):
    items = fields.List(fields.Nested(ViewSchema))


class ViewListArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    entity = fields.String(validate=ENTITY)


class CalendarFeedSchema(Schema):
    url = fields.String(
        allow_none=True,
        metadata={"description": "The secret URL: shown when made (POST), null afterwards"},
    )
    created_at = fields.String()
