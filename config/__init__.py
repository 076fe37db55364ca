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
    #: how long a service keeps a user's state (rights, active, token version): the
    #: delay within which a revocation takes effect
    user_state_cache_seconds: float = Field(default=5.0, ge=0, le=5)
    #: full stack: the Redis where the records service publishes users' states for the
    #: search service; defaults to a redis:// broker
    user_state_redis_url: str | None = None
    #: sign-in throttling: failures allowed per user name and per client address within
    #: the window (sliding), then 429 with Retry-After; shared through a Redis broker
    signin_failures_per_name: int = Field(default=5, ge=1)
    signin_failures_per_address: int = Field(default=50, ge=1)
    signin_window_seconds: float = Field(default=15 * 60, gt=0)
    #: how new passwords are hashed: scrypt. ``insecure-fast-for-tests`` (one round of
    #: PBKDF2) exists for test suites only: the full stack and ``carnet serve`` refuse it
    password_hashing: Literal["scrypt", "insecure-fast-for-tests"] = "scrypt"

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
    #: every task's Celery time limits (soft: the task is interrupted; hard: its process
    #: is killed); the render task has its own, from edition_render_seconds
    task_soft_time_limit_seconds: int = Field(default=300, ge=1)
    task_time_limit_seconds: int = Field(default=330, ge=1)
    #: the embedded runtime (no beat) sweeps the outbox on a thread this often
    embedded_sweep_seconds: float = Field(default=2.0, gt=0, le=3600)

    # documents
    documents_dir: Path | None = None
    max_upload_bytes: int = 25 * 1024 * 1024

    # editions: beyond these the job ends failed (with a French error)
    edition_render_seconds: float = Field(default=60, gt=0, le=3600)
    edition_max_pages: int = Field(default=500, ge=1)
    edition_max_output_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)

    # hostile input: a JSON body larger than this is refused (413), one nested deeper too (400)
    max_json_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=32, ge=4, le=500)

    # behind proxies: how many set X-Forwarded-For/-Proto/-Host (the compose gateway: 1);
    # 0 ignores those headers. Over HTTPS, the answers carry HSTS for hsts_seconds (0: none).
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    hsts_seconds: int = Field(default=365 * 24 * 3600, ge=0)

    # search indexing (issue 3): sweep events unprocessed after this age; keep processed ones
    outbox_sweep_age_seconds: float = 10
    outbox_keep_processed_seconds: float = 24 * 3600
    reindex_batch_size: int = Field(default=1000, ge=1)
    #: personal data: with a value, the full stack's beat deletes each month the prospects
    #: untouched for that many months (the CNIL's guidance for B2B prospects: 36); 0: off
    gdpr_purge_months: int = Field(default=0, ge=0, le=1200)
    #: pending events an indexing job takes beyond its own (one bulk write for them all)
    indexing_batch_size: int = Field(default=500, ge=0, le=10_000)
    #: how long a sweep or a worker holds the events it took before another may take them
    outbox_lease_seconds: float = Field(default=30, gt=0)
    #: prefix of every Redis key Celery writes (several deployments or test runs on one Redis)
    broker_key_prefix: str | None = None

    # SIRENE auto-fill (company look-ups by SIREN/SIRET)
    sirene_provider: Literal["none", "insee", "recherche-entreprises"] = "none"
    sirene_insee_url: str = "https://api.insee.fr/api-sirene/3.11"
    sirene_insee_key: str | None = None
    sirene_recherche_url: str = "https://recherche-entreprises.api.gouv.fr"
    sirene_user_agent: str = "Carnet/0.1 (address book of a sales portal; SIRENE auto-fill)"
    #: Redis for the shared rate limiter and the result cache; defaults to a redis:// broker
    sirene_redis_url: str | None = None
    sirene_redis_prefix: str = "carnet:sirene:"
    #: how long the HTTP endpoint waits for the look-up job before answering 202
    sirene_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    #: timeout of each call to the provider (connect and read)
    sirene_timeout_seconds: float = Field(default=4.0, gt=0, le=60)
    #: attempts per look-up (retries on 429, 5xx and timeouts, with backoff)
    sirene_attempts: int = Field(default=3, ge=1, le=10)
    sirene_backoff_seconds: float = Field(default=0.5, ge=0, le=30)
    #: a Retry-After longer than this is not waited for: the look-up answers 429
    sirene_max_retry_after_seconds: float = Field(default=10.0, ge=0, le=600)
    #: quota shared by every worker; unset = the provider's (INSEE 30/60 s, Recherche 7/1 s)
    sirene_rate_limit: int | None = Field(default=None, ge=1)
    sirene_rate_window_seconds: float | None = Field(default=None, gt=0)
    #: longest wait for a free slot of the quota before answering 429
    sirene_rate_max_wait_seconds: float = Field(default=30.0, ge=0, le=600)
    sirene_cache_seconds: int = Field(default=24 * 3600, ge=0)

    # full stack: logs and the processes of `carnet stack up`
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: one JSON object per line (json), or plain lines for a terminal (text)
    log_format: Literal["json", "text"] = "json"
    #: send plain application/json to Elasticsearch instead of its compatibility media
    #: types (for Elasticsearch-compatible servers that refuse them)
    elasticsearch_plain_json: bool = False
    #: request threads of `carnet serve` (the embedded default's one server process)
    serve_threads: int = Field(default=8, ge=1, le=128)
    #: gunicorn workers of each web service
    web_workers: int = Field(default=2, ge=1, le=64)
    #: Celery worker processes of each queue
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    #: seconds between two heartbeats of a worker (its key lives three of them)
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)

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
        if self.mode == "full":
            self.refuse_test_only_settings()
        return self

    def refuse_test_only_settings(self) -> None:
        """A server refuses what only a test suite may set (a cheap password hash)."""
        if self.password_hashing != "scrypt":
            raise ConfigurationError(
                f"CARNET_PASSWORD_HASHING={self.password_hashing} is for test suites only"
            )

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
    def resolved_sirene_redis_url(self) -> str | None:
        """Redis for SIRENE's limiter and cache; None (in process) in the embedded default."""
        return self.sirene_redis_url or self.shared_redis_url

    @property
    def shared_redis_url(self) -> str | None:
        """The Redis that web workers share state through (the broker's, when it is Redis);
        None in the embedded default, where state stays in process."""
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    def worker_heartbeat_key(self, queue: str) -> str:
        """The Redis key a worker of ``queue`` keeps alive (beside Celery's, same prefix)."""
        return f"{self.broker_key_prefix or ''}carnet:heartbeat:{queue}"

    @property
    def worker_heartbeat_ttl(self) -> int:
        return max(2, round(self.worker_heartbeat_seconds * 3))

    @property
    def resolved_user_state_redis_url(self) -> str | None:
        """Where users' states are published; None (in process) in the embedded default."""
        if self.user_state_redis_url:
            return self.user_state_redis_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    @property
    def user_state_redis_prefix(self) -> str:
        return f"{self.broker_key_prefix or 'carnet:'}user:"

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
        from config.private_files import create_private_file, private_dir

        path = private_dir(self.data_dir, tighten=True) / "secret_key"
        # Created with its mode (0600) and only if absent: two processes starting at once
        # both read the key the first one wrote.
        create_private_file(path, secrets.token_urlsafe(48).encode())
        key = path.read_text().strip()
        self.secret_key = key
        return key


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and explicit overrides, for tests and commands)."""
    return Settings(**overrides)  # type: ignore[arg-type]
