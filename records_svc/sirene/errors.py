"""The ways a SIRENE look-up fails, each a problem with its status.

They travel from the worker back to the HTTP endpoint (and into the job) as plain
dicts: ``to_dict`` / ``from_dict``.
"""

from __future__ import annotations

import math
from typing import Any

from httpkit import error_codes
from httpkit.problems import ProblemError


class SireneError(ProblemError):
    """A look-up that could not give an answer; ``code`` (registered in
    ``httpkit.error_codes``) names the case for clients."""

    status = 503
    code = error_codes.SIRENE_ERROR

    def __init__(
        self,
        detail: str,
        *,
        retry_after: float | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        self.retry_after = None if retry_after is None else max(1, math.ceil(retry_after))
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        super().__init__(detail, errors=errors, headers=headers, code=self.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status": self.status,
            "detail": self.detail,
            "errors": self.errors,
            "retry_after": self.retry_after,
        }


class SireneNotConfiguredError(SireneError):
    status, code = 503, error_codes.SIRENE_NOT_CONFIGURED


class InvalidCompanyNumberError(SireneError):
    """The number is not a SIREN or SIRET (length, characters, checksum), or the provider said so."""

    status, code = 422, error_codes.INVALID_NUMBER


class UnknownCompanyError(SireneError):
    status, code = 404, error_codes.UNKNOWN_NUMBER


class ProviderKeyRejectedError(SireneError):
    status, code = 503, error_codes.PROVIDER_KEY_REJECTED


class ProviderUnavailableError(SireneError):
    status, code = 503, error_codes.PROVIDER_UNAVAILABLE


class ProviderTimeoutError(SireneError):
    status, code = 504, error_codes.PROVIDER_TIMEOUT


class QuotaExhaustedError(SireneError):
    status, code = 429, error_codes.QUOTA_EXHAUSTED


class LookupFailedError(SireneError):
    """The look-up could not be applied (stale version, unknown prospect…) or failed."""

    code = error_codes.FAILED

    def __init__(
        self,
        detail: str,
        *,
        status: int = 409,
        retry_after: float | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail, retry_after=retry_after, errors=errors)
        self.status = status


_BY_CODE: dict[str, type[SireneError]] = {
    cls.code: cls
    for cls in (
        SireneNotConfiguredError,
        InvalidCompanyNumberError,
        UnknownCompanyError,
        ProviderKeyRejectedError,
        ProviderUnavailableError,
        ProviderTimeoutError,
        QuotaExhaustedError,
    )
}


def error_from_dict(data: dict[str, Any]) -> SireneError:
    """The error a worker reported with ``SireneError.to_dict``."""
    detail = str(data.get("detail", ""))
    errors = data.get("errors") or None
    if data.get("code") == LookupFailedError.code:
        return LookupFailedError(detail, status=int(data.get("status", 409)), errors=errors)
    cls = _BY_CODE.get(str(data.get("code")), SireneError)
    return cls(detail, retry_after=data.get("retry_after"), errors=errors)
