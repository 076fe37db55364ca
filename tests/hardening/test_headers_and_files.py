"""Response headers on every service, trusted proxies (Secure cookies, HSTS), file modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import portal
from carnet import embedded
from config import load_settings
from records_svc import create_app
from records_svc.db import Database
from records_svc.files import FileStore
from search_svc import create_app as create_search_app
from search_svc.backends.sqlite_fts import SqliteFtsBackend
from tests.conftest import PASSWORD, Api
from tests.search.conftest import SECRET, Searcher


def _check_api_headers(reply: Any) -> None:
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Server"] == "Carnet"


def test_records_json_and_problems_are_not_sniffed_nor_cached(seller: Api, anonymous: Api) -> None:
    for reply in (
        seller.get("/api/v1/prospects"),
        anonymous.get("/api/v1/prospects"),  # 401 problem+json
        seller.get("/api/v1/prospects/999"),  # 404 problem+json
        anonymous.get("/healthz"),
        anonymous.get("/openapi.json"),
    ):
        assert reply.mimetype in ("application/json", "application/problem+json")
        _check_api_headers(reply)


def test_search_json_and_problems_too(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var", secret_key=SECRET)
    app = create_search_app(settings, backend=SqliteFtsBackend(tmp_path / "search.db"))
    searcher = Searcher(app)
    for reply in (
        searcher.get("/api/v1/search", q="soc"),
        searcher.get("/api/v1/search"),  # 400 problem+json
        app.test_client().get("/api/v1/search?q=soc"),  # 401
    ):
        _check_api_headers(reply)


def test_the_portal_names_no_server_version(tmp_path: Path) -> None:
    client = portal.create_app(load_settings(data_dir=tmp_path)).test_client()
    with client.get("/") as page:
        assert page.headers["Server"] == "Carnet"
        assert page.headers["Cache-Control"] == "no-cache"  # revalidated, not no-store
    _check_api_headers(client.get(f"{portal.PREFIX}/config.json"))


def _sign_in(app: Flask, **headers: str) -> Any:
    return app.test_client().post(
        "/api/v1/auth/session",
        json={"username": "alice", "password": PASSWORD},
        headers=headers,
        environ_base={"REMOTE_ADDR": "172.18.0.5"},  # the gateway
    )


@pytest.mark.parametrize("trusted", [0, 1])
def test_behind_a_trusted_https_proxy_cookies_are_secure_and_hsts_is_sent(
    tmp_path: Path, database: Database, seller: Api, trusted: int
) -> None:
    settings = load_settings(
        data_dir=tmp_path / "var",
        database_url=database.engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-" * 4,
        trusted_proxies=trusted,
    )
    app = create_app(settings, database=database)
    reply = _sign_in(app, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert reply.status_code == 200
    cookies = reply.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    # Untrusted (0), the header could come from anyone: ignored.
    assert all(("; Secure" in c) == bool(trusted) for c in cookies)
    assert ("Strict-Transport-Security" in reply.headers) == bool(trusted)
    if trusted:
        assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = _sign_in(app)  # straight to the service over HTTP: never Secure, no HSTS
    assert all("; Secure" not in c for c in plain.headers.getlist("Set-Cookie"))
    assert "Strict-Transport-Security" not in plain.headers


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_database_key_and_documents_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_chmod(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("created with its mode, never chmod-ed after")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    old_umask = os.umask(0)  # even with nothing masked
    try:
        settings = load_settings(data_dir=tmp_path / "var")
        rt = embedded.runtime(settings)
        try:
            key = settings.resolved_secret_key()
            stored = rt.files.write_bytes(b"%PDF-1.7 confidential")
        finally:
            rt.close()
    finally:
        os.umask(old_umask)
    data = tmp_path / "var"
    assert _mode(data) == 0o700
    assert _mode(data / "carnet.db") == 0o600
    assert _mode(data / "secret_key") == 0o600
    assert (data / "secret_key").read_text() == key
    assert _mode(rt.files.path(stored.key)) == 0o600
    assert _mode(rt.files.path(stored.key).parent) == 0o700
    assert _mode(Path(settings.resolved_documents_dir)) == 0o700


def test_an_existing_open_data_directory_is_closed(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    load_settings(data_dir=data).resolved_secret_key()
    assert _mode(data) == 0o700
    store = FileStore(data / "documents")
    assert _mode(store.path(store.write_bytes(b"x").key)) == 0o600
