"""The search service's HTTP surface: tokens, bad input, health, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.search.conftest import Searcher


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    from search_svc.backends.sqlite_fts import SqliteFtsBackend

    return SqliteFtsBackend(tmp_path / "search.db")


def test_no_token_is_401(search_app: Flask) -> None:
    reply = search_app.test_client().get("/api/v1/search?q=soc")
    assert reply.status_code == 401
    assert reply.mimetype == "application/problem+json"


def test_a_token_signed_with_another_key_is_401(search_app: Flask) -> None:
    from httpkit.tokens import issue_token

    token = issue_token("another-key" * 4, user_id=1, username="x", rights=[], ttl_seconds=60)
    reply = search_app.test_client().get(
        "/api/v1/search?q=soc", headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 101}, "q"),
        ({}, "q"),
        ({"q": "soc", "limit": "ten"}, "limit"),
        ({"q": "soc", "cursor": "nonsense"}, "cursor"),
        ({"q": "soc", "page": "2"}, "page"),
        ({"q": "soc", "kinds": "contact,supplier"}, "kinds"),
    ],
)
def test_bad_input_is_a_400_problem_naming_the_field(
    search_app: Flask, params: dict, field: str
) -> None:  # type: ignore[type-arg]
    reply = Searcher(search_app).get("/api/v1/search", **params)
    assert reply.status_code == 400
    assert reply.mimetype == "application/problem+json"
    assert field in {e["field"] for e in reply.json["errors"]}


@pytest.mark.parametrize("limit", [0, 51, 1000])
def test_a_limit_out_of_range_is_a_422_problem(search_app: Flask, limit: int) -> None:
    reply = Searcher(search_app).get("/api/v1/search", q="soc", limit=limit)
    assert reply.status_code == 422
    assert reply.mimetype == "application/problem+json"
    assert [e["field"] for e in reply.json["errors"]] == ["limit"]


def test_a_hundred_characters_is_fine(search_app: Flask) -> None:
    assert Searcher(search_app).search("x" * 100) == []


def test_health_readiness_and_openapi(search_app: Flask) -> None:
    client = search_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json["checks"] == {"index": "ok"}
    spec = client.get("/openapi.json").json
    assert "/api/v1/search" in spec["paths"]
    assert client.get("/api/v1/search/openapi.json").json == spec


def test_readyz_is_503_when_the_index_is_unreachable(search_settings) -> None:  # type: ignore[no-untyped-def]
    from search_svc import create_app
    from search_svc.backends.elasticsearch import ElasticsearchBackend
    from tests.search.conftest import es_client

    down = ElasticsearchBackend(es_client("http://127.0.0.1:9"), "nowhere")
    reply = create_app(search_settings, backend=down).test_client().get("/readyz")
    assert reply.status_code == 503


def test_a_verified_token_is_not_checked_again_until_it_expires(
    search_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The type-ahead sends the same token on every key stroke: its signature is checked
    once, and the token still stops working when it expires."""
    import time

    import jwt

    from httpkit import tokens
    from tests.search.conftest import SECRET

    checks: list[str] = []
    real_decode = jwt.decode

    def counted(token: str, *args: object, **kwargs: object) -> object:
        checks.append(token)
        return real_decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tokens.jwt, "decode", counted)
    searcher = Searcher(search_app, "a-right-no-other-test-holds")  # a token not seen yet
    for _ in range(3):
        assert searcher.get("/api/v1/search", q="soc").status_code == 200
    assert len(checks) == 1
    # Another key, the same token text: checked again, and refused.
    other = tokens.issue_token(
        "another-key" * 4, user_id=1, username="x", rights=[], ttl_seconds=60
    )
    headers = {"Authorization": f"Bearer {other}"}
    assert search_app.test_client().get("/api/v1/search?q=soc", headers=headers).status_code == 401
    # Expiry is honoured from the cache.
    short = tokens.issue_token(SECRET, user_id=1, username="x", rights=[], ttl_seconds=1)
    headers = {"Authorization": f"Bearer {short}"}
    assert search_app.test_client().get("/api/v1/search?q=soc", headers=headers).status_code == 200
    time.sleep(1.5)
    reply = search_app.test_client().get("/api/v1/search?q=soc", headers=headers)
    assert reply.status_code == 401
    assert "expired" in reply.json["detail"]


def _flask_only(app: Flask) -> Any:
    """A client of the Flask app behind the fast path (search_svc.fast)."""
    from werkzeug.test import Client

    fast = app.wsgi_app
    return Client(fast.inner)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "soc"},
        {"q": "soc gen", "limit": "1"},
        {"q": "dupont", "kinds": "contact"},
        {"q": "Société Générale"},
        {"q": "zzz"},
        {"q": "soc", "limit": "1", "cursor": "bzE"},
    ],
)
@pytest.mark.parametrize("rights", [(), ("show_closed_accounts",)])
def test_the_fast_path_answers_as_the_flask_app_does(
    search_app: Flask, backend: Any, params: dict[str, str], rights: tuple[str, ...]
) -> None:
    """A successful search is answered before Flask: same status, headers and body."""
    from search_svc import documents

    backend.write(
        [
            documents.account_document(
                {"id": 1, "kind": "client", "name": "Société Générale", "version": 1}
            ),
            documents.account_document(
                {"id": 2, "kind": "client", "name": "Soc Gen Conseil", "version": 1}
            ),
            documents.account_document(
                {"id": 3, "kind": "client", "name": "Socotec", "version": 1, "closed": True}
            ),
            documents.contact_document(
                {"id": 4, "first_name": "Élodie", "last_name": "Dupont", "version": 1},
                {"name": "Société Générale", "city": "Paris"},
            ),
        ]
    )
    searcher = Searcher(search_app, *rights)
    seen: list[str] = []
    search_app.before_request(lambda: seen.append("flask"))
    headers = {**searcher.headers, "X-Request-ID": "req-1"}
    fast = search_app.test_client().get("/api/v1/search", query_string=params, headers=headers)
    assert seen == []  # Flask never saw it
    slow = _flask_only(search_app).get("/api/v1/search", query_string=params, headers=headers)
    assert seen == ["flask"]
    assert fast.status_code == slow.status_code == 200
    assert fast.get_data() == slow.get_data()
    assert sorted(fast.headers.items()) == sorted(slow.headers.items())


def test_the_fast_path_takes_the_session_cookie_and_leaves_errors_to_flask(
    search_app: Flask,
) -> None:
    from httpkit.tokens import SESSION_COOKIE, issue_token
    from tests.search.conftest import SECRET

    seen: list[str] = []
    fast = search_app.wsgi_app
    inner = fast.inner  # type: ignore[attr-defined]

    def flask_app(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append(environ["QUERY_STRING"])
        return inner(environ, start_response)

    fast.inner = flask_app  # type: ignore[attr-defined]
    token = issue_token(SECRET, user_id=1, username="x", rights=[], ttl_seconds=60)
    client = search_app.test_client()
    client.set_cookie(SESSION_COOKIE, token)
    reply = client.get("/api/v1/search?q=soc")
    assert reply.status_code == 200 and seen == []
    assert reply.headers["X-Request-ID"]  # made when the caller sent none
    # Every other case is answered by the Flask app, as before: problem+json.
    for path, status in [
        ("/api/v1/search?q=soc&page=2", 400),
        ("/api/v1/search?q=soc&limit=99", 422),
        ("/api/v1/search?q=so%00c", 422),
    ]:
        reply = client.get(path)
        assert reply.status_code == status
        assert reply.mimetype == "application/problem+json"
    bad = {"Authorization": "Basic abc"}
    assert client.get("/api/v1/search?q=soc", headers=bad).status_code == 401
    assert len(seen) == 4


def test_an_unknown_url_is_a_404_with_its_code_by_either_path(search_app: Flask) -> None:
    """The portal says "not offered by this server" by the code, on the search service too;
    the fast path leaves it to the Flask app, which answers it byte for byte the same."""
    searcher = Searcher(search_app)
    fast = searcher.client.get("/api/v1/search/nowhere", headers=searcher.headers)
    slow = _flask_only(search_app).get("/api/v1/search/nowhere", headers=searcher.headers)
    assert fast.status_code == slow.status_code == 404
    assert fast.mimetype == "application/problem+json"
    assert fast.get_json()["code"] == "unknown_url"
    assert fast.get_data() == slow.get_data()


def test_the_fast_path_sends_hsts_behind_https(tmp_path: Any, backend: Any) -> None:
    from config import load_settings
    from search_svc import create_app
    from tests.search.conftest import SECRET

    settings = load_settings(data_dir=tmp_path / "var", secret_key=SECRET, hsts_seconds=600)
    app = create_app(settings, backend=backend)
    searcher = Searcher(app)
    secure = searcher.client.get(
        "/api/v1/search?q=soc", headers=searcher.headers, base_url="https://localhost"
    )
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=600"
    plain = searcher.client.get("/api/v1/search?q=soc", headers=searcher.headers)
    assert "Strict-Transport-Security" not in plain.headers


def test_the_fast_path_reads_a_query_string_sent_unencoded(search_app: Flask, backend: Any) -> None:
    """WSGI gives the query string's bytes as latin-1 text: "é" typed raw (not %-encoded)
    is read as the Flask app reads it."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    from search_svc import documents

    backend.write(
        [documents.account_document({"id": 1, "kind": "client", "name": "Élodie", "version": 1})]
    )
    headers = {**Searcher(search_app).headers, "X-Request-ID": "req-2"}
    environ = EnvironBuilder(path="/api/v1/search", headers=headers).get_environ()
    environ["QUERY_STRING"] = "q=élo".encode().decode("latin-1")
    seen: list[str] = []
    search_app.before_request(lambda: seen.append("flask"))
    fast_body, fast_status, _ = run_wsgi_app(search_app, dict(environ))
    assert seen == []  # answered by the fast path
    flask = search_app.wsgi_app.inner  # type: ignore[attr-defined]
    slow_body, slow_status, _ = run_wsgi_app(flask, dict(environ))
    assert fast_status == slow_status == "200 OK"
    fast, slow = b"".join(fast_body), b"".join(slow_body)
    assert fast == slow and "Élodie".encode() in fast
