"""What every records blueprint shares: the service handle, auth, If-Match, links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import current_app, g, has_request_context

from config import Settings
from httpkit.error_codes import field_error
from httpkit.tokens import Principal, authenticated, bearer_token, decode_token
from httpkit.userstate import UserStates, check_current
from records_svc.db import Database
from records_svc.domain import access
from records_svc.domain.errors import PreconditionRequiredError, StaleVersionError
from records_svc.domain.models import Account, Contact
from records_svc.job_queue import JobQueue

API = "/api/v1"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RecordsServices:
    """What the records app was assembled with (``app.extensions['carnet.records']``)."""

    settings: Settings
    db: Database
    secret_key: str
    jobs: JobQueue
    #: users' current rights, active flag and token version (read per request, ≤ 5 s old)
    user_states: UserStates


def services() -> RecordsServices:
    svc: RecordsServices = current_app.extensions["carnet.records"]
    return svc


def _verify() -> Principal:
    svc = services()
    return check_current(decode_token(svc.secret_key, bearer_token()), svc.user_states)


def request_policy() -> access.AccessPolicy:
    """The signed-in caller's policy; outside a signed-in request, the system's."""
    principal = g.get("principal") if has_request_context() else None
    if principal is None:
        return access.SYSTEM
    return access.AccessPolicy.for_rights(principal.rights)


def request_actor() -> int | None:
    """The signed-in caller's user id, whom the history names; None outside a request."""
    principal = g.get("principal") if has_request_context() else None
    return None if principal is None else int(principal.user_id)


def login_required(*rights: str) -> Callable[[F], F]:
    """The caller must present a valid token (and hold ``rights``)."""
    return authenticated(_verify, *rights)


def expected_version(header: str | None, *, required: bool = True) -> int | None:
    """The version an edit was based on, from ``If-Match`` ("3", W/"3" or *)."""
    if header is None or not header.strip():
        if required:
            raise PreconditionRequiredError(
                "Send the version you edited in If-Match (the ETag of the record you read), "
                "so that no one else's change is overwritten.",
                errors=[field_error("If-Match", "required", "is required")],
            )
        return None
    value = header.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip().strip('"')
    if not value.isdigit():
        raise StaleVersionError(
            "If-Match does not name a version of this record.",
            errors=[field_error("If-Match", "invalid_header", 'expected an ETag such as "3"')],
        )
    return int(value)


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC datetimes
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Shown:
    """A record with what a reply adds beside its fields (``possible_duplicates``,
    ``merged``): the reply's schema dumps it like the record itself."""

    def __init__(self, record: Any, **extra: Any) -> None:
        self._record = record
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


def account_path(account: Account) -> str:
    return f"{API}/{account.kind}s/{account.id}"


def contact_path(contact: Contact) -> str:
    return f"{API}/contacts/{contact.id}"
