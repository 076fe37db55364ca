"""Prospects and clients (accounts): create, edit, validate, ERP sync, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records_svc.db import UnitOfWork
from records_svc.domain import fields, record_files
from records_svc.domain.errors import (
    ConflictError,
    FieldValidationError,
    NotFoundError,
    StaleVersionError,
)
from records_svc.domain.models import Account, Contact, User
from records_svc.domain.paging import decode_cursor, encode_cursor

PROSPECT, CLIENT = "prospect", "client"
DRAFT, VALIDATED = "draft", "validated"

#: flat field key → Account column
COLUMNS = {
    "name": "name",
    "legal_name": "legal_name",
    "siren": "siren",
    "siret": "siret",
    "ape_code": "ape_code",
    "address.line1": "address_line1",
    "address.line2": "address_line2",
    "address.postal_code": "postal_code",
    "address.city": "city",
    "address.country": "country",
    "phone": "phone",
    "email": "email",
    "website": "website",
}
#: what a contact's search document shows or finds of its account
SHOWN_ON_CONTACTS = ("name", "kind", "closed", "city", "postal_code")


def get_account(session: Session, account_id: int, kind: str | None = None) -> Account:
    account = session.get(Account, account_id)
    if account is None or (kind is not None and account.kind != kind):
        raise NotFoundError(f"No {kind or 'account'} {account_id}.")
    return account


def list_accounts(
    session: Session,
    *,
    kind: str | None,
    cursor: str | None,
    limit: int,
    status: str | None = None,
    closed: bool | None = None,
    owner_id: int | None = None,
) -> tuple[list[Account], str | None]:
    stmt = select(Account).order_by(Account.id).limit(limit + 1)
    if kind is not None:
        stmt = stmt.where(Account.kind == kind)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(Account.id > after)
    if status is not None:
        stmt = stmt.where(Account.status == status)
    if closed is not None:
        stmt = stmt.where(Account.closed == closed)
    if owner_id is not None:
        stmt = stmt.where(Account.owner_id == owner_id)
    rows = list(session.scalars(stmt))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def check_version(version: int, expected: int | None, what: str) -> None:
    if expected is not None and expected != version:
        raise StaleVersionError(
            f"The {what} changed since you read it (version {expected}, now {version}); "
            "reload it and apply your change again.",
            current_version=version,
        )


def _check_owner(session: Session, owner_id: Any) -> int | None:
    if owner_id is None:
        return None
    if session.get(User, owner_id) is None:
        raise FieldValidationError([{"field": "owner_id", "message": "no such user"}])
    return int(owner_id)


def _apply(
    session: Session,
    account: Account,
    data: Mapping[str, Any],
    *,
    entity: str,
    creating: bool,
    enforce_required: bool = True,
) -> None:
    definitions = fields.list_definitions(session, entity)
    flat = fields.flatten({k: v for k, v in data.items() if k != "owner_id"})
    standard, custom = fields.validate(
        definitions, flat, data.get("custom"), creating=creating, enforce_required=enforce_required
    )
    for key, value in standard.items():
        setattr(account, COLUMNS[key], value)
    if "custom" in data:
        merged = dict(account.custom or {})
        for key, value in custom.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        account.custom = merged
    if "owner_id" in data:
        account.owner_id = _check_owner(session, data["owner_id"])


def _record_account_change(
    uow: UnitOfWork, account: Account, *, contacts_too: bool, op: str = "upsert"
) -> None:
    uow.session.flush()
    uow.record_index_event("account", account.id, account.version, op)
    if contacts_too:
        for contact_id, version in uow.session.execute(
            select(Contact.id, Contact.version).where(Contact.account_id == account.id)
        ):
            uow.record_index_event("contact", contact_id, version, op)


def create_prospect(uow: UnitOfWork, actor_id: int, data: Mapping[str, Any]) -> Account:
    account = Account(kind=PROSPECT, status=DRAFT, closed=False, custom={}, owner_id=actor_id)
    _apply(uow.session, account, data, entity=PROSPECT, creating=True)
    uow.session.add(account)
    _record_account_change(uow, account, contacts_too=False)
    return account


def update_account(
    uow: UnitOfWork,
    account_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
    kind: str | None = None,
) -> Account:
    account = get_account(uow.session, account_id, kind)
    check_version(account.version, expected_version, account.kind)
    before = {attr: getattr(account, attr) for attr in SHOWN_ON_CONTACTS}
    _apply(uow.session, account, data, entity=account.kind, creating=False)
    if not uow.session.is_modified(account):
        return account
    uow.session.flush()
    changed = any(getattr(account, attr) != value for attr, value in before.items())
    _record_account_change(uow, account, contacts_too=changed)
    return account


def validate_prospect(
    uow: UnitOfWork, account_id: int, *, expected_version: int | None = None
) -> Account:
    account = get_account(uow.session, account_id)
    if account.kind != PROSPECT:
        raise ConflictError(f"Account {account_id} is a client; only a prospect is validated.")
    check_version(account.version, expected_version, "prospect")
    if account.status == VALIDATED:
        raise ConflictError(f"Prospect {account_id} is validated already.")
    account.status = VALIDATED
    _record_account_change(uow, account, contacts_too=False)
    return account


def delete_account(
    uow: UnitOfWork, account_id: int, *, expected_version: int | None, kind: str | None = None
) -> None:
    """Definitive: the account, its contacts (and later its dependants) are gone."""
    account = get_account(uow.session, account_id, kind)
    check_version(account.version, expected_version, account.kind)
    contacts = list(
        uow.session.execute(
            select(Contact.id, Contact.version).where(Contact.account_id == account.id)
        )
    )
    uow.record_index_event("account", account.id, account.version + 1, "delete")
    record_files.forget_record_files(uow, account_id=account.id)
    for contact_id, version in contacts:
        uow.record_index_event("contact", contact_id, version + 1, "delete")
    uow.session.delete(account)
    uow.session.flush()


def sync_client(
    uow: UnitOfWork,
    external_ref: str,
    data: Mapping[str, Any],
    *,
    prospect_id: int | None = None,
) -> tuple[Account, bool]:
    """Upsert a client from the ERP by its key; idempotent. Returns (client, created).

    With ``prospect_id`` (and no client of that key yet) the prospect becomes the
    client, keeping its id, contacts and history.
    """
    session = uow.session
    external_ref = external_ref.strip()
    if not external_ref or len(external_ref) > 64:
        raise FieldValidationError([{"field": "external_ref", "message": "1 to 64 characters"}])
    payload = {k: v for k, v in data.items() if k != "closed"}
    account = session.scalar(select(Account).where(Account.external_ref == external_ref))
    created = False
    if account is None and prospect_id is not None:
        account = get_account(session, prospect_id)
        if account.kind != PROSPECT:
            raise ConflictError(
                f"Account {prospect_id} is already a client (ERP key {account.external_ref})."
            )
        account.kind, account.status, account.external_ref = CLIENT, None, external_ref
    elif account is not None and prospect_id is not None and account.id != prospect_id:
        raise ConflictError(
            f"The ERP key {external_ref} belongs to client {account.id}, not to {prospect_id}."
        )
    if account is None:
        account = Account(
            kind=CLIENT, status=None, closed=False, custom={}, external_ref=external_ref
        )
        created = True
    before = {attr: getattr(account, attr) for attr in SHOWN_ON_CONTACTS}
    # The ERP is the system of record: only the trade name is insisted upon.
    _apply(session, account, payload, entity=CLIENT, creating=created, enforce_required=False)
    if not account.name:
        raise FieldValidationError([{"field": "name", "message": "is required"}])
    session.add(account)
    if "closed" in data:
        account.closed = bool(data["closed"])
    if created or session.is_modified(account):
        session.flush()
        changed = created or any(getattr(account, a) != v for a, v in before.items())
        _record_account_change(uow, account, contacts_too=changed and not created)
    return account, created
