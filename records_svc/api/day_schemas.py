"""Schemas of a salesperson's day: owner pickers, saved views, the calendar feed."""

from __future__ import annotations

from flask import url_for
from marshmallow import EXCLUDE, Schema, fields, validate

from httpkit.tokens import current_principal
from records_svc.api.common import Shown
from records_svc.api.schemas import (
    ComputedBoolean,
    ComputedDict,
    ComputedString,
    Flag,
    Instant,
    ShownSchema,
    StrictSchema,
)
from records_svc.domain.list_models import SavedView
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


def _mine(view: SavedView) -> bool:
    return bool(view.user_id == current_principal().user_id)


class ViewSchema(ShownSchema):
    """A saved view as the signed-in user sees it, dumped from the model object."""

    id = fields.Integer()
    name = fields.String()
    entity = fields.String()
    filters = ComputedDict(of=lambda view: view.filters or {})
    sort = fields.String(allow_none=True)
    shared = Flag()
    owner_id = fields.Integer(
        attribute="user_id", metadata={"description": "Who saved it (alone may change it)"}
    )
    mine = ComputedBoolean(of=_mine)
    version = fields.Integer()
    created_at = Instant()
    updated_at = Instant()


class ViewListSchema(Schema):
    items = fields.List(fields.Nested(ViewSchema))


class ViewListArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    entity = fields.String(validate=ENTITY)


def _feed_url(feed: Shown) -> str | None:
    token = feed.token
    return url_for("day.calendar", token=token, _external=True) if token else None


class CalendarFeedSchema(ShownSchema):
    """A calendar feed: ``Shown(feed, token=…)``, the token only when just made."""

    url = ComputedString(
        of=_feed_url,
        allow_none=True,
        metadata={"description": "The secret URL: shown when made (POST), null afterwards"},
    )
    created_at = Instant()
