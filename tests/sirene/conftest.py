"""SIRENE fixtures: the fake provider, settings that point at it, an app with eager jobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import Settings, load_settings
from tests.eager_celery import app, celery, database, worker_context  # noqa: F401 (fixtures)
from tests.sirene.fake_provider import INSEE_KEY, FakeProvider, running

#: quick faults: short timeout, two attempts, tiny backoff, a generous quota
FAST = {
    "sirene_timeout_seconds": 0.5,
    "sirene_attempts": 2,
    "sirene_backoff_seconds": 0.01,
    "sirene_max_retry_after_seconds": 2,
    "sirene_rate_limit": 1000,
    "sirene_rate_window_seconds": 1,
}


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeProvider]:
    yield from running()


@pytest.fixture
def fake(fake_server: FakeProvider) -> FakeProvider:
    fake_server.reset()
    return fake_server


def sirene_settings(
    tmp_path: Path, fake: FakeProvider, provider: str = "insee", **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-key-" * 4,
        "sirene_provider": provider,
        "sirene_insee_url": f"{fake.url}/insee",
        "sirene_insee_key": INSEE_KEY,
        "sirene_recherche_url": f"{fake.url}/recherche",
        **FAST,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(params=["insee", "recherche-entreprises"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sirene_overrides() -> dict[str, Any]:
    """Settings a test module changes (override this fixture)."""
    return {}


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, fake: FakeProvider, sirene_overrides: dict[str, Any]
) -> Settings:
    overrides = {"sirene_provider": "insee", **sirene_overrides}
    return sirene_settings(tmp_path, fake, database_url=database_url, **overrides)
