"""Calling a provider: one requests Session, a timeout on every call, the shared quota,
retries on 429, 5xx and timeouts with backoff honouring ``Retry-After``.

The retry loop is written here rather than left to urllib3's ``Retry`` because every
attempt must take a slot of the quota shared by all workers, and because a
``Retry-After`` longer than we are willing to wait must end the look-up with a 429
(urllib3 would sleep for whatever the server asks).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from records_svc.sirene.errors import (
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExhaustedError,
)
from records_svc.sirene.limiter import RateLimiter

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 0.5
    max_retry_after_seconds: float = 10.0
    timeout_seconds: float = 4.0
    rate_max_wait_seconds: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Exponential, with jitter so that workers do not retry in step."""
        base = self.backoff_seconds * (2**attempt)
        return base + random.uniform(0, self.backoff_seconds)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (it is either a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class ProviderClient:
    """GETs against one provider, within its quota, with finite retries."""

    def __init__(
        self,
        provider: str,
        session: requests.Session,
        limiter: RateLimiter,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.session = session
        self.limiter = limiter
        self.policy = policy
        self._sleep = sleep

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """The provider's answer (2xx or a 4xx other than 429); retried failures raise."""
        policy = self.policy
        for attempt in range(policy.attempts):
            last = attempt == policy.attempts - 1
            self.limiter.acquire(policy.rate_max_wait_seconds)
            try:
                response = self.session.get(
                    url, params=params, headers=headers, timeout=policy.timeout_seconds
                )
            except requests.Timeout as exc:
                log.warning("%s timed out (attempt %d)", self.provider, attempt + 1)
                if last:
                    raise ProviderTimeoutError(
                        f"The SIRENE provider ({self.provider}) did not answer in time; "
                        "try again in a moment."
                    ) from exc
                self._sleep(policy.backoff(attempt))
                continue
            except requests.RequestException as exc:
                log.warning("%s unreachable (attempt %d): %s", self.provider, attempt + 1, exc)
                if last:
                    raise ProviderUnavailableError(
                        f"The SIRENE provider ({self.provider}) cannot be reached; try again later."
                    ) from exc
                self._sleep(policy.backoff(attempt))
                continue
            if response.status_code not in RETRIED_STATUSES:
                return response
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if response.status_code == 429:
                if wait is not None and wait > policy.max_retry_after_seconds:
                    raise QuotaExhaustedError(self._quota_detail(), retry_after=wait)
                if last:
                    raise QuotaExhaustedError(
                        self._quota_detail(), retry_after=wait or policy.backoff(attempt + 1)
                    )
            elif last:
                log.warning("%s answered %s", self.provider, response.status_code)
                raise ProviderUnavailableError(
                    f"The SIRENE provider ({self.provider}) is unavailable "
                    f"(HTTP {response.status_code}); try again later.",
                    retry_after=wait,
                )
            delay = wait if wait is not None else policy.backoff(attempt)
            self._sleep(min(delay, policy.max_retry_after_seconds))
        raise AssertionError("unreachable")  # pragma: no cover

    def _quota_detail(self) -> str:
        return (
            f"The SIRENE provider's quota ({self.provider}) is used up for now; "
            "try again after the delay given in Retry-After."
        )
