"""A SIRENE look-up end to end: check the number, the cache, the quota, the provider."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests

from config import Settings
from httpkit.error_codes import field_error
from records_svc.domain import numbers
from records_svc.sirene.cache import MemoryResultCache, RedisResultCache, ResultCache
from records_svc.sirene.errors import InvalidCompanyNumberError, SireneNotConfiguredError
from records_svc.sirene.http import ProviderClient, RetryPolicy
from records_svc.sirene.limiter import (
    DEFAULT_QUOTAS,
    LocalRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from records_svc.sirene.mapping import Lookup
from records_svc.sirene.providers import InseeProvider, Provider, RechercheEntreprisesProvider

log = logging.getLogger(__name__)


def not_configured() -> SireneNotConfiguredError:
    return SireneNotConfiguredError(
        "SIRENE is not configured: an administrator can choose a provider "
        "(CARNET_SIRENE_PROVIDER) to fill prospects from a SIREN or SIRET."
    )


def parse_number(number: str) -> numbers.CompanyNumber:
    """The SIREN or SIRET typed (separators ignored), checked; 422 says why it is not one."""
    try:
        return numbers.detect(number)
    except numbers.InvalidNumberError as exc:
        raise InvalidCompanyNumberError(
            f"This is not a valid SIREN or SIRET: {exc}.",
            errors=[field_error("number", "invalid_number", str(exc))],
        ) from None


class SireneService:
    """Look-ups through one provider, its results cached for ``cache_seconds``."""

    def __init__(
        self,
        provider: Provider,
        cache: ResultCache,
        cache_seconds: int,
        *,
        closing: tuple[Any, ...] = (),
    ) -> None:
        self.provider, self.cache, self.cache_seconds = provider, cache, cache_seconds
        self._closing = closing

    def close(self) -> None:
        """Release the HTTP session and the Redis connection."""
        for resource in self._closing:
            resource.close()

    def lookup(self, number: str) -> Lookup:
        company_number = parse_number(number)
        key = f"{self.provider.name}:{company_number.kind}:{company_number.value}"
        cached = self.cache.get(key)
        if cached is not None:
            return Lookup.from_dict(cached)
        result = self.provider.fetch(company_number)
        self.cache.set(key, result.to_dict(), self.cache_seconds)
        return result


def build_service(
    settings: Settings,
    redis_client: Any | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> SireneService:
    """The service the settings describe (Redis limiter and cache when Redis is configured)."""
    if settings.sirene_provider == "none":
        raise not_configured()
    name = settings.sirene_provider
    limit, window = DEFAULT_QUOTAS[name]
    limit = settings.sirene_rate_limit or limit
    window = settings.sirene_rate_window_seconds or window
    if redis_client is None and settings.resolved_sirene_redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.resolved_sirene_redis_url)
    limiter: RateLimiter
    cache: ResultCache
    if redis_client is not None:
        prefix = settings.sirene_redis_prefix
        limiter = RedisRateLimiter(
            redis_client, f"{prefix}quota:{name}", limit, window, sleep=sleep
        )
        cache = RedisResultCache(redis_client, f"{prefix}result:")
    else:
        limiter, cache = LocalRateLimiter(limit, window, sleep=sleep), MemoryResultCache()
    policy = RetryPolicy(
        attempts=settings.sirene_attempts,
        backoff_seconds=settings.sirene_backoff_seconds,
        max_retry_after_seconds=settings.sirene_max_retry_after_seconds,
        timeout_seconds=settings.sirene_timeout_seconds,
        rate_max_wait_seconds=settings.sirene_rate_max_wait_seconds,
    )
    session = requests.Session()
    client = ProviderClient(name, session, limiter, policy, sleep=sleep)
    provider: Provider
    if name == "insee":
        provider = InseeProvider(client, settings.sirene_insee_url, settings.sirene_insee_key)
    else:
        session.headers["User-Agent"] = settings.sirene_user_agent
        provider = RechercheEntreprisesProvider(
            client, settings.sirene_recherche_url, settings.sirene_user_agent
        )
    closing = (session,) if redis_client is None else (session, redis_client)
    return SireneService(provider, cache, settings.sirene_cache_seconds, closing=closing)
