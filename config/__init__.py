"""Carnet settings: one typed object, the only reader of the environment.

Settings are built by app factories and entry points, never at import time.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConfigurationError", "Settings", "load_settings"]


class ConfigurationError(RuntimeError):
    """The settings cannot run the service (e.g. a missing secret in the full stack)."""


class Settings(BaseSettings):
    """Everything configurable, read from ``CARNET_*`` variables.

    With nothing set, Carnet runs embedded: SQLite records and SQLite FTS5
    search under ``data_dir``, Celery in eager mode.
    """

    model_config = SettingsConfigDict(env_prefix="CARNET_", extra="ignore", frozen=False)

    mode: Literal["embedded", "full"] = "embedded"
    data_dir: Path = Path("var")
    database_url: str | None = None
    secret_key: str | None = None
    token_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

    # search
    search_backend: Literal["sqlite", "elasticsearch"] = "sqlite"
    search_sqlite_path: Path | None = None
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_index: str = "carnet-search"

    # jobs
    broker_url: str | None = None
    result_backend: str | None = None
    task_always_eager: bool | None = None
    outbox_sweep_seconds: int = 30

    # documents
    documents_dir: Path | None = None
    max_upload_bytes: int = 25 * 1024 * 1024

    # paging
    default_page_size: int = 50
    max_page_size: int = 200

    # search indexing (issue 3): sweep events unprocessed after this age; keep processed ones
    outbox_sweep_age_seconds: float = 10
    outbox_keep_processed_seconds: float = 24 * 3600
    reindex_batch_size: int = Field(default=1000, ge=1)
    #: prefix of every Redis key Celery writes (several deployments or test runs on one Redis)
    broker_key_prefix: str | None = None

    # benchmarks (issue 7): the PostgreSQL server where `carnet bench` creates its scratch databases
    bench_postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    bench_redis_url: str = "redis://127.0.0.1:6379/0"

    @model_validator(mode="after")
    def _check_full_stack(self) -> Settings:
        if self.mode == "full":
            missing = [
                name
                for name, value in (
                    ("CARNET_SECRET_KEY", self.secret_key),
                    ("CARNET_DATABASE_URL", self.database_url),
                    ("CARNET_BROKER_URL", self.broker_url),
                )
                if not value
            ]
            if missing:
                raise ConfigurationError(
                    "the full stack needs these settings: " + ", ".join(missing)
                )
        return self

    # Derived values: one place that says what the embedded defaults are.

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'carnet.db').resolve()}"

    @property
    def resolved_search_sqlite_path(self) -> Path:
        return self.search_sqlite_path or self.data_dir / "search.db"

    @property
    def resolved_documents_dir(self) -> Path:
        return self.documents_dir or self.data_dir / "documents"

    @property
    def eager_jobs(self) -> bool:
        if self.task_always_eager is not None:
            return self.task_always_eager
        return self.broker_url is None

    def resolved_secret_key(self) -> str:
        """The signing key; the embedded default keeps a generated one under data_dir."""
        if self.secret_key:
            return self.secret_key
        if self.mode == "full":
            raise ConfigurationError("CARNET_SECRET_KEY is required in the full stack")
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        key = path.read_text().strip()
        self.secret_key = key
        return key


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and explicit overrides, for tests and commands)."""
    return Settings(**overrides)  # type: ignore[arg-type]
