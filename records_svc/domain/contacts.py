"""Contacts of a prospect or a client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, immediateload
from sqlalchemy.orm.attributes import set_committed_value

from httpkit.error_codes import field_error
from records_svc.db import UnitOfWork
from records_svc.domain import access, field_declarations, fields, listing, record_files
from records_svc.domain.accounts import check_version, get_account
from records_svc.domain.errors import FieldValidationError, NotFoundError
from records_svc.domain.models import Account, Contact, ContactWord, utcnow
from records_svc.domain.paging import decode_cursor, encode_cursor

#: the standard contact fields (API names, their columns' too): what a merge may take
#: from its source (domain/field_declarations.py)
COLUMNS = tuple(field_declarations.CONTACTS.columns())
#: a person's answer to "may we contact you?" (GDPR consent)
UNKNOWN = "unknown"
CONSENT_STATUSES = (UNKNOWN, "granted", "refused")


def get_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError(f"No contact {contact_id}.")
    access.of(session).require_visible(contact.account, f"contact {contact_id}")
    return contact


def list_contacts(
    session: Session, account_id: int, *, cursor: str | None, limit: int
) -> tuple[list[Contact], str | None]:
    get_account(session, account_id)
    stmt = (
        select(Contact)
        .where(Contact.account_id == account_id)
        .options(immediateload(Contact.account))  # the account read above: no query
        .order_by(Contact.id)
        .limit(limit + 1)
    )
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(Contact.id > after)
    rows = list(session.scalars(stmt))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


#: the sort keys of the contact list; ``city`` is the account's
CONTACT_SORTS = {
    "id": listing.SortKey(Contact.id, lambda c: c.id, parse=int),
    "name": listing.SortKey(Contact.sort_name, lambda c: c.sort_name),
    "city": listing.SortKey(Account.sort_city, lambda c: c.account.sort_city),
    "updated_at": listing.instant_key(Contact.updated_at, "updated_at"),
}


def list_all_contacts(
    session: Session, query: listing.ListQuery, *, cursor: str | None, limit: int
) -> tuple[list[Contact], str | None]:
    """Contacts of the accounts the caller sees; ``owner`` is their account's owner."""
    stmt = select(Contact).join(Contact.account).options(contains_eager(Contact.account))
    stmt = access.of(session).visible_accounts(stmt)
    # the owner is the account's, kept on the contact row: one index range by name
    account_query = replace(query, owner_id=None, q=None, custom={})
    stmt = listing.filter_accounts(session, stmt, account_query, ())
    if query.owner_id is not None:
        stmt = stmt.where(Contact.owner_id == query.owner_id)
    stmt = listing.filter_updated_since(stmt, Contact.updated_at, query.updated_since)
    if query.q:
        stmt = listing.filter_words(
            session,
            stmt,
            ContactWord,
            ContactWord.contact_id,
            Contact.id,
            Contact.search_text,
            query.q,
            Contact.sort_name,
            by_name=listing.by_name(query.sort),
        )
    if query.custom:
        stmt = stmt.where(
            *listing.custom_conditions(session, Contact.custom, ("contact",), query.custom)
        )
    return listing.keyset_page(
        session,
        stmt,
        keys=CONTACT_SORTS,
        id_column=Contact.id,
        sort=query.sort,
        default="id",
        cursor=cursor,
        limit=limit,
    )


def _apply_consent(contact: Contact, data: Mapping[str, Any]) -> None:
    """``consent`` {status, at, source} and ``do_not_contact``, beside the field library."""
    consent = data.get("consent") or {}
    current = contact.consent_status or UNKNOWN
    status = consent.get("status", current)
    if status not in CONSENT_STATUSES:
        raise FieldValidationError(
            [field_error("consent.status", "not_one_of", f"one of {', '.join(CONSENT_STATUSES)}")]
        )
    if status != current and "at" not in consent:
        contact.consent_at = utcnow()  # a new answer without its date: it is given now
    if "at" in consent:
        contact.consent_at = consent["at"]
    if "source" in consent:
        contact.consent_source = (consent["source"] or "").strip() or None
    contact.consent_status = status
    if "do_not_contact" in data:
        contact.do_not_contact = bool(data["do_not_contact"])


def _apply(
    session: Session,
    contact: Contact,
    data: Mapping[str, Any],
    *,
    creating: bool,
    definitions: fields.Definitions | None = None,
) -> None:
    _apply_consent(contact, data)
    data = {k: v for k, v in data.items() if k not in ("consent", "do_not_contact")}
    if definitions is None:
        definitions = fields.list_definitions(session, "contact")
    standard, custom = fields.validate(
        definitions, fields.flatten(data), data.get("custom"), creating=creating
    )
    for key, value in standard.items():
        setattr(contact, key, value)
    if "custom" in data:
        merged = dict(contact.custom or {})
        for key, value in custom.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        contact.custom = merged


def new_contact(
    session: Session,
    account: Account,
    data: Mapping[str, Any],
    *,
    definitions: fields.Definitions | None = None,
) -> Contact:
    """A contact of ``account`` checked and built from ``data``, not added yet (imports)."""
    contact = Contact(account_id=account.id, custom={})
    _apply(session, contact, data, creating=True, definitions=definitions)
    return contact


def create_contact(uow: UnitOfWork, account_id: int, data: Mapping[str, Any]) -> Contact:
    account = get_account(uow.session, account_id)
    contact = new_contact(uow.session, account, data)
    uow.session.add(contact)
    uow.session.flush()
    # shown with the contact (its reference, its links) once the unit of work is over
    set_committed_value(contact, "account", account)
    return contact


def update_contact(
    uow: UnitOfWork,
    contact_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
    definitions: fields.Definitions | None = None,
) -> Contact:
    contact = get_contact(uow.session, contact_id)
    check_version(contact.version, expected_version, "contact")
    _apply(uow.session, contact, data, creating=False, definitions=definitions)
    uow.session.flush()
    return contact


def delete_contact(uow: UnitOfWork, contact_id: int, *, expected_version: int | None) -> None:
    contact = get_contact(uow.session, contact_id)
    check_version(contact.version, expected_version, "contact")
    record_files.forget_record_files(uow, contact_id=contact.id)
    uow.session.delete(contact)
    uow.session.flush()
