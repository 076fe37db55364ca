"""Error codes: one registry (httpkit/error_codes.py), a French text for each in the portal,
the portal matching problems by code (never by their English prose), and marshmallow's
messages mapped to codes. (That every problem a test receives carries registered codes is
checked for the whole suite by tests/conftest.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate

from config import Settings
from httpkit import error_codes
from httpkit.error_codes import CODES, PROBLEM_CODES, code_of_message, field_error
from httpkit.problems import ProblemError
from records_svc import create_app
from records_svc.db import Database
from tests.conftest import PASSWORD, Api, make_user
from tests.services import unavailable

PORTAL_JS = Path(__file__).parents[1] / "portal" / "static" / "js"
MESSAGES_JS = PORTAL_JS / "messages.js"


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


def test_a_problem_s_own_code_reads_as_a_whole_sentence() -> None:
    french = portal_codes()
    assert PROBLEM_CODES.issubset(CODES)
    for code in sorted(PROBLEM_CODES):
        assert re.fullmatch(r"[A-ZÀ-Ý].*\.", french[code]), (code, french[code])


def test_a_problem_refuses_an_unregistered_code() -> None:
    assert ProblemError("x", code="csrf_failed").extra == {"code": "csrf_failed"}
    with pytest.raises(error_codes.UnknownErrorCodeError):
        ProblemError("x", code="no_such_code")


def test_no_portal_script_reads_a_problem_s_english_detail_or_title() -> None:
    """The portal matches a problem by its status and codes: ``detail`` and ``title`` are
    English prose that may be reworded."""
    prose = re.compile(r"problem\??\.(detail|title)\b|\.test\(\s*(problem|exc|error)\b")
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(PORTAL_JS.glob("*.js"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if prose.search(line)
    ]
    assert not found, "problems matched by their English text:\n" + "\n".join(found)


def problem_messages(cases: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """``problemMessage`` of the portal's messages.js, run by Node.js, for each case."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        unavailable("Node.js", FileNotFoundError("node"))
    # messages.js is an ES module that imports nothing: loaded from its text as data
    script = (
        "const source = require('fs').readFileSync(process.argv[1], 'utf8');"
        "import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'))"
        ".then((m) => { const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map(([s, p]) => m.problemMessage(s, p)))); });"
    )
    done = subprocess.run(
        [str(node), "-e", script, str(MESSAGES_JS)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def _problems(
    app: Flask, settings: Settings, database: Database, seller: Api
) -> dict[str, tuple[int, Any]]:
    """A problem of each kind the portal once recognised by its English text, as the
    records service answers it (the search service's are tested in tests/search)."""
    out: dict[str, tuple[int, Any]] = {}
    refused = app.test_client().post(
        "/api/v1/auth/session", json={"username": "alice", "password": "not " + PASSWORD}
    )
    out["bad_credentials"] = (refused.status_code, refused.json)
    unknown = app.test_client().post(
        "/api/v1/auth/token", json={"username": "nobody", "password": PASSWORD}
    )
    assert unknown.json["code"] == "bad_credentials"
    browser = app.test_client()
    signed = browser.post("/api/v1/auth/session", json={"username": "alice", "password": PASSWORD})
    assert signed.status_code == 200, signed.json
    forged = browser.post("/api/v1/prospects", json={"name": "Sans jeton"})
    out["csrf_failed"] = (forged.status_code, forged.json)
    nowhere = seller.get("/api/v1/no-such-feature")
    out["unknown_url"] = (nowhere.status_code, nowhere.json)
    no_sirene = create_app(
        settings.model_copy(update={"sirene_provider": "none"}),
        database=database,
    )
    lookup = make_user(no_sirene, database, "carol").post(
        "/api/v1/sirene/lookup", json={"number": "13002526500013"}
    )
    out["sirene_not_configured"] = (lookup.status_code, lookup.json)
    return out


def test_the_portal_says_each_problem_by_its_code_not_its_english_text(
    app: Flask, settings: Settings, database: Database, seller: Api
) -> None:
    french = portal_codes()
    problems = _problems(app, settings, database, seller)
    assert {code: status for code, (status, _) in problems.items()} == {
        "bad_credentials": 401,
        "csrf_failed": 403,
        "unknown_url": 404,
        "sirene_not_configured": 503,
    }
    cases: list[tuple[int, dict[str, Any]]] = []
    for code, (status, body) in problems.items():
        assert body["code"] == code, body
        reworded = {**body, "detail": "Reworded entirely.", "title": "Another title"}
        uncoded = {k: v for k, v in body.items() if k != "code"}
        cases += [(status, body), (status, reworded), (status, uncoded)]
    said = problem_messages(cases)
    for index, code in enumerate(problems):
        as_sent, reworded, uncoded = said[3 * index : 3 * index + 3]
        assert as_sent == reworded == french[code], code
        # without its code, its English text alone does not get it its French sentence
        assert uncoded != french[code], code


def test_a_missing_record_is_not_an_unknown_url(seller: Api) -> None:
    reply = seller.get("/api/v1/prospects/999999")
    assert reply.status_code == 404
    assert "code" not in reply.json


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
