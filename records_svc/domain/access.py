"""The access policy: what the caller may see and change, decided in one place.

Every session a request opens carries the caller's policy (``bind``); the
domain functions that load a record by id (``require_visible``) or build a
listing query (``visible_accounts``, ``visible_by_account``) ask it, so a
closed client and everything hanging off it do not exist for a user without
*show closed accounts* on any path. A session opened outside a request (the
CLI, the workers, the ERP sync's own look-ups) carries ``SYSTEM``: everything.

The ERP is the system of record of clients: the fields its sync sends are
read-only to anyone but the ``erp_sync`` service account, which alone may
delete a client.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from httpkit.error_codes import field_error
from records_svc.domain import field_declarations
from records_svc.domain.errors import FieldValidationError, NotFoundError, PermissionDeniedError
from records_svc.domain.models import Account
from records_svc.domain.rights import ERP_SYNC, SHOW_CLOSED_ACCOUNTS

CLIENT = "client"
READ_ONLY = "read_only"
#: the client fields the ERP sends, by their API names (domain/field_declarations.py)
ERP_OWNED_FIELDS = (*field_declarations.erp_owned_keys(), "closed", "external_ref")
SESSION_KEY = "carnet.access"
S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class AccessPolicy:
    """The rules for one caller, from the rights they hold now."""

    show_closed: bool
    erp_sync: bool

    @classmethod
    def for_rights(cls, rights: Collection[str]) -> AccessPolicy:
        # The ERP's service account owns the clients, closed ones included.
        erp_sync = ERP_SYNC in rights
        return cls(show_closed=erp_sync or SHOW_CLOSED_ACCOUNTS in rights, erp_sync=erp_sync)

    # --- seeing ------------------------------------------------------------------------

    def can_see(self, account: Account | None) -> bool:
        return (
            self.show_closed or account is None or not (account.kind == CLIENT and account.closed)
        )

    def require_visible(self, account: Account | None, what: str) -> None:
        """404 (``what`` is "client 3", "contact 12"…) when the account is hidden."""
        if not self.can_see(account):
            raise NotFoundError(f"No {what}.")

    def _visible_account(self) -> ColumnElement[bool]:
        return or_(Account.kind != CLIENT, Account.closed.is_(False))

    def visible_accounts(self, stmt: S) -> S:
        """``stmt`` (selecting accounts) without the accounts this caller cannot see."""
        return stmt if self.show_closed else stmt.where(self._visible_account())

    def visible_by_account(self, stmt: S, account_id: Any) -> S:
        """``stmt`` without the rows whose ``account_id`` column points at a hidden account."""
        if self.show_closed:
            return stmt
        hidden = select(Account.id).where(and_(Account.kind == CLIENT, Account.closed.is_(True)))
        return stmt.where(account_id.not_in(hidden))

    # --- changing ----------------------------------------------------------------------

    def check_account_edit(self, account: Account, data: Mapping[str, Any]) -> None:
        """422 naming each ERP-owned field of a client that ``data`` would change."""
        if self.erp_sync or account.kind != CLIENT:
            return
        errors = [
            field_error(field, READ_ONLY, "comes from the ERP and is read-only (right erp_sync)")
            for field in _changed_erp_fields(account, data)
        ]
        if errors:
            raise FieldValidationError(errors)

    def check_account_delete(self, account: Account) -> None:
        if account.kind == CLIENT and not self.erp_sync:
            raise PermissionDeniedError(
                "Clients are deleted in the ERP; only its sync (right erp_sync) deletes one here.",
                missing_right=ERP_SYNC,
            )


#: outside a request: the CLI, the workers and the tests' own set-up see everything
SYSTEM = AccessPolicy(show_closed=True, erp_sync=True)


def bind(session: Session, policy: AccessPolicy) -> None:
    session.info[SESSION_KEY] = policy


def of(session: Session) -> AccessPolicy:
    """The policy of whoever opened ``session``."""
    policy: AccessPolicy = session.info.get(SESSION_KEY, SYSTEM)
    return policy


def _same(new: Any, old: Any) -> bool:
    """An unchanged value sent back (the portal resends a whole form) is no change."""

    def norm(value: Any) -> Any:
        return (value.strip() or None) if isinstance(value, str) else value

    return bool(norm(new) == norm(old))


def _changed_erp_fields(account: Account, data: Mapping[str, Any]) -> list[str]:
    changed: list[str] = []
    for field in ERP_OWNED_FIELDS:
        if field not in data:
            continue
        new = data[field]
        if field == "address":
            current = account.address
            changed += [
                f"address.{key}"
                for key, value in (new or {}).items()
                if not _same(value, current.get(key))
            ]
        elif not _same(new, getattr(account, field)):
            changed.append(field)
    return changed
