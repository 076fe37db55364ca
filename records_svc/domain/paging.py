"""Opaque cursors for keyset pagination (lists are ordered by id)."""

from __future__ import annotations

import base64
import binascii

from httpkit.error_codes import field_error
from records_svc.domain.errors import DomainError


class InvalidCursorError(DomainError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "The cursor is invalid; use next_cursor from a previous page.",
            errors=[field_error("cursor", "invalid_cursor", "invalid cursor")],
        )


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "id" or not value.isdigit():
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError() from None


def encode_keyset_cursor(key: str, last_id: int) -> str:
    """A cursor for lists ordered by (key, id): the key's text form and the last id."""
    raw = f"key:{last_id}:{key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset_cursor(cursor: str | None) -> tuple[str, int] | None:
    """(key text, last id) from a cursor made by :func:`encode_keyset_cursor`."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, last_id, key = raw.split(":", 2)
        if prefix != "key" or not last_id.isdigit():
            raise ValueError(raw)
        return key, int(last_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError() from None
