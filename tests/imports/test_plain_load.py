"""The request schema's shortcut of an import (``import_rows._PlainTexts``) against the
schema itself, body for body: the same values in the same order, or the schema's refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, post_load, validate

from records_svc.api.schemas import AccountWriteSchema, ContactWriteSchema, nullable_text
from records_svc.domain import import_rows
from records_svc.domain.errors import FieldValidationError

SCHEMAS = [AccountWriteSchema(), ContactWriteSchema()]


def _outcome(schema: Schema, data: Any, plain: import_rows._PlainTexts | None) -> str:
    """What ``_load`` answers, its keys' order included."""
    try:
        return json.dumps(import_rows._load(schema, data, plain), default=repr)
    except FieldValidationError as exc:
        return json.dumps(exc.errors)


def _same_as_the_schema(schema: Schema, data: Any) -> None:
    plain = import_rows._PlainTexts.of(schema)
    assert plain is not None
    assert _outcome(schema, data, plain) == _outcome(schema, data, None)


def test_a_row_of_plain_texts_takes_the_shortcut() -> None:
    plain = import_rows._PlainTexts.of(AccountWriteSchema())
    assert plain is not None
    body = {
        "website": "https://x.fr",
        "name": "Brasserie",
        "address": {"city": "Lyon", "line1": "1 rue X"},
        "email": None,
    }
    loaded = plain.load(body)
    assert loaded == AccountWriteSchema().load(body)
    assert list(loaded or {}) == ["name", "address", "email", "website"]  # the schema's order
    assert list((loaded or {})["address"]) == ["line1", "city"]
    assert plain.load({**body, "custom": {"size": "S"}}) is None
    assert plain.load({**body, "name": "x" * 201}) is None
    assert plain.load({**body, "address": None}) is None
    contact = import_rows._PlainTexts.of(ContactWriteSchema())
    assert contact is not None
    consent = contact.fields["consent"]  # its status and moment are no plain texts
    assert isinstance(consent, import_rows._PlainTexts) and list(consent.fields) == ["source"]


class _Hooked(Schema):
    name = nullable_text(10)

    @post_load
    def _upper(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return data


class _Defaulted(Schema):
    name = nullable_text(10)
    kind = fields.String(load_default="prospect")


class _Keyed(Schema):
    name = fields.String(allow_none=True, data_key="nom")


class _Bounded(Schema):
    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=10))
    size = fields.String(allow_none=True, validate=validate.OneOf(["S", "M"]))
    plain = nullable_text(5)


def test_a_schema_that_loads_more_than_texts_has_no_shortcut() -> None:
    class Strict(Schema):
        class Meta:
            unknown = "raise"

    assert import_rows._PlainTexts.of(_Hooked()) is None
    assert import_rows._PlainTexts.of(_Defaulted()) is None
    assert import_rows._PlainTexts.of(_Keyed()) is None
    assert import_rows._PlainTexts.of(Strict(many=True)) is None
    bounded = import_rows._PlainTexts.of(_Bounded())
    assert bounded is not None and list(bounded.fields) == ["plain"]


def _texts(limit: int, plain: bool) -> st.SearchStrategy[Any]:
    """Texts around a field's limit (and, unless ``plain``, what is not a text)."""
    texts = st.one_of(
        st.none(),
        st.just(""),
        st.text(max_size=12),
        st.integers(min_value=max(limit - 1, 0), max_value=limit + 1).map(lambda n: "é" * n),
    )
    if plain:
        return texts
    return st.one_of(
        texts,
        st.integers(),
        st.booleans(),
        st.binary(max_size=4),
        st.lists(st.text(max_size=2), max_size=2),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    )


@st.composite
def _bodies(draw: st.DrawFn, schema: Schema, plain: bool | None = None) -> Any:
    """A body of ``schema``'s fields: texts only (half of them), or anything."""
    plain = draw(st.booleans()) if plain is None else plain
    body: dict[str, Any] = {}
    for name, field_ in schema.load_fields.items():
        if not draw(st.booleans()):
            continue
        if isinstance(field_, fields.Nested):
            nested = _bodies(field_.schema, plain)
            body[name] = draw(nested if plain else st.one_of(nested, st.none(), st.text()))
        elif isinstance(field_, fields.String) or not plain:
            limits = [v.max for v in field_.validators if isinstance(v, validate.Length)]
            body[name] = draw(_texts(next((m for m in limits if m is not None), 10), plain))
    if not plain and draw(st.integers(min_value=0, max_value=9)) == 0:
        body[draw(st.sampled_from(["nope", "address.city", "id", ""]))] = "x"
    if not plain and draw(st.integers(min_value=0, max_value=19)) == 0:
        return draw(st.sampled_from([None, [], "body", [body]]))
    return dict(reversed(list(body.items()))) if draw(st.booleans()) else body


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: type(s).__name__)
@settings(max_examples=800, deadline=None)
@given(data=st.data())
def test_a_body_loads_as_the_schema_loads_it(schema: Schema, data: st.DataObject) -> None:
    _same_as_the_schema(schema, data.draw(_bodies(schema)))
