"""The app factory and settings: assembled only by create_app, from settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigurationError, load_settings
from records_svc import create_app


def test_importing_the_packages_has_no_side_effects(tmp_path: Path) -> None:
    modules = "config, httpkit.problems, records_svc, records_svc.api.accounts, workers.celery_app"
    subprocess.run(
        [sys.executable, "-c", f"import {modules}"],
        cwd=tmp_path,
        check=True,
        env={**os.environ, "CARNET_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"},
    )
    assert list(tmp_path.iterdir()) == []


def test_embedded_defaults_need_nothing_configured(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.mode == "embedded"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'var' / 'carnet.db'}"
    assert settings.eager_jobs is True
    key = settings.resolved_secret_key()
    assert len(key) >= 32
    assert load_settings().resolved_secret_key() == key  # kept under the data directory


def test_the_full_stack_refuses_to_start_without_its_secrets(monkeypatch) -> None:
    monkeypatch.setenv("CARNET_MODE", "full")
    with pytest.raises(ConfigurationError, match="CARNET_SECRET_KEY"):
        load_settings()


def test_settings_come_from_carnet_variables(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CARNET_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    monkeypatch.setenv("CARNET_TOKEN_TTL_SECONDS", "600")
    settings = load_settings()
    assert settings.resolved_database_url.endswith("x.db")
    assert settings.token_ttl_seconds == 600


def test_create_app_registers_the_contract_paths(settings) -> None:
    app = create_app(settings)
    spec = app.test_client().get("/openapi.json").json
    for path in (
        "/api/v1/auth/token",
        "/api/v1/prospects",
        "/api/v1/prospects/{account_id}",
        "/api/v1/prospects/{account_id}/validate",
        "/api/v1/clients",
        "/api/v1/clients/{account_id}",
        "/api/v1/accounts/{account_id}",
        "/api/v1/accounts/{account_id}/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/field-definitions",
        "/api/v1/sync/clients/{external_ref}",
        "/api/v1/jobs/{job_id}",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert app.test_client().get("/api/v1/openapi.json").json["paths"] == spec["paths"]


def test_unknown_routes_and_methods_are_problems(settings) -> None:
    client = create_app(settings).test_client()
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    wrong = client.delete("/api/v1/auth/token")
    assert wrong.status_code == 405
    assert wrong.content_type == "application/problem+json"
