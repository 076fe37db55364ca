"""Prospects and clients (accounts): create, edit, validate, ERP sync, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from httpkit.error_codes import field_error
from records_svc.db import UnitOfWork
from records_svc.domain import (
    access,
    duplicates,
    field_declarations,
    fields,
    listing,
    record_files,
    users,
)
from records_svc.domain.errors import (
    ConflictError,
    FieldValidationError,
    NotFoundError,
    StaleVersionError,
)
from records_svc.domain.models import Account

PROSPECT, CLIENT = "prospect", "client"
DRAFT, VALIDATED = "draft", "validated"

#: flat field key → Account column (domain/field_declarations.py)
COLUMNS = field_declarations.columns()
#: what only the ERP sets on a client, beside the field library's fields
ERP_KEYS = ("closed", "external_ref")


def get_account(session: Session, account_id: int, kind: str | None = None) -> Account:
    account = session.get(Account, account_id)
    what = f"{kind or 'account'} {account_id}"
    if account is None or (kind is not None and account.kind != kind):
        raise NotFoundError(f"No {what}.")
    access.of(session).require_visible(account, what)
    return account


#: the sort keys of account lists (``id``: the default, the order of creation)
ACCOUNT_SORTS = {
    "id": listing.SortKey(Account.id, lambda a: a.id, parse=int),
    "name": listing.SortKey(Account.sort_name, lambda a: a.sort_name),
    "city": listing.SortKey(Account.sort_city, lambda a: a.sort_city),
    "updated_at": listing.instant_key(Account.updated_at, "updated_at"),
}
#: whose custom fields an account list filters on, by kind
CUSTOM_ENTITIES = {PROSPECT: (PROSPECT,), CLIENT: (CLIENT,), None: (PROSPECT, CLIENT)}


def list_accounts(
    session: Session,
    *,
    kind: str | None,
    cursor: str | None,
    limit: int,
    query: listing.ListQuery | None = None,
) -> tuple[list[Account], str | None]:
    """One page of the accounts the caller sees, filtered and sorted (ties by id)."""
    query = query or listing.ListQuery()
    stmt = access.of(session).visible_accounts(select(Account))
    if kind is not None:
        stmt = stmt.where(Account.kind == kind)
    stmt = listing.filter_accounts(session, stmt, query, CUSTOM_ENTITIES[kind])
    stmt = listing.filter_updated_since(stmt, Account.updated_at, query.updated_since)
    return listing.keyset_page(
        session,
        stmt,
        keys=ACCOUNT_SORTS,
        id_column=Account.id,
        sort=query.sort,
        default="id",
        cursor=cursor,
        limit=limit,
    )


def check_version(version: int, expected: int | None, what: str) -> None:
    if expected is not None and expected != version:
        raise StaleVersionError(
            f"The {what} changed since you read it (version {expected}, now {version}); "
            "reload it and apply your change again.",
            current_version=version,
        )


def _apply(
    session: Session,
    account: Account,
    data: Mapping[str, Any],
    *,
    entity: str,
    creating: bool,
    enforce_required: bool = True,
    definitions: fields.Definitions | None = None,
) -> None:
    if definitions is None:
        definitions = fields.list_definitions(session, entity)
    flat = fields.flatten({k: v for k, v in data.items() if k != "owner_id"})
    standard, custom = fields.validate(
        definitions, flat, data.get("custom"), creating=creating, enforce_required=enforce_required
    )
    _follow_siret(account, standard)
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
        account.owner_id = users.require_user(session, data["owner_id"], "owner_id")


def _follow_siret(account: Account, standard: dict[str, Any]) -> None:
    """A new SIRET sent without a SIREN: the SIREN becomes its first nine digits (its
    company) unless the account holds a SIREN of its own, which the SIRET must then
    belong to, as when both are sent."""
    siret = standard.get("siret")
    if not siret or "siren" in standard or siret == account.siret:
        return
    own = account.siren and account.siren != (account.siret or "")[:9]
    if own and siret[:9] != account.siren:
        raise FieldValidationError([fields.siren_mismatch()])
    standard["siren"] = siret[:9]


def _without(data: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def _apply_erp_keys(session: Session, account: Account, data: Mapping[str, Any]) -> None:
    """``closed`` and ``external_ref`` written by the ERP's service account on a client."""
    if data and account.kind != CLIENT:
        raise FieldValidationError(
            [field_error(key, "not_applicable", "only a client has it") for key in data]
        )
    if "closed" in data:
        account.closed = bool(data["closed"])
    if "external_ref" in data:
        ref = (data["external_ref"] or "").strip()
        if not ref or len(ref) > 64:
            raise FieldValidationError(
                [field_error("external_ref", "invalid_length", "1 to 64 characters")]
            )
        other = session.scalar(
            select(Account.id).where(Account.external_ref == ref, Account.id != account.id)
        )
        if other is not None:
            raise ConflictError(f"The ERP key {ref} belongs to client {other}.")
        account.external_ref = ref


def new_prospect(
    session: Session,
    actor_id: int | None,
    data: Mapping[str, Any],
    *,
    definitions: fields.Definitions | None = None,
) -> Account:
    """A prospect checked and built from ``data``, not added yet (an import adds a batch).

    ``definitions``: the prospect field library, when the caller has read it already."""
    account = Account(kind=PROSPECT, status=DRAFT, closed=False, custom={}, owner_id=actor_id)
    _apply_erp_keys(session, account, {k: data[k] for k in ERP_KEYS if k in data})
    _apply(session, account, data, entity=PROSPECT, creating=True, definitions=definitions)
    return account


def create_prospect(uow: UnitOfWork, actor_id: int, data: Mapping[str, Any]) -> Account:
    account = new_prospect(uow.session, actor_id, data)
    duplicates.check_siret_free(uow.session, account.siret, None)
    uow.session.add(account)
    uow.session.flush()
    return account


def update_account(
    uow: UnitOfWork,
    account_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
    kind: str | None = None,
    definitions: fields.Definitions | None = None,
) -> Account:
    account = get_account(uow.session, account_id, kind)
    check_version(account.version, expected_version, account.kind)
    access.of(uow.session).check_account_edit(account, data)
    erp_keys = {key: data[key] for key in ERP_KEYS if key in data}
    siret = account.siret
    _apply(
        uow.session,
        account,
        _without(data, ERP_KEYS),
        entity=account.kind,
        creating=False,
        definitions=definitions,
    )
    if account.siret != siret:
        duplicates.check_siret_free(uow.session, account.siret, account.id)
    _apply_erp_keys(uow.session, account, erp_keys)
    uow.session.flush()
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
    uow.session.flush()
    return account


def delete_account(
    uow: UnitOfWork, account_id: int, *, expected_version: int | None, kind: str | None = None
) -> None:
    """Definitive: the account, its contacts (and later its dependants) are gone."""
    account = get_account(uow.session, account_id, kind)
    check_version(account.version, expected_version, account.kind)
    access.of(uow.session).check_account_delete(account)
    record_files.forget_record_files(uow, account_id=account.id)
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
        raise FieldValidationError(
            [field_error("external_ref", "invalid_length", "1 to 64 characters")]
        )
    payload = _without(data, ("closed",))
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
    # The ERP is the system of record: only the trade name is insisted upon.
    _apply(session, account, payload, entity=CLIENT, creating=created, enforce_required=False)
    if not account.name:
        raise FieldValidationError([field_error("name", "required", "is required")])
    session.add(account)
    if "closed" in data:
        account.closed = bool(data["closed"])
    session.flush()
    return account, created
