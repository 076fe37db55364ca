"""Request and response schemas (marshmallow): validation and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, missing, pre_dump, validate

from records_svc.api.common import API, account_path, contact_path, iso
from records_svc.api.converters import MAX_ID
from records_svc.domain.field_declarations import ACCOUNTS, CONTACTS, Declarations, DeclaredField


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ShownSchema(Schema):
    """A response schema that never drops a key silently: dumping a mapping with a key it
    does not declare is a bug (the key would vanish from the API), so it raises."""

    @pre_dump
    def _no_undeclared_key(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            undeclared = set(data) - set(self.fields)
            if undeclared:
                raise ValueError(
                    f"{type(self).__name__} does not declare {', '.join(sorted(undeclared))}"
                )
        return data


def nullable_text(max_length: int, **kwargs: Any) -> fields.String:
    """A text that may be null, at most ``max_length`` characters long."""
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


def record_id(**kwargs: Any) -> fields.Integer:
    """A record id: what the INTEGER keys hold (a bigger one is 422, not a database error)."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _written(declared: DeclaredField) -> fields.String:
    """The write schema's field of a declared standard field."""
    metadata = {
        name: value
        for name, value in (("description", declared.description), ("example", declared.example))
        if value is not None
    }
    if metadata:
        return nullable_text(declared.write_length, metadata=metadata)
    return nullable_text(declared.write_length)


def _declared_address_fields() -> dict[str, fields.Field]:
    return {f.address_part: _written(f) for f in ACCOUNTS.fields() if f.address_part is not None}


def declared_write_fields(declared: Declarations) -> dict[str, fields.Field]:
    """The top-level write fields of the declared standard fields (``address`` nested)."""
    out: dict[str, fields.Field] = {}
    for f in declared.fields():
        if f.address_part is None:
            out[f.key] = _written(f)
        elif "address" not in out:
            out["address"] = fields.Nested(AddressSchema, allow_none=False)
    return out


def _declared_read_fields(declared: Declarations) -> dict[str, fields.Field]:
    """The top-level read fields of the declared standard fields (``address`` nested)."""
    out: dict[str, fields.Field] = {}
    for f in declared.fields():
        if f.address_part is None:
            out[f.key] = fields.String() if f.required else fields.String(allow_none=True)
        elif "address" not in out:
            out["address"] = fields.Nested(AddressSchema)
    return out


class AddressSchema(StrictSchema, ShownSchema):
    # the declared ``address.<part>`` fields (domain/field_declarations.py)
    locals().update(_declared_address_fields())


class AccountWriteSchema(StrictSchema):
    """What the portal may write on a prospect or client; the field library decides the rest."""

    # the declared standard fields (domain/field_declarations.py)
    locals().update(declared_write_fields(ACCOUNTS))
    owner_id = record_id(allow_none=True)
    custom = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    closed = fields.Boolean(metadata={"description": "Closed in the ERP (clients; right erp_sync)"})
    external_ref = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The ERP's key (clients; right erp_sync)"},
    )


class ClientSyncSchema(AccountWriteSchema):
    class Meta(StrictSchema.Meta):
        exclude = ("external_ref",)  # the path names it

    prospect_id = record_id(
        metadata={"description": "The prospect this client comes from (kept, contacts included)"}
    )


class ConsentWriteSchema(StrictSchema):
    """The person's consent to be contacted (GDPR): what they said, when, how we know."""

    status = fields.String(validate=validate.OneOf(["unknown", "granted", "refused"]))
    at = fields.AwareDateTime(
        allow_none=True,
        default_timezone=UTC,
        metadata={"description": "when it was given or refused (default: now, on a change)"},
    )
    source = nullable_text(200, metadata={"example": "formulaire salon, 12 mars"})


class ContactWriteSchema(StrictSchema):
    # the declared standard fields (domain/field_declarations.py)
    locals().update(declared_write_fields(CONTACTS))
    consent = fields.Nested(ConsentWriteSchema)
    do_not_contact = fields.Boolean(
        metadata={"description": "the person objected to being contacted"}
    )
    custom = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))


class AccountLinksSchema(ShownSchema):
    self = fields.String()
    contacts = fields.String()
    documents = fields.String()
    actions = fields.String()


class Instant(fields.String):
    """A moment as the API writes it: ISO 8601 in UTC with a Z (a string stays as it is)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime):
            value = iso(value)
        return super()._serialize(value, attr, obj, **kwargs)


class Flag(fields.Boolean):
    """A yes/no the API always writes as true or false (an unset flag is false)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return bool(value)


class CustomValues(fields.Dict):
    """A record's custom field values (none: an empty object)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return super()._serialize(value or {}, attr, obj, **kwargs)


class _Computed:
    """A field whose value is computed from the whole record (``of(record)``), not read
    from one of its attributes: its links, its consent, its path."""

    def __init__(self, *args: Any, of: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._of = of

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing) -> Any:
        return self._of(obj)


class ComputedNested(_Computed, fields.Nested):
    pass


class ComputedString(_Computed, fields.String):
    pass


class ComputedInteger(_Computed, fields.Integer):
    pass


class ComputedBoolean(_Computed, fields.Boolean):
    pass


class ComputedList(_Computed, fields.List):
    pass


class ComputedDict(_Computed, fields.Dict):
    pass


class Day(fields.String):
    """A calendar date as the API writes it: YYYY-MM-DD (a string stays as it is)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, date):
            value = value.isoformat()
        return super()._serialize(value, attr, obj, **kwargs)


def money(value: Decimal) -> str:
    """An amount as the API writes it: a string with two decimals ("12500.00")."""
    return f"{value:.2f}"


class Amount(fields.String):
    """An exact amount, written as a string with two decimals."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else money(value)


class Amounts(fields.Dict):
    """Amounts by currency, currencies in alphabetical order, each written like ``Amount``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return {currency: money(amount) for currency, amount in sorted(value.items())}


def account_links(account: Any) -> dict[str, str]:
    path = account_path(account)
    return {
        "self": path,
        "contacts": f"{API}/accounts/{account.id}/contacts",
        "documents": f"{path}/documents",
        "actions": f"{path}/actions",
    }


class AccountSchema(ShownSchema):
    """A prospect or client as the API shows it, dumped from the model object."""

    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(["prospect", "client"]))
    # the declared standard fields (domain/field_declarations.py)
    locals().update(_declared_read_fields(ACCOUNTS))
    status = fields.String(allow_none=True, validate=validate.OneOf(["draft", "validated"]))
    closed = Flag()
    external_ref = fields.String(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    custom = CustomValues()
    version = fields.Integer()
    created_at = Instant()
    updated_at = Instant()
    links = ComputedNested(AccountLinksSchema, of=account_links)


class AccountRefSchema(ShownSchema):
    """An account named from another record, dumped from the model object."""

    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    link = ComputedString(of=account_path)


class ContactLinksSchema(ShownSchema):
    self = fields.String()
    account = fields.String()
    tel = fields.String(allow_none=True)
    mailto = fields.String(allow_none=True)


class ConsentSchema(ShownSchema):
    status = fields.String()
    at = Instant(allow_none=True)
    source = fields.String(allow_none=True)


def contact_links(contact: Any) -> dict[str, str | None]:
    # a person who objected is not called nor written to from Carnet
    reachable = not contact.do_not_contact
    return {
        "self": contact_path(contact),
        "account": account_path(contact.account),
        "tel": f"tel:{contact.direct_line}" if reachable and contact.direct_line else None,
        "mailto": f"mailto:{contact.email}" if reachable and contact.email else None,
    }


def consent_of(contact: Any) -> dict[str, Any]:
    return {
        "status": contact.consent_status,
        "at": contact.consent_at,
        "source": contact.consent_source,
    }


class ContactSchema(ShownSchema):
    """A contact as the API shows it, dumped from the model object."""

    id = fields.Integer()
    account_id = fields.Integer()
    account = fields.Nested(AccountRefSchema)
    # the declared standard fields (domain/field_declarations.py)
    locals().update(_declared_read_fields(CONTACTS))
    consent = ComputedNested(ConsentSchema, of=consent_of)
    do_not_contact = fields.Boolean()
    custom = CustomValues()
    version = fields.Integer()
    created_at = Instant()
    updated_at = Instant()
    links = ComputedNested(ContactLinksSchema, of=contact_links)


def page_of(item: type[Schema], name: str | None = None) -> type[Schema]:
    """The schema of a page of ``item``: ``{items, next_cursor}`` (``next_cursor`` null on
    the last page). Named ``<Item>PageSchema`` unless ``name`` says otherwise (the OpenAPI
    document's component)."""
    page: dict[str, fields.Field] = {
        "items": fields.List(fields.Nested(item)),
        "next_cursor": fields.String(allow_none=True),
    }
    return Schema.from_dict(page, name=name or f"{item.__name__.removesuffix('Schema')}PageSchema")


AccountPageSchema = page_of(AccountSchema)
ContactPageSchema = page_of(ContactSchema)


class PageArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)


OWNER = r"^(me|[1-9][0-9]{0,17})$"


class ListArgsSchema(PageArgsSchema):
    """The filters and sort of a list; any other name but ``custom.<key>`` is a 422."""

    owner = fields.String(
        validate=validate.Regexp(OWNER, error="me or a user id"),
        metadata={"description": "`me` or a user id (contacts: their account's owner)"},
    )
    owner_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    kind = fields.String(validate=validate.OneOf(["prospect", "client"]))
    status = fields.String(validate=validate.OneOf(["draft", "validated"]))
    closed = fields.Boolean(metadata={"description": "Closed clients (right show_closed_accounts)"})
    city = fields.String(
        validate=validate.Length(min=1, max=120),
        metadata={"description": "Equality, case and accents aside"},
    )
    postal_code = fields.String(
        validate=validate.Regexp(r"^[0-9A-Za-z]{1,10}$", error="letters and digits"),
        metadata={"description": "A prefix: 33 for the Gironde"},
    )
    updated_since = fields.AwareDateTime(format="iso")
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Words, each the start of a word of the record (folded)"},
    )
    sort = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "name, updated_at or city; - first for descending"},
    )


class AccountListArgsSchema(ListArgsSchema):
    pass


class UserSchema(ShownSchema):
    """A user in a picker, dumped from the model object (no display name: the username)."""

    id = fields.Integer()
    username = fields.String()
    display_name = ComputedString(of=lambda user: user.display_name or user.username)


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))


class TokenRequestSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PasswordChangeSchema(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class FieldDefinitionSchema(ShownSchema):
    """A field definition, dumped from the model object."""

    id = fields.Integer()
    entity = fields.String()
    key = fields.String()
    label = fields.String()
    type = fields.String()
    tab = fields.String()
    position = fields.Integer()
    required = fields.Boolean()
    standard = fields.Boolean()
    choices = fields.List(fields.String(), allow_none=True)
    max_length = fields.Integer(allow_none=True)


class FieldTabSchema(ShownSchema):
    name = fields.String()
    fields = fields.List(fields.Nested(FieldDefinitionSchema))  # type: ignore[assignment]


class FieldLibrarySchema(ShownSchema):
    entity = fields.String()
    tabs = fields.List(fields.Nested(FieldTabSchema))
    items = fields.List(fields.Nested(FieldDefinitionSchema))


class FieldLibraryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    entity = fields.String(
        required=True, validate=validate.OneOf(["prospect", "client", "contact"])
    )


class CustomFieldCreateSchema(StrictSchema):
    entity = fields.String(
        required=True, validate=validate.OneOf(["prospect", "client", "contact"])
    )
    key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    label = fields.String(required=True, validate=validate.Length(min=1, max=120))
    type = fields.String(
        required=True,
        validate=validate.OneOf(["text", "number", "date", "boolean", "choice", "email", "phone"]),
    )
    tab = fields.String(load_default="Informations", validate=validate.Length(min=1, max=64))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    max_length = fields.Integer(strict=True, validate=validate.Range(min=1, max=2000))
    position = fields.Integer(strict=True, validate=validate.Range(min=0, max=100000))


class FieldDefinitionChangeSchema(StrictSchema):
    label = fields.String(validate=validate.Length(min=1, max=120))
    tab = fields.String(validate=validate.Length(min=1, max=64))
    position = fields.Integer(strict=True, validate=validate.Range(min=0, max=100000))
    required = fields.Boolean()
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=100)))


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict()
