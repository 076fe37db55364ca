"""Schemas of opportunities, the signature calendar and actions."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from records_svc.api.common import API, account_path, contact_path
from records_svc.api.converters import MAX_ID
from records_svc.api.schemas import (
    OWNER,
    AccountRefSchema,
    Amount,
    Amounts,
    ComputedBoolean,
    ComputedInteger,
    ComputedList,
    ComputedNested,
    ComputedString,
    Day,
    Flag,
    Instant,
    ListArgsSchema,
    PageArgsSchema,
    ShownSchema,
    StrictSchema,
    page_of,
    record_id,
)
from records_svc.domain.actions import TARGET_KINDS, TYPES
from records_svc.domain.opportunities import CLOSED_STAGES, SORTS, STAGES
from records_svc.domain.opportunity_models import Action, Opportunity

AMOUNT_DOC = (
    "Exact decimal amount with at most 2 decimal places; sent as a JSON number or string, "
    'always returned as a string such as "12500.00".'
)


def _no_control_characters(value: str) -> None:
    # Same rule as the field library's text fields (PostgreSQL also refuses NUL).
    if any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise ValidationError("contains control characters")


def _text(min_length: int, max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=min_length, max=max_length), _no_control_characters],
        **kwargs,
    )


def _amount(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(
        as_string=True,
        places=None,
        allow_nan=False,
        metadata={"description": AMOUNT_DOC},
        **kwargs,
    )


class _AmountPlaces:
    @validates_schema
    def _amount_fits(self, data: dict[str, Any], **_: Any) -> None:
        # Checked here rather than by a Range validator, which the OpenAPI
        # document would render as strings.
        amount = data.get("amount")
        if amount is None:
            return
        if not 0 <= amount < 10**12:
            raise ValidationError("from 0 to 999999999999.99", "amount")
        if amount.as_tuple().exponent < -2:
            raise ValidationError("at most 2 decimal places", "amount")


class OpportunityEditSchema(_AmountPlaces, StrictSchema):
    title = _text(1, 200)
    amount = _amount()
    currency = fields.String(
        validate=validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code such as EUR"),
        metadata={"example": "EUR"},
    )
    stage = fields.String(validate=validate.OneOf(list(STAGES)))
    probability = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "Percent; defaults to the stage's when the stage changes"},
    )
    expected_signing_date = fields.Date(metadata={"description": "A calendar date (no time)"})
    owner_id = record_id(allow_none=True)
    contact_ids = fields.List(
        record_id(),
        validate=validate.Length(max=200),
        metadata={"description": "Contacts of the opportunity's account"},
    )


class OpportunityCreateSchema(OpportunityEditSchema):
    account_id = record_id(required=True)
    title = _text(1, 200, required=True)
    amount = _amount(required=True)
    expected_signing_date = fields.Date(
        required=True, metadata={"description": "A calendar date (no time)"}
    )


class ContactRefSchema(ShownSchema):
    """A contact named from an opportunity, dumped from the model object."""

    id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String()
    link = ComputedString(of=contact_path)


def opportunity_path(opportunity_id: int) -> str:
    return f"{API}/opportunities/{opportunity_id}"


class OpportunityLinksSchema(ShownSchema):
    self = fields.String()
    account = fields.String()
    contacts = fields.String()
    actions = fields.String()


def opportunity_links(opportunity: Opportunity) -> dict[str, str]:
    path = opportunity_path(opportunity.id)
    return {
        "self": path,
        "account": account_path(opportunity.account),
        "contacts": f"{path}/contacts",
        "actions": f"{path}/actions",
    }


class OpportunitySchema(ShownSchema):
    """An opportunity as the API shows it, dumped from the model object."""

    id = fields.Integer()
    account_id = fields.Integer()
    account = fields.Nested(AccountRefSchema)
    title = fields.String()
    amount = Amount(metadata={"description": AMOUNT_DOC})
    currency = fields.String()
    stage = fields.String()
    open = ComputedBoolean(
        of=lambda o: o.stage not in CLOSED_STAGES, metadata={"description": "Not won and not lost"}
    )
    probability = fields.Integer()
    expected_signing_date = Day(metadata={"description": "YYYY-MM-DD"})
    owner_id = fields.Integer(allow_none=True)
    contact_ids = ComputedList(fields.Integer(), of=lambda o: [c.id for c in o.contacts])
    contacts = fields.List(fields.Nested(ContactRefSchema))
    version = fields.Integer()
    created_at = Instant()
    updated_at = Instant()
    links = ComputedNested(OpportunityLinksSchema, of=opportunity_links)


OpportunityPageSchema = page_of(OpportunitySchema)


class _OwnerArgs:
    """Whose opportunities (a mixin of fields, shared by the portfolio and the calendar)."""

    owner_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Whose opportunities (default: mine)"},
    )
    owner = fields.String(
        validate=validate.OneOf(["me", "all"]),
        metadata={"description": "`all` for every owner's; default `me`"},
    )


class PortfolioArgsSchema(ListArgsSchema):
    """The portfolio's filters (the account filters of every list apply to its account)."""

    owner_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Whose opportunities (default: mine)"},
    )
    owner = fields.String(
        validate=validate.Regexp(r"^(me|all|[1-9][0-9]{0,17})$", error="me, all or a user id"),
        metadata={"description": "`all` for every owner's, a user id, or `me` (the default)"},
    )
    stage = fields.List(
        fields.String(validate=validate.OneOf(list(STAGES))),
        metadata={"description": "Repeat for several stages"},
    )
    open = fields.Boolean(metadata={"description": "Only opportunities neither won nor lost"})
    account_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    signing_from = fields.Date(metadata={"description": "Expected signing on or after"})
    signing_to = fields.Date(metadata={"description": "Expected signing on or before"})
    sort = fields.String(
        load_default="expected_signing_date",
        validate=validate.Length(min=1, max=32),
        metadata={"description": ", ".join(SORTS)},
    )


class CalendarArgsSchema(_OwnerArgs, Schema):
    class Meta:
        unknown = EXCLUDE

    from_ = fields.Date(data_key="from", required=True, metadata={"description": "First day"})
    to = fields.Date(required=True, metadata={"description": "Last day (inclusive)"})


class CalendarDaySchema(ShownSchema):
    """A day of the signature calendar (``opportunities.CalendarDay``)."""

    date = Day()
    count = ComputedInteger(of=lambda day: len(day.opportunities))
    totals = Amounts()
    weighted_totals = Amounts()
    items = fields.List(fields.Nested(OpportunitySchema), attribute="opportunities")


class CalendarSchema(ShownSchema):
    """The signature calendar (``opportunities.SignatureCalendar``)."""

    from_ = Day(data_key="from", attribute="start")
    to = Day(attribute="end")
    days = fields.List(fields.Nested(CalendarDaySchema))
    totals = Amounts()


class OpportunityContactSchema(StrictSchema):
    contact_id = record_id(required=True)


class TargetSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(TARGET_KINDS))
    id = record_id(required=True)


class ActionEditSchema(StrictSchema):
    type = fields.String(validate=validate.OneOf(TYPES))
    subject = _text(1, 200)
    notes = _text(0, 20000, allow_none=True)
    due_at = fields.AwareDateTime(
        format="iso", metadata={"description": "An instant, ISO 8601 with an offset"}
    )
    done = fields.Boolean()
    done_at = fields.AwareDateTime(
        format="iso", metadata={"description": "Defaults to the moment it is marked done"}
    )
    assignee_id = record_id(metadata={"description": "Whose action it is (default: its author)"})


class ActionCreateSchema(ActionEditSchema):
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    subject = _text(1, 200, required=True)


class OpportunityActionCreateSchema(ActionCreateSchema):
    target = fields.Nested(
        TargetSchema,
        metadata={"description": "The opportunity's account (default) or one of its contacts"},
    )


class TargetOutSchema(ShownSchema):
    kind = fields.String()
    id = fields.Integer()
    link = fields.String()


def target_path(action: Action) -> str:
    return f"{API}/{action.target_kind}s/{action.target_id}"


def action_target(action: Action) -> dict[str, Any]:
    return {"kind": action.target_kind, "id": action.target_id, "link": target_path(action)}


class ActionLinksSchema(ShownSchema):
    self = fields.String()
    target = fields.String()
    opportunity = fields.String(allow_none=True)


def action_path(action_id: int) -> str:
    return f"{API}/actions/{action_id}"


def action_links(action: Action) -> dict[str, str | None]:
    opportunity_id = action.opportunity_id
    return {
        "self": action_path(action.id),
        "target": target_path(action),
        "opportunity": opportunity_path(opportunity_id) if opportunity_id else None,
    }


class ActionSchema(ShownSchema):
    """An action as the API shows it, dumped from the model object."""

    id = fields.Integer()
    type = fields.String()
    subject = fields.String()
    notes = fields.String(allow_none=True)
    due_at = Instant()
    done = Flag()
    done_at = Instant(allow_none=True)
    author_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    target = ComputedNested(TargetOutSchema, of=action_target)
    account = fields.Nested(AccountRefSchema)
    opportunity_id = fields.Integer(allow_none=True)
    version = fields.Integer()
    created_at = Instant()
    updated_at = Instant()
    links = ComputedNested(ActionLinksSchema, of=action_links)


ActionPageSchema = page_of(ActionSchema)


class TimelineArgsSchema(PageArgsSchema):
    contacts = fields.Boolean(
        load_default=True,
        metadata={"description": "On a prospect or client: include its contacts' actions"},
    )


class ActionListArgsSchema(PageArgsSchema):
    """My actions; any other argument is a 422 naming it."""

    assignee = fields.String(
        validate=validate.Regexp(OWNER, error="me or a user id"),
        metadata={"description": "`me` or a user id"},
    )
    done = fields.Boolean()
    due_before = fields.AwareDateTime(format="iso", metadata={"description": "Due before"})
    due_after = fields.AwareDateTime(format="iso", metadata={"description": "Due on or after"})
    overdue = fields.Boolean(metadata={"description": "true: open and due before now"})
    sort = fields.String(
        validate=validate.Length(min=1, max=32), metadata={"description": "due_at or -due_at"}
    )
