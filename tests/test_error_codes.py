"""Error codes: one registry (httpkit/error_codes.py), a French text for each in the portal,
and marshmallow's messages mapped to codes. (That every problem a test receives carries
registered codes is checked for the whole suite by tests/conftest.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from httpkit import error_codes
from httpkit.error_codes import CODES, code_of_message, field_error

MESSAGES_JS = Path(__file__).parents[1] / "portal" / "static" / "js" / "messages.js"


def portal_codes() -> dict[str, str]:
    """The codes the portal translates (``BY_CODE`` of messages.js) and their French text."""
    source = MESSAGES_JS.read_text(encoding="utf-8")
    block = re.search(r"export const BY_CODE = \{(.*?)\n\};", source, re.DOTALL)
    assert block, "messages.js has no BY_CODE table"
    return dict(re.findall(r'^\s+([a-z_]+): "([^"]+)",$', block[1], re.MULTILINE))


def test_every_code_the_api_emits_has_a_french_text_in_the_portal() -> None:
    french = portal_codes()
    missing = sorted(set(CODES) - set(french))
    assert not missing, f"messages.js BY_CODE lacks a French text for: {', '.join(missing)}"
    stale = sorted(set(french) - set(CODES))
    assert not stale, f"messages.js BY_CODE translates codes the API never emits: {stale}"


def test_the_portal_does_not_read_the_english_message() -> None:
    source = MESSAGES_JS.read_text(encoding="utf-8")
    body = source[source.index("export function fieldMessage") :]
    body = body[: body.index("\n}\n")]
    assert ".message" not in body


def test_every_code_is_snake_case_and_has_a_constant() -> None:
    for code in CODES:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
        assert getattr(error_codes, code.upper()) == code


def test_an_entry_is_field_code_message_and_its_code_is_registered() -> None:
    assert field_error("siret", "invalid_siret", "fails its checksum") == {
        "field": "siret",
        "code": "invalid_siret",
        "message": "fails its checksum",
    }
    with pytest.raises(error_codes.UnknownErrorCodeError):
        field_error("siret", "no_such_code", "…")


class _Everything(Schema):
    name = fields.String(required=True, validate=validate.Length(max=3))
    short = fields.String(validate=validate.Length(min=5))
    between = fields.String(validate=validate.Length(min=2, max=3))
    exactly = fields.String(validate=validate.Length(equal=2))
    count = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))
    low = fields.Integer(validate=validate.Range(min=1))
    price = fields.Float()
    flag = fields.Boolean()
    day = fields.Date()
    at = fields.DateTime()
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    email = fields.Email()
    site = fields.URL()
    code = fields.String(validate=validate.Regexp(r"^\d+$"))
    tags = fields.List(fields.String())
    nested = fields.Nested(lambda: _Everything(only=("flag",)))
    never_null = fields.String(allow_none=False)


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({}, "name", "required"),
        ({"name": "long"}, "name", "too_long"),
        ({"short": "abc"}, "short", "too_short"),
        ({"between": "abcdef"}, "between", "invalid_length"),
        ({"exactly": "abc"}, "exactly", "invalid_length"),
        ({"count": 11}, "count", "out_of_range"),
        ({"low": 0}, "low", "out_of_range"),
        ({"count": "2"}, "count", "not_a_number"),
        ({"price": "nan"}, "price", "not_a_number"),
        ({"flag": "maybe"}, "flag", "not_a_boolean"),
        ({"day": "yesterday"}, "day", "not_a_date"),
        ({"at": "noon"}, "at", "not_a_date"),
        ({"kind": "c"}, "kind", "not_one_of"),
        ({"email": "nobody"}, "email", "invalid_email"),
        ({"site": "not a url"}, "site", "invalid_url"),
        ({"code": "abc"}, "code", "invalid_format"),
        ({"tags": "abc"}, "tags", "not_a_list"),
        ({"nested": "abc"}, "nested", "not_an_object"),
        ({"never_null": None}, "never_null", "not_null"),
        ({"name": 5}, "name", "not_a_string"),
        ({"surprise": 1}, "surprise", "unknown_field"),
    ],
)
def test_marshmallow_s_messages_map_to_codes(data: dict, field: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Everything().load({"name": "abc", **data} if field != "name" else data)
    messages = caught.value.normalized_messages()[field]
    if isinstance(messages, dict):  # a nested schema's own messages
        messages = messages["_schema"]
    assert [code_of_message(m) for m in messages] == [code]


def test_a_message_no_template_matches_is_invalid() -> None:
    assert code_of_message("something nobody wrote") == "invalid"
