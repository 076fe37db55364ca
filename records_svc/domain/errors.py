"""Domain errors; the API layer renders each as a problem with its status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, detail: str, *, errors: list[dict[str, str]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (an import's checking process sends its refusals): the default
        would call ``__init__`` again with ``args`` alone."""
        return (_restored, (type(self), self.args, self.__dict__))


def _restored(cls: type[DomainError], args: tuple[Any, ...], state: dict[str, Any]) -> DomainError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class NotFoundError(DomainError):
    status = 404


class PermissionDeniedError(DomainError):
    status = 403


class ConflictError(DomainError):
    status = 409


class StaleVersionError(DomainError):
    status = 412


class PreconditionRequiredError(DomainError):
    status = 428


class FieldValidationError(DomainError):
    """One or more field values are invalid; ``errors`` names each field at fault."""

    status = 422

    def __init__(self, errors: list[dict[str, str]]):
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        super().__init__(f"Some fields are invalid: {fields}.", errors=errors)
