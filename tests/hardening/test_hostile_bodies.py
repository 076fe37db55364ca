"""Hostile JSON bodies get a problem naming what is wrong, never a 500, and write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from config import load_settings
from httpkit.inputs import MAX_SAFE_INTEGER
from records_svc import create_app
from records_svc.composition import records_database
from records_svc.job_queue import NullJobQueue
from search_svc import create_app as create_search_app
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.conftest import Api
from tests.search.conftest import SECRET, Searcher

JSON = {"Content-Type": "application/json"}
DEEP_ARRAY = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"name": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}"


def _post_raw(api: Api, path: str, body: str) -> Any:
    return api.post(path, data=body.encode(), headers=JSON)


def _count(api: Api) -> int:
    return len(api.get("/api/v1/prospects").json["items"])


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_json_nested_ten_thousand_deep_is_a_400_saying_so(seller: Api, body: str) -> None:
    for path in ("/api/v1/prospects", "/api/v1/auth/token", "/api/v1/nowhere"):
        reply = _post_raw(seller, path, body)
        assert reply.status_code == 400, (path, reply.json)
        assert reply.mimetype == "application/problem+json"
        assert "32 levels" in reply.json["detail"]
    assert _count(seller) == 0


def test_a_body_nested_as_deep_as_the_limit_is_parsed(seller: Api) -> None:
    custom = {"notes": "x"}
    for _ in range(29):
        custom = {"n": custom}  # type: ignore[dict-item]
    reply = seller.post("/api/v1/prospects", json={"name": "Acme", "custom": {"deep": custom}})
    assert reply.status_code == 422  # an unknown custom field, said by the view: not a 400
    assert reply.json["errors"][0]["field"].startswith("custom")


@pytest.mark.parametrize(
    "literal",
    ["9" * 5_000, "-" + "9" * 4_301, str(2**63), str(MAX_SAFE_INTEGER + 1)],
    ids=["5000-digits", "4301-digits-negative", "2**63", "safe+1"],
)
def test_an_integer_out_of_range_is_a_422_naming_the_field(seller: Api, literal: str) -> None:
    body = '{"name": "Acme", "address": {"city": "Paris"}, "owner_id": ' + literal + "}"
    reply = _post_raw(seller, "/api/v1/prospects", body)
    assert reply.status_code == 422, reply.json
    assert reply.json["errors"] == [
        {
            "field": "owner_id",
            "code": "out_of_range",
            "message": f"an integer between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}",
        }
    ]
    nested = '{"name": "Acme", "custom": {"employees": [1, ' + literal + "]}}"
    reply = _post_raw(seller, "/api/v1/prospects", nested)
    assert reply.status_code == 422
    assert reply.json["errors"][0]["field"] == "custom.employees[1]"
    assert reply.json["errors"][0]["code"] == "out_of_range"
    assert _count(seller) == 0


@pytest.mark.parametrize("surrogate", ["\\ud800", "\\udfff", "a\\udc80b"])
def test_a_lone_surrogate_in_any_text_field_is_a_422_naming_it(
    seller: Api, prospect: dict[str, Any], surrogate: str
) -> None:
    """On both databases: SQLite could not encode it, PostgreSQL refuses it."""
    account = f"/api/v1/prospects/{prospect['id']}"
    accounts = f"/api/v1/accounts/{prospect['id']}"
    cases = [
        ("POST", "/api/v1/prospects", '{"name": "' + surrogate + '"}', "name"),
        (
            "POST",
            "/api/v1/prospects",
            '{"name": "ok", "address": {"city": "' + surrogate + '"}}',
            "address.city",
        ),
        (
            "POST",
            "/api/v1/auth/token",
            '{"username": "' + surrogate + '", "password": "x"}',
            "username",
        ),
        ("POST", f"{accounts}/contacts", '{"last_name": "' + surrogate + '"}', "last_name"),
        (
            "POST",
            "/api/v1/opportunities",
            '{"account_id": ' + str(prospect["id"]) + ', "title": "' + surrogate + '"}',
            "title",
        ),
        (
            "POST",
            f"{account}/actions",
            '{"type": "call", "subject": "' + surrogate + '"}',
            "subject",
        ),
        (
            "POST",
            "/api/v1/prospects",
            '{"name": "ok", "custom": {"' + surrogate + '": 1}}',
            "custom.'",
        ),
    ]
    for method, path, body, field in cases:
        reply = seller.request(method, path, data=body.encode(), headers=JSON)
        assert reply.status_code == 422, (path, body, reply.json)
        assert reply.mimetype == "application/problem+json"
        assert any(e["field"].startswith(field) for e in reply.json["errors"]), reply.json
    etag = seller.get(account).headers["ETag"]
    edit = seller.patch(
        account,
        data=('{"name": "' + surrogate + '"}').encode(),
        headers={**JSON, "If-Match": etag},
    )
    assert edit.status_code == 422
    assert seller.get(account).json["name"] == prospect["name"]
    assert _count(seller) == 1
    assert seller.get(f"{accounts}/contacts").json["items"] == []


def test_a_json_body_over_the_size_limit_is_a_413(tmp_path: Path, database_url: str) -> None:
    settings = load_settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key=SECRET,
        max_json_bytes=4096,
    )
    database = records_database(settings, NullJobQueue())
    try:
        client = create_app(settings, database=database).test_client()
        big = '{"username": "' + "a" * 5000 + '", "password": "x"}'
        reply = client.post("/api/v1/auth/token", data=big, headers=JSON)
        assert reply.status_code == 413
        assert reply.json["detail"] == "The JSON body is larger than 4096 bytes."
        small = client.post("/api/v1/auth/token", json={"username": "a", "password": "x"})
        assert small.status_code == 401
    finally:
        database.dispose()


def search_app(tmp_path: Path) -> Flask:
    settings = load_settings(data_dir=tmp_path / "var", secret_key=SECRET)
    return create_search_app(settings, backend=SqliteFtsBackend(tmp_path / "search.db"))


def test_the_search_service_applies_the_same_limits(tmp_path: Path) -> None:
    searcher = Searcher(search_app(tmp_path))
    deep = searcher.client.get(
        "/api/v1/search?q=soc", data=DEEP_ARRAY, headers={**searcher.headers, **JSON}
    )
    assert deep.status_code == 400
    assert deep.mimetype == "application/problem+json"
    bigint = searcher.client.get(
        "/api/v1/search?q=soc",
        data='{"limit": ' + "9" * 5000 + "}",
        headers={**searcher.headers, **JSON},
    )
    assert bigint.status_code == 422
    assert bigint.json["errors"][0]["field"] == "limit"
    nul = searcher.get("/api/v1/search", q="soc\x00")
    assert nul.status_code == 422
    assert nul.json["errors"][0]["field"] == "q"
